"""Scenario discovery with EMA Workbench: which conditions make the SME ecosystem fragile?

    python experiments/scenario_discovery.py                      # 200 x 4 runs, ~10 min on 2 cores
    python experiments/scenario_discovery.py --experiments 16 --policies 2 --firms 80 \\
        --months 36 --burn-in 6 --out results/discovery-tiny      # a few seconds (CI)

EMA Workbench's `perform_experiments` samples the uncertainties (how deep, when and how long
the recession is, how fast demand grows, how volatile firms' sales are, how fast trust
builds, how much partners share in distress) and the levers (which policy package, how big
the credit guarantee's budget) by Latin hypercube, all taken from the parameter registry
(`analysis.parameters`: bounds, types, names) and narrowed here to a plausible range. The
model is `analysis.evaluate_point`, the same numbers `run.py sweep` reports for each point
(with the no-shock twin for the resilience outcomes), with one seed for every experiment
(common random numbers). Then EMA Workbench's PRIM (`ema_workbench.analysis.prim.Prim`)
looks for the box of conditions in which the ecosystem is fragile: output lost to the shock
in the worst quarter of the experiments (or above `--threshold` %).

Writes into --out: `experiments.csv` (inputs) and `outcomes.csv`, `prim_boxes.csv` and
`prim_stats.csv` (the boxes' limits, coverage, density, mass), `prim_tradeoff.png` (the
peeling trajectory) and `prim_box.png` (the chosen box's limits against the ranges).
Needs the `ema` extra (`pip install -e ".[ema]"`; `make venv` installs it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

# the uncertainties: registry parameters, with narrower plausible ranges for this question
UNCERTAINTIES = {
    "shock_depth_scale": (0.5, 3.0),   # x the recession's demand and credit depths
    "shock_start": (6, 24),            # month the recession starts
    "shock_duration": (3, 24),         # months at full depth
    "demand_growth": (0.0, 0.15),      # trend growth of demand, per year
    "revenue_volatility": (0.005, 0.03),
    "trust_build_rate": (0.02, 0.3),
    "mutual_aid_share": (0.0, 0.5),
}
LEVERS = {"credit_guarantee_budget": (0.0, 2000.0)}
PACKAGES = ["recession_with_credit_guarantee", "recession_with_resilience_mix"]
OUTCOMES = ["output_lost", "survival_rate", "bankruptcies", "policy_spend"]
BAD = "output_lost"


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--experiments", type=int, default=200, help="uncertainty samples")
    p.add_argument("--policies", type=int, default=4, help="lever samples")
    p.add_argument("--firms", type=int, default=1000)
    p.add_argument("--months", type=int, default=60, help="months after the burn-in")
    p.add_argument("--burn-in", type=int, default=24)
    p.add_argument("--seed", type=int, default=42, help="model seed and sampling seed")
    p.add_argument("--workers", type=int, default=1,
                   help="processes (EMA Workbench's MultiprocessingEvaluator when > 1)")
    p.add_argument("--threshold", type=float, default=None,
                   help=f"{BAD} (%%) above which a run is fragile (default: its 75th "
                        "percentile over the experiments)")
    p.add_argument("--out", default="results/scenario_discovery")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    from simulation.errors import UserError
    from simulation.params import validate

    try:  # the run's size in one line, before any experiment starts
        validate({"n_firms": args.firms, "months": args.months, "burn_in": args.burn_in})
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    warnings.filterwarnings("ignore", "ipyparallel not installed")  # an evaluator not used
    import matplotlib.pyplot as plt
    import numpy as np
    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator
    from ema_workbench.analysis import prim

    from analysis.parameters import ema_model, ema_parameters, ema_scenario_lever

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = ema_model(
        "sme_ecosystem",
        uncertainties=ema_parameters(UNCERTAINTIES, UNCERTAINTIES),
        levers=[ema_scenario_lever(PACKAGES), *ema_parameters(LEVERS, LEVERS)],
        outcomes=OUTCOMES,
        constants={"n_firms": args.firms, "months": args.months, "burn_in": args.burn_in,
                   "seed": args.seed})
    started = time.perf_counter()
    evaluator = (SequentialEvaluator(model) if args.workers == 1
                 else MultiprocessingEvaluator(model, n_processes=args.workers))
    with evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=args.experiments, policies=args.policies,
            uncertainty_sampling_kwargs={"rng": args.seed},
            lever_sampling_kwargs={"rng": args.seed + 1})
    seconds = time.perf_counter() - started
    experiments.to_csv(out / "experiments.csv", index=False)
    import pandas as pd

    pd.DataFrame(outcomes).to_csv(out / "outcomes.csv", index=False)

    lost = np.asarray(outcomes[BAD], dtype=float)
    threshold = args.threshold if args.threshold is not None else float(
        np.percentile(lost, 75))
    fragile = lost > threshold
    print(f"{len(experiments)} experiments ({args.experiments} x {args.policies}) in "
          f"{seconds:.1f} s; fragile ({BAD} > {threshold:.3g} %): {int(fragile.sum())}")
    if fragile.all() or not fragile.any():
        print("every run is on the same side of the threshold: no box to find")
        return 0
    x = experiments.drop(columns=["policy", "model"])
    finder = prim.Prim(x, fragile, peel_alpha=0.1, mass_min=0.05)
    box = finder.find_box()
    finder.boxes_to_dataframe().to_csv(out / "prim_boxes.csv")
    finder.stats_to_dataframe().to_csv(out / "prim_stats.csv")
    box.show_tradeoff()
    plt.savefig(out / "prim_tradeoff.png", dpi=100, bbox_inches="tight")
    plt.close("all")
    box.inspect(style="graph")
    plt.savefig(out / "prim_box.png", dpi=100, bbox_inches="tight")
    plt.close("all")
    stats = box.stats
    print(f"PRIM box: coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
          f"mass {stats['mass']:.2f}, {stats['res_dim']} restricted dimensions")
    restricted = [c for c in box.box_lim.columns
                  if not box.box_lim[c].equals(finder.box_init[c])]
    print(box.box_lim[restricted].T.rename(columns={0: "from", 1: "to"}).to_string())
    print(f"Outputs: {out}/ (experiments.csv, outcomes.csv, prim_boxes.csv, prim_stats.csv, "
          "prim_tradeoff.png, prim_box.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
