"""`run.py sweep SPEC.toml`: run a spec's experiment, tabulate it per scenario and point.

Outputs beside the engine's files (analysis/store.py): `points.csv` (one row per scenario
and parameter point: the varied values, and per outcome the mean with its 95 % interval and,
with several scenarios, the paired difference to the reference with its interval), and for
Sobol and Morris designs the sensitivity indices (`sensitivity.csv`, one figure per scenario
and outcome).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import plots, store
from .compare import describe_run, fmt
from .outcomes import OUTCOMES
from .runner import Experiment, RunReport, run
from .sensitivity import analyze, format_indices, point_means
from .spec import load_spec

SHOWN_OUTCOMES = 4  # in the terminal; all of them go to points.csv
SHOWN_ROWS = 30


def grouped_ci(frame: pd.DataFrame, by: list[str], column: str, level: float = 0.95):
    """Mean and t-interval of `column` per group (vectorised analysis.compare.mean_ci)."""
    g = frame.groupby(by, sort=False)[column]
    n, mean, sd = g.count(), g.mean(), g.std(ddof=1)
    t = stats.t.ppf(0.5 + level / 2.0, (n - 1).clip(lower=1))
    half = np.where(n >= 2, t * sd / np.sqrt(n), np.nan)
    return mean, mean - half, mean + half


def points_table(summary: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """One row per (scenario, point): varied values, then mean [interval] of each outcome and,
    with several scenarios, the paired difference to the reference [interval]."""
    by = ["scenario", "point"]
    names = [f.name for f in experiment.factors]
    groups = summary.groupby(by, sort=False)
    table = groups[names].first() if names else pd.DataFrame(index=groups.size().index)
    table["runs"] = groups.size()
    ref = summary[summary["scenario"] == experiment.reference]
    paired = summary.merge(ref[["point", "replication", *experiment.outcomes]],
                           on=["point", "replication"], suffixes=("", "__ref"))
    for o in experiment.outcomes:
        table[o], table[f"{o}_ci_low"], table[f"{o}_ci_high"] = grouped_ci(summary, by, o)
        if len(experiment.scenarios) > 1:
            paired[f"{o}__diff"] = paired[o] - paired[f"{o}__ref"]
            d = grouped_ci(paired, by, f"{o}__diff")
            table[f"{o}_diff"], table[f"{o}_diff_ci_low"], table[f"{o}_diff_ci_high"] = d
    return table.reset_index()


def value_text(value) -> str:
    """A varied parameter's value: integers and names as they are, numbers via fmt."""
    if isinstance(value, str | int | np.integer) and not isinstance(value, bool):
        return str(value)
    return fmt(float(value))


def format_points(table: pd.DataFrame, experiment: Experiment) -> str:
    """The first outcomes of the first rows, as text (all of it is in points.csv)."""
    names = [f.name for f in experiment.factors]
    shown = experiment.outcomes[:SHOWN_OUTCOMES]
    head = ["scenario", *names, *[OUTCOMES[o].label for o in shown]]
    rows = []
    for r in table.head(SHOWN_ROWS).to_dict("records"):
        cells = [r["scenario"], *[value_text(r[n]) for n in names]]
        for o in shown:
            half = (r[f"{o}_ci_high"] - r[f"{o}_ci_low"]) / 2
            cells.append(fmt(r[o]) + ("" if not np.isfinite(half) else f" ± {fmt(half)}"))
        rows.append(cells)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(head, widths)))]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    if len(table) > SHOWN_ROWS:
        lines.append(f"... {len(table) - SHOWN_ROWS} more rows in points.csv")
    return "\n".join(lines)


def best_points(table: pd.DataFrame, experiment: Experiment) -> list[str]:
    """For each outcome with a better direction: the scenario and point that did best."""
    names = [f.name for f in experiment.factors]
    lines = []
    for o in experiment.outcomes:
        better = OUTCOMES[o].better
        if not better or table[o].isna().all():
            continue
        r = table.loc[table[o].idxmax() if better == "higher" else table[o].idxmin()]
        at = ", ".join(f"{n}={value_text(r[n])}" for n in names)
        half = (r[f"{o}_ci_high"] - r[f"{o}_ci_low"]) / 2
        lines.append(f"  {OUTCOMES[o].label} ({better} is better): {r['scenario']}"
                     f"{' at ' + at if at else ''}: {fmt(r[o])}"
                     f"{'' if not np.isfinite(half) else ' ± ' + fmt(half)}")
    return lines


def write_sensitivity(report: RunReport, experiment: Experiment) -> tuple[str, list[Path]]:
    """Sobol or Morris indices of every scenario and outcome: CSV, text and figures."""
    parts, texts, files = [], [], []
    for scen in experiment.names:
        for o in experiment.outcomes:
            y = point_means(report.summary, scen, o, len(experiment.points))
            idx = analyze(experiment.design, experiment.factors, experiment.sample_matrix, y,
                          experiment.base_seed, experiment.second_order, experiment.levels)
            parts.append(idx.assign(scenario=scen, outcome=o))
            texts.append(f"{scen}, {OUTCOMES[o].label}:\n{format_indices(idx)}")
            files.append(plots.sensitivity_bars(
                idx, report.out / f"sensitivity_{scen}_{o}.png",
                f"{experiment.design.capitalize()} indices: {OUTCOMES[o].label} ({scen})"))
    frame = pd.concat(parts, ignore_index=True)
    files.insert(0, store.write_frame(report.out / "sensitivity.csv", frame))
    return "\n\n".join(texts), files


def sweep(spec_path: str, out: str | None = None, **engine) -> Path:
    """Run a sweep spec (resumable) and report it; returns the results folder."""
    experiment = load_spec(spec_path)
    out_dir = Path(out) if out else Path("results") / Path(spec_path).stem
    report = run(experiment, out_dir, **engine)
    table = points_table(report.summary, experiment)
    files = [store.write_frame(out_dir / "points.csv", table)]
    print(f"Sweep {Path(spec_path).stem} ({experiment.design}): "
          + describe_run(report, experiment) + ".")
    if experiment.description:
        print(experiment.description)
    print()
    print(format_points(table, experiment))
    best = best_points(table, experiment)
    if best:
        print("\nBest scenario and point (means over replications, ± 95 % CI):")
        print("\n".join(best))
    if experiment.design in ("sobol", "morris"):
        text, more = write_sensitivity(report, experiment)
        files += more
        print("\n" + text)
    print(f"\nOutputs: {out_dir}/ (points.csv, summary.parquet/.csv, jobs/"
          f"{', ' + str(len(files) - 1) + ' sensitivity files' if len(files) > 1 else ''})")
    return out_dir
