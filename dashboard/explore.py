"""Explore: one model, month by month.

The settings are generated from the registry (grouped, plain labels with units, the
registry's help text in a panel); a scenario picker loads a scenario's settings, shocks and
policies; live charts mark shock and policy periods; a view of who teams up, and how
(partnerships per 100 firms by country and sector, split by type); headline numbers sit on
cards above.

The page owns its settings: one dict (`values`: scenario, seed, every parameter) that the
sidebar shows and every model is built from (`build_model`). A change of scenario or of any
setting builds the model again from it at once, so the screen never shows settings other
than the model's. (Mesa's SolaraViz kept its own copy of the settings, which its Reset
lost when the page was drawn again for another scenario: it then built the default model.)

Every browser session builds its own model (`solara.use_memo` in `ExplorePage`, kept by the
session while its user is on another page), so two people using the dashboard never share
one.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from analysis.resilience import RECOVERY_LEVEL, shock_window, system_resilience
from analysis.resources import check_memory, run_size
from analysis.runner import counterfactual
from analysis.summary import TOP_SCORE
from simulation import SMEEcosystem
from simulation.alliances import ALLIANCE_TYPES
from simulation.errors import UserError
from simulation.params import COUNTRIES, GROUPS, PARAMS, PARAMS_LIST, defaults, validate
from simulation.regions import SECTORS
from simulation.scenario import FLAT_SETTINGS, list_scenarios, load_scenario

from .common import (
    ALLIANCE_LABELS,
    GROUP_TITLES,
    MONEY,
    MONEY_MILLION,
    POLICY_LABELS,
    SHOCK_LABELS,
    Markdown,
    country_label,
    param_label,
    scenario_title,
    shipped_titles,
)
from .session import use_session

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = 42
# The page's own defaults: a model that steps fast enough to watch, with network numbers
# measured every month (the registry measures them yearly to save time in long runs).
PAGE_DEFAULTS = {"n_firms": 2000, "structure_stats_every": 1}
# passed to the model, not shown as settings: the network figures' interval, and the flat
# shock and programme settings of sweeps (the scenario itself sets its shocks and programmes;
# Compare's variant form changes them by name)
FIXED = ("structure_stats_every", *FLAT_SETTINGS)
FIRMS_SLIDER = (100, 20_000, 100)  # min, max, step: bigger models belong in Compare or the CLI
GROUP_ORDER = ("population", "policy", "run", "alliances", "trust", "economy", "shocks")
FIG_SIZE = (5.0, 3.3)  # inches at FIG_DPI: two charts side by side on a 1440-pixel screen
FIG_DPI = 100
assert set(GROUP_ORDER) == set(GROUPS)


# --------------------------------------------------------------------------- the model
def plain_error(message: str) -> str:
    """A registry error message with parameter names replaced by their plain labels."""
    names = sorted(PARAMS, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    return pattern.sub(lambda m: f"'{param_label(m.group(1), with_unit=False)}'", message)


class ExploreModel(SMEEcosystem):
    """The Explore page's model: the scenario by name, the warm-up already run.

    Differences from SMEEcosystem, all for the page:
    - the scenario comes as `scenario_name` (a Mesa `scenario` object, as Mesa's own
      controllers pass back, is ignored);
    - the burn-in (warm-up) runs at once, so the first screen starts at month 0 with an
      ecosystem that has settled;
    - impossible settings do not raise: `input_error` holds the message in plain words, the
      model is an empty placeholder and `step()` does nothing, so the page can say what to
      fix while the server keeps running;
    - when a shock falls in the horizon, `twin` is the same model without its shocks (same
      settings, programmes and seed: analysis.runner.counterfactual, as in sweep and
      compare), so the page can say what the shock has cost so far (`shock_cost`);
      `first_shock` is the first month of the horizon with a shock. With common random
      numbers the twin's months equal the model's until then, so it is built only in the
      shock's first month, run from the start to the model's month, and stepped in
      lock-step with it after that: a change of setting rebuilds one model, not two.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, rng=DEFAULT_SEED, scenario=None,
                 **params):
        self.input_error: str | None = None
        self.scenario_name = scenario_name
        self.seed_value = rng
        self.twin: SMEEcosystem | None = None
        self.first_shock: int | None = None
        try:
            spec = load_scenario(scenario_name)
            check_memory(*run_size(validate({**spec.params, **validate(params)})),
                         place="n_firms")
        except UserError as e:
            self.input_error = plain_error(str(e))
            super().__init__(rng=rng, n_firms=1, months=1, burn_in=0)
            self.running = False
            return
        super().__init__(rng=rng, scenario=spec, **params)
        # the shocks (random ones included) are drawn up front: no twin when none falls in
        # the horizon, so a scenario without a shock costs no extra work
        self.first_shock = next((m for m in range(1, self.p["months"] + 1)
                                 if any(s.intensity(m) > 0 for s in self.shocks)), None)
        self._twin_of = (spec, params) if self.first_shock is not None else None
        while self.month < 0 and self.running:
            self.step()

    def step(self) -> None:
        if self.input_error is not None:
            return
        super().step()
        if self.twin is None and self._twin_of and self.month >= self.first_shock:
            twin = counterfactual(*self._twin_of)
            if twin is not None:
                self.twin = SMEEcosystem(rng=self.seed_value, scenario=twin[0], **twin[1])
        while self.twin is not None and self.twin.running and self.twin.steps < self.steps:
            self.twin.step()


def setting_widget(p, value) -> dict:
    """A SolaraViz input for one registry parameter, labelled in plain words."""
    label = param_label(p.name)
    if p.choices is not None:
        return {"type": "Select", "value": value, "values": list(p.choices), "label": label}
    if p.kind is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if p.kind is int:
        low, high, step = FIRMS_SLIDER if p.name == "n_firms" else (p.low, p.high, 1)
        return {"type": "SliderInt", "value": int(value), "min": int(low), "max": int(high),
                "step": step, "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": float(p.low),
            "max": float(p.high), "step": slider_step(p.low, p.high, value), "label": label}


def slider_step(low: float, high: float, value: float) -> float:
    """The coarsest round step that gives at least 100 positions and hits `value` and `low`."""
    for step in (10, 5, 2.5, 1, 0.5, 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.0025, 0.001,
                 0.0005, 0.00025, 0.0001):
        if (high - low) / step < 100:
            continue
        if all(abs(x / step - round(x / step)) < 1e-6 for x in (low, value)):
            return step
    return 0.0001


def page_values(scenario_name: str) -> dict:
    """Every registry value the page starts from: registry < scenario < page defaults."""
    spec = load_scenario(scenario_name)
    return {**defaults(), **spec.params, **PAGE_DEFAULTS}


def start_values(scenario_name: str) -> dict:
    """The settings of a scenario's first model on the page: its name, the seed and every
    registry parameter (the same keys the sidebar edits and `build_model` reads)."""
    return {"scenario_name": scenario_name, "rng": DEFAULT_SEED, **page_values(scenario_name)}


def build_model(values: dict) -> ExploreModel:
    """The model of exactly these settings (scenario, seed, every parameter)."""
    return ExploreModel(**values)


def model_params(scenario_name: str) -> dict:
    """Every input of the sidebar: a seed and every registry parameter, grouped by topic
    (fixed values, such as the scenario's name, as plain values)."""
    values = page_values(scenario_name)
    out: dict = {"scenario_name": scenario_name, **{k: values[k] for k in FIXED}}
    out["rng"] = SEED_WIDGET | {"value": DEFAULT_SEED}
    for group in GROUP_ORDER:
        for p in PARAMS_LIST:
            if p.group == group and p.name not in FIXED:
                out[p.name] = setting_widget(p, values[p.name])
    return out


SEED_WIDGET = {"type": "SliderInt", "min": 0, "max": 999, "step": 1,
               "label": "Random draw (another number gives another possible history)"}


# --------------------------------------------------------------------------- charts
@dataclass(frozen=True)
class Chart:
    title: str
    ylabel: str
    columns: tuple[tuple[str, str], ...]  # (reporter, legend label)
    scale: float = 1.0
    stacked: bool = False
    ylim: tuple[float, float] | None = None
    twin: bool = False  # also the first series of the model's no-shock twin, dashed


CHARTS = {
    "firms": Chart("Firms in business", "firms", (("firms_alive", "firms in business"),)),
    "revenue": Chart("Sales of all firms", f"{MONEY_MILLION} a month",
                     (("total_revenue", "total sales"),), scale=1e-3, twin=True),
    "alliances": Chart("Partnerships in force, by type", "partnerships",
                       tuple((f"alliances_{t}", ALLIANCE_LABELS[t]) for t in ALLIANCE_TYPES),
                       stacked=True),
    "trust": Chart("Trust between partners", "0 = none, 1 = full",
                   (("mean_trust", "average trust between partners"),
                    ("firms_in_alliances", "share of firms with a partner")), ylim=(0, 1.02)),
    "resilience": Chart("Resilience of firms (1 = nothing in hand after a deep loss, "
                        "5 = a year of costs covered)", "score",
                        (("mean_resilience", "average firm resilience score"),), ylim=(1, 5.05)),
    "spending": Chart("Public money spent each month", f"{MONEY}",
                      (("policy_spend", "all support programmes"),)),
}


def history(model: SMEEcosystem, columns) -> dict[str, np.ndarray]:
    """The reporters' monthly values so far (from Mesa's DataCollector)."""
    data = model.datacollector.model_vars
    return {c: np.asarray(data[c], dtype=float) for c in ("month", *columns)}


def shock_months(model: SMEEcosystem, months: np.ndarray) -> np.ndarray:
    """Which of `months` have a shock (scheduled or drawn at random) at work."""
    active = np.zeros(months.size, dtype=bool)
    for shock in model.shocks:
        active |= np.array([shock.intensity(int(m)) > 0 for m in months])
    return active


def policy_periods(model: SMEEcosystem) -> list[tuple[int, int, str]]:
    """(first month, last month, label) of each support programme that spends money (the
    model's own policy book: the scenario's programmes with the settings applied)."""
    if model.p["policy_scale"] <= 0:
        return []
    return [(p.start, p.end, POLICY_LABELS[p.kind]) for p in model.policy.policies
            if p.budget > 0]


def _spans(months: np.ndarray, on: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive True values as (first month, last month)."""
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(months[a]), int(months[b])) for a, b in zip(starts, ends)]


WARM_UP_COLOUR, SHOCK_COLOUR, SUPPORT_COLOUR = "#f0f0f0", "#d1d1d1", "#5cb85c"


def mark_periods(ax, model: SMEEcosystem) -> None:
    """Warm-up (light), shocks (grey) and support programmes (green strip at the top); their
    key is one line above all the charts (PeriodKey), not a legend in each."""
    p = model.p
    first, last = -p["burn_in"] + 1, p["months"]
    if first <= 0:
        ax.axvspan(first - 0.5, 0.5, color=WARM_UP_COLOUR, zorder=0)
    months = np.arange(1, last + 1)
    for a, b in _spans(months, shock_months(model, months)):
        ax.axvspan(a - 0.5, b + 0.5, color=SHOCK_COLOUR, zorder=0)
    for a, b, _name in policy_periods(model):
        a, b = max(a, first), min(b, last)
        if a <= b:
            ax.axvspan(a - 0.5, b + 0.5, ymin=0.95, ymax=1.0, color=SUPPORT_COLOUR, zorder=1)
    ax.set_xlim(first - 0.5, last + 0.5)


class LiveFigure:
    """A figure of the page drawn once and updated in place every month.

    A new matplotlib figure (axes, ticks, legend, text) costs many times what the month of
    a 2,000-firm model does. So the still parts (axes, periods, legend, titles) are drawn
    once into a cached background, and each month only the changing artists are drawn on
    a copy of it (matplotlib's blitting); the background is drawn again only when the
    axis limits change. Subclasses make the figure and say which artists change.
    """

    def __init__(self, height: float = FIG_SIZE[1], width: float = FIG_SIZE[0]):
        self.fig = Figure(figsize=(width, height), dpi=FIG_DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.subplots()
        self.background = None
        self.lock = threading.Lock()  # a session's play thread and its renders

    def update(self) -> None:
        """Put this month's data into the artists (set self.background = None to redraw)."""

    def moving(self) -> list:
        """The artists that change from month to month."""
        return []

    def png(self) -> bytes:
        with self.lock:
            self.update()
            artists = self.moving()
            if self.background is None:
                for a in artists:
                    a.set_visible(False)
                self.canvas.draw()
                self.background = self.canvas.copy_from_bbox(self.fig.bbox)
                for a in artists:
                    a.set_visible(True)
            else:
                self.canvas.restore_region(self.background)
            for a in artists:
                (a.axes or self.fig).draw_artist(a)
            rgba = np.asarray(self.canvas.buffer_rgba())
            out = io.BytesIO()
            PILImage.fromarray(rgba[..., :3]).save(out, format="png", compress_level=1)
            return out.getvalue()


class TimelineFigure(LiveFigure):
    """One chart: the reporters so far on the whole horizon, with the warm-up, the shocks
    and the support programmes marked."""

    def __init__(self, model: SMEEcosystem, chart: Chart):
        super().__init__()
        self.model, self.chart = model, chart
        ax = self.ax
        mark_periods(ax, model)
        self.stack: list = []
        if chart.stacked:  # legend entries; the areas are drawn each month
            self.lines = []
            for k, (_, label) in enumerate(chart.columns):
                ax.fill_between([], [], color=f"C{k}", alpha=0.85, label=label)
        else:
            self.lines = [ax.plot([], [], label=label, linewidth=1.6)[0]
                          for _, label in chart.columns]
        # the same economy without the shock, where the page runs it (ExploreModel.twin,
        # built in the shock's first month)
        self.twin = chart.twin and getattr(model, "first_shock", None) is not None
        if self.twin:
            self.lines.append(ax.plot([], [], label="the same economy without the shock",
                                      linewidth=1.3, linestyle="--", color="0.35")[0])
        ax.set_ylim(*(chart.ylim or (0, 1)))
        ax.set_title(chart.title, fontsize=12)
        ax.set_xlabel("month", fontsize=10, labelpad=1)
        ax.set_ylabel(chart.ylabel, fontsize=10)
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.3)
        # one series: the title says what it is
        many = len(chart.columns) + self.twin > 1
        if many:
            ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.45, -0.2),
                      frameon=False, ncol=1 if len(chart.columns) < 3 else 2,
                      handlelength=1.4, columnspacing=1.0)
        self.fig.subplots_adjust(left=0.14, right=0.97, bottom=0.42 if many else 0.16,
                                 top=0.9)

    def update(self) -> None:
        chart = self.chart
        data = history(self.model, [c for c, _ in chart.columns])
        m = data["month"]
        values = [data[c] * chart.scale for c, _ in chart.columns]
        if self.twin and self.model.twin is not None:  # (lock-step: the same months)
            column = chart.columns[0][0]
            values.append(history(self.model.twin, [column])[column] * chart.scale)
        if chart.stacked:
            for artist in self.stack:
                artist.remove()
            colours = [f"C{k}" for k in range(len(values))]
            self.stack = self.ax.stackplot(m, *values, colors=colours, alpha=0.85) \
                if m.size else []
            top = float(np.sum(values, axis=0).max()) if m.size else 0.0
        else:
            for line, y in zip(self.lines, values):
                line.set_data(m, y)
            top = max((float(y.max()) for y in values if y.size), default=0.0)
        if not chart.ylim:
            # room above the data (under the legend); rescale only when the data leave it
            # (a series still at 0, such as spending before a programme starts, keeps 0-1:
            # rescaling it every month redrew the whole chart every month)
            low, high = self.ax.get_ylim()
            wanted = top * 1.5 if top > 0 else 1.0
            if top > high / 1.15 or (top < high / 2.5 and high != wanted):
                self.ax.set_ylim(0, wanted)
                self.background = None

    def moving(self) -> list:
        return self.stack or self.lines


# --------------------------------------------------------------------------- partnerships
def partnership_counts(model: SMEEcosystem, by: str) -> tuple[list[str], np.ndarray,
                                                               np.ndarray]:
    """Partnerships in force per 100 firms in business, by country or sector of the firm
    and type of partnership: (row labels, rows x types, firms in business per row). A
    partnership counts once for each member, in the member's own country or sector; rows
    without living firms are left out."""
    s = model.firms
    group = s.region if by == "country" else s.sector
    names = ([country_label(c) for c in COUNTRIES] if by == "country"
             else [x.capitalize() for x in SECTORS])
    book = model.alliances.book
    active = np.flatnonzero(book.active)
    members, kinds = book.members[active], book.kind[active]
    counts = np.zeros((len(names), len(ALLIANCE_TYPES)))
    for slot in range(members.shape[1]):
        m = members[:, slot]
        ok = m >= 0
        np.add.at(counts, (group[m[ok]].astype(np.int64), kinds[ok].astype(np.int64)), 1)
    firms = np.bincount(group[s.alive].astype(np.int64), minlength=len(names))[:len(names)]
    keep = firms > 0
    per100 = counts[keep] / firms[keep, None] * 100.0
    return [n for n, k in zip(names, keep) if k], per100, firms[keep]


class PartnershipsFigure(LiveFigure):
    """Who teams up, and how: partnerships per 100 firms, by country and by sector, each
    bar split by type of partnership (the colours of the partnerships chart). The axes are
    drawn once; each month only the bars' lengths and the totals change (blitting), and the
    axes are drawn again when the bars outgrow them or a country's firms are all gone."""

    PANELS = (("country", "By country of the firm"), ("sector", "By sector of the firm"))

    def __init__(self, model: SMEEcosystem):
        super().__init__(FIG_SIZE[1] * 0.9, FIG_SIZE[0] * 2)
        self.model = model
        self.fig.clear()
        self.axes = self.fig.subplots(1, 2, gridspec_kw={"wspace": 0.45})
        self.ax = self.axes[0]
        self.names: list[list[str]] = [[], []]
        self.bars: list[list] = [[], []]  # per panel: one BarContainer per type
        self.totals: list[list] = [[], []]  # per panel: one text per row
        self.fig.suptitle("Who teams up, and how", fontsize=12)
        self.fig.subplots_adjust(left=0.13, right=0.76, bottom=0.17, top=0.84)

    def _build(self, i: int, names: list[str]) -> None:
        ax = self.axes[i]
        ax.clear()
        y = np.arange(len(names))[::-1]
        self.bars[i] = [ax.barh(y, np.zeros(len(names)), color=f"C{k}", alpha=0.85,
                                height=0.7, label=ALLIANCE_LABELS[kind])
                        for k, kind in enumerate(ALLIANCE_TYPES)]
        self.totals[i] = [ax.text(0, yy, "", va="center", fontsize=9) for yy in y]
        ax.set_yticks(y, names, fontsize=10)
        ax.set_title(self.PANELS[i][1], fontsize=11)
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("partnerships per 100 firms", fontsize=10)
        self.names[i] = names
        if i == 0:
            for legend in self.fig.legends:
                legend.remove()
            handles, labels = ax.get_legend_handles_labels()
            self.fig.legend(handles, labels, loc="center right", fontsize=9, frameon=False,
                            title="type of partnership", title_fontsize=9)
        self.background = None

    def update(self) -> None:
        for i, (by, _) in enumerate(self.PANELS):
            names, per100, _ = partnership_counts(self.model, by)
            if names != self.names[i]:
                self._build(i, names)
            left = np.zeros(len(names))
            for k, container in enumerate(self.bars[i]):
                for rect, x0, w in zip(container.patches, left, per100[:, k]):
                    rect.set_x(x0)
                    rect.set_width(w)
                left += per100[:, k]
            for text, total in zip(self.totals[i], left):
                text.set_x(total)
                text.set_text(f" {total:.0f}")
            ax = self.axes[i]
            top = float(left.max(initial=0))
            _, high = ax.get_xlim()
            if top * 1.1 > high or top < high / 3 or self.background is None:
                ax.set_xlim(0, max(top * 1.4, 1.0))
                self.background = None

    def moving(self) -> list:
        return [r for i in (0, 1) for c in self.bars[i] for r in c.patches] + \
            [t for i in (0, 1) for t in self.totals[i]]


# --------------------------------------------------------------------------- headlines
@dataclass(frozen=True)
class Headline:
    title: str
    value: str
    note: str
    kind: str = ""  # a CSS class of its card ("shock-cost": wider, for its longer note)


def _at_month_zero(model: SMEEcosystem, column: str) -> float | None:
    data = model.datacollector.model_vars
    months = data["month"]
    return float(data[column][months.index(0)]) if 0 in months else None


def _change(now: float, then: float | None, percent: bool = False) -> str:
    if then is None:
        return "no month 0 yet"
    if percent:
        return ("n/a since month 0" if then == 0
                else f"{(now / then - 1) * 100:+.1f} % since month 0")
    return f"{now - then:+,.0f} since month 0"


SHOCK_COST_COLUMNS = ("month", "shock_intensity", "total_revenue", "firms_alive")


def shock_cost(model: ExploreModel) -> dict | None:
    """What the shock has cost so far against the model's no-shock twin (analysis/resilience.py:
    output_lost, max_drop, recovery_months, recovered, survival_rate, from the shock's first
    month to this month), or None before the shock or without one."""
    twin = getattr(model, "twin", None)
    if twin is None or model.month < model.first_shock:
        return None
    frames = [pd.DataFrame({c: m.datacollector.model_vars[c] for c in SHOCK_COST_COLUMNS})
              for m in (model, twin)]
    if shock_window(frames[0]) is None:
        return None
    return system_resilience(*frames)


def scores_text(model: SMEEcosystem) -> str:
    """The firms' resilience scores in a line: the mean and the share at the top."""
    s = model.firms
    scores = s.resilience[s.alive]
    if not scores.size:
        return "no firm in business"
    top = float((scores >= TOP_SCORE).mean()) * 100
    return (f"Firms' resilience score {float(scores.mean()):.2f} of 5 on average, "
            f"{top:.0f} % of firms at the top (5 = a year of costs covered, no recent loss)")


def resilience_headline(model: SMEEcosystem) -> Headline:
    """The resilience card: the sales lost so far to the shock against the same economy
    without it, and the months to recover; the scores' mean and share at the top below."""
    title, scores = "Sales lost to the shock so far", scores_text(model)
    first = getattr(model, "first_shock", None)
    if first is None:
        return Headline(title, "no shock", f"This scenario has no shock. {scores}.", "shock-cost")
    cost = shock_cost(model)
    if cost is None:
        return Headline(title, "none yet", f"The shock starts in month {first}; measured "
                        f"against the same economy without it. {scores}.", "shock-cost")
    level = f"{RECOVERY_LEVEL * 100:.0f} %"
    if cost["max_drop"] < (1 - RECOVERY_LEVEL) * 100:
        recovery = f"sales never fell below {level} of that"
    elif cost["recovered"]:
        recovery = (f"sales were back to {level} of that after "
                    f"{cost['recovery_months']:.0f} months")
    else:
        recovery = f"sales are not yet back to {level} of that"
    return Headline(title, f"{cost['output_lost']:.1f} %",
                    f"of what the same economy sells without the shock (dashed in the sales "
                    f"chart), since the shock began in month {first}; {recovery}. {scores}.",
                    "shock-cost")


def headlines(model: SMEEcosystem) -> list[Headline]:
    """The numbers on the cards: this month's state and its change since month 0."""
    r, p = model.report, model.p
    month = int(r["month"]) if model.steps else -p["burn_in"]
    data = model.datacollector.model_vars
    spent = sum(s for m, s in zip(data["month"], data["policy_spend"]) if m >= 1)
    stage = ("warm-up" if month < 0 else "start of the story" if month == 0
             else f"{p['months'] - month} to go" if month < p["months"] else "finished")
    alive, revenue = r["firms_alive"], r["total_revenue"]
    return [
        Headline("Month", f"{month} of {p['months']}", stage),
        Headline("Firms in business", f"{alive:,.0f}",
                 _change(alive, _at_month_zero(model, "firms_alive"))),
        Headline("Sales of all firms", f"{revenue / 1e3:,.1f} million",
                 "USD-equivalent, this month; "
                 + _change(revenue, _at_month_zero(model, "total_revenue"), percent=True)),
        Headline("Partnerships in force", f"{r['alliances_active']:,.0f}",
                 f"{r['firms_in_alliances'] * 100:.0f} % of firms have a partner"),
        Headline("Trust between partners", f"{r['mean_trust']:.2f}",
                 "0 = none, 1 = full"),
        resilience_headline(model),
        Headline("Public money spent", f"{spent / 1e3:,.2f} million",
                 "USD-equivalent, since month 1, all programmes"),
    ]


def identity(model: ExploreModel) -> str:
    """Which model is on the screen: scenario, country, firms at the start, random draw."""
    p = model.p
    return (f"Model on screen: {scenario_title(model.scenario_name)} · "
            f"{country_label(p['country'])} · {p['n_firms']:,} firms at the start · "
            f"random draw {model.seed_value}")


def situation(model: SMEEcosystem) -> str:
    """This month in words: which shocks and programmes are at work."""
    month = model.month
    shocks = sorted({SHOCK_LABELS[s.kind] for s in model.shocks if s.intensity(month) > 0})
    programmes = [name for a, b, name in policy_periods(model) if a <= month <= b]
    return (("Shock under way: " + ", ".join(shocks) if shocks else "No shock this month")
            + ". " + ("Support running: " + "; ".join(programmes) if programmes
                      else "No support programme running") + ".")


# --------------------------------------------------------------------------- components
FIGURES = ("firms", "revenue", "alliances", "trust", "resilience", "spending", "partnerships")


def make_figure(model: SMEEcosystem, name: str) -> LiveFigure:
    return (PartnershipsFigure(model) if name == "partnerships"
            else TimelineFigure(model, CHARTS[name]))


@solara.component
def FigureView(model: SMEEcosystem, name: str, steps: int):
    """One of the page's figures as of month `steps`."""
    figure = solara.use_memo(lambda: make_figure(model, name), [model, name])
    png = solara.use_memo(figure.png, [figure, steps])
    return solara.Image(png, format="png", classes=["live-figure"])


@solara.component
def LiveView(model: SMEEcosystem, counter: solara.Reactive):
    """The cards and figures of the current model, redrawn after every step.

    The only component here that listens to the step counter: Solara renders once per
    listener, so one listener keeps a step to one render of the page.
    """
    counter.get()
    if model.input_error:
        solara.Error(f"These settings are not possible: {model.input_error}. Change them "
                     "on the left.")
        return
    solara.Text(identity(model), classes=["model-identity"],
                style={"font-weight": "600", "display": "block", "margin-bottom": "4px"})
    HeadlineCards(model, model.steps)
    PeriodKey()
    with solara.Div(style={"display": "grid", "gap": "8px", "grid-template-columns":
                           "repeat(auto-fill, minmax(440px, 1fr))"}):
        for name in FIGURES:
            with solara.Div(style={"grid-column": "1 / -1"} if name == "partnerships"
                            else {}):
                FigureView(model, name, model.steps)


@solara.component
def PeriodKey():
    """What the shaded periods of the charts mean (one key for all of them)."""
    def swatch(colour: str, text: str, strip: bool = False):
        with solara.Row(style={"align-items": "center", "gap": "6px"}):
            solara.Div(style={"width": "22px", "height": "6px" if strip else "14px",
                              "background": colour, "border": "1px solid #bbb"})
            solara.Text(text, style={"font-size": "0.9em"})

    with solara.Row(style={"gap": "20px", "flex-wrap": "wrap", "margin": "4px 0"},
                    classes=["period-key"]):
        solara.Text("In the charts:", style={"font-size": "0.9em", "font-weight": "600"})
        swatch(WARM_UP_COLOUR, "warm-up (not counted)")
        swatch(SHOCK_COLOUR, "shock under way")
        swatch(SUPPORT_COLOUR, "support programme running (strip at the top)", strip=True)


@solara.component
def HeadlineCards(model: SMEEcosystem, steps: int):
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
        for h in headlines(model):
            # the shock's cost, with its longer note, on a row of its own under the others
            wide = {"flex": "1 1 100%", "order": "1"} if h.kind == "shock-cost" else {}
            with solara.Card(margin=0, style={"min-width": "125px", "flex": "1", **wide},
                             classes=["headline", *([h.kind] if h.kind else [])]):
                solara.Text(h.title, style={"font-size": "0.85em", "color": "#555"})
                solara.Text(h.value, style={"font-size": "1.5em", "font-weight": "600",
                                            "display": "block"}, classes=["headline-value"])
                solara.Text(h.note, style={"font-size": "0.8em", "color": "#666"})
    solara.Info(situation(model), dense=True, classes=["situation"])


@solara.component
def SettingsHelp():
    """What every setting means: the registry's plain help, grouped like the settings, with
    the range the sidebar offers (the technical notes are in docs/ODD.md, Section 8.1)."""
    with solara.Details("What the settings mean"):
        for group in GROUP_ORDER:
            lines = []
            for p in PARAMS_LIST:
                if p.group != group or p.name in FIXED:
                    continue
                widget = setting_widget(p, p.default)
                if widget["type"].startswith("Slider"):
                    low, high = widget["min"], widget["max"]
                    offered = f"from {low:,g} to {high:,g}"
                    if (low, high) != (p.low, p.high):
                        offered += (" here; more on the Compare page or the command line, "
                                    f"up to {p.high:,g}")
                elif p.name == "country":
                    offered = ", ".join(country_label(c) for c in p.choices)
                else:
                    offered = p.bounds_text
                lines.append(f"- **{param_label(p.name)}**: {p.help} ({offered}; usually "
                             f"{country_label(p.default) if p.name == 'country' else p.default})")
            Markdown(f"#### {GROUP_TITLES[group]}\n" + "\n".join(lines))


PLAY_DELAY = 0.15  # seconds between two months while playing
OPEN_GROUPS = ("population", "policy")  # the settings groups shown open at first


@solara.component
def Controls(model: solara.Reactive, counter: solara.Reactive, playing: solara.Reactive,
             restart, stepping: threading.Lock):
    """Play, pause, one month on, start again: the model's own buttons (Mesa's controller
    has technical settings a reader does not need: play interval, render interval, threads)."""
    def play():
        while playing.value and model.value.running and not model.value.input_error:
            time.sleep(PLAY_DELAY)
            with stepping:
                if not playing.value:
                    break
                model.value.step()
                counter.set(counter.value + 1)
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def play_or_pause():
        if not playing.value:
            playing.set(True)
            return
        playing.set(False)
        with stepping:  # a month under way ends before the page says "paused"
            pass

    def one_month():
        model.value.step()
        counter.set(counter.value + 1)

    done = not model.value.running or model.value.input_error is not None
    with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
        solara.Button("Pause" if playing.value else "Play", icon_name="mdi-pause"
                      if playing.value else "mdi-play", color="primary",
                      on_click=play_or_pause,
                      disabled=done and not playing.value, classes=["play-button"])
        solara.Button("Step one month", color="primary", on_click=one_month,
                      disabled=playing.value or done, classes=["step-button"])
        solara.Button("Start again", on_click=restart, classes=["restart-button"],
                      outlined=True)


def input_for(name: str, widget: dict, value, on_value):
    """A sidebar input for one setting (a registry parameter or the seed)."""
    kind, label = widget["type"], widget["label"]
    if kind == "Select" and name == "country":
        codes = list(widget["values"])
        labels = [country_label(c) for c in codes]
        solara.Select(label, values=labels, value=labels[codes.index(value)],
                      on_value=lambda x: on_value(codes[labels.index(x)]))
    elif kind == "Select":
        solara.Select(label, values=list(widget["values"]), value=value, on_value=on_value)
    elif kind == "Checkbox":
        solara.Checkbox(label=label, value=bool(value), on_value=on_value)
    elif kind == "SliderInt":
        solara.SliderInt(label, value=int(value), min=widget["min"], max=widget["max"],
                         step=widget["step"], on_value=on_value, thumb_label="always")
    else:
        solara.SliderFloat(label, value=float(value), min=widget["min"], max=widget["max"],
                           step=widget["step"], on_value=on_value, thumb_label="always")


@solara.component
def Settings(values: dict, on_change):
    """Every setting of the model on screen, grouped by topic; a change builds the model
    again with it at once, so what the sidebar shows is always the model's settings."""
    widgets = solara.use_memo(lambda: model_params(values["scenario_name"]),
                              [values["scenario_name"]])
    def inputs(names):
        for name in names:
            input_for(name, widgets[name], values[name],
                      lambda x, name=name: on_change(name, x))

    shown = [n for n, w in widgets.items() if isinstance(w, dict)]
    inputs([n for n in shown if n not in PARAMS])  # the random draw
    for group in GROUP_ORDER:
        names = [n for n in shown if n in PARAMS and PARAMS[n].group == group]
        if names:
            with solara.Details(GROUP_TITLES[group], expand=group in OPEN_GROUPS):
                inputs(names)


@solara.component
def ExplorePage():
    scenarios = solara.use_memo(list_scenarios, [])
    descriptions = dict(scenarios)
    # this browser session's settings and model, built here and kept by the session while
    # its user is on another page; never shared with another session
    kept = use_session().explore
    if kept.get("values") is None:
        kept["values"] = start_values(DEFAULT_SCENARIO)
    values = solara.use_reactive(kept["values"],
                                 on_change=lambda v: kept.__setitem__("values", v))
    if kept.get("model") is None or kept.get("built") != kept["values"]:
        kept["model"], kept["built"] = build_model(kept["values"]), kept["values"]
    model = solara.use_reactive(kept["model"], on_change=lambda m: kept.__setitem__("model", m))
    counter = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    stepping = solara.use_memo(threading.Lock, [])  # held while the play thread steps

    def rebuild(new: dict) -> None:
        """Stop playing and put the model of exactly `new` on the screen."""
        playing.set(False)
        with stepping:  # no month of the old model goes on during the swap
            built = build_model(new)
            kept["built"] = new
            values.set(new)
            model.set(built)
        counter.set(counter.value + 1)

    def pick(name: str) -> None:
        if name != values.value["scenario_name"]:
            rebuild(start_values(name))

    def change(name: str, value) -> None:
        if values.value.get(name) != value:
            rebuild({**values.value, name: value})

    name = values.value["scenario_name"]
    solara.Title("Explore - SME alliance ecosystem")
    with solara.Sidebar():
        with solara.Card("Run the model", margin=0):
            Controls(model, counter, playing, lambda: rebuild(dict(values.value)), stepping)
            solara.Text("Changing a setting below starts the model again from month 0 "
                        "with it.", style={"font-size": "0.85em", "color": "#555"})
        with solara.Card("Settings of the model on screen", margin=0):
            Settings(values.value, change)
    with solara.Column(style={"padding": "8px"}):
        Markdown(
            "Watch one possible future of a community of small and medium-sized firms that "
            "team up, keep or end partnerships, and face shocks and public support. Pick a "
            "**scenario**, then press **Step one month** or **Play**. Every setting on the "
            "left is the model's: changing one starts the model again from month 0.")
        with solara.Row(style={"align-items": "center", "gap": "12px"}):
            titles = shipped_titles()
            by_title = {t: n for n, t in titles.items()}
            solara.Select("Scenario", values=list(by_title), value=titles.get(name, name),
                          on_value=lambda t: pick(by_title[t]), style={"max-width": "520px"},
                          classes=["scenario-picker"])
            solara.Text(descriptions.get(name, ""), style={"flex": "1"})
        LiveView(model.value, counter)
        SettingsHelp()
