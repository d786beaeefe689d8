"""Month cost of the same model under two checkouts, in one process, months alternating.

    .venv/bin/python scripts/compare_trees.py OLD_CHECKOUT [NEW_CHECKOUT] [--firms N]
        [--burn-in M] [--months K]

Both checkouts' `simulation` packages are copied under new names into a temporary folder
and imported side by side; one model of each (same seed) runs the burn-in, then the timed
months alternate between them, so the machine's load falls on both alike (the figures of
separate runs on a shared machine move by 20 % and more). Prints the median month of each,
their ratio, and whether the two models' reporters are identical (an optimisation that keeps
the numbers should say True). NEW_CHECKOUT defaults to this checkout. Make a checkout of an
older commit with `git worktree add --detach /tmp/old <commit>`.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path, help="checkout to compare against (A)")
    ap.add_argument("new", type=Path, nargs="?", default=here, help="checkout to test (B)")
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--burn-in", type=int, default=24,
                    help="the models' burn-in, run before timing")
    ap.add_argument("--months", type=int, default=24,
                    help="the models' months after the burn-in, all timed")
    args = ap.parse_args()
    for flag, value, low in (("--firms", args.firms, 10), ("--burn-in", args.burn_in, 0),
                             ("--months", args.months, 1)):
        if value < low:
            print(f"compare_trees: {flag} {value}: must be at least {low}", file=sys.stderr)
            return 2
    for tree in (args.old, args.new):
        if not (tree / "simulation" / "model.py").is_file():
            print(f"compare_trees: {tree} holds no simulation/model.py; give a checkout of "
                  "this project", file=sys.stderr)
            return 2
    root = Path(tempfile.mkdtemp(prefix="sme-compare-"))
    try:
        for name, tree in (("sim_a", args.old), ("sim_b", args.new)):
            shutil.copytree(tree / "simulation", root / name)
        sys.path[:0] = [str(root), str(args.new)]  # the new checkout's other packages
        models = [importlib.import_module(name).SMEEcosystem(
            n_firms=args.firms, rng=1, burn_in=args.burn_in, months=args.months)
            for name in ("sim_a", "sim_b")]
        for _ in range(args.burn_in):
            for m in models:
                m.step()
        times: list[list[float]] = [[], []]
        for k in range(args.months):
            for i in ((0, 1) if k % 2 else (1, 0)):
                started = time.perf_counter()
                models[i].step()
                times[i].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    a, b = (statistics.median(t) * 1e3 for t in times)
    frames = [m.datacollector.get_model_vars_dataframe() for m in models]
    shared = [c for c in frames[0].columns if c in frames[1].columns]
    same = frames[0][shared].equals(frames[1][shared])
    added = [c for c in frames[1].columns if c not in frames[0].columns]
    print(f"{args.firms:,} firms, {args.months} months each after {args.burn_in}: "
          f"A {a:.1f} ms, B {b:.1f} ms a month (medians), B/A {b / a:.3f}; "
          f"reporters identical: {same}"
          + (f" (the {len(shared)} both have; B adds {len(added)})" if added else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
