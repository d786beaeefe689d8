#!/usr/bin/env python3
"""The calibration search behind the registry defaults (docs/ODD.md, Section 10.2).

    .venv/bin/python scripts/calibrate.py search [--space wide|narrow|jumps] [--points 600]
                                                 [--top 15] [--seeds 3] [--firms 2500]
                                                 [--out DIR]
    .venv/bin/python scripts/calibrate.py robustness [--space narrow|jumps] [--out DIR]
    .venv/bin/python scripts/calibrate.py full_size [--points 24] [--out DIR]
    .venv/bin/python scripts/calibrate.py seeds --grid seeds1..seeds5 | --point JSON
                                                [--seed-range 42-51] [--part i/n] [--out DIR]

`search`: stage 1 evaluates a Latin hypercube of `--points` points of the space (one model
seed each); stage 2 re-evaluates the `--top` best with `--seeds` seeds and ranks them by
mean loss. Each evaluation runs the survey-calibration scenario with the point's values
(registry parameters, presets, and the scheduled shock's depth, share and start), observes
every firm alive through the two survey years, and computes the Table 1 statistics the
stratified sample would have in expectation (design weights) and the stylized facts; the
loss is `analysis.validation.calibration_loss`. Writes stage1.csv and stage2.csv.

`robustness`: the rounded winner of a search and a small grid around it, each run through
`run.py validate`'s own code (10,000 firms, a real sample of 500; seeds 42-49 for the
narrow space, 42-45 for the jumps space); ranked by the number of seeds on which every
Table 1 statistic passes (and, for the jumps space, then by the stylized facts passed).
Writes robustness.csv.

The jumps space (docs/ODD.md, Section 10.2) was searched after demand jumps were added:
`search --space jumps --points 240 --top 12 --seeds 3 --firms 5000`, then
`full_size --points 24` (a Latin hypercube of the region it pointed to, at full size through
`validate`'s code on seeds 42-45; writes full_size.csv), then `robustness --space jumps`.

`seeds` (docs/ODD.md, Section 10.2, seeds robustness): every point of a small grid
(GRIDS_SEEDS) through `validate`'s own code at full size on each seed of `--seed-range`, one
row per point and seed with every Table 1 row and stylized fact (writes seeds_part{i}.csv);
`--part i/n` splits the points between n processes. Grids 1-3 ran on seeds 42-51, grids 4
and 5 on seeds 42-61. `--point JSON` runs one point instead of a grid (the comparisons of
docs/calibration/seeds_per_seed.csv) on top of the shipped defaults: `--point '{}'` is the
shipped point; the grids start from SEEDS_BASE, the defaults of the jumps calibration,
except the grids of the reach of alliances (`--grid reach`, `reach2`, `reach3`, seeds 42-61;
GRID_BASES), which start from the shipped defaults.

Only the survey's descriptive statistics and the stylized facts are looked at: never the
regressions (TARGETS §1). Runs in one process (the seeds stage in `--part`s).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from scipy.stats import qmc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.facts import measure_facts  # noqa: E402
from analysis.survey import VARIABLES, design_weights, measure, observe  # noqa: E402
from analysis.validation import calibration_loss, describe, load_targets  # noqa: E402
from simulation import SMEEcosystem, regions  # noqa: E402
from simulation.scenario import load_scenario  # noqa: E402

# name -> (low, high, kind): registry parameters, shock_* fields of the scenario's first
# scheduled shock (the recession the surveyed firms lived through) and the technology
# sector's innovation multiplier (a preset). The wide space was searched first; the narrow
# one, around its best points, gave the defaults.
WIDE = {
    "share_micro": (0.82, 0.93, float),
    "share_medium": (0.01, 0.05, float),  # share_small = 1 - micro - medium
    "search_prob": (0.02, 0.12, float),
    "max_alliances": (3, 4, int),
    "trust_propensity_mean": (0.35, 0.6, float),
    "trustworthiness_mean": (0.55, 0.85, float),
    "shirk_temptation": (0.2, 0.6, float),
    "formal_contract_bias": (0.1, 0.6, float),
    "revenue_volatility": (0.01, 0.04, float),
    "invest_share": (0.0, 0.05, float),
    "demand_growth": (0.02, 0.12, float),
    "innovation_rate": (0.08, 0.16, float),
    "closure_rate": (0.03, 0.08, float),
    "shock_depth": (0.3, 0.5, float),
    "shock_share": (0.5, 0.8, float),
    "shock_start": (44, 47, int),
}
NARROW = {
    **WIDE,
    "share_micro": (0.85, 0.93, float),
    "share_medium": (0.015, 0.04, float),
    "search_prob": (0.04, 0.12, float),
    "trust_propensity_mean": (0.45, 0.62, float),
    "trustworthiness_mean": (0.55, 0.75, float),
    "shirk_temptation": (0.3, 0.6, float),
    "formal_contract_bias": (0.08, 0.3, float),
    "revenue_volatility": (0.015, 0.035, float),
    "invest_share": (0.0, 0.03, float),
    "demand_growth": (0.02, 0.10, float),
    "innovation_rate": (0.09, 0.14, float),
    "closure_rate": (0.03, 0.07, float),
    "shock_depth": (0.3, 0.45, float),
    "shock_share": (0.55, 0.8, float),
    "shock_start": (44, 46, int),
    "innovation_mult_technology": (1.1, 1.6, float),  # preset (regions.SECTOR_PRESETS)
}
# after demand jumps were added (docs/ODD.md, Section 7.10): the jump process and the
# parameters it interacts with (walk volatility, growth, reinvestment, closures, size tail);
# everything else stays at the narrow search's calibrated defaults
JUMPS = {
    "demand_jump_rate": (0.15, 0.5, float),
    "demand_jump_size": (0.07, 0.16, float),
    "demand_jump_up_share": (0.6, 0.9, float),
    "demand_jump_cap": (1.5, 4.0, float),
    "revenue_volatility": (0.0, 0.012, float),
    "demand_growth": (0.075, 0.09, float),
    "invest_share": (0.012, 0.025, float),
    "closure_rate": (0.062, 0.072, float),
}
SPACES = {"wide": WIDE, "narrow": NARROW, "jumps": JUMPS}


def lhs_points(space: dict, n: int, seed: int) -> list[dict]:
    unit = qmc.LatinHypercube(d=len(space), seed=seed).random(n)
    points = []
    for row in unit:
        point = {}
        for (name, (lo, hi, kind)), u in zip(space.items(), row):
            if kind is int:
                point[name] = int(lo + min(int(u * (hi - lo + 1)), hi - lo))
            else:
                point[name] = float(lo + u * (hi - lo))
        points.append(point)
    return points


def scenario_for(point: dict, firms: int):
    """The survey-calibration scenario with the point's parameters and shock."""
    base = load_scenario("survey_calibration")
    params = {k: v for k, v in point.items()
              if not k.startswith("shock_") and k not in PRESETS and k != "share_medium"}
    if "share_medium" in point:
        params["share_small"] = max(0.0, 1.0 - point["share_micro"] - point["share_medium"])
    shocks = list(base.shocks)
    if shocks:
        shocks[0] = dataclasses.replace(
            shocks[0], **{k[6:]: point[k] for k in point if k.startswith("shock_")})
    return dataclasses.replace(base, params={**base.params, **params, "n_firms": firms},
                               shocks=shocks)


PRESETS = {  # point key -> (preset table, entry, field)
    "innovation_mult_technology": ("SECTOR_PRESETS", "technology", "innovation_mult"),
    "innovation_mult_services": ("SECTOR_PRESETS", "services", "innovation_mult"),
    "institutions_kenya": ("REGIONS", "kenya", "institutions"),
}


@contextmanager
def presets(point: dict):
    """Set the point's preset values in simulation.regions for the duration."""
    saved = {name: dict(getattr(regions, name)) for name, _, _ in PRESETS.values()}
    try:
        for key, (name, entry, field) in PRESETS.items():
            if key in point:
                table = getattr(regions, name)
                table[entry] = dataclasses.replace(table[entry], **{field: point[key]})
        yield
    finally:
        for name, table in saved.items():
            getattr(regions, name).update(table)


def evaluate(point: dict, seed: int, firms: int, targets: pd.DataFrame) -> dict:
    with presets(point):
        obs = observe(SMEEcosystem(rng=seed, scenario=scenario_for(point, firms)))
    survey = measure(obs.firms)
    stats = describe(survey, design_weights(survey).to_numpy())
    facts = measure_facts(obs)
    row = {**point, "seed": seed}
    for v in VARIABLES:
        row[f"{v}_mean"], row[f"{v}_sd"] = stats[v]["mean"], stats[v]["sd"]
    row.update({k: f["value"] for k, f in facts.items()})
    row.update(calibration_loss(stats, targets, facts))
    return row


def search(args, targets: pd.DataFrame, out: Path) -> None:
    started = time.perf_counter()
    rows = []
    space = SPACES[args.space]
    for k, point in enumerate(lhs_points(space, args.points, args.seed)):
        rows.append({"point": k, **evaluate(point, args.seed + k, args.firms, targets)})
        if (k + 1) % 25 == 0:
            best = min(r["loss"] for r in rows)
            print(f"stage 1: {k + 1}/{args.points} points, best loss {best:.2f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    stage1 = pd.DataFrame(rows).sort_values("loss")
    stage1.to_csv(out / "stage1.csv", index=False)

    rows = []
    for _, best in stage1.head(args.top).iterrows():
        point = {k: (int(best[k]) if space[k][2] is int else float(best[k])) for k in space}
        for s in range(args.seeds):
            rows.append({"point": int(best["point"]),
                         **evaluate(point, 10_000 + s, args.firms, targets)})
    stage2 = pd.DataFrame(rows)
    stage2.to_csv(out / "stage2.csv", index=False)
    ranking = stage2.groupby("point")[["loss", "table1", "facts"]].mean().sort_values("loss")
    print(ranking.head(10).to_string())
    winner = stage1.set_index("point").loc[ranking.index[0], list(space)]
    print("best point:\n" + winner.to_string())
    print(f"done in {time.perf_counter() - started:.0f} s; files in {out}/")


# the narrow search's winner, rounded, with Kenya's institutions at the top of TARGETS §3's
# 2.4-2.6 (the survey's lowest institutional context is 1.0); and the grid tried around it
ROUNDED = dict(share_micro=0.92, share_medium=0.02, search_prob=0.07, max_alliances=3,
               trust_propensity_mean=0.48, trustworthiness_mean=0.65, shirk_temptation=0.44,
               formal_contract_bias=0.29, revenue_volatility=0.0175, invest_share=0.027,
               demand_growth=0.08, innovation_rate=0.125, closure_rate=0.068,
               shock_depth=0.42, shock_share=0.7, shock_start=45,
               innovation_mult_technology=1.4, institutions_kenya=2.6)
GRID = {"innovation_mult_technology": (1.2, 1.3), "revenue_volatility": (0.016, 0.0175),
        "shock_depth": (0.42, 0.46)}
ROBUSTNESS_SEEDS = tuple(range(42, 50))
# the jumps calibration's chosen point (docs/ODD.md, Section 10.2; the other values stay at
# the shipped defaults) and the grid run around it
ROUNDED_JUMPS = dict(demand_jump_rate=0.25, demand_jump_size=0.08, demand_jump_up_share=0.75,
                     demand_jump_cap=3.0, revenue_volatility=0.01, demand_growth=0.083,
                     invest_share=0.017, closure_rate=0.068)
GRID_JUMPS = {"demand_jump_size": (0.08, 0.09), "demand_jump_up_share": (0.75, 0.8)}
ROBUSTNESS = {"narrow": (ROUNDED, GRID, ROBUSTNESS_SEEDS),
              "jumps": (ROUNDED_JUMPS, GRID_JUMPS, (42, 43, 44, 45))}


def full_size_runs(point: dict, seeds, targets: pd.DataFrame) -> list:
    """The point through `validate`'s own code (10,000 firms, a real sample of 500), once per
    seed: the replications."""
    from analysis.validation import replicate

    reps = []
    for seed in seeds:
        with presets(point):
            reps.append(replicate(seed, scenario_for(point, 10_000), targets=targets))
    return reps


def robustness(targets: pd.DataFrame, out: Path, space: str) -> None:
    """Each grid point through `validate`'s own code at full size, on the space's seeds:
    Table 1 passes and, for the jumps grid, the stylized facts inside their ranges."""
    base, grid, seeds = ROBUSTNESS[space]
    rows = []
    for values in itertools.product(*grid.values()):
        reps = full_size_runs({**base, **dict(zip(grid, values))}, seeds, targets)
        passes = [sum(v["passed"] for v in rep.table1.values()) for rep in reps]
        row = {**dict(zip(grid, values)), "seeds_all_pass": sum(p == 5 for p in passes),
               "statistics_passed": sum(passes)}
        if space == "jumps":
            row["facts_passed"] = sum(f["pass"] for rep in reps for f in rep.facts.values())
            row.update({f"{k}_seed{seeds[0]}": f["value"] for k, f in reps[0].facts.items()})
        rows.append(row)
        print(rows[-1], flush=True)
    keys = ["seeds_all_pass", "statistics_passed"] + (["facts_passed"] if space == "jumps" else [])
    table = pd.DataFrame(rows).sort_values(keys, ascending=False)
    table.to_csv(out / "robustness.csv", index=False)
    print(table.to_string(index=False))


# stage 3 of the jumps calibration: the family the search and the grids pointed to (gains
# far more often than losses, capped jumps), sampled at full size through `validate`'s code
FULL_SIZE = {
    "demand_jump_rate": (0.3, 0.45, float),
    "demand_jump_size": (0.11, 0.16, float),
    "demand_jump_up_share": (0.88, 0.97, float),
    "demand_jump_cap": (1.4, 2.0, float),
    "revenue_volatility": (0.004, 0.01, float),
    "demand_growth": (0.08, 0.088, float),
}
FULL_SIZE_SEEDS = (42, 43, 44, 45)
FULL_SIZE_BASE = dict(invest_share=0.016, closure_rate=0.068)


def full_size(args, targets: pd.DataFrame, out: Path) -> None:
    """A Latin hypercube over FULL_SIZE (with FULL_SIZE_BASE), each point run through
    `validate`'s own code at 10,000 firms on FULL_SIZE_SEEDS; ranked by the seeds on which
    every Table 1 statistic passes, then the stylized facts passed. Writes full_size.csv."""
    rows = []
    for k, values in enumerate(lhs_points(FULL_SIZE, args.points, args.seed)):
        reps = full_size_runs({**FULL_SIZE_BASE, **values}, FULL_SIZE_SEEDS, targets)
        row = {"point": k, **values}
        t1 = facts = 0
        for seed, rep in zip(FULL_SIZE_SEEDS, reps):
            ok = all(v["passed"] for v in rep.table1.values())
            n_facts = sum(f["pass"] for f in rep.facts.values())
            t1, facts = t1 + ok, facts + n_facts
            row[f"table1_seed{seed}"], row[f"facts_seed{seed}"] = ok, n_facts
        row.update(seeds_table1_pass=t1, facts_passed=facts)
        rows.append(row)
        print(row, flush=True)
    table = pd.DataFrame(rows).sort_values(["seeds_table1_pass", "facts_passed"],
                                           ascending=False)
    table.to_csv(out / "full_size.csv", index=False)
    print(table.head(10).to_string(index=False))


# robustness across seeds after the jumps calibration (docs/ODD.md, Section 10.2): the
# innovation pipeline's speed and its spread across sectors (the sample's innovation sd fell
# short once jumps moved firms between size classes) and the jump cap (the sampled growth
# minimum fell below its tolerance), every grid point through `validate`'s own code at full
# size on seeds 42-51; everything else at the defaults of the jumps calibration
# (SEEDS_BASE: the values the seeds robustness later changed)
SEEDS_BASE = dict(innovation_rate=0.125, innovation_mult_services=0.8, demand_growth=0.083)
GRID_SEEDS = {"innovation_rate": (0.125, 0.13, 0.135, 0.14),
              "innovation_mult_technology": (1.2, 1.3),
              "innovation_mult_services": (0.8, 0.7),
              "demand_jump_cap": (3.0, 2.5)}
# the second grid, after the first showed a lower cap costing kurtosis without helping the
# growth range and a wider sector spread helping the innovation sd: further down for
# services, a faster pipeline to hold the mean, and slightly fewer demand losses
GRID_SEEDS2 = {"innovation_rate": (0.13, 0.135, 0.14, 0.145),
               "innovation_mult_technology": (1.2, 1.3),
               "innovation_mult_services": (0.7, 0.6),
               "demand_jump_up_share": (0.75, 0.8)}
# the third grid: over both grids the sampled mean revenue growth averaged 12.1 %, below the
# survey's 12.8 % (a quarter of the runs under the tolerance of 11.5 %), so market growth
# rises towards it, around the two best innovation settings of the first grid
GRID_SEEDS3 = {"innovation_rate": (0.13, 0.135, 0.14),
               "innovation_mult_technology": (1.2,),
               "innovation_mult_services": (0.8, 0.7),
               "demand_growth": (0.087, 0.09),
               "demand_jump_up_share": (0.75, 0.8)}
# the fourth grid, around the third's best point re-run on seeds 52-71 (innovation_rate
# 0.135, services 0.7, demand_growth 0.087): the growth row was now the one failing most,
# both extremes beyond their tolerances, so smaller or rarer jumps and a quieter walk
GRID_SEEDS4 = {"innovation_rate": (0.135,), "innovation_mult_services": (0.7,),
               "demand_growth": (0.087,),
               "demand_jump_size": (0.07, 0.08), "demand_jump_rate": (0.25, 0.3),
               "revenue_volatility": (0.008, 0.01)}
# the fifth grid: the fourth's best point (walk volatility 0.008) passed Table 1 on 10 of
# 20 seeds with both growth-shape facts far better, but not on the default seed 42 (one
# sampled firm at -16 % growth); its neighbourhood in walk volatility and market growth
GRID_SEEDS5 = {"innovation_rate": (0.135,), "innovation_mult_services": (0.7,),
               "demand_growth": (0.085, 0.087, 0.089),
               "revenue_volatility": (0.007, 0.008, 0.009)}
# the reach of alliances (docs/ODD.md, Section 10.2): with alliance effects diluted above the
# reference size and growth rates normalised by their market's mean, the volatility-size
# slope and the Laplace-normal difference pass; the Zipf tail got thinner and the sampled
# mean growth lower, so the share of micro firms and market growth around the old defaults
# (the base is the shipped defaults, not SEEDS_BASE)
GRID_REACH = {"alliance_size_elasticity": (0.2, 0.3), "share_micro": (0.91, 0.915),
              "demand_growth": (0.087, 0.09, 0.093)}
# the second reach grid: once firms also judge alliances by their reach (type values and
# net benefit), the sampled mean growth fell again (11.0 % at seed 42), so market growth up
GRID_REACH2 = {"alliance_size_elasticity": (0.2,), "share_micro": (0.91, 0.915),
               "demand_growth": (0.09, 0.093, 0.096)}
# the third: no point of the second passed Table 1 at the default seed 42 (each failed on one
# extreme of 500 answers); a milder reach and the market growth between
GRID_REACH3 = {"alliance_size_elasticity": (0.15, 0.2), "share_micro": (0.91, 0.915),
               "demand_growth": (0.092, 0.094, 0.095)}
GRIDS_SEEDS = {"seeds1": GRID_SEEDS, "seeds2": GRID_SEEDS2, "seeds3": GRID_SEEDS3,
               "seeds4": GRID_SEEDS4, "seeds5": GRID_SEEDS5, "reach": GRID_REACH,
               "reach2": GRID_REACH2, "reach3": GRID_REACH3}
GRID_BASES = {"reach": {}, "reach2": {}, "reach3": {}}  # grids whose base is the shipped defaults


def seeds_stage(args, targets: pd.DataFrame, out: Path) -> None:
    """Every point of the `--grid` (GRIDS_SEEDS; this process's share of them with
    `--part i/n`) through `validate`'s own code at full size on each seed of `--seed-range`:
    one row per point and seed with every Table 1 row's pass and statistics and every
    stylized fact's value and pass. Writes seeds_part{i}.csv."""
    part, parts = (int(x) for x in args.part.split("/"))
    if args.point:
        grid = [json.loads(args.point)]
    else:
        space = GRIDS_SEEDS[args.grid]
        grid = [{**GRID_BASES.get(args.grid, SEEDS_BASE), **dict(zip(space, v))}
                for v in itertools.product(*space.values())]
    first, last = (int(x) for x in args.seed_range.split("-"))
    seeds = tuple(range(first, last + 1))
    rows = []
    for k, point in enumerate(grid):
        if k % parts != part:
            continue
        for seed, rep in zip(seeds, full_size_runs(point, seeds, targets)):
            row = {"point": k, **point, "seed": seed}
            for v, r in rep.table1.items():
                row[f"t1_{v}"] = r["passed"]
                row.update({f"{v}_{s}": r["simulated"][s] for s in ("mean", "sd", "min", "max")})
            for name, f in rep.facts.items():
                row[f"f_{name}"], row[name] = bool(f["pass"]), f["value"]
            rows.append(row)
        done = pd.DataFrame([r for r in rows if r["point"] == k])
        t1 = done[[c for c in done if c.startswith("t1_")]].all(axis=1).sum()
        print(f"point {k} {point}: Table 1 on {t1} of {len(done)} seeds", flush=True)
        pd.DataFrame(rows).to_csv(out / f"seeds_part{part}.csv", index=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stage", choices=("search", "robustness", "full_size", "seeds"))
    ap.add_argument("--space", choices=SPACES, default="narrow")
    ap.add_argument("--points", type=int, default=600)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--firms", type=int, default=2500)
    ap.add_argument("--seed", type=int, default=2026, help="seed of the design and runs")
    ap.add_argument("--out", default="results/calibration")
    ap.add_argument("--part", default="0/1", help="seeds stage: this process's share, i/n")
    ap.add_argument("--grid", choices=GRIDS_SEEDS, default="seeds1", help="seeds stage: grid")
    ap.add_argument("--seed-range", default="42-51", help="seeds stage: first-last seed")
    ap.add_argument("--point", help="seeds stage: one point (JSON) instead of --grid")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    targets = load_targets()
    if args.stage == "search":
        search(args, targets, out)
    elif args.stage == "full_size":
        full_size(args, targets, out)
    elif args.stage == "seeds":
        seeds_stage(args, targets, out)
    else:
        robustness(targets, out, args.space)
    return 0


if __name__ == "__main__":
    sys.exit(main())
