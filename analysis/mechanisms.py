"""Mechanism checks: does the model carry the evidence it is built on (issue 21)?

Five checks, each measured on model runs and judged against a stated criterion. They
measure whatever mechanisms the model has; nothing here changes the model.

(a) *Alliances and recovery.* Among the firms a recession hits, do loss depth and months
    to recover fall with the number and the age of the alliances a firm holds when the
    shock starts? OLS slopes (statsmodels, heteroskedasticity-robust HC1 errors) with
    their 95 % intervals, on the firms of every run pooled, with sector, country, size
    class and run as controls. Pass: the interval lies below 0.
(b) *Alliances and survival.* Of the firms hit, are those allied at the shock's start
    more often alive at its end? The difference of the two shares (allied minus not
    allied) with a 95 % interval. Pass: the interval lies above 0.
(c) *Credit guarantee.* Does `recession_with_credit_guarantee` have fewer bankruptcies and
    less output lost against its no-shock twin than `recession`, with the same seeds? The
    paired 95 % interval of the difference (analysis.point.evaluate: the numbers `run.py
    compare` reports). Pass: the interval lies below 0.
(d) *A recession is one.* Revenue growth over the 12 months from the shock start against
    the 12 months before (total revenue of all firms; and of the firms of each sector):
    `recession` minus `baseline`, same seeds, paired 95 % interval. Pass: below 0.
(e) *Growth decomposition* (reported, not judged): the survey scenario's mean annual
    revenue growth as it is, with `demand_growth = 0` and with `max_alliances = 0` (the
    registry's switch that keeps firms from ever teaming up), and the differences, paired
    by seed.

Definitions for (a) and (b) (`track_firms`, `firm_outcomes`). The shock window is the
first to the last horizon month in which any shock's intensity is above 0. The firms are
recorded *at the shock's start*: the state at the end of the month before the window's
first month, i.e. what each firm holds when the shock arrives: its uid, its alliances
(`n_alliances`; the mean and the largest age in months of those it holds, age = model
steps - the alliance's start step), its trend revenue (the 12-month average, its
pre-shock level), sector, country, size class, and whether a shock active in the window
has it in scope. From the window's first month to the horizon's end, each month, each
firm's revenue / pre-shock trend (float32; a firm is followed by its uid, so a row reused
by an entrant after the firm's exit is not counted):

- depth: the largest 1 - revenue / trend over the window's months, at least 0;
- months to recover: from the shock start to the first month, at or after the deepest
  month of the window, with revenue >= 95 % of the pre-shock trend (0 if revenue never
  fell below that in the window). A firm alive at the horizon's end that has not
  recovered is *censored*: it gets the months to the end plus one, and the censored share
  is reported. A firm that exits before it recovers has no months to recover;
- alive at the shock's end: alive (same uid) in the window's last month.

Depth and months are regressed on the firms alive at the shock's end (the whole window
observed); exits are what (b) measures. The age regression uses the allied firms (an age
needs an alliance); the joint one all firms, with age 0 for the firms without.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.params import defaults
from simulation.params import validate as validate_params
from simulation.regions import SECTORS
from simulation.scenario import Scenario, load_scenario

from .compare import Interval, mean_ci, paired_ci
from .resilience import RECOVERY_LEVEL
from .survey import firm_labels

RECESSION = "recession"
GUARANTEE = "recession_with_credit_guarantee"
BASELINE = "baseline"
SURVEY = "survey_calibration"
CHECKS = ("a", "b", "c", "d", "e")
CHECK_TITLES = {
    "a": "Alliances and recovery: loss depth and months to recover",
    "b": "Alliances and survival through the shock",
    "c": "Credit guarantee against the recession",
    "d": "The recession's shock-year revenue growth against the baseline",
    "e": "Growth decomposition of the survey scenario",
}
DEFAULT_FIRMS = 1000
DEFAULT_REPS = 5
# the (a) to (d) runs' horizon: two years before the recession, its year, its year of
# recovery and one more (scenarios/recession.toml: months 24 to 47); the later years only
# add the runs' own divergence to what is compared
DEFAULT_MONTHS = 60
YEAR = 12
LEVEL = 0.95
OUTCOMES_C = ("bankruptcies", "output_lost")
# the variants of (e): label -> registry parameters over the survey scenario's
VARIANTS = {"as_is": {}, "no_demand_growth": {"demand_growth": 0.0},
            "no_alliances": {"max_alliances": 0}}


# --------------------------------------------------------------------------- shock window
def shock_window(shocks, months: int) -> tuple[int, int] | None:
    """(first, last) horizon month (1..months) in which any shock's intensity is > 0."""
    active = [m for m in range(1, months + 1) if any(s.intensity(m) > 0 for s in shocks)]
    return (active[0], active[-1]) if active else None


# --------------------------------------------------------------------------- one run
@dataclass
class FirmPanel:
    """The firms alive at the shock's start and their revenue from then on."""

    start: int  # first month of the shock window
    last: int  # last month of the shock window
    end: int  # last horizon month
    firms: pd.DataFrame  # one row per firm: attributes at the shock's start
    relative: np.ndarray  # float32 (end - start + 1, firms): revenue / pre-shock trend, NaN
    # once the firm has exited


@dataclass
class Run:
    """One model run stepped by `track_firms`."""

    scenario: str
    seed: int
    frame: pd.DataFrame  # the monthly reporters, every step (burn-in included)
    sector_revenue: pd.DataFrame  # total revenue of the firms of each sector, by month
    panel: FirmPanel | None = None
    window: tuple[int, int] | None = None


def _snapshot(model, window: tuple[int, int]) -> tuple[np.ndarray, pd.DataFrame]:
    """The living firms' rows and their attributes at the shock's start."""
    s, book = model.firms, model.alliances.book
    rows = np.flatnonzero(s.alive & (s.trend > 0))
    ids = s.alliances[rows]
    held = ids >= 0
    count = held.sum(axis=1)
    start = book.start[np.where(held, ids, 0)] if book.n else np.zeros(ids.shape, np.int32)
    age = np.where(held, model.steps - start, 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_age = np.where(count > 0, age.sum(axis=1) / count, np.nan)
    max_age = np.where(count > 0, age.max(axis=1), np.nan)
    hit = np.zeros(rows.size, dtype=bool)
    first, last = window
    for i, shock in enumerate(model.shocks):
        if any(shock.intensity(m) > 0 for m in range(first, last + 1)):
            hit |= shock.in_scope(s.sector[rows], s.region[rows], s.key[rows], i)
    labels = firm_labels(s, rows)
    firms = pd.DataFrame({
        "uid": labels["uid"].astype(np.int64),
        "row": rows.astype(np.int64),
        "sector": labels["sector"],
        "country": labels["country"],
        "size_class": labels["size_class"],
        "n_alliances": s.n_alliances[rows].astype(int),
        "mean_alliance_age": mean_age,
        "max_alliance_age": max_age,
        "trend": s.trend[rows].astype(float),
        "hit": hit,
    })
    return rows, firms


def track_firms(scenario: str | Scenario, seed: int, params: dict | None = None,
                window: tuple[int, int] | None = None, track: bool = True) -> Run:
    """Run `scenario` with `seed` to its end, recording the reporters, each sector's total
    revenue every month and (with `track` and a shock in the horizon) the firm panel of
    the module's definitions. `window`: the shock window to measure against (default: the
    run's own; give the shocked scenario's to measure its no-shock twin in the same
    months)."""
    from simulation import SMEEcosystem

    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    model = SMEEcosystem(rng=seed, scenario=scen, **(params or {}))
    s = model.firms
    own = shock_window(model.shocks, model.p["months"])
    window = window or own
    months, sector_rows = [], []
    record = track and own is not None
    rows = uid0 = trend0 = relative = valid = firms = None

    def snapshot_now():
        nonlocal rows, uid0, trend0, relative, valid, firms
        rows, firms = _snapshot(model, window)
        uid0 = s.uid[rows].copy()
        trend0 = s.trend[rows].astype(float)
        relative = np.full((model.p["months"] - window[0] + 1, rows.size), np.nan,
                           dtype=np.float32)
        valid = np.ones(rows.size, dtype=bool)

    if record and model.month == window[0] - 1:
        snapshot_now()
    while model.running:
        model.step()
        alive = s.alive
        months.append(model.month)
        sector_rows.append(np.bincount(s.sector[alive], weights=s.revenue[alive],
                                       minlength=len(SECTORS)))
        if rows is not None and model.month >= window[0]:
            valid &= s.alive[rows] & (s.uid[rows] == uid0)
            relative[model.month - window[0]] = np.where(valid, s.revenue[rows] / trend0,
                                                         np.nan)
        if record and rows is None and model.month == window[0] - 1:
            snapshot_now()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    sectors = pd.DataFrame(sector_rows, index=pd.Index(months, name="month"), columns=SECTORS)
    name = scen.name
    panel = None
    if rows is not None:
        panel = FirmPanel(window[0], window[1], model.p["months"], firms, relative)
    return Run(name, seed, frame, sectors, panel, window)


# --------------------------------------------------------------------------- per firm
def firm_outcomes(relative: np.ndarray, window_months: int,
                  level: float = RECOVERY_LEVEL) -> pd.DataFrame:
    """Depth, months to recover and survival of each firm from its revenue / pre-shock
    trend (`relative`: months x firms, month 0 the shock start, NaN once the firm has
    exited); `window_months`: months in the shock window. See the module's definitions."""
    rel = np.asarray(relative, dtype=float)
    if rel.ndim != 2 or not 1 <= window_months <= rel.shape[0]:
        raise ValueError("relative must be months x firms, with the window inside it")
    t_total, _n = rel.shape
    win = rel[:window_months]
    seen = np.isfinite(win)
    drop = np.where(seen, 1.0 - win, -np.inf)
    trough = drop.argmax(axis=0)
    depth = np.where(seen.any(axis=0), np.maximum(drop.max(axis=0), 0.0), np.nan)
    fell = (seen & (win < level)).any(axis=0)
    months = np.arange(t_total)[:, None]
    back = np.isfinite(rel) & (rel >= level) & (months >= trough[None, :])
    has = back.any(axis=0)
    first = back.argmax(axis=0)
    alive_end = np.isfinite(rel[-1])
    alive_shock_end = np.isfinite(win[-1])
    recovered = ~fell | has
    censored = fell & ~has & alive_end
    value = np.where(~fell, 0.0, np.where(has, first.astype(float), np.nan))
    value = np.where(censored, float(t_total), value)
    return pd.DataFrame({"depth": depth, "months_to_recover": value, "recovered": recovered,
                         "censored": censored, "alive_shock_end": alive_shock_end,
                         "alive_end": alive_end})


def panel_table(run: Run) -> pd.DataFrame:
    """One row per firm tracked in `run`: attributes at the shock's start and outcomes."""
    p = run.panel
    out = firm_outcomes(p.relative, p.last - p.start + 1)
    table = pd.concat([p.firms.reset_index(drop=True), out], axis=1)
    table.insert(0, "run", run.seed)
    return table


# --------------------------------------------------------------------------- statistics
def _controls(data: pd.DataFrame) -> list[str]:
    return [f"C({c})" for c in ("sector", "country", "size_class", "run")
            if c in data and data[c].nunique() > 1]


NAN_SLOPE = {"slope": np.nan, "low": np.nan, "high": np.nan, "p": np.nan, "n": 0}


def ols_slopes(data: pd.DataFrame, y: str, xs: list[str]) -> dict[str, dict]:
    """OLS of `y` on `xs` and the controls (sector, country, size class, run: those with
    more than one level), HC1 errors: {x: slope, low, high (95 %), p, n}."""
    import statsmodels.formula.api as smf

    cols = [y, *xs, *[c for c in ("sector", "country", "size_class", "run") if c in data]]
    d = data[cols].replace([np.inf, -np.inf], np.nan).dropna()
    if len(d) < len(xs) + 3 or any(d[x].nunique() < 2 for x in xs):
        return {x: {**NAN_SLOPE, "n": int(len(d))} for x in xs}
    formula = f"{y} ~ " + " + ".join([*xs, *_controls(d)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.ols(formula, data=d).fit(cov_type="HC1")
        ci = fit.conf_int(alpha=1 - LEVEL)
    return {x: {"slope": float(fit.params[x]), "low": float(ci.loc[x, 0]),
                "high": float(ci.loc[x, 1]), "p": float(fit.pvalues[x]), "n": int(fit.nobs)}
            for x in xs}


def _interval(ci: Interval) -> dict:
    return {"mean": ci.mean, "low": ci.low, "high": ci.high, "n": ci.n}


def _mean(x) -> float:
    x = np.asarray(x, dtype=float)
    return float(x[np.isfinite(x)].mean()) if np.isfinite(x).any() else np.nan


def below_zero(d: dict) -> bool:
    return bool(np.isfinite(d["high"]) and d["high"] < 0)


def above_zero(d: dict) -> bool:
    return bool(np.isfinite(d["low"]) and d["low"] > 0)


# --------------------------------------------------------------------------- (a), (b)
def alliance_recovery(firms: pd.DataFrame) -> dict:
    """(a) on a table of `panel_table` rows (any number of runs): the slopes of depth and
    months to recover on the number and the mean age of alliances, each alone and
    jointly, among the firms hit and alive at the shock's end."""
    d = firms[firms["hit"] & firms["alive_shock_end"]].copy()
    d["age_or_0"] = d["mean_alliance_age"].fillna(0.0)
    allied = d[d["n_alliances"] > 0]
    out = {"n_hit": int(firms["hit"].sum()), "n": int(len(d)), "allied_share":
           float((d["n_alliances"] > 0).mean()) if len(d) else np.nan}
    for y in ("depth", "months_to_recover"):
        dd = d[np.isfinite(d[y])]
        joint = ols_slopes(dd, y, ["n_alliances", "age_or_0"])
        out[y] = {
            "mean": float(dd[y].mean()) if len(dd) else np.nan,
            "n_alliances": ols_slopes(dd, y, ["n_alliances"])["n_alliances"],
            "mean_alliance_age": ols_slopes(allied[np.isfinite(allied[y])], y,
                                            ["mean_alliance_age"])["mean_alliance_age"],
            "joint": {"n_alliances": joint["n_alliances"],
                      "mean_alliance_age": joint["age_or_0"]},
        }
    rec = d[np.isfinite(d["months_to_recover"])]
    out["months_to_recover"]["censored_share"] = (float(rec["censored"].mean()) if len(rec)
                                                  else np.nan)
    out["exited_before_recovering"] = int((~d["recovered"] & ~d["alive_end"]).sum())
    out["passed"] = {f"{y}~{x}": below_zero(out[y][x]) for y in ("depth", "months_to_recover")
                     for x in ("n_alliances", "mean_alliance_age")}
    return out


def alliance_survival(firms: pd.DataFrame) -> dict:
    """(b): shares alive at the shock's end of the firms hit, allied or not at its start;
    their difference with a 95 % (Wald) interval over the pooled firms, the same
    difference per run with a t-interval over runs, and a linear probability model's
    slope of `allied` with the controls."""
    from scipy import stats

    d = firms[firms["hit"]].copy()
    d["allied"] = (d["n_alliances"] > 0).astype(int)
    d["alive"] = d["alive_shock_end"].astype(int)
    a, n = d[d["allied"] == 1]["alive"], d[d["allied"] == 0]["alive"]
    out = {"n_allied": int(len(a)), "n_not_allied": int(len(n))}
    pa = float(a.mean()) if len(a) else np.nan
    pn = float(n.mean()) if len(n) else np.nan
    out.update(share_allied=pa, share_not_allied=pn)
    if len(a) and len(n):
        se = np.sqrt(pa * (1 - pa) / len(a) + pn * (1 - pn) / len(n))
        z = float(stats.norm.ppf(0.5 + LEVEL / 2))
        diff = pa - pn
        out["difference"] = {"mean": diff, "low": diff - z * se, "high": diff + z * se}
    else:
        out["difference"] = {"mean": np.nan, "low": np.nan, "high": np.nan}
    per_run = d.groupby("run").apply(
        lambda g: g.loc[g["allied"] == 1, "alive"].mean() - g.loc[g["allied"] == 0,
                                                                  "alive"].mean(),
        include_groups=False)
    out["per_run"] = [float(v) for v in per_run]
    out["over_runs"] = _interval(mean_ci(per_run.to_numpy()))
    out["with_controls"] = ols_slopes(d, "alive", ["allied"])["allied"]
    out["passed"] = above_zero(out["difference"])
    return out


# --------------------------------------------------------------------------- (c), (d), (e)
def credit_guarantee(seeds: list[int], params: dict, progress=None) -> dict:
    """(c): bankruptcies and output lost of `recession` and `recession_with_credit_guarantee`
    per seed (analysis.point.evaluate), and the paired differences (guarantee minus
    recession)."""
    from .point import InertSettingWarning, evaluate

    rows = {GUARANTEE: [], RECESSION: []}
    for seed in seeds:
        for name in rows:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InertSettingWarning)
                rows[name].append(evaluate(params, scenario=name, seed=seed,
                                           outcomes=list(OUTCOMES_C)))
            if progress is not None:
                progress.update(2)  # the run and its no-shock twin
    out = {}
    for o in OUTCOMES_C:
        g = np.array([r[o] for r in rows[GUARANTEE]])
        r = np.array([r[o] for r in rows[RECESSION]])
        diff = _interval(paired_ci(g, r))
        out[o] = {"recession": r.tolist(), "guarantee": g.tolist(),
                  "recession_mean": float(r.mean()), "guarantee_mean": float(g.mean()),
                  "difference": diff, "passed": below_zero(diff)}
    out["passed"] = all(out[o]["passed"] for o in OUTCOMES_C)
    return out


def shock_year_growth(sector_revenue: pd.DataFrame, start: int) -> dict[str, float]:
    """Revenue growth in % of the 12 months from `start` against the 12 months before:
    all firms ("total") and each sector's; NaN where a month is missing."""
    before = list(range(start - YEAR, start))
    after = list(range(start, start + YEAR))
    table = sector_revenue.assign(total=sector_revenue.sum(axis=1))
    if not set(before + after) <= set(table.index):
        return dict.fromkeys(table.columns, np.nan)
    b, a = table.loc[before].sum(), table.loc[after].sum()
    return {c: float((a[c] / b[c] - 1.0) * 100.0) if b[c] > 0 else np.nan
            for c in table.columns}


def recession_growth(recessions: list[Run], baselines: list[Run]) -> dict:
    """(d): shock-year growth of each recession run and its same-seed baseline, and the
    paired difference (recession minus baseline), for all firms and each sector."""
    out = {}
    start = recessions[0].window[0]
    gr = [shock_year_growth(r.sector_revenue, r.window[0]) for r in recessions]
    gb = [shock_year_growth(b.sector_revenue, start) for b in baselines]
    for key in ("total", *SECTORS):
        r = np.array([g[key] for g in gr])
        b = np.array([g[key] for g in gb])
        diff = _interval(paired_ci(r, b))
        out[key] = {"recession": r.tolist(), "baseline": b.tolist(),
                    "recession_mean": _mean(r), "baseline_mean": _mean(b),
                    "difference": diff, "passed": below_zero(diff)}
    out["shock_start"] = start
    out["passed"] = out["total"]["passed"]
    return out


def survey_growth(seed: int, params: dict) -> dict:
    """The survey scenario's revenue growth in its survey year with `params`: the mean of
    the eligible firms' annual revenue growth weighted by their chance of being sampled
    (the Table 1 mean the survey's sample has in expectation), the aggregate growth of
    all firms' revenue (survey year against the previous year), and alliances formed."""
    from simulation import SMEEcosystem

    from .survey import design_weights, measure, observe

    obs = observe(SMEEcosystem(rng=seed, scenario=SURVEY, **params))
    eligible = measure(obs.firms)
    w = design_weights(eligible).to_numpy()
    g = eligible["annual_revenue_growth_pct"].to_numpy(dtype=float)
    h = obs.frame[obs.frame["month"] >= 1]["total_revenue"].to_numpy()
    return {"firm_mean": float(np.average(g, weights=w)) if w.sum() > 0 else np.nan,
            "aggregate": float((h[-YEAR:].sum() / h[-2 * YEAR:-YEAR].sum() - 1.0) * 100.0),
            "alliances_formed": int(obs.frame["alliances_formed"].sum()),
            "eligible": int(len(eligible))}


def growth_decomposition(seeds: list[int], params: dict,
                         progress=None) -> dict:
    """(e): survey_growth of the survey scenario as is, with demand_growth = 0 and with
    max_alliances = 0 per seed; the parts: market growth (as is minus no demand growth)
    and alliances (as is minus no alliances), paired by seed."""
    per = {v: [] for v in VARIANTS}
    for seed in seeds:
        for v, extra in VARIANTS.items():
            per[v].append(survey_growth(seed, {**params, **extra}))
            if progress is not None:
                progress.update(1)
    out = {"variants": {}}
    for v in VARIANTS:
        out["variants"][v] = {
            "params": VARIANTS[v],
            **{k: _interval(mean_ci([r[k] for r in per[v]])) for k in ("firm_mean",
                                                                        "aggregate")},
            "alliances_formed": [r["alliances_formed"] for r in per[v]],
        }
    out["parts"] = {}
    for part, other in (("market", "no_demand_growth"), ("alliances", "no_alliances")):
        out["parts"][part] = {
            k: _interval(paired_ci([r[k] for r in per["as_is"]], [r[k] for r in per[other]]))
            for k in ("firm_mean", "aggregate")}
    off = out["variants"]["no_alliances"]["alliances_formed"]
    out["alliances_switched_off"] = bool(all(x == 0 for x in off))
    return out


# --------------------------------------------------------------------------- all checks
@dataclass
class Checks:
    results: dict
    firms: pd.DataFrame = field(default_factory=pd.DataFrame)


def check_seeds(seeds) -> list[int]:
    from .runner import check_seed

    seeds = list(seeds)
    if not seeds:
        raise UserError("--seeds: none given; give at least one seed")
    return [check_seed(int(s), "--seeds") for s in seeds]


def check_inputs(seeds, n_firms: int, params: dict | None, survey_params: dict | None,
                 checks) -> tuple[list[int], list[str], dict, dict]:
    """Everything `run_checks` is given, checked (UserError naming the flag and the fix)
    before any model runs: seeds, check letters, parameters, a shock in the horizon."""
    from .runner import has_shock

    seeds = check_seeds(seeds)
    asked = set(checks)
    if asked - set(CHECKS) or not asked:
        raise UserError(f"--checks {','.join(sorted(map(str, asked)))}: expected letters from "
                        f"{','.join(CHECKS)}, e.g. --checks a,b")
    checks = [c for c in CHECKS if c in asked]
    if isinstance(n_firms, bool) or not isinstance(n_firms, int) or n_firms < 1:
        raise UserError(f"--firms {n_firms}: must be a whole number, at least 1")
    params = validate_params({**(params or {}), "n_firms": n_firms})
    survey_params = validate_params(survey_params or {})
    recession = load_scenario(RECESSION)
    resolved = {**defaults(), **recession.params, **params}
    if set(checks) & {"a", "b", "c", "d"} and not has_shock(recession, resolved):
        raise UserError(f"--set months={resolved['months']}: the recession (from month "
                        f"{min(s.start for s in recession.shocks)}) is not in the horizon; give "
                        "more months or an earlier --set shock_start=M")
    if "e" in checks:
        months = {**defaults(), **load_scenario(SURVEY).params, **survey_params}["months"]
        if months < 2 * YEAR:
            raise UserError(f"--set months={months}: the survey scenario (check e) needs at "
                            f"least {2 * YEAR} months")
    return seeds, checks, params, survey_params


def run_checks(seeds: list[int], n_firms: int = DEFAULT_FIRMS, params: dict | None = None,
               survey_params: dict | None = None, checks=CHECKS,
               quiet: bool = True, *, burn_in: int | None = None,
               months: int | None = None) -> Checks:
    """Every check asked for, on the model runs it needs (each with every seed).

    Args:
        seeds: the model seeds; run i of every scenario uses seeds[i] (paired).
        n_firms: firms of the recession, guarantee and baseline runs ((a) to (d)).
        params: registry parameters for those runs (e.g. burn_in, months, shock_start).
        burn_in, months: shorthands for those two parameters of the (a) to (d) runs
            (months: DEFAULT_MONTHS unless given).
        survey_params: registry parameters for the survey scenario's runs ((e); its own
            n_firms unless given).
        checks: which of "a" to "e".
    Returns:
        Checks: `results` (JSON-ready apart from NaN: {check: figures, "passed"}, and
        "run" with the settings) and `firms` (the (a)/(b) per-firm table, every run).
    """
    from tqdm import tqdm

    params = dict(params or {})
    for name, value in (("burn_in", burn_in), ("months", months)):
        if value is not None:
            params[name] = value
    params.setdefault("months", DEFAULT_MONTHS)
    seeds, checks, params, survey_params = check_inputs(seeds, n_firms, params,
                                                        survey_params, checks)
    runs = len(seeds) * (("a" in checks or "b" in checks or "d" in checks)
                         + ("d" in checks) + 4 * ("c" in checks) + 3 * ("e" in checks))
    bar = tqdm(total=runs, desc="mechanism checks", unit="run", disable=quiet,
               file=sys.stderr, leave=False)
    started = time.perf_counter()
    res: dict = {}
    firms = pd.DataFrame()
    try:
        if set(checks) & {"a", "b", "d"}:
            recs, bases = [], []
            for seed in seeds:
                recs.append(track_firms(RECESSION, seed, params))
                bar.update(1)
                if "d" in checks:
                    bases.append(track_firms(BASELINE, seed, params, window=recs[-1].window,
                                             track=False))
                    bar.update(1)
            firms = pd.concat([panel_table(r) for r in recs], ignore_index=True)
            if "a" in checks:
                res["a"] = alliance_recovery(firms)
            if "b" in checks:
                res["b"] = alliance_survival(firms)
            if "d" in checks:
                res["d"] = recession_growth(recs, bases)
            res["window"] = list(recs[0].window)
        if "c" in checks:
            res["c"] = credit_guarantee(seeds, params, bar)
        if "e" in checks:
            res["e"] = growth_decomposition(seeds, survey_params, bar)
    finally:
        bar.close()
    res["run"] = {"seeds": seeds, "n_firms": n_firms, "params": params,
                  "survey_params": survey_params, "checks": checks,
                  "seconds": round(time.perf_counter() - started, 2)}
    return Checks(res, firms)


# --------------------------------------------------------------------------- reports
def _n(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:+,.{digits}f}"


def _ci(d: dict, digits: int = 3) -> str:
    return f"{_n(d.get('mean', d.get('slope')), digits)} [{_n(d['low'], digits)}, " \
           f"{_n(d['high'], digits)}]"


def _v(ok: bool, figure: dict | None = None) -> str:
    """pass, FAIL, or n/a where the figure's interval could not be computed."""
    if figure is not None and not all(np.isfinite(figure.get(k, np.nan)) for k in ("low",
                                                                                "high")):
        return "n/a"
    return "pass" if ok else "FAIL"


def markdown_section(res: dict, level: int = 2) -> str:
    """The "Mechanism checks" section (markdown) of the results of `run_checks`."""
    h = "#" * level
    run = res["run"]
    out = [f"{h} Mechanism checks", "",
           f"{len(run['seeds'])} runs per scenario (seeds {run['seeds']}), {run['n_firms']:,} "
           "firms" + (f", parameters {run['params']}" if set(run["params"]) - {"n_firms"}
                      else "") + ". 95 % intervals; how each figure is defined: "
           "analysis/mechanisms.py and docs/ODD.md, Section 10.3.", ""]
    if "window" in res:
        out += [f"Shock window: horizon months {res['window'][0]} to {res['window'][1]}.", ""]
    if "a" in res:
        a = res["a"]
        out += [f"{h}# (a) {CHECK_TITLES['a']}", "",
                f"Firms hit and alive at the shock's end: {a['n']:,} (of {a['n_hit']:,} hit; "
                f"{a['allied_share']:.0%} allied at the start). Criterion: the slope's interval "
                "below 0. Mean depth " + f"{a['depth']['mean']:.3f}, mean months to recover "
                + f"{a['months_to_recover']['mean']:.1f} (censored share "
                + f"{a['months_to_recover']['censored_share']:.2f}; exited before recovering: "
                f"{a['exited_before_recovering']}).", "",
                "| outcome | regressor | slope [95 % CI] | p | n | joint slope [95 % CI] "
                "| verdict |", "|---|---|---|---|---|---|---|"]
        for y in ("depth", "months_to_recover"):
            for x in ("n_alliances", "mean_alliance_age"):
                s, j = a[y][x], a[y]["joint"][x]
                out.append(f"| {y} | {x} | {_ci(s, 4)} | {_p(s['p'])} | {s['n']:,} "
                           f"| {_ci(j, 4)} | {_v(a['passed'][f'{y}~{x}'], s)} |")
        out.append("")
    if "b" in res:
        b = res["b"]
        out += [f"{h}# (b) {CHECK_TITLES['b']}", "",
                "Share of the firms hit that are alive at the shock's end. Criterion: the "
                "difference's interval above 0.", "",
                "| allied at start | not allied | difference [95 % CI] | per run, mean "
                "[95 % CI] | with controls [95 % CI] | verdict |",
                "|---|---|---|---|---|---|",
                f"| {b['share_allied']:.4f} (n {b['n_allied']:,}) | {b['share_not_allied']:.4f} "
                f"(n {b['n_not_allied']:,}) | {_ci(b['difference'], 4)} "
                f"| {_ci(b['over_runs'], 4)} | {_ci(b['with_controls'], 4)} "
                f"| {_v(b['passed'], b['difference'])} |", ""]
    if "c" in res:
        c = res["c"]
        out += [f"{h}# (c) {CHECK_TITLES['c']}", "",
                f"`{GUARANTEE}` minus `{RECESSION}`, paired by seed; output lost against each "
                "run's no-shock twin (analysis/resilience.py). Criterion: interval below 0.", "",
                "| outcome | recession | with guarantee | difference [95 % CI] | verdict |",
                "|---|---|---|---|---|"]
        for o in OUTCOMES_C:
            r = c[o]
            out.append(f"| {o} | {r['recession_mean']:,.2f} | {r['guarantee_mean']:,.2f} "
                       f"| {_ci(r['difference'], 2)} | {_v(r['passed'], r['difference'])} |")
        out.append("")
    if "d" in res:
        d = res["d"]
        out += [f"{h}# (d) {CHECK_TITLES['d']}", "",
                f"Revenue growth (%) of months {d['shock_start']} to {d['shock_start'] + 11} "
                f"against months {d['shock_start'] - 12} to {d['shock_start'] - 1}, "
                f"`{RECESSION}` minus `{BASELINE}`, paired by seed. Criterion: interval below 0.",
                "", "| firms | recession | baseline | difference [95 % CI] | verdict |",
                "|---|---|---|---|---|"]
        for key in ("total", *SECTORS):
            r = d[key]
            out.append(f"| {'all' if key == 'total' else key} | {r['recession_mean']:.2f} "
                       f"| {r['baseline_mean']:.2f} | {_ci(r['difference'], 2)} "
                       f"| {_v(r['passed'], r['difference'])} |")
        out.append("")
    if "e" in res:
        e = res["e"]
        out += [f"{h}# (e) {CHECK_TITLES['e']}", "",
                f"`{SURVEY}`, survey year against the previous year: the firms' mean annual "
                "revenue growth (%, weighted as the survey's sample, Table 1's mean in "
                "expectation) and the growth of all firms' revenue. Reported, not judged.", "",
                "| variant | firms' mean [95 % CI] | all firms' revenue [95 % CI] "
                "| alliances formed |", "|---|---|---|---|"]
        for v, r in e["variants"].items():
            label = {"as_is": "as is", "no_demand_growth": "demand_growth = 0",
                     "no_alliances": "max_alliances = 0"}[v]
            out.append(f"| {label} | {_ci(r['firm_mean'], 2)} | {_ci(r['aggregate'], 2)} "
                       f"| {', '.join(str(x) for x in r['alliances_formed'])} |")
        for part, label in (("market", "market growth (as is minus demand_growth = 0)"),
                            ("alliances", "alliances (as is minus max_alliances = 0)")):
            r = e["parts"][part]
            out.append(f"| part: {label} | {_ci(r['firm_mean'], 2)} | {_ci(r['aggregate'], 2)} "
                       "| |")
        if not e["alliances_switched_off"]:
            out += ["", "max_alliances = 0 did not keep every alliance from forming: the "
                    "alliances part is not cleanly measured."]
        out.append("")
    return "\n".join(out)


def _p(p) -> str:
    if p is None or not np.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_summary(res: dict) -> str:
    """The short summary `run.py mechanisms` prints."""
    run = res["run"]
    k = len(run["seeds"])
    lines = [f"Mechanism checks: {k} run{'s' if k != 1 else ''} per scenario, "
             f"{run['n_firms']:,} firms ({run['seconds']:.1f} s)"]
    if "a" in res:
        a = res["a"]
        for y in ("depth", "months_to_recover"):
            for x in ("n_alliances", "mean_alliance_age"):
                s = a[y][x]
                lines.append(f"  (a) {y} ~ {x:<18} {_ci(s, 4):<36} n {s['n']:<6,} "
                             f"{_v(a['passed'][f'{y}~{x}'], s)}")
    if "b" in res:
        b = res["b"]
        lines.append(f"  (b) alive at shock end, allied {b['share_allied']:.3f} vs not "
                     f"{b['share_not_allied']:.3f}: {_ci(b['difference'], 4)} "
                     f"{_v(b['passed'], b['difference'])}")
    if "c" in res:
        for o in OUTCOMES_C:
            r = res["c"][o]
            lines.append(f"  (c) {o:<13} guarantee - recession {_ci(r['difference'], 2)} "
                         f"{_v(r['passed'], r['difference'])}")
    if "d" in res:
        for key in ("total", *SECTORS):
            r = res["d"][key]
            lines.append(f"  (d) shock-year growth {key:<13} recession - baseline "
                         f"{_ci(r['difference'], 2)} {_v(r['passed'], r['difference'])}")
    if "e" in res:
        e = res["e"]
        lines.append("  (e) survey growth: as is " + _ci(e["variants"]["as_is"]["firm_mean"], 2)
                     + "; demand_growth 0 " + _ci(e["variants"]["no_demand_growth"]["firm_mean"],
                                                  2)
                     + "; max_alliances 0 " + _ci(e["variants"]["no_alliances"]["firm_mean"], 2))
    return "\n".join(lines)


def mechanisms(out=None, firms: int | None = None, reps: int = DEFAULT_REPS, seed: int = 42,
               seeds: list[int] | None = None, checks=CHECKS, assignments=None,
               survey_firms: int | None = None, force: bool = False,
               quiet: bool = False):
    """`run.py mechanisms`: run the checks, write mechanisms.json, mechanisms.md and
    firms.csv (the (a)/(b) per-firm table) to `out`, print the summary; return the folder.
    Seeds: `seeds`, or replication i of base seed `seed` as `run.py compare` draws them."""
    import datetime as _dt
    from pathlib import Path

    from . import store
    from .runner import check_seed, replication_seed
    from .simulate import resolve_overrides

    firms = DEFAULT_FIRMS if firms is None else firms
    if survey_firms is not None and survey_firms < 1:
        raise UserError(f"--survey-firms {survey_firms}: must be at least 1")
    if seeds is None:
        if reps < 1:
            raise UserError(f"--reps {reps}: must be at least 1")
        check_seed(seed, "--seed")
        seeds = [replication_seed(seed, i) for i in range(reps)]
    overrides = resolve_overrides(None, None, assignments or [])
    if "n_firms" in overrides:
        raise UserError("--set n_firms: use --firms (the recession runs) or --survey-firms "
                        "(the survey scenario's)")
    survey_params = {**overrides, **({"n_firms": survey_firms} if survey_firms else {})}
    check_inputs(seeds, firms, overrides, survey_params, checks)  # before --out is made
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"mechanisms-{stamp}"
    out_dir = store.prepare_out_dir(out, force=force)
    result = run_checks(seeds, firms, overrides, survey_params, checks, quiet=quiet)
    store.write_json(out_dir / "mechanisms.json", store.json_ready(result.results))
    store.write_text(out_dir / "mechanisms.md", markdown_section(result.results, level=1))
    if len(result.firms):
        store.write_frame(out_dir / "firms.csv", result.firms)
    print(format_summary(result.results))
    print(f"Outputs: {out_dir}/ (mechanisms.json, mechanisms.md"
          + (", firms.csv)" if len(result.firms) else ")"))
    return out_dir
