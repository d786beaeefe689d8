"""`run.py sweep SPEC.toml`: run a spec's experiment, tabulate it per scenario and point.

Outputs beside the engine's files (analysis/store.py): `points.csv` (one row per scenario
and parameter point: the varied values, and per outcome the mean with its 95 % interval and,
with several scenarios, the paired difference to the reference with its interval), and for
Sobol and Morris designs the sensitivity indices (`sensitivity.csv`, one figure per scenario
and outcome). It warns, one line each on stderr, about points that cannot differ (a shock
or policy setting varied on a scenario without that shock or policy: `inert_points`) and,
after the runs, about varied budgets that never bind (`idle_budgets`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.params import defaults
from simulation.policies import POLICY_KINDS
from simulation.scenario import apply_settings, budget_setting, inert_settings

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


POLICY_FACTORS = ("policy_scale", *(budget_setting(k) for k in POLICY_KINDS))


def _values_text(values) -> str:
    return ", ".join(value_text(v) for v in values)


def inert_points(experiment: Experiment) -> str | None:
    """One line naming the varied parameters that cannot change a scenario's runs (a shock
    setting on a scenario without scheduled shocks, a policy setting on one without that
    policy), whose points are the same runs (run once: runner._model_input), and the fixed
    values that change nothing. None if there are none."""
    found = []
    for scen in experiment.scenarios:
        for f in experiment.factors:
            values = sorted({p[f.name] for p in experiment.points}, key=float)
            reasons = {r for v in values for r in inert_settings(scen, {f.name: v})}
            if reasons and len(values) > 1:
                found.append(f"{f.name} ({_values_text(values)}) on {scen.name}: "
                             + next(iter(reasons)).split(": ", 1)[1])
    for scen in experiment.scenarios:  # the values every job gets (--set, [params])
        found += [f"{r.split(': ', 1)[0]} = {value_text(experiment.fixed[r.split(': ')[0]])} "
                  f"on {scen.name}: {r.split(': ', 1)[1]}"
                  for r in inert_settings(scen, experiment.fixed)]
    if not found:
        return None
    return ("settings that change nothing, so points that cannot differ (run once): "
            + "; ".join(found))


def idle_budgets(report: RunReport, experiment: Experiment) -> str | None:
    """One line naming, for the scenarios whose policy budgets are varied (policy_scale or an
    `<instrument>_budget`), the instruments whose budget never binds: in no month of any job
    was the month's budget all spent, so the varied budget may change nothing. With the
    largest share of a month's budget spent and the share of the whole run's budget. None
    if there are none."""
    varied = [f.name for f in experiment.factors if f.name in POLICY_FACTORS]
    if not varied:
        return None
    found = []
    for scen in experiment.scenarios:
        kinds = list(dict.fromkeys(p.kind for p in scen.policies))
        if not kinds:
            continue
        jobs = report.jobs[report.jobs["scenario"] == scen.name]
        most = dict.fromkeys(kinds, 0.0)
        spent = dict.fromkeys(kinds, 0.0)
        budget = dict.fromkeys(kinds, 0.0)
        for job in jobs.to_dict("records"):
            point = experiment.points[job["point"]]
            resolved = {**defaults(), **scen.params, **experiment.fixed, **point}
            applied = apply_settings(scen, resolved)
            size = resolved["policy_scale"] * resolved["n_firms"] / 1000.0
            frame = store.read_job(report.out, job["key"],
                                   ["month", *[f"spend_{k}" for k in kinds]])
            months = frame["month"].to_numpy()
            for kind in kinds:
                monthly = np.zeros(months.size)
                for pol in applied.policies:
                    if pol.kind == kind:
                        monthly += [pol.budget * size if pol.running(int(m)) else 0.0
                                    for m in months]
                spend = frame[f"spend_{kind}"].to_numpy()
                binding = monthly > 0
                if binding.any():
                    most[kind] = max(most[kind], float((spend[binding]
                                                        / monthly[binding]).max()))
                spent[kind] += float(spend.sum())
                budget[kind] += float(monthly.sum())
        for kind in kinds:
            if budget[kind] > 0 and most[kind] < 0.999:
                found.append(f"{kind} on {scen.name} (at most {most[kind]:.0%} of a month's "
                             f"budget spent, {spent[kind] / budget[kind]:.0%} of the run's)")
    if not found:
        return None
    return (f"budgets that never bind, so {', '.join(varied)} may change nothing there: "
            + "; ".join(found))


def sweep(spec_path: str, out: str | None = None, overrides: dict | None = None,
          **engine) -> Path:
    """Run a sweep spec (resumable) and report it; returns the results folder.

    `overrides`: the command line's values over the spec's (analysis/spec.py, load_spec).
    """
    experiment = load_spec(spec_path, overrides)
    out_dir = Path(out) if out else Path("results") / Path(spec_path).stem
    report = run(experiment, out_dir, **engine)
    table = points_table(report.summary, experiment)
    files = [store.write_frame(out_dir / "points.csv", table)]
    for warning in (inert_points(experiment), idle_budgets(report, experiment)):
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
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
