"""Results: open a folder written by `run.py compare`, `sweep` or `sensitivity` and show it.

`open_results(folder)` reads what the experiment engine wrote (analysis/store.py,
analysis/compare.py, analysis/sweep.py) into a `Results` object, or raises UserError with a
message that says what is wrong and what to do; `ResultsView` shows it. The Compare page
shows its own finished runs with the same view.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from analysis import store
from analysis.compare import FAN_SERIES, comparison_table, fmt, outcome_rows
from analysis.outcomes import OUTCOMES
from analysis.summary import LABELS as SUMMARY_LABELS
from analysis.summary import NO_SHOCK_TEXT
from analysis.value import AIMS, value_for_money
from simulation.errors import UserError
from simulation.params import defaults

from .common import (
    MONEY,
    MONEY_MILLION,
    Markdown,
    country_label,
    escape,
    param_label,
    scenario_title,
)
from .serve import ROOTS_ENV, results_root

MAX_ROWS = 40  # rows of a sweep's points table shown in the page (all are in points.csv)
NOTE_FILE = "dashboard.json"  # what the dashboard asked for (titles, population, warnings)
SCENARIOS_DIR = "scenarios"  # the scenario files of a comparison made on the dashboard
MAX_LISTED = 30


@dataclass
class Results:
    folder: Path
    kind: str  # compare | sweep | sensitivity | simulate
    title: str
    summary: str
    table: str = ""  # Markdown
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (caption, PNG)
    downloads: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # a comparison's per-run outcomes and what each scenario's spending is judged against
    runs: pd.DataFrame | None = None
    comparators: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


def find_results(root: Path | None = None, limit: int = MAX_LISTED) -> list[Path]:
    """Results folders under `root` (default: results/), finished or not, newest first."""
    root = results_root() if root is None else Path(root)
    if not root.is_dir():
        return []
    found = {p.parent for p in root.glob("*/" + store.MANIFEST)}
    found |= {p.parent for p in root.glob("*/" + store.JOBS_TABLE)}
    return sorted(found, key=_created, reverse=True)[:limit]


def _created(folder: Path) -> float:
    try:
        return (folder / store.MANIFEST).stat().st_mtime
    except OSError:
        return folder.stat().st_mtime


def read_note(folder: Path) -> dict:
    """The dashboard's note of a comparison it made ({} for other folders)."""
    try:
        note = json.loads((folder / NOTE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


@dataclass(frozen=True)
class Listed:
    folder: Path
    title: str
    when: str
    what: str
    state: str  # finished | unfinished


def listed(folder: Path) -> Listed:
    """One line of the Results page's list: what, when, finished or not."""
    try:
        manifest = store.read_manifest(folder) or {}
    except UserError:
        manifest = {}
    note = read_note(folder)
    spec = manifest.get("spec", {})
    names = [s.get("name", "?") for s in spec.get("scenarios", [])]
    titles = {n: note.get("titles", {}).get(n) or scenario_title(n) for n in names}
    command = manifest.get("command", "simulate" if "seed" in manifest else "?")
    shown = [titles.get(n, n) for n in names]
    if command == "compare" and len(shown) > 3:
        title = f"{len(shown) - 1} scenarios against {shown[0]}"
    elif command == "compare" and shown:
        title = f"{', '.join(shown[1:])} against {shown[0]}"
    elif shown:
        title = f"{command}: {', '.join(shown)}"
    else:
        title = folder.name
    fixed = {**defaults(), **spec.get("params", {})}
    what = []
    if spec:
        country = spec.get("params", {}).get("country")
        what.append(country_label(country) if country else "each scenario's own country")
        what.append(f"{fixed['n_firms']:,} firms, {spec.get('replications', '?')} runs each, "
                    f"{fixed['months']} months")
    when = str(manifest.get("created", ""))[:16].replace("T", " ")
    finished = (folder / store.SUMMARY).is_file() or (folder / "summary.json").is_file()
    if not finished and manifest.get("runs"):
        done = sum(1 for p in (folder / store.JOBS_DIR).glob("*.parquet"))
        what.append(f"unfinished: {done} of {manifest['runs']} model runs")
    if note.get("made_by") == "dashboard":
        what.append("made on the dashboard")
    return Listed(folder, title, f"{when} UTC" if when else "", "; ".join(what),
                  "finished" if finished else "unfinished")


def _check_allowed(folder: Path, text: str) -> None:
    """On a dashboard open to the network, refuse folders outside the allowed roots."""
    roots = [Path(r).resolve() for r in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if r]
    if not roots:
        return
    real = folder.resolve()
    if not any(real.is_relative_to(r) for r in roots):  # a root itself is relative to it
        raise UserError(f"'{text}' is outside the results folder ({roots[0]}). This dashboard "
                        "is open to the network (--host), so it opens only folders under it; "
                        "move or copy the folder there.")


def open_results(path: str | Path) -> Results:
    """Read a results folder; UserError if it is not one (or not finished)."""
    text = str(path).strip()
    if not text:
        raise UserError("Type the path of a results folder, e.g. results/compare-recession-...")
    folder = Path(text).expanduser()
    if not folder.is_absolute() and not folder.exists() and (results_root() / folder).exists():
        folder = results_root() / folder  # a folder's name, as the list shows it
    _check_allowed(folder, text)
    if not folder.exists():
        raise UserError(f"There is no folder at '{text}'. Check the path (it is read on the "
                        "computer that runs the dashboard).")
    if not folder.is_dir():
        raise UserError(f"'{text}' is a file, not a folder. Give the folder that holds it.")
    if not (folder / store.JOBS_TABLE).is_file():
        if (folder / "timeseries.parquet").is_file():
            return _simulate_results(folder)
        raise UserError(f"'{text}' is not a results folder written by 'run.py compare' or "
                        f"'run.py sweep' (it has no {store.JOBS_TABLE}).")
    manifest = store.read_manifest(folder) or {}
    command = manifest.get("command", "")
    try:
        summary = store.load_summary(folder)
    except UserError:
        more = ("; the Compare page's Continue button does the same for a comparison it "
                "started" if read_note(folder) else "")
        raise UserError(f"The experiment in '{text}' did not finish (it has no "
                        f"{store.SUMMARY}): its finished runs are kept; run the same 'run.py "
                        f"{command or 'compare'}' command again with --resume to finish it"
                        f"{more}.") from None
    if command == "compare" or (folder / "comparison.csv").is_file():
        return _compare_results(folder, manifest, summary)
    if command == "sensitivity":
        return _sensitivity_results(folder, manifest, summary)
    return _sweep_results(folder, manifest, summary)


def describe(manifest: dict, summary: pd.DataFrame, titles: dict | None = None) -> str:
    """What ran, in words: scenarios, population, replications, firms, months, seed."""
    spec = manifest.get("spec", {})
    fixed = {**defaults(), **spec.get("params", {})}
    names = list(dict.fromkeys(summary["scenario"]))
    points = summary["point"].nunique() if "point" in summary else 1
    reps = spec.get("replications", summary["replication"].nunique())
    titles = titles or {}
    country = spec.get("params", {}).get("country")
    return (f"{len(names)} scenario{'s' * (len(names) != 1)} "
            f"({', '.join(titles.get(n, n) for n in names)})"
            + (f" x {points} parameter points" if points > 1 else "")
            + (f"; only firms of {country_label(country)}, in every scenario" if country
               else "")
            + f"; {reps} run{'s' * (reps != 1)} each, {fixed['n_firms']:,} firms, "
            f"{fixed['months']} months after a {fixed['burn_in']}-month warm-up, random draw "
            f"{manifest.get('base_seed', spec.get('base_seed', '?'))}.")


HOW_TO_READ = (
    "**How to read this table.** Each column is a scenario; the first one is the reference. "
    "Each cell gives the average over the runs in bold and, for the other scenarios, the "
    "difference from the reference with its 95 % confidence range in brackets: if that range "
    "includes zero, the difference may be chance. Differences are paired run by run (the "
    "same random draws in every scenario). Resilience is measured against each run's "
    "no-shock twin; a run that does not recover counts the months to the end plus one. "
    f"Money is in {MONEY}, over the whole horizon.")


def outcome_markdown(table: pd.DataFrame, names: list[str], reference: str,
                     titles: dict[str, str]) -> str:
    """The outcome table with one column per scenario (not two): each cell holds the mean
    and, below it, the difference from the reference with its 95 % range."""
    head = ["Outcome"] + [escape(titles.get(n, n)) + (" (reference)" if n == reference else "")
                          for n in names]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(names)]
    for group_title, rows, first in outcome_rows(table):
        if group_title is not None:
            lines.append(f"| **{group_title}** |" + " |" * len(names))
        unit = MONEY if first["outcome"] == "policy_spend" else first["unit"]
        cells = []
        for n in names:
            if n not in rows.index:
                cells.append("")
                continue
            r = rows.loc[n]
            cell = f"**{fmt(r['mean'])}**"
            if n != reference and np.isfinite(r["diff"]):
                cell += f"<br>{fmt(r['diff'], True)}"
                if np.isfinite(r["diff_ci_low"]):
                    cell += f" [{fmt(r['diff_ci_low'], True)}, {fmt(r['diff_ci_high'], True)}]"
            cells.append(cell)
        lines.append(f"| {first['label']} ({unit}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


STATUS_WORDS = {
    "ranked": "Clear gain: about {cost} {money} per {unit}.",
    "not_significant": "The gain may be chance (its 95 % range includes zero), so no "
                       "reliable cost per unit.",
    "no_gain": "No gain: on average it did worse than {against} on this outcome.",
    "no_spend": "Spent no more public money than {against}.",
}


def _range(low: float, high: float, signed: bool = False) -> str:
    if not np.isfinite(low):
        return ""
    top = "no upper limit" if not np.isfinite(high) else fmt(high, signed)
    return f" ({fmt(low, signed)} to {top})"


def value_markdown(frame: pd.DataFrame, aim: str, titles: dict[str, str],
                   equal_budgets: bool) -> str:
    """The ranked value-for-money table: one line per programme (scenario)."""
    a = AIMS[aim]
    money = (f"{a.units.capitalize()} per {MONEY_MILLION} of extra money (95 % range)"
             if equal_budgets else f"Cost per {a.unit}, {MONEY} (95 % range)")
    head = ["Rank", "Programme (compared with)", f"Extra public money, {MONEY} (95 % range)",
            f"{a.units.capitalize()} (95 % range)", money, "In words"]
    lines = ["| " + " | ".join(head) + " |", "|---:|---|---:|---:|---:|---|"]
    for r in frame.to_dict("records"):
        against = escape(titles.get(r["against"], r["against"]))
        if equal_budgets:
            value = (fmt(r["per_million"], True) + _range(r["per_million_low"],
                                                          r["per_million_high"], True)
                     if np.isfinite(r["per_million"]) else "n/a")
        else:
            value = (fmt(r["cost"]) + _range(r["cost_low"], r["cost_high"])
                     if r["status"] == "ranked" else "n/a")
        words = STATUS_WORDS[r["status"]].format(cost=fmt(r["cost"]), money=MONEY,
                                                 unit=a.unit, against=against)
        lines.append(
            f"| {r['rank'] or '-'} | {escape(titles.get(r['scenario'], r['scenario']))}<br>"
            f"<small>against {against}</small> | {fmt(r['spend'])}"
            f"{_range(r['spend_low'], r['spend_high'])} | {fmt(r['gain'], True)}"
            f"{_range(r['gain_low'], r['gain_high'], True)} | {value} | {words} |")
    return "\n".join(lines)


def budget_note(frame: pd.DataFrame) -> str:
    """A note when the programmes' spending differs a lot (the ranking compares per unit)."""
    spend = frame.loc[frame["spend"] > 0, "spend"]
    if len(spend) < 2 or spend.max() < 2 * spend.min():
        return ""
    return (f"The programmes spent very different amounts: from {fmt(spend.min())} to "
            f"{fmt(spend.max())} {MONEY} more than their comparison "
            f"({spend.max() / spend.min():,.0f}-fold). The cost per unit compares them per "
            "unit of money; a programme that is cheap per unit at a small budget need not "
            "stay cheap at a larger one.")


def _read_png(path: Path) -> bytes:
    return path.read_bytes()


def _compare_results(folder: Path, manifest: dict, summary: pd.DataFrame) -> Results:
    names = list(dict.fromkeys(summary["scenario"]))
    info = manifest.get("info", {})
    reference = info.get("reference") or names[0]
    table_path, costs_path = folder / "comparison.csv", folder / "costs.csv"
    if table_path.is_file():
        table = pd.read_csv(table_path)
    else:
        outcomes = [o for o in info.get("outcomes", OUTCOMES) if o in summary.columns]
        table = comparison_table(summary, names, reference, outcomes)
    costs = pd.read_csv(costs_path) if costs_path.is_file() else pd.DataFrame(
        columns=["scenario", "against", "outcome", "measure", "extra_spend", "gain",
                 "gain_significant", "cost"])
    note = read_note(folder)
    titles = {n: note.get("titles", {}).get(n) or scenario_title(n) for n in names}
    res = Results(folder, "compare", f"Comparison against {titles.get(reference, reference)}",
                  describe(manifest, summary, titles),
                  table=outcome_markdown(table, names, reference, titles))
    res.notes = [HOW_TO_READ]
    res.warnings = list(note.get("warnings", []))
    res.runs, res.titles = summary, {n: titles.get(n, n) for n in names}
    if not costs.empty:
        res.comparators = dict(costs.groupby("scenario", sort=False)["against"].first())
    else:
        res.comparators = {n: reference for n in names if n != reference}
    captions = {file: f"{title} ({unit}), one panel per scenario: middle line = median run, "
                "bands = middle half and 90 % of runs, dashed = the reference's median"
                for _, _, title, unit, file in FAN_SERIES}
    captions["bars_means.png"] = "Average of each outcome with its 95 % range"
    captions["bars_differences.png"] = f"Difference from {reference} with its 95 % range"
    for file, caption in captions.items():
        if (folder / file).is_file():
            res.images.append((caption, _read_png(folder / file)))
    for path in (table_path, costs_path, *sorted((folder / SCENARIOS_DIR).glob("*.toml"))):
        if path.is_file():
            res.downloads.append((path.name, path.read_bytes()))
    return res


def _factors(manifest: dict) -> list[str]:
    return list(manifest.get("spec", {}).get("vary", {}))


def _sweep_results(folder: Path, manifest: dict, summary: pd.DataFrame) -> Results:
    factors = _factors(manifest)
    outcomes = [o for o in manifest.get("info", {}).get("outcomes", OUTCOMES)
                if o in summary.columns]
    points_path = folder / "points.csv"
    if not points_path.is_file():
        raise UserError(f"'{folder}' holds a sweep without its points.csv: run the same "
                        "'run.py sweep' command again with --resume to finish it.")
    points = pd.read_csv(points_path)
    spec = manifest.get("spec", {})
    res = Results(folder, "sweep", f"Sweep ({spec.get('design', 'grid')} design)",
                  describe(manifest, summary))
    if manifest.get("info", {}).get("description"):
        res.notes.append(manifest["info"]["description"])
    res.table = points_markdown(points, factors, outcomes)
    res.notes.append("Each row is a scenario at one combination of the varied settings: the "
                     "average over the runs ± half its 95 % confidence range.")
    for outcome in outcomes:
        res.images.append((OUTCOMES[outcome].label, sweep_figure(points, factors, outcome)))
    for path in sorted(folder.glob("sensitivity_*.png")):
        res.images.append(("Sensitivity indices: " + path.stem.removeprefix("sensitivity_"),
                           _read_png(path)))
    res.downloads.append((points_path.name, points_path.read_bytes()))
    return res


def _sensitivity_results(folder: Path, manifest: dict, summary: pd.DataFrame) -> Results:
    res = Results(folder, "sensitivity", "Sensitivity analysis", describe(manifest, summary))
    res.notes.append("How much each setting moves the outcome: bigger bars matter more. "
                     "Bars are the indices with their 95 % ranges.")
    for path in sorted(folder.glob("sensitivity_*.csv")):
        frame = pd.read_csv(path)
        res.table += f"\n\n**{path.stem}**\n\n" + frame_markdown(frame)
        res.downloads.append((path.name, path.read_bytes()))
    for path in sorted(folder.glob("sensitivity_*.png")):
        res.images.append((path.stem.replace("_", " "), _read_png(path)))
    return res


def _simulate_results(folder: Path) -> Results:
    res = Results(folder, "simulate", "One run ('run.py simulate')",
                  "A single run, not an experiment: its charts are below. To compare "
                  "scenarios with confidence ranges, use the Compare page or 'run.py compare'.")
    path = folder / "summary.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = {**{k: v.strip() for k, v in SUMMARY_LABELS.items()},
                  "policy_spend": f"Public money spent ({MONEY})",
                  "recovered": "Recovered by the end (1 = yes)"}
        if data.get("shock_in_run") is False:  # nothing measured against a no-shock twin
            data["output_lost"] = NO_SHOCK_TEXT
        rows = [(escape(labels.get(k, k.replace("_", " ").capitalize())), v)
                for k, v in data.items()
                if isinstance(v, int | float | str) and not isinstance(v, bool)]
        res.table = "| Figure | Value |\n|---|---:|\n" + "\n".join(
            f"| {k} | {fmt(v) if isinstance(v, float) else escape(v)} |" for k, v in rows)
    for name in ("firms.png", "revenue.png", "alliances.png", "trust_resilience.png"):
        if (folder / name).is_file():
            res.images.append((name.removesuffix(".png").replace("_", " and "),
                               _read_png(folder / name)))
    return res


def frame_markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(escape, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(fmt(v) if isinstance(v, float) else escape(v) for v in r) + " |"
            for r in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def points_markdown(points: pd.DataFrame, factors: list[str], outcomes: list[str]) -> str:
    """The points table: scenario, varied settings, each outcome as mean ± half-range."""
    head = ["Scenario", *[param_label(f) for f in factors],
            *[f"{OUTCOMES[o].label} ({OUTCOMES[o].unit})" for o in outcomes]]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in points.head(MAX_ROWS).to_dict("records"):
        cells = [escape(r["scenario"]), *[_value(r[f]) for f in factors]]
        for o in outcomes:
            half = (r[f"{o}_ci_high"] - r[f"{o}_ci_low"]) / 2
            cells.append(fmt(r[o]) + ("" if not np.isfinite(half) else f" ± {fmt(half)}"))
        lines.append("| " + " | ".join(cells) + " |")
    if len(points) > MAX_ROWS:
        lines.append(f"\n({len(points) - MAX_ROWS} more rows in points.csv)")
    return "\n".join(lines)


def _value(v) -> str:
    return fmt(float(v)) if isinstance(v, float) else str(v)


def sweep_figure(points: pd.DataFrame, factors: list[str], outcome: str) -> bytes:
    """An outcome against the varied settings, one colour per scenario, 95 % ranges."""
    o = OUTCOMES[outcome]
    shown = factors[:3] or [None]
    fig = Figure(figsize=(4.2 * len(shown), 3.2), dpi=90)
    axes = np.atleast_1d(fig.subplots(1, len(shown), squeeze=False)[0])
    names = list(dict.fromkeys(points["scenario"]))
    for ax, factor in zip(axes, shown):
        for k, name in enumerate(names):
            rows = points[points["scenario"] == name]
            if factor is not None:
                rows = rows.sort_values(factor)
            x = np.arange(len(rows)) if factor is None else rows[factor].to_numpy(float)
            y = rows[outcome].to_numpy(float)
            err = np.vstack([y - rows[f"{outcome}_ci_low"], rows[f"{outcome}_ci_high"] - y])
            style = "-o" if len(factors) == 1 else "o"
            ax.errorbar(x + (0 if factor is not None else k * 0.1), y,
                        yerr=np.where(np.isfinite(err), err, 0), fmt=style, color=f"C{k % 10}",
                        capsize=3, markersize=4, linewidth=1.2, label=name.replace("_", " "))
        ax.set_xlabel(param_label(factor) if factor else "", fontsize=8)
        ax.set_ylabel(o.unit, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(o.label, fontsize=10)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


# --------------------------------------------------------------------------- components
@solara.component
def ValueForMoney(results: Results):
    """The programmes ranked by public money per unit of the outcome the user picks."""
    aim = solara.use_reactive("bankruptcies")
    equal = solara.use_reactive(False)
    frame = solara.use_memo(
        lambda: value_for_money(results.runs, results.comparators, aim.value),
        [results.folder, aim.value])
    labels = {a.label: k for k, a in AIMS.items()}
    Markdown("#### Value for money: which programme gains most per unit of public "
                    "money?")
    with solara.Row(style={"align-items": "center", "gap": "16px", "flex-wrap": "wrap"}):
        solara.Select("Judge the programmes on", values=list(labels),
                      value=AIMS[aim.value].label, on_value=lambda x: aim.set(labels[x]),
                      style={"max-width": "360px"}, classes=["value-aim"])
        solara.Checkbox(label=f"Compare at equal budgets (gain per {MONEY_MILLION})",
                        value=equal)
    with solara.Div(classes=["results-table", "value-table"], style={"overflow-x": "auto"}):
        Markdown(value_markdown(frame, aim.value, results.titles, equal.value))
    notes = [f"Ranked: programmes whose gain is clearly above zero, cheapest per unit "
             f"first. Money is in {MONEY} over the whole horizon (the model's money: revenue "
             "levels are relative across countries); ranges are 95 % ranges over the runs."]
    if equal.value:
        notes.append(f"At equal budgets: what each programme would gain per {MONEY_MILLION} "
                     "if its gain grew in proportion to its budget. The model does not "
                     "promise that: to check, run a variant with a bigger or smaller 'Size of "
                     "support programmes'.")
    note = budget_note(frame)
    if note:
        notes.append(note)
    Markdown(" ".join(notes), style={"font-size": "0.9em"})


@solara.component
def ResultsView(results: Results):
    """A results folder: what ran, the table, the downloads and the charts."""
    Markdown(f"### {escape(results.title)}")
    solara.Text(results.summary)
    solara.Text(f"Folder: {results.folder}", style={"color": "#666", "font-size": "0.85em"},
                classes=["results-folder"])
    for warning in results.warnings:
        solara.Warning(warning, dense=True)
    if results.runs is not None and results.comparators:
        ValueForMoney(results)
    if results.table:
        if results.kind == "compare":
            Markdown("#### Every outcome, scenario by scenario")
        with solara.Div(classes=["results-table", "outcome-table"],
                        style={"overflow-x": "auto"}):
            Markdown(results.table)
    for note in results.notes:
        Markdown(note, style={"font-size": "0.9em"})
    if results.downloads:
        with solara.Row(style={"flex-wrap": "wrap"}):
            for name, data in results.downloads:
                solara.FileDownload(data, filename=name, label=f"Download {name}",
                                    mime_type="application/toml" if name.endswith(".toml")
                                    else "text/csv")
    with solara.Column(gap="16px"):
        for caption, png in results.images:
            with solara.Column(style={"max-width": "1400px"}, gap="2px"):
                solara.Image(png, width="100%")
                solara.Text(caption, style={"font-size": "0.9em", "color": "#444"})


@solara.component
def ResultsList(found: list[Path], on_open):
    """The saved results, newest first: what, when, finished or not, and an Open button."""
    rows = solara.use_memo(lambda: [listed(f) for f in found], [tuple(found)])
    with solara.Column(gap="2px", classes=["results-list"]):
        for row in rows:
            with solara.Row(style={"align-items": "center", "gap": "8px",
                                   "border-bottom": "1px solid #eee"},
                            classes=["results-row"]):
                solara.Button("Open", small=True, outlined=True,
                              on_click=lambda f=row.folder: on_open(f))
                with solara.Column(gap="0px"):
                    solara.Text(row.title, style={"font-weight": "600"},
                                classes=["results-list-title"])
                    solara.Text(f"{row.when} · {row.what} · {row.folder.name}",
                                style={"font-size": "0.85em", "color": "#555"})


@solara.component
def ResultsPage():
    found = solara.use_memo(find_results, [])
    path = solara.use_reactive(str(found[0]) if found else "")
    solara.Title("Results - SME alliance ecosystem")

    def load():
        if not path.value.strip():
            return None, None
        try:
            return open_results(path.value), None
        except UserError as e:
            return None, str(e)
        except (OSError, ValueError, KeyError) as e:  # a damaged folder
            return None, f"'{path.value}' could not be read as results: {e}"

    results, error = solara.use_memo(load, [path.value])
    with solara.Column(style={"padding": "8px"}):
        Markdown(
            "Every comparison run on the Compare page is saved here, with the results of "
            "experiments run from the command line ('run.py compare' or 'run.py sweep'). "
            f"They are kept in the folder {results_root()} until someone deletes them.")
        if found:
            with solara.Details(f"Saved results ({len(found)}, newest first)", expand=True):
                ResultsList(found, lambda f: path.set(str(f)))
        solara.InputText("Results folder to open (a path on the computer running the "
                         "dashboard)", value=path, continuous_update=False)
        if error:
            solara.Error(error)
        elif results is not None:
            ResultsView(results)
        else:
            solara.Info("No results yet: run a comparison on the Compare page, or "
                        "'python run.py compare ...' on the command line, then open it here.")
