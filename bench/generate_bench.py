"""How long the synthetic LA generator takes (`solver.generate`); not a test.

    .venv/bin/python bench/generate_bench.py [--sizes 140 400 1000] [--repeat 3]

Prints the best of `--repeat` runs per size: the generator should stay well under a
couple of seconds at 1000 schools (it feeds the benchmarks and the demo).
"""

from __future__ import annotations

import argparse
import sys
import time

from solver.generate import generate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", type=int, default=[140, 400, 1000])
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'schools':>7} {'reviewers':>9} {'best s':>7}")
    for n in args.sizes:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            scenario = generate(n, args.seed)
            times.append(time.perf_counter() - t0)
        print(f"{n:>7} {len(scenario['reviewers']):>9} {min(times):>7.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
