"""`python -m solver.generate`: the generator's own command line (more options than
`python -m solver generate`)."""

from __future__ import annotations

import argparse
import json
import sys

from .assemble import generate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schools", type=int, default=140, help="number of schools in the invented LA (default 140)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--year", type=int, default=2026, help="the autumn term of this year (default 2026)")
    parser.add_argument(
        "--review-share", type=float, default=0.33, help="share of schools to be reviewed this cycle (default 0.33)"
    )
    parser.add_argument(
        "--support-requests", type=int, default=None, help="number of support requests (default about 8%% of schools)"
    )
    parser.add_argument(
        "--model",
        choices=("teams", "groups"),
        default="teams",
        help="teams (scenario v1, the default) or groups (a v1.1 cycle of trios or quads with three rounds behind it)",
    )
    parser.add_argument(
        "--group-sizes", default="3-3", help="for --model groups: MIN-MAX schools a group (default 3-3)"
    )
    parser.add_argument("--out", default=None, help="write the JSON here instead of stdout")
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation; 0 for one compact line (default 2)")


def run(args: argparse.Namespace) -> int:
    """Generate from parsed arguments and write the JSON; the body of the CLI command."""
    try:
        lo, _, hi = args.group_sizes.partition("-")
        if not (lo.isdigit() and (hi or lo).isdigit()):
            raise ValueError(f"--group-sizes must be MIN-MAX, for example 3-4 (not {args.group_sizes!r})")
        scenario = generate(
            args.schools,
            args.seed,
            year=args.year,
            review_share=args.review_share,
            support_requests=args.support_requests,
            model=args.model,
            group_sizes=(int(lo), int(hi or lo)),
        )
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(scenario, indent=args.indent or None, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m solver generate",
        description="Write a synthetic English LA autumn review cycle (scenario v1 JSON).",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
