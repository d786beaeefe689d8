"""Scenario comparison: means, paired differences with confidence intervals, cost per outcome.

Replication i of every scenario runs with the same seed (common random numbers), so the
difference between a scenario and the reference is taken replication by replication and
its confidence interval is the paired t-interval

    d_i = y_scenario,i - y_reference,i,   mean(d) +- t(0.975, n - 1) * sd(d) / sqrt(n),

which is much narrower than the interval of the difference of two independent means when
the replications are positively correlated (same initial firms, same draws).

Cost per unit of outcome gained: the scenario's extra public spend (paired mean of the
differences in `policy_spend`, thousand) divided by the paired mean gain in an outcome: per
extra firm alive at the end, per extra innovation, per percentage point of output loss
avoided, per percentage point of survival gained. Both are measured against the policy's own
counterfactual when the comparison lists one (a scenario with the same shocks and parameters
and no policy: `recession` for `recession_with_credit_guarantee`), otherwise against the
reference. It is n/a when the gain is not positive or there is no extra spend. "(ns)" marks
a gain whose 95 % interval includes zero.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.errors import UserError
from simulation.scenario import Scenario, load_scenario

from . import plots, store
from .outcomes import GROUP_TITLES, OUTCOMES, OUTCOMES_LIST
from .runner import DEFAULT_SEED, Experiment, RunReport, check_seed, run
from .simulate import resolve_overrides

LEVEL = 0.95


# --------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval (low = high = nan below two observations)."""

    mean: float
    low: float
    high: float
    n: int
    sd: float

    @property
    def half(self) -> float:
        return (self.high - self.low) / 2.0

    @property
    def width(self) -> float:
        return self.high - self.low


NAN_INTERVAL = Interval(np.nan, np.nan, np.nan, 0, np.nan)


def mean_ci(values, level: float = LEVEL) -> Interval:
    """The t-interval of the mean of `values` (NaN values dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return NAN_INTERVAL
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, np.nan, np.nan, n, np.nan)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / np.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, sd)


def paired_ci(a, b, level: float = LEVEL) -> Interval:
    """The paired t-interval of mean(a - b); a[i] and b[i] are replication i of each."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired samples must have the same length")
    return mean_ci(a - b, level)


def unpaired_ci(a, b, level: float = LEVEL) -> Interval:
    """Welch's t-interval of mean(a) - mean(b) for independent samples."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return NAN_INTERVAL
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    mean = float(a.mean() - b.mean())
    if se == 0:
        return Interval(mean, mean, mean, a.size + b.size, 0.0)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2.0, dof) * se)
    return Interval(mean, mean - half, mean + half, a.size + b.size, float(se))


def pairs(summary: pd.DataFrame, scenario: str, reference: str, outcome: str):
    """Aligned (scenario, reference) values of an outcome, matched on point and replication."""
    keys = ["point", "replication"]
    a = summary.loc[summary["scenario"] == scenario, keys + [outcome]]
    b = summary.loc[summary["scenario"] == reference, keys + [outcome]]
    both = a.merge(b, on=keys, suffixes=("", "_ref"))
    return both[outcome].to_numpy(float), both[f"{outcome}_ref"].to_numpy(float)


@dataclass(frozen=True)
class PairedGain:
    """What a scenario gains over its comparator on one outcome, per unit of extra public
    money, over the replications where both the spend and the outcome are known: the
    spend's interval, and the gain signed so that better is above 0 with its interval
    (ordered low to high), and the per-replication differences both come from."""

    spend: Interval
    gain: float
    gain_low: float
    gain_high: float
    spend_diffs: np.ndarray
    gain_diffs: np.ndarray

    @property
    def cost(self) -> float:
        """Public money per unit gained; NaN without a gain or without extra spend."""
        if np.isfinite(self.gain) and self.gain > 0 and self.spend.mean > 0:
            return self.spend.mean / self.gain
        return np.nan


def paired_gain(summary: pd.DataFrame, scenario: str, against: str, outcome: str,
                sign: float, level: float = LEVEL) -> PairedGain:
    """`scenario` against `against` on `outcome` (sign: +1 where more is better, -1 where
    less is), paired by point and replication: the cost per unit of the CLI's cost table
    (cost_table) and of the dashboard's value for money (analysis.value)."""
    s_new, s_old = pairs(summary, scenario, against, "policy_spend")
    g_new, g_old = pairs(summary, scenario, against, outcome)
    known = np.isfinite(s_new - s_old) & np.isfinite(g_new - g_old)
    s_new, s_old, g_new, g_old = s_new[known], s_old[known], g_new[known], g_old[known]
    gain = paired_ci(g_new, g_old, level)
    # (+ 0.0: a gain of zero is shown as 0, not -0, when the sign flips it)
    low, high = sorted((sign * gain.low + 0.0, sign * gain.high + 0.0))
    return PairedGain(paired_ci(s_new, s_old, level), sign * gain.mean + 0.0, low, high,
                      s_new - s_old, sign * (g_new - g_old))


# --------------------------------------------------------------------------- tables
def comparison_table(summary: pd.DataFrame, scenarios: list[str], reference: str,
                     outcomes: list[str], level: float = LEVEL) -> pd.DataFrame:
    """One row per (scenario, outcome): mean and interval, paired difference to the reference
    and its interval (empty for the reference itself)."""
    rows = []
    for outcome in outcomes:
        o = OUTCOMES[outcome]
        for name in scenarios:
            m = mean_ci(summary.loc[summary["scenario"] == name, outcome], level)
            d = NAN_INTERVAL if name == reference else paired_ci(
                *pairs(summary, name, reference, outcome), level)
            rows.append({"scenario": name, "outcome": outcome, "label": o.label, "unit": o.unit,
                         "group": o.group, "n": m.n, "mean": m.mean, "ci_low": m.low,
                         "ci_high": m.high, "reference": reference, "diff": d.mean,
                         "diff_ci_low": d.low, "diff_ci_high": d.high, "diff_n": d.n})
    return pd.DataFrame(rows)


COSTS = [  # (outcome, sign of a gain, what one unit is)
    ("firms_alive_end", 1.0, "per extra firm alive at the end"),
    ("innovations", 1.0, "per extra innovation"),
    ("output_lost", -1.0, "per point of output loss avoided"),
    ("survival_rate", 1.0, "per point of survival gained"),
]


def cost_comparators(scenarios: list[Scenario], reference: str) -> dict[str, str]:
    """What each scenario's spending is judged against: a listed scenario with the same
    shocks and parameters and no policy (the policy's own counterfactual, e.g. `recession`
    for `recession_with_credit_guarantee`) if there is one, else the reference."""
    out = {}
    for s in scenarios:
        if s.name == reference:
            continue
        shocks = s.to_dict()["shocks"]
        same = [t.name for t in scenarios if t is not s and not t.policies
                and t.params == s.params and t.to_dict()["shocks"] == shocks]
        out[s.name] = reference if reference in same or not same else same[0]
    return out


def cost_table(summary: pd.DataFrame, comparators: dict[str, str],
               level: float = LEVEL) -> pd.DataFrame:
    """Public money (thousand) per unit of outcome gained over each scenario's comparator
    (paired_gain: extra spend and gain over the replications where both are known, so that
    cost = extra_spend / gain on every row)."""
    rows = []
    for name, against in comparators.items():
        for outcome, sign, unit in COSTS:
            pg = paired_gain(summary, name, against, outcome, sign, level)
            rows.append({"scenario": name, "against": against, "outcome": outcome,
                         "measure": f"Cost {unit}", "extra_spend": pg.spend.mean,
                         "gain": pg.gain,
                         "gain_significant": bool(np.isfinite(pg.gain_low) and pg.gain_low > 0),
                         "cost": pg.cost})
    return pd.DataFrame(rows, columns=["scenario", "against", "outcome", "measure",
                                       "extra_spend", "gain", "gain_significant", "cost"])


def fmt(value: float, signed: bool = False) -> str:
    """A number for a table: about three significant figures, n/a for NaN."""
    if value is None or not np.isfinite(value):
        return "n/a"
    a = abs(value)
    spec = ",.0f" if a >= 1000 else ".1f" if a >= 10 else ".2f" if a >= 1 or a == 0 else ".3f"
    return format(value, ("+" if signed else "") + spec)


def _diff_text(row, markdown: bool) -> str:
    if not np.isfinite(row["diff"]):
        return "n/a"
    if not np.isfinite(row["diff_ci_low"]):
        return fmt(row["diff"], True)
    if markdown:
        return (f"{fmt(row['diff'], True)} [{fmt(row['diff_ci_low'], True)}, "
                f"{fmt(row['diff_ci_high'], True)}]")
    return f"{fmt(row['diff'], True)} ± {fmt((row['diff_ci_high'] - row['diff_ci_low']) / 2)}"


def _cost_text(row) -> str:
    if not np.isfinite(row["cost"]):
        return "n/a"
    return fmt(row["cost"]) + ("" if row["gain_significant"] else " (ns)")


@dataclass
class _Column:
    scenario: str
    head: str
    cells: list[str | None]  # None on group-title rows
    width: int = 0


def outcome_rows(table: pd.DataFrame):
    """The comparison table (comparison_table) outcome by outcome, in its order: for each,
    (its group's title where the outcome opens a group, else None; its rows indexed by
    scenario; its first row). What the text, markdown and dashboard tables are laid out
    from."""
    group = None
    for outcome in dict.fromkeys(table["outcome"]):
        rows = table[table["outcome"] == outcome].set_index("scenario")
        first = rows.iloc[0]
        opens = first["group"] != group
        group = first["group"]
        yield (GROUP_TITLES[group] if opens else None), rows, first


def _layout(table: pd.DataFrame, costs: pd.DataFrame, scenarios: list[str], reference: str,
            markdown: bool) -> tuple[list[str], list[bool], list[_Column]]:
    """Row labels, which rows are group titles, and the columns: each scenario's mean and,
    except for the reference, its paired difference (which also holds the costs)."""
    diff_head = f"diff vs {reference} " + ("[95 % CI]" if markdown else "± 95 % CI")
    columns = []
    for name in scenarios:
        columns.append(_Column(name, "mean", []))
        if name != reference:
            columns.append(_Column(name, diff_head, []))
    labels: list[str] = []
    titles: list[bool] = []

    def title(text):
        labels.append(text)
        titles.append(True)
        for col in columns:
            col.cells.append(None)

    def row(label, cell):
        labels.append(label)
        titles.append(False)
        for col in columns:
            col.cells.append(cell(col))

    for group_title, rows, first in outcome_rows(table):
        if group_title is not None:
            title(group_title)
        row(f"{first['label']} ({first['unit']})",
            lambda c, rows=rows: fmt(rows.loc[c.scenario, "mean"]) if c.head == "mean"
            else _diff_text(rows.loc[c.scenario], markdown))
    if not costs.empty:
        title("Public money per unit gained (thousand USD-equivalent)")
        against = costs.groupby("scenario")["against"].first()
        row("Gain and extra spend measured against",
            lambda c: "" if c.head == "mean" else against.get(c.scenario, ""))
        for measure in dict.fromkeys(costs["measure"]):
            rows = costs[costs["measure"] == measure].set_index("scenario")
            row(measure, lambda c, rows=rows: "" if c.head == "mean"
                else _cost_text(rows.loc[c.scenario]))
    return labels, titles, columns


def format_table(table: pd.DataFrame, costs: pd.DataFrame, scenarios: list[str],
                 reference: str, width: int | None = None) -> str:
    """The comparison as plain text, in blocks of scenarios that fit the terminal."""
    labels, titles, columns = _layout(table, costs, scenarios, reference, markdown=False)
    width = width or max(shutil.get_terminal_size((140, 24)).columns, 100)
    rows = [label if t else "  " + label for label, t in zip(labels, titles)]
    lw = max(len(x) for x in rows)
    for col in columns:
        col.width = max(len(col.head), *(len(c or "") for c in col.cells))
    blocks, block, used = [], [], lw
    for name in scenarios:
        mine = [c for c in columns if c.scenario == name]
        need = sum(3 + c.width for c in mine)
        if block and used + need > width:
            blocks.append(block)
            block, used = [], lw
        block += mine
        used += need
    blocks.append(block)
    out = []
    for block in blocks:
        if out:
            out.append("")
        names = ""
        for name in dict.fromkeys(c.scenario for c in block):
            span = sum(3 + c.width for c in block if c.scenario == name)
            names += name.rjust(span)
        out.append(" " * lw + names)
        out.append(" " * lw + "".join("   " + c.head.rjust(c.width) for c in block))
        for r, label in enumerate(rows):
            cells = "" if titles[r] else "".join("   " + c.cells[r].rjust(c.width)
                                                  for c in block)
            out.append(label.ljust(lw) + cells)
    return "\n".join(line.rstrip() for line in out)


def format_markdown(table: pd.DataFrame, costs: pd.DataFrame, scenarios: list[str],
                    reference: str) -> str:
    labels, titles, columns = _layout(table, costs, scenarios, reference, markdown=True)
    head = ["Outcome"] + [f"{c.scenario}: {c.head}" for c in columns]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(columns)]
    for r, label in enumerate(labels):
        if titles[r]:
            lines.append(f"| **{label}** |" + " |" * len(columns))
        else:
            lines.append(f"| {label} | " + " | ".join(c.cells[r] for c in columns) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command
FAN_SERIES = [  # (reporter, scale, title, unit, file)
    ("total_revenue", 1e-3, "Total revenue", "million USD-equivalent a month",
     "fan_revenue.png"),
    ("firms_alive", 1.0, "Firms alive", "firms", "fan_firms.png"),
    ("alliances_active", 1.0, "Alliances in force", "alliances", "fan_alliances.png"),
    ("mean_trust", 1.0, "Mean trust between partners", "trust (0-1)", "fan_trust.png"),
]
BAR_OUTCOMES = ["revenue_growth", "firms_alive_end", "innovations", "output_lost", "max_drop",
                "survival_rate", "alliances_formed", "policy_spend"]


def default_out(prefix: str, names: list[str]) -> Path:
    """results/<prefix>-<names>: the same for the same command, so --resume finds it."""
    import hashlib
    import re

    slug = "-".join(re.sub(r"[^A-Za-z0-9_]+", "_", Path(n).stem) for n in names)
    if len(slug) > 80:
        slug = slug[:60] + "-" + hashlib.sha256(slug.encode()).hexdigest()[:8]
    return Path("results") / f"{prefix}-{slug}"


def collect_series(out: Path, jobs: pd.DataFrame, scenarios: list[str], point: int = 0):
    """Months, {scenario: {reporter: array (replications x months)}} and the strongest shock
    intensity per month, for the fan charts. Reads only the charted columns."""
    columns = ["month", "shock_intensity"] + [s[0] for s in FAN_SERIES]
    frames = {}
    for name in scenarios:
        rows = jobs[(jobs["scenario"] == name) & (jobs["point"] == point)]
        frames[name] = [store.read_job(out, k, columns)
                        for k in rows.sort_values("replication")["key"]]
    length = min(len(f) for fs in frames.values() for f in fs)  # scenarios may set months
    months = next(iter(frames.values()))[0]["month"].to_numpy()[:length]
    series = {name: {c: np.vstack([f[c].to_numpy(float)[:length] for f in fs]) for c in columns}
              for name, fs in frames.items()}
    intensity = np.max([s["shock_intensity"].max(axis=0) for s in series.values()], axis=0)
    return months, series, intensity


def write_report(report: RunReport, experiment: Experiment) -> tuple[str, list[Path]]:
    """Tables (text, Markdown, CSV) and figures of a comparison; returns the text table."""
    out, names, ref = report.out, experiment.names, experiment.reference
    table = comparison_table(report.summary, names, ref, experiment.outcomes)
    costs = cost_table(report.summary, cost_comparators(experiment.scenarios, ref))
    text = format_table(table, costs, names, ref)
    files = [
        store.write_frame(out / "comparison.csv", table),
        store.write_frame(out / "costs.csv", costs),
        store.write_text(out / "comparison.md", f"# Comparison against {ref}\n\n"
                         + format_markdown(table, costs, names, ref) + "\n\n" + NOTE + "\n"),
    ]
    months, series, intensity = collect_series(out, report.jobs, names)
    labels = {s.name: s.label for s in experiment.scenarios}
    for col, scale, title, unit, file in FAN_SERIES:
        files.append(plots.fan_chart(months, {n: series[n][col] * scale for n in names},
                                     out / file, title, unit, intensity, labels=labels))
    bars = [o for o in BAR_OUTCOMES if o in experiment.outcomes]
    if bars:
        files.append(plots.interval_bars(table, bars, out / "bars_means.png",
                                         "Mean per scenario, 95 % intervals", labels=labels))
        if len(names) > 1:
            files.append(plots.interval_bars(
                table, bars, out / "bars_differences.png",
                f"Paired difference to {labels.get(ref, ref)}, 95 % intervals",
                differences=True, labels=labels))
    return text, files


NOTE = ("Differences are scenario minus reference, paired by replication (common random "
        "numbers); ± is the half-width of the 95 % t-interval. Resilience is measured against "
        "each run's no-shock twin; a run that does not recover counts the months to the end "
        "of the horizon plus one (see 'Runs recovered'). Costs: extra public money (thousand "
        "USD-equivalent) per unit gained, against the same shock without the policy where the "
        "comparison has it; (ns) = the gain's 95 % interval includes zero; n/a = no gain or no "
        "extra spend.")


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def describe_run(report: RunReport, experiment: Experiment) -> str:
    """One line: what ran, on what, how long."""
    from simulation.params import defaults

    p = {**defaults(), **experiment.scenarios[0].params, **experiment.fixed}
    # the progress bar counts runs: each distinct job run once, and the no-shock twins
    distinct = report.jobs["key"].nunique()
    extra = report.tasks - distinct
    same = (f" ({distinct} distinct: the others repeat a run)"
            if distinct < len(report.jobs) else "")
    resumed = f", {report.skipped} already done" if report.skipped else ""
    return (f"{plural(len(experiment.scenarios), 'scenario')} x "
            f"{plural(len(experiment.points), 'point')} x "
            f"{plural(experiment.replications, 'replication')} ({p['n_firms']:,} firms, "
            f"{p['burn_in']} burn-in + {p['months']} months, base seed {experiment.base_seed}, "
            f"{'common' if experiment.common_random_numbers else 'independent'} random "
            f"numbers): {len(report.jobs)} jobs{same} + {extra} no-shock runs = "
            f"{report.tasks} runs{resumed}; "
            f"{report.seconds:.1f} s on {report.executor}")


def compare(scenarios: list[str], reps: int = 10, firms: int | None = None,
            months: int | None = None, seed: int = DEFAULT_SEED,
            assignments: list[str] | None = None, out: str | None = None,
            outcomes: list[str] | None = None, **engine) -> Path:
    """Run every scenario `reps` times and compare them with the first; returns the folder.

    `engine` takes runner.run's keywords: resume, force, workers, scheduler, dask_local,
    quiet, argv.
    """
    if len(scenarios) < 2:
        raise UserError("compare: name at least two scenarios (the first is the reference)")
    check_seed(seed)
    loaded = [load_scenario(s) for s in scenarios]
    experiment = Experiment(
        "compare", loaded, fixed=resolve_overrides(firms, months, assignments or []),
        replications=reps, base_seed=seed,
        outcomes=outcomes or [o.name for o in OUTCOMES_LIST])
    out_dir = Path(out) if out else default_out("compare", scenarios)
    report = run(experiment, out_dir, **engine)
    text, files = write_report(report, experiment)
    print("Compared " + describe_run(report, experiment) + ".")
    print()
    print(text)
    print()
    print(NOTE)
    print(f"Outputs: {out_dir}/ ({', '.join(f.name for f in files[:3])}, summary.parquet/.csv, "
          f"jobs/, {len(files) - 3} figures)")
    return out_dir
