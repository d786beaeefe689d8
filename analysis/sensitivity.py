"""Global sensitivity analysis with SALib: Sobol indices and Morris elementary effects.

`run.py sensitivity --method sobol|morris --params a,b,c --outcome A,B` samples the named
parameters between their registry bounds (or narrower ones, `name=LOW:HIGH`), runs every
point `--reps` times with common random numbers (the same seeds at every point, so the
differences between points are not noise), averages the outcome over the replications of
each point and analyses each outcome named (the runs are shared):

- Sobol (Saltelli sampling, `sobol.analyze`): S1, the share of the outcome's variance due to
  the parameter alone, and ST, including all its interactions; 95 % bootstrap intervals.
- Morris (`morris.analyze`): mu*, the mean absolute elementary effect (overall influence),
  with its 95 % bootstrap interval, and sigma, their spread (non-linearity, interactions).

The runs are an ordinary experiment (analysis/runner.py): resumable, on any executor.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.params import defaults
from simulation.scenario import load_scenario

from . import plots, store
from .outcomes import OUTCOMES, check_outcomes
from .runner import DEFAULT_SEED, Experiment, check_seed, has_shock, run
from .sampling import Factor, check_samples, make_factor, problem
from .simulate import resolve_overrides

DEFAULT_N = {"sobol": 64, "morris": 10}
SEED_OFFSET = 1  # the bootstrap's seed: base seed + 1, so it differs from the sampler's


def parse_params(text: str, method: str) -> list[Factor]:
    """`a,b=0.1:0.4,c` as factors (bounds from the registry unless given)."""
    factors = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            raise UserError(f"--params {text!r}: an empty name (expected a,b,c)")
        name, _, bounds = item.partition("=")
        parsed = None
        if bounds:
            low, sep, high = bounds.partition(":")
            try:
                parsed = [float(low), float(high)] if sep else None
            except ValueError:
                parsed = None
            if parsed is None:
                raise UserError(f"--params {item}: expected name=LOW:HIGH, e.g. "
                                f"{name.strip()}=0.1:0.3")
        factors.append(make_factor(name.strip(), method, bounds=parsed, where="--params "))
    names = [f.name for f in factors]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise UserError(f"--params: {dup} is named twice")
    return factors


def point_means(summary: pd.DataFrame, scenario: str, outcome: str, n_points: int):
    """The outcome averaged over replications, one value per design point, in point order."""
    rows = summary[summary["scenario"] == scenario]
    means = rows.groupby("point")[outcome].mean()
    return means.reindex(range(n_points)).to_numpy(float)


def analyze(method: str, factors: list[Factor], x: np.ndarray, y: np.ndarray, seed: int,
            second_order: bool = False, levels: int = 4) -> pd.DataFrame:
    """One row per parameter: Sobol S1, ST (and intervals) or Morris mu*, sigma (and mu*'s
    interval). NaN when the outcome does not vary at all."""
    prob = problem(factors)
    names = prob["names"]
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        cols = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
                else ["mu", "mu_star", "mu_star_conf", "sigma"])
        return pd.DataFrame({"parameter": names, **{c: np.nan for c in cols}})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(prob, y, calc_second_order=second_order, conf_level=0.95,
                              seed=seed + SEED_OFFSET)
            return pd.DataFrame({"parameter": names, "S1": r["S1"], "S1_conf": r["S1_conf"],
                                 "ST": r["ST"], "ST_conf": r["ST_conf"]})
        from SALib.analyze import morris

        r = morris.analyze(prob, x, y, conf_level=0.95, num_levels=levels,
                           seed=seed + SEED_OFFSET)
        return pd.DataFrame({"parameter": names, "mu": np.asarray(r["mu"], float),
                             "mu_star": np.asarray(r["mu_star"], float),
                             "mu_star_conf": np.asarray(r["mu_star_conf"], float),
                             "sigma": np.asarray(r["sigma"], float)})


def format_indices(indices: pd.DataFrame) -> str:
    """The indices as a text table: value [95 % interval]."""
    from .compare import fmt

    if "S1" in indices.columns:
        head, cols = ("parameter", "S1 [95 % CI]", "ST [95 % CI]"), ("S1", "ST")
    else:
        head, cols = ("parameter", "mu* [95 % CI]", "sigma"), ("mu_star", "sigma")
    rows = []
    for r in indices.to_dict("records"):
        cells = [r["parameter"]]
        for c in cols:
            conf = r.get(f"{c}_conf")
            if conf is None or not np.isfinite(r[c]):
                cells.append(fmt(r[c]))
            else:
                cells.append(f"{fmt(r[c])} [{fmt(r[c] - conf)}, {fmt(r[c] + conf)}]")
        rows.append(cells)
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    if indices.drop(columns="parameter").isna().all().all():
        lines.append("  (the outcome did not vary across the points: no indices)")
    return "\n".join(lines)


def parse_outcomes(outcome) -> list[str]:
    """--outcome's names: `a,b`, repeated --outcome flags, or a list of names."""
    items = [outcome] if isinstance(outcome, str) else list(outcome)
    names = [n.strip() for item in items for n in str(item).split(",")]
    if not names or any(not n for n in names):
        raise UserError(f"--outcome {','.join(map(str, items))!r}: an empty name (expected "
                        "a,b,c)")
    return check_outcomes(names, "--outcome")


def sensitivity(method: str, params: str, outcome: str | list[str], n: int | None = None,
                scenario: str = "baseline", reps: int = 1, firms: int | None = None,
                months: int | None = None, seed: int = DEFAULT_SEED,
                assignments: list[str] | None = None, out: str | None = None,
                **engine) -> Path:
    """Sample, run (resumable), analyse every outcome (`a,b` or a list), print and draw;
    returns the results folder. The runs are shared: each outcome is read off the same
    jobs, and gets its own `sensitivity_<outcome>.csv` and figure."""
    outcomes = parse_outcomes(outcome)
    check_seed(seed)
    factors = parse_params(params, method)
    samples = check_samples(method, DEFAULT_N[method] if n is None else n, len(factors),
                            "--n")
    scen = load_scenario(scenario)
    fixed = resolve_overrides(firms, months, assignments or [])
    for name in outcomes:
        if OUTCOMES[name].group == "resilience" and not has_shock(
                scen, {**defaults(), **scen.params, **fixed}):
            raise UserError(f"--outcome {name}: scenario {scen.name} has no shock in the "
                            "horizon, so it measures nothing; choose a shocked --scenario "
                            "(e.g. recession)")
    experiment = Experiment("sensitivity", [scen], fixed=fixed, factors=factors, design=method,
                            samples=samples, replications=reps, base_seed=seed,
                            outcomes=outcomes)
    names = "-".join(f.name for f in factors)
    out_dir = Path(out) if out else Path("results") / f"sensitivity-{method}-{scen.name}-{names}"
    report = run(experiment, out_dir, **engine)
    from .compare import describe_run

    print(f"Sensitivity ({method}, {len(experiment.points)} points): "
          + describe_run(report, experiment) + ".")
    files = []
    for name in outcomes:
        y = point_means(report.summary, scen.name, name, len(experiment.points))
        indices = analyze(method, factors, experiment.sample_matrix, y, seed)
        o = OUTCOMES[name]
        files.append(store.write_frame(out_dir / f"sensitivity_{name}.csv", indices).name)
        files.append(plots.sensitivity_bars(indices, out_dir / f"sensitivity_{name}.png",
                                            f"{method.capitalize()}: {o.label} "
                                            f"({scen.name})").name)
        print(f"\nOutcome: {o.label} ({o.unit}), mean over replications: {np.mean(y):.4g} "
              f"(range {np.min(y):.4g} to {np.max(y):.4g} across points)")
        print(format_indices(indices))
    print(f"\nOutputs: {out_dir}/ ({', '.join(files)}, summary.parquet/.csv, jobs/)")
    return out_dir
