"""Stylized facts of firm populations (TARGETS §4), measured on an observed run.

Each fact is a number with the range the literature reports and a pass or fail:

- size distribution: the rank-size slope of the upper tail (firms with at least
  `TAIL_EMPLOYEES` employees), by the Gabaix-Ibragimov regression
  log(rank - 1/2) = a - zeta log(size); Zipf's law is zeta = 1 (Axtell 2001);
- growth rates: annual log growth of revenue (12-month sums) of every firm alive through
  the two survey years, less the mean of its market (country x sector), as Bottazzi and
  Secchi (2006) normalise growth by the sector's mean: the firms' markets grow at different
  rates and the stylized facts are about the firm-level part; excess kurtosis, and the
  log-likelihood per firm of a fitted Laplace against a fitted normal (tent-shaped: Laplace
  fits better; Stanley et al. 1996);
- volatility against size: slope of log sd(growth) on log mean size over size bins, with the
  same normalised growth rates (roughly -0.2; Stanley et al. 1996, Amaral et al. 1997);
- demography: yearly entry and exit rates over the horizon (8-10 %), and the share of
  entrants alive five years after entry (about half);
- alliances: the share of alliances ended during the horizon that ended before their term
  or review date (30-70 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .survey import Observation, revenue_growth_pct

TAIL_EMPLOYEES = 10.0  # the upper tail: small and medium firms (and any larger)
SIZE_BINS = 8  # equal-count bins of log size for the volatility-size slope



@dataclass(frozen=True)
class Fact:
    """A stylized fact: what is measured, the range the literature reports, its source, and
    the miss outside the range that counts as one unit in the calibration loss."""

    description: str
    low: float
    high: float
    source: str
    unit: float


FACTS: dict[str, Fact] = {
    "zipf_exponent": Fact(
        "Rank-size slope of the upper tail of firm size (employees >= 10)", 0.8, 1.2,
        "Axtell (2001): 1.06; Zipf's law: 1", 0.1),
    "growth_excess_kurtosis": Fact(
        "Excess kurtosis of annual log revenue growth, less its market's mean (normal 0, "
        "Laplace 3)", 1.0, 10.0,
        "Stanley et al. (1996); Bottazzi and Secchi (2006): tent-shaped", 1.0),
    "growth_laplace_vs_normal": Fact(
        "Log-likelihood per firm of a Laplace fit minus a normal fit to annual growth less "
        "its market's mean (> 0: tent-shaped)",
        0.0, np.inf, "Stanley et al. (1996): Laplace, not Gaussian", 0.05),
    "volatility_size_slope": Fact(
        "Slope of log sd of annual growth (less its market's mean) on log size (revenue)",
        -0.3, -0.1,
        "Stanley et al. (1996), Amaral et al. (1997): about -0.2", 0.05),
    "entry_rate_pct": Fact(
        "Entries per year, % of living firms", 8.0, 10.0, "TARGETS §4: 8-10 % a year", 1.0),
    "exit_rate_pct": Fact(
        "Exits per year, % of living firms", 8.0, 10.0, "TARGETS §4: 8-10 % a year", 1.0),
    "five_year_survival": Fact(
        "Share of entrants alive five years after entry", 0.4, 0.55,
        "TARGETS §4: about half survive five years", 0.05),
    "alliances_ended_early": Fact(
        "Share of ended alliances that ended before their term or review", 0.3, 0.7,
        "TARGETS §4: 30-70 % of alliances end early", 0.05),
}


MARKET = ["country", "sector"]  # growth rates are normalised by their market's mean


def growth_rates(firms: pd.DataFrame) -> np.ndarray:
    """Annual log growth of revenue (survey year over previous year, 12-month sums), less
    the mean of the firm's market (country x sector; Bottazzi and Secchi 2006)."""
    g = np.log(firms["revenue_survey_year"] / firms["revenue_prev_year"])
    return (g - g.groupby([firms[c] for c in MARKET]).transform("mean")).to_numpy()


def rank_size(sizes: np.ndarray, threshold: float = TAIL_EMPLOYEES) -> dict:
    """Gabaix-Ibragimov rank-size regression on sizes >= threshold: zeta and its se."""
    tail = np.sort(sizes[sizes >= threshold])[::-1]
    n = tail.size
    if n < 3:
        return {"zeta": float("nan"), "intercept": float("nan"), "se": float("nan"), "n": int(n)}
    rank = np.arange(1, n + 1) - 0.5
    slope, intercept = np.polyfit(np.log(tail), np.log(rank), 1)
    # Gabaix and Ibragimov (2011): the standard error of zeta is zeta sqrt(2 / n)
    return {"zeta": float(-slope), "intercept": float(intercept),
            "se": float(-slope * np.sqrt(2.0 / n)), "n": int(n)}


def laplace_vs_normal(g: np.ndarray) -> dict:
    """Maximum-likelihood Laplace and normal fits; mean log-likelihood of each."""
    loc_l, scale_l = stats.laplace.fit(g)
    loc_n, scale_n = stats.norm.fit(g)
    ll_l = float(stats.laplace.logpdf(g, loc_l, scale_l).mean())
    ll_n = float(stats.norm.logpdf(g, loc_n, scale_n).mean())
    return {"laplace": (float(loc_l), float(scale_l)), "normal": (float(loc_n), float(scale_n)),
            "loglik_laplace": ll_l, "loglik_normal": ll_n, "difference": ll_l - ll_n}


def volatility_by_size(g: np.ndarray, size: np.ndarray, bins: int = SIZE_BINS) -> pd.DataFrame:
    """sd of growth per equal-count bin of log size, with the bin's mean size."""
    frame = pd.DataFrame({"g": g, "size": size})
    frame["bin"] = pd.qcut(np.log(size), bins, labels=False, duplicates="drop")
    return frame.groupby("bin").agg(size=("size", "mean"), sd=("g", "std"), n=("g", "size"))


def volatility_slope(table: pd.DataFrame) -> float:
    return float(np.polyfit(np.log(table["size"]), np.log(table["sd"]), 1)[0])


def demography(frame: pd.DataFrame) -> dict:
    """Yearly entry and exit rates (% of living firms) over the horizon."""
    h = frame[frame["month"] >= 1]
    firm_years = h["firms_alive"].mean() * len(h) / 12.0
    return {"entry_rate_pct": float(h["entries"].sum() / firm_years * 100.0),
            "exit_rate_pct": float(h["exits"].sum() / firm_years * 100.0)}


# age bands of surviving firms, in months since entry (survey firms are at least 24 months old)
AGE_BANDS = (24, 60, 120, np.inf)
AGE_LABELS = ("2-5 years", "5-10 years", "over 10 years")


def growth_by_age(firms: pd.DataFrame) -> dict:
    """Reported, not judged (TARGETS §4 does not list it): the mean annual revenue growth (%,
    the survey's measure) of all firms alive through both survey years (the eligible firms,
    unweighted), by age band in months since entry (AGE_BANDS: 24-59, 60-119, 120 and more).
    Among surviving firms the young grow faster than the mature in firm-level data (Evans
    1987; Haltiwanger, Jarmin and Miranda 2013): `young_minus_old` is above 0 there. The initial
    population is drawn with ages of 1 to 20 years, so over a run of a few years the youngest
    band holds only firms that entered during the run and the oldest mostly initial firms."""
    growth = revenue_growth_pct(firms)
    band = np.digitize(firms["age"].to_numpy(), AGE_BANDS[1:-1])
    means = [float(growth[band == b].mean()) if (band == b).any() else float("nan")
             for b in range(len(AGE_LABELS))]
    return {"bands": list(AGE_LABELS),
            "share": [float((band == b).mean()) for b in range(len(AGE_LABELS))],
            "mean_growth_pct": means, "young_minus_old": means[0] - means[-1]}


def measure_facts(obs: Observation) -> dict:
    """Every stylized fact of one observed run: value, range, pass, description, source."""
    g = growth_rates(obs.firms)
    fit = laplace_vs_normal(g)
    vol = volatility_by_size(g, obs.firms["revenue_prev_year"].to_numpy())
    tail = rank_size(obs.living["employees"].to_numpy())
    a = obs.model.alliances
    ended = a.ended_total - obs.alliances_start["ended_total"]
    early = a.ended_early - obs.alliances_start["ended_early"]
    cohorts = obs.cohorts
    values = {
        "zipf_exponent": tail["zeta"],
        "growth_excess_kurtosis": float(stats.kurtosis(g)),
        "growth_laplace_vs_normal": fit["difference"],
        "volatility_size_slope": volatility_slope(vol),
        **demography(obs.frame),
        "five_year_survival": float(cohorts["alive_after_60"].sum()
                                    / max(int(cohorts["entrants"].sum()), 1)),
        "alliances_ended_early": float(early / ended) if ended else float("nan"),
    }
    out = {}
    for name, fact in FACTS.items():
        v = values[name]
        out[name] = {"value": v, "range": [fact.low, None if np.isinf(fact.high) else fact.high],
                     "pass": bool(fact.low <= v <= fact.high), "description": fact.description,
                     "source": fact.source}
    out["zipf_exponent"]["se"] = tail["se"]
    out["zipf_exponent"]["intercept"] = tail["intercept"]
    out["zipf_exponent"]["n"] = tail["n"]
    out["alliances_ended_early"]["ended"] = int(ended)
    out["five_year_survival"]["entrants"] = int(cohorts["entrants"].sum())
    return out
