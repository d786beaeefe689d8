"""How far the policy ranking rests on the mechanisms whose magnitudes are assumed (issue 21).

The seven single-programme scenarios (`recession_with_<instrument>`) are compared with
`recession` on the same seeds (common random numbers). A programme's *effect* at a
parameter point is its paired difference from `recession`, averaged over the seeds:

- on output lost (percentage points of no-shock output, analysis/resilience.py; each
  scenario against its own no-shock twin, as `run.py compare` reports it): below 0 means
  the programme keeps output;
- on bankruptcies (count over the horizon): below 0 means fewer firms fail.

The *ranking* orders the programmes by their effect on output lost, the largest fall
first. The runs are an ordinary experiment (analysis/runner.py: resumable, on any
executor); the outcomes are analysis/outcomes.py's.

Morris screening (SALib, 4 levels) over the uncalibrated parameters, between the ranges of
RANGES, `trajectories` x (D + 1) points, each run with `reps` seeds, plus the central point
(the registry defaults):

(i) one Morris analysis per programme of its effect on output lost (mu*, the mean absolute
    elementary effect, with its 95 % bootstrap interval, and sigma, their spread), and the
    same for bankruptcies;
(ii) Kendall's tau-b between the ranking at each point and the ranking at the defaults (1:
    the same order; 0: unrelated), its distribution and a Morris analysis of it (which
    parameter moves the ranking);
(iii) the share of points whose top programme is the defaults' top programme.

    from analysis.policy_ranking import ranking_sensitivity
    ranking_sensitivity(firms=1000, reps=3, trajectories=4, out="results/ranking")
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.params import PARAMS
from simulation.scenario import load_scenario

from . import store
from .runner import DEFAULT_SEED, Experiment, check_seed, run
from .sampling import Factor, make_factor
from .simulate import resolve_overrides

PROGRAMMES = ("cluster_funding", "digital_platform", "rd_grants", "procurement_access",
              "credit_guarantee", "institution_building", "trust_brokering")
REFERENCE = "recession"
SCENARIOS = (REFERENCE, *(f"recession_with_{p}" for p in PROGRAMMES))
OUTCOMES = ("output_lost", "bankruptcies")  # the effects reported; the first ranks
LEVELS = 4  # Morris grid levels (SALib's default)
DEFAULT_FIRMS = 1000
MIN_TRAJECTORIES = 2
SEED_OFFSET = 1  # Morris bootstrap seed: base seed + 1, as in analysis/sensitivity.py

# The uncalibrated mechanisms and their plausible ranges: half to double the assumed
# default (inside the registry's bounds), since no data pins any of them down.
RANGES: dict[str, tuple[float, float, str]] = {
    "mutual_aid_share": (0.1, 0.4, "no data on transfers between partners; informal "
                         "risk-sharing studies span roughly this"),
    "formal_aid_bonus": (0.25, 1.0, "a written risk-sharing clause adds an unmeasured "
                         "amount: a quarter to as much again"),
    "order_sharing": (0.075, 0.3, "orders passed on in a downturn are not observed in the "
                      "survey"),
    "market_access_growth": (0.025, 0.1, "extra sales growth per joint-marketing alliance: "
                             "2.5-10 % a year, unmeasured"),
    "cash_squeeze_cut": (0.025, 0.1, "how fast a cash-short firm cuts capacity: 2.5-10 % a "
                         "month, no firm-level data"),
    "alliance_credit_bonus": (0.05, 0.2, "extra credit per alliance: 5-20 %, no lending "
                              "data by alliance"),
    "partner_knowledge": (0.15, 0.6, "innovation gain per working partnership, not "
                          "estimated from the survey"),
}


def factors() -> list[Factor]:
    """The Morris factors: RANGES, checked against the registry's bounds."""
    return [make_factor(name, "morris", bounds=(low, high))
            for name, (low, high, _) in RANGES.items()]


# --------------------------------------------------------------------------- effects, ranking
def _paired(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """(programme - recession) per point and seed: index (point, replication)."""
    wide = summary.pivot_table(index=["point", "replication"], columns="scenario",
                               values=outcome, aggfunc="first")
    return pd.DataFrame({p: wide[f"recession_with_{p}"] - wide[REFERENCE] for p in PROGRAMMES},
                        index=wide.index)


def effects(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Each programme's paired effect on `outcome`: (programme - recession) per point and
    seed, averaged over the seeds. One row per point (index `point`), one column per
    programme (PROGRAMMES order)."""
    return _paired(summary, outcome).groupby(level="point").mean()


def effect_se(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The standard error over the seeds of each effect (NaN with one seed): the noise a
    difference between points is measured against."""
    grouped = _paired(summary, outcome).groupby(level="point")
    return grouped.std(ddof=1) / np.sqrt(grouped.count())


def split_tau(summary: pd.DataFrame, outcome: str = OUTCOMES[0]) -> pd.Series:
    """The noise benchmark: at each point, Kendall's tau between the rankings of the even-
    and the odd-numbered seeds' mean effects (NaN with one seed). Seeds differ only by
    chance, so a tau between points no higher than this says nothing about the parameters."""
    paired = _paired(summary, outcome)
    rep = paired.index.get_level_values("replication")
    halves = [paired[rep % 2 == k].groupby(level="point").mean() for k in (0, 1)]
    return pd.Series({i: kendall_tau(halves[0].loc[i], halves[1].loc[i])
                      if i in halves[1].index else float("nan") for i in halves[0].index},
                     dtype=float)


def _spread(values) -> dict:
    """Mean, quartiles, extremes and the share >= 0.6 of the finite values."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {k: float("nan") for k in ("mean", "min", "q25", "median", "q75", "max",
                                          "share_at_least_0.6")}
    q = np.quantile(v, [0, 0.25, 0.5, 0.75, 1])
    return {"mean": float(v.mean()), "min": float(q[0]), "q25": float(q[1]),
            "median": float(q[2]), "q75": float(q[3]), "max": float(q[4]),
            "share_at_least_0.6": float(np.mean(v >= 0.6))}


def ranking(effect: dict[str, float] | pd.Series) -> list[str]:
    """The programmes best first: the most negative effect (the largest fall in output lost)
    first; ties keep the order given; NaN last."""
    s = pd.Series(effect, dtype=float)
    return list(s.sort_values(kind="stable", na_position="last").index)


def kendall_tau(a: dict[str, float] | pd.Series, b: dict[str, float] | pd.Series) -> float:
    """Kendall's tau-b between the rankings two sets of effects give (over the programmes
    both have a number for): 1 = the same order, -1 = reversed; NaN if either set does not
    rank at all (fewer than two programmes, or all equal)."""
    from scipy.stats import kendalltau

    both = pd.DataFrame({"a": pd.Series(a, dtype=float),
                         "b": pd.Series(b, dtype=float)}).dropna()
    if len(both) < 2 or both["a"].nunique() < 2 or both["b"].nunique() < 2:
        return float("nan")
    return float(kendalltau(both["a"], both["b"]).statistic)


def morris_indices(fs: list[Factor], x: np.ndarray, y: np.ndarray, seed: int) -> list[dict]:
    """analysis.sensitivity.analyze's Morris rows (mu, mu*, its interval, sigma) as dicts."""
    from .sensitivity import analyze

    frame = analyze("morris", fs, x, np.asarray(y, float), seed, levels=LEVELS)
    return frame.to_dict("records")


def analyse(point_effects: dict[str, pd.DataFrame], default_effects: dict[str, pd.Series],
            fs: list[Factor], x: np.ndarray, points: list[dict], seed: int,
            default_se: dict[str, pd.Series] | None = None,
            noise: pd.Series | None = None) -> dict:
    """Morris indices, tau and the top programme from the effects at the points (rows in
    sample order) and at the defaults (and the seeds' standard errors there)."""
    se = default_se or {o: pd.Series(np.nan, index=list(PROGRAMMES)) for o in OUTCOMES}
    lost = point_effects[OUTCOMES[0]]
    base = default_effects[OUTCOMES[0]]
    base_rank = ranking(base)
    taus = np.array([kendall_tau(lost.loc[i], base) for i in lost.index])
    tops = [ranking(lost.loc[i])[0] for i in lost.index]
    same_top = np.array([t == base_rank[0] for t in tops])
    morris = {o: {p: morris_indices(fs, x, point_effects[o][p].to_numpy(), seed)
                  for p in PROGRAMMES} for o in OUTCOMES}
    top_counts = pd.Series(tops).value_counts()
    # the same for the ranking by bankruptcies (fewest extra failures first)
    fails, fails_base = point_effects[OUTCOMES[1]], default_effects[OUTCOMES[1]]
    fails_taus = [kendall_tau(fails.loc[i], fails_base) for i in fails.index]
    fails_tops = [ranking(fails.loc[i])[0] for i in fails.index]
    return {
        "defaults": {"ranking": base_rank,
                     **{f"effect_{o}": {p: float(default_effects[o][p]) for p in PROGRAMMES}
                        for o in OUTCOMES},
                     **{f"se_{o}": {p: float(se[o][p]) for p in PROGRAMMES}
                        for o in OUTCOMES}},
        "points": [{"point": int(i), "params": points[i], "ranking": ranking(lost.loc[i]),
                    "tau": float(taus[k]),
                    **{f"effect_{o}": {p: float(point_effects[o].loc[i, p])
                                       for p in PROGRAMMES} for o in OUTCOMES}}
                   for k, i in enumerate(lost.index)],
        "morris": morris,
        "morris_tau": morris_indices(fs, x, np.nan_to_num(taus, nan=0.0), seed),
        "tau": {**_spread(taus), "undefined": int(np.sum(~np.isfinite(taus)))},
        "tau_seeds": _spread([] if noise is None else noise.to_numpy(float)),
        "top": {"default": base_rank[0], "share_same": float(same_top.mean()),
                "counts": {k: int(v) for k, v in top_counts.items()}},
        "bankruptcies_ranking": {
            "defaults": ranking(fails_base), "tau": _spread(fails_taus),
            "top_share_same": float(np.mean([t == ranking(fails_base)[0]
                                             for t in fails_tops]))},
        "effect_range": {o: {p: [float(point_effects[o][p].min()),
                                 float(point_effects[o][p].max())] for p in PROGRAMMES}
                         for o in OUTCOMES},
        # over all the points: the ranking the assumptions' range gives on average
        "effect_mean": {o: {p: float(point_effects[o][p].mean()) for p in PROGRAMMES}
                        for o in OUTCOMES},
        "share_below_zero": {o: {p: float((point_effects[o][p] < 0).mean())
                                 for p in PROGRAMMES} for o in OUTCOMES},
    }


# --------------------------------------------------------------------------- report
def _f(x, digits: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def _ci(r: dict) -> str:
    """mu* [95 % interval] of one Morris row."""
    mu, conf = r["mu_star"], r["mu_star_conf"]
    return f"{_f(mu, 2)} [{_f(mu - conf, 2)}, {_f(mu + conf, 2)}]"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _short(programme: str) -> str:
    return programme.replace("_", " ")


def markdown(result: dict) -> str:
    """ranking.md: settings, ranges, effects at the defaults, Morris tables, tau, top."""
    s, d = result["settings"], result["defaults"]
    names = list(RANGES)
    out = ["# Sensitivity of the policy ranking to the uncalibrated mechanisms", "",
           f"{s['points']} Morris points ({s['trajectories']} trajectories x "
           f"{len(names) + 1}, {LEVELS} levels) + the defaults; {s['firms']} firms, "
           f"{s['reps']} seeds per point (common random numbers), base seed {s['seed']}; "
           f"{s['runs']} model runs in {s['seconds'] / 60:.1f} min. Effect = programme - "
           "recession, mean over the seeds (output lost in percentage points of no-shock "
           "output; below 0 is better).", "",
           "## Ranges", "",
           _table(["parameter", "default", "low", "high", "why"],
                  [[n, f"{PARAMS[n].default:g}", f"{lo:g}", f"{hi:g}", why]
                   for n, (lo, hi, why) in RANGES.items()]), "",
           "## Effects at the defaults (and their range over the Morris points)", "",
           _table(["rank", "programme", "output lost (pp)", "s.e. (seeds)",
                   "range over points", "mean over points", "points < 0", "bankruptcies",
                   "range over points", "mean over points"],
                  [[str(k + 1), _short(p), _f(d["effect_output_lost"][p]),
                    _f(d["se_output_lost"][p], 2),
                    "{} to {}".format(*map(_f, result["effect_range"]["output_lost"][p])),
                    _f(result["effect_mean"]["output_lost"][p]),
                    f"{100 * result['share_below_zero']['output_lost'][p]:.0f} %",
                    _f(d["effect_bankruptcies"][p]),
                    "{} to {}".format(*map(_f, result["effect_range"]["bankruptcies"][p])),
                    _f(result["effect_mean"]["bankruptcies"][p])]
                   for k, p in enumerate(d["ranking"])]), ""]
    for o, label in (("output_lost", "output lost"), ("bankruptcies", "bankruptcies")):
        m = result["morris"][o]
        rows = [[n] + [_f(m[p][k]["mu_star"], 2) for p in d["ranking"]]
                for k, n in enumerate(names)]
        out += [f"## Morris mu* of each programme's effect on {label}", "",
                _table(["parameter"] + [_short(p) for p in d["ranking"]], rows), ""]
        rows = [[n] + [_f(m[p][k]["sigma"], 2) for p in d["ranking"]]
                for k, n in enumerate(names)]
        out += [f"sigma ({label}):", "",
                _table(["parameter"] + [_short(p) for p in d["ranking"]], rows), ""]
    t, top, n = result["tau"], result["top"], result["tau_seeds"]
    b = result["bankruptcies_ranking"]
    mt = result["morris_tau"]
    out += ["## Kendall's tau against the defaults' ranking", "",
            f"Over {s['points']} points: mean {_f(t['mean'])}, min {_f(t['min'])}, "
            f"quartiles {_f(t['q25'])} / {_f(t['median'])} / {_f(t['q75'])}, max "
            f"{_f(t['max'])}; tau >= 0.6 at {100 * t['share_at_least_0.6']:.0f} % of the "
            "points.", "",
            "Noise benchmark, the same statistic between the even and the odd seeds' "
            f"rankings at each point: mean {_f(n['mean'])}, quartiles {_f(n['q25'])} / "
            f"{_f(n['median'])} / {_f(n['q75'])} (n/a with one seed). A tau between points "
            "no higher than this is seed noise, not the parameters.", "",
            f"Top programme at the defaults: {_short(top['default'])}; still top at "
            f"{100 * top['share_same']:.0f} % of the points (points at which each is top: "
            + ", ".join(f"{_short(k)} {v}" for k, v in top["counts"].items()) + ").", "",
            f"Ranked by bankruptcies instead: {', '.join(map(_short, b['defaults']))} at the "
            f"defaults; tau against it mean {_f(b['tau']['mean'])}, median "
            f"{_f(b['tau']['median'])}; its top programme still top at "
            f"{100 * b['top_share_same']:.0f} % of the points.", "",
            "Morris indices of tau (which assumption reorders the programmes):", "",
            _table(["parameter", "mu* [95 % CI]", "sigma"],
                   [[r["parameter"], _ci(r), _f(r["sigma"], 2)] for r in mt]), ""]
    return "\n".join(out)


def figure(result: dict, path: Path) -> Path:
    """Heatmap of mu* (parameter x programme, effect on output lost) beside the mu* and
    sigma of tau."""
    from . import plots

    plt = plots.plt
    names = list(RANGES)
    order = result["defaults"]["ranking"]
    m = result["morris"]["output_lost"]
    grid = np.array([[m[p][k]["mu_star"] for p in order] for k in range(len(names))], float)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6),
                                 gridspec_kw={"width_ratios": [2.2, 1]})
    im = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(order)), [plots._wrap(_short(p), 12) for p in order], fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2g}", ha="center", va="center", fontsize=7,
                        color="w" if grid[i, j] < np.nanmax(grid) * 0.6 else "k")
    fig.colorbar(im, ax=ax, label="mu* (pp of no-shock output)")
    ax.set_title("Morris mu*: effect on output lost (programmes in default rank order)",
                 fontsize=9)
    mt = pd.DataFrame(result["morris_tau"])
    y = np.arange(len(mt))
    bx.barh(y - 0.2, mt["mu_star"], height=0.4, xerr=np.nan_to_num(mt["mu_star_conf"]),
            capsize=3, color="C0", label="mu*")
    bx.barh(y + 0.2, mt["sigma"], height=0.4, color="C1", label="sigma")
    bx.set_yticks(y, mt["parameter"], fontsize=8)
    bx.invert_yaxis()
    bx.set_title("Morris on Kendall's tau vs the defaults' ranking", fontsize=9)
    bx.legend(fontsize=8, frameon=False)
    bx.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return plots._save(fig, path)


# --------------------------------------------------------------------------- command
def check_inputs(reps: int, trajectories: int) -> None:
    for name, value, low in (("--reps", reps, 1), ("--trajectories", trajectories,
                                                   MIN_TRAJECTORIES)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UserError(f"{name} {value!r}: expected a whole number, at least {low}")
def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def ranking_sensitivity(firms: int | None = DEFAULT_FIRMS, reps: int = 3, trajectories: int = 4,
                        seed: int = DEFAULT_SEED, months: int | None = None,
                        assignments: list[str] | None = None, out: str | None = None,
                        workers: int | None = 1, resume: bool = False, force: bool = False,
                        quiet: bool = False, argv: list[str] | None = None,
                        params: dict | None = None) -> dict:
    """Run the Morris design and the defaults, analyse, write ranking.json, ranking.md and
    ranking.png into `out` (the runs under out/morris and out/defaults); return the result.
    `params`: extra fixed registry values (as --set), e.g. a short horizon for tests."""
    check_inputs(reps, trajectories)
    check_seed(seed)
    if firms is None and not any(a.partition("=")[0].strip() == "n_firms"
                                 for a in assignments or []):
        firms = DEFAULT_FIRMS
    fixed = {**resolve_overrides(firms, months, assignments or []), **(params or {})}
    clash = sorted(set(fixed) & set(RANGES))
    if clash:
        raise UserError(f"--set {clash[0]}: it is one of the parameters the analysis varies "
                        f"({', '.join(RANGES)}); drop it")
    scenarios = [load_scenario(n) for n in SCENARIOS]
    fs = factors()
    out_dir = Path(out) if out else Path("results") / "ranking-sensitivity"
    if resume and force:
        raise UserError("--resume and --force: choose one (--resume continues, --force starts "
                        "again)")
    store.prepare_out_dir(out_dir, force=force or resume)
    engine = dict(workers=workers, resume=resume, force=force, quiet=quiet, argv=argv)
    morris = Experiment("ranking-sensitivity", scenarios, fixed=fixed, factors=fs,
                        design="morris", samples=trajectories, levels=LEVELS,
                        replications=reps, base_seed=seed,
                        outcomes=list(OUTCOMES), description="Morris points")
    central = Experiment("ranking-sensitivity", scenarios, fixed=fixed, replications=reps,
                         base_seed=seed, outcomes=list(OUTCOMES),
                         description="the registry defaults")
    started = time.perf_counter()
    _say(quiet, f"Defaults: {len(SCENARIOS)} scenarios x {reps} seeds (and no-shock twins)")
    r0 = run(central, out_dir / "defaults", **engine)
    _say(quiet, f"Morris: {len(morris.points)} points x {len(SCENARIOS)} scenarios x {reps} "
         "seeds (and no-shock twins)")
    r1 = run(morris, out_dir / "morris", **engine)
    seconds = time.perf_counter() - started
    default_effects = {o: effects(r0.summary, o).loc[0] for o in OUTCOMES}
    default_se = {o: effect_se(r0.summary, o).loc[0] for o in OUTCOMES}
    point_effects = {o: effects(r1.summary, o).reindex(range(len(morris.points)))
                     for o in OUTCOMES}
    result = {"settings": {"firms": fixed.get("n_firms"), "reps": reps,
                           "trajectories": trajectories,
                           "levels": LEVELS, "seed": seed, "fixed": fixed,
                           "points": len(morris.points), "scenarios": list(SCENARIOS),
                           "ranges": {n: [lo, hi] for n, (lo, hi, _) in RANGES.items()},
                           "runs": r0.tasks + r1.tasks, "seconds": round(seconds, 1),
                           "argv": argv},
              **analyse(point_effects, default_effects, fs, morris.sample_matrix,
                        morris.points, seed, default_se,
                        split_tau(r1.summary).reindex(range(len(morris.points))))}
    store.write_json(out_dir / "ranking.json", store.json_ready(result))
    store.write_text(out_dir / "ranking.md", markdown(result))
    figure(result, out_dir / "ranking.png")
    t, top = result["tau"], result["top"]
    print(f"Policy ranking at the defaults: {', '.join(result['defaults']['ranking'])}")
    print(f"Kendall's tau against it over {len(morris.points)} points: mean {_f(t['mean'])}, "
          f"min {_f(t['min'])}, median {_f(t['median'])}; top programme "
          f"({top['default']}) still top at {100 * top['share_same']:.0f} % of the points")
    print(f"Outputs: {out_dir}/ (ranking.json, ranking.md, ranking.png; runs in morris/ and "
          "defaults/)")
    return result
