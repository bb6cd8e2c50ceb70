"""python -m solver solve|check|generate — the solver alone: no database, no queue.

Exit codes: 0 done (for `check`: the plan is valid); 2 bad input (every problem listed,
nothing written); 1 an internal error, or for `check` a plan that breaks a rule.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback

from .check import check_report
from .dispatch import solve
from .generate import generate
from .scenario import ScenarioError


def _read_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise ScenarioError([f"{what}: no such file '{path}'"]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"{what}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from None


def _write_json(path: str, data) -> None:
    """Write via a temporary file and rename, so a reader never sees half a plan."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".plan-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cmd_solve(args) -> int:
    scenario = _read_json(args.scenario, "scenario")
    progress = None
    if args.verbose:

        def progress(obj, bound, elapsed):
            print(f"  {elapsed:7.2f}s  objective {obj}  bound {bound}", file=sys.stderr)

    plan = solve(
        scenario,
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        on_progress=progress,
        gap_limit=args.gap,
    )
    _write_json(args.out, plan)
    gap = ""
    if plan["bound"] is not None and plan["objective"]:
        gap = f", gap {100 * (plan['objective'] - plan['bound']) / abs(plan['objective']):.3f}%"
    print(
        f"{plan['status']}: objective {plan['objective']}, bound {plan['bound']}{gap}; "
        f"{len(plan['reviews'])} visits, {len(plan['unstaffed'])} unstaffed, "
        f"{len(plan['support'])} support matches, {len(plan['unmet_support'])} unmet; "
        f"{plan['solver']['wall_s']}s -> {args.out}",
        file=sys.stderr,
    )
    return 0


def cmd_check(args) -> int:
    scenario = _read_json(args.scenario, "scenario")
    plan = _read_json(args.plan, "plan")
    rep = check_report(scenario, plan)
    if args.json:
        json.dump([p.as_dict() for p in rep.problems], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in rep.errors:
            print(line)
    if rep.cost is not None:
        print(f"objective recomputed: {rep.cost.objective:.2f} (plan says {plan.get('objective')})", file=sys.stderr)
    print("valid plan" if rep.ok else f"{len(rep.errors)} problem(s)", file=sys.stderr)
    return 0 if rep.ok else 1


def cmd_generate(args) -> int:
    data = generate(args.schools, seed=args.seed)
    if args.out:
        _write_json(args.out, data)
    else:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m solver", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a scenario and write the plan")
    s.add_argument("scenario")
    s.add_argument("--out", required=True)
    s.add_argument("--time-limit", type=float, default=30.0)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--gap", type=float, default=None, help="stop once proven within this fraction of the bound (e.g. 0.005)"
    )
    s.add_argument("-v", "--verbose", action="store_true", help="print progress")
    s.set_defaults(func=cmd_solve)
    c = sub.add_parser("check", help="validate a plan against a scenario")
    c.add_argument("scenario")
    c.add_argument("plan")
    c.add_argument("--json", action="store_true", help="print the problems as JSON (rule, path, who, date, message)")
    c.set_defaults(func=cmd_check)
    g = sub.add_parser("generate", help="a realistic synthetic local authority")
    g.add_argument("--schools", type=int, required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out")
    g.set_defaults(func=cmd_generate)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"bad input: {len(exc.errors)} problem(s); nothing written", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the exit code tells scripts it was us, not them
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
