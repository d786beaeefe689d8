"""Value for money: each programme's extra public money per unit of one outcome gained.

For every scenario of a comparison that spends public money, against its comparator (the
same shocks and settings without the programme where the comparison has it, else the
reference: `analysis.compare.cost_comparators`), from the paired replications (common
random numbers):

- the extra money spent and the gain, each with its paired 95 % t-interval;
- the cost per unit gained (extra money / gain) with a 95 % bootstrap percentile interval
  over the replications (paired resampling; a resample with no gain counts as an
  unbounded cost);
- the gain per million of extra money (the same ratio turned over: what each programme
  would buy with equal budgets if its gain grew in proportion to its budget, which the
  model does not promise).

Programmes whose gain is clearly above zero (its interval excludes zero) are ranked by cost
per unit; the others are listed after them, unranked, with the reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .compare import LEVEL, paired_gain


@dataclass(frozen=True)
class Aim:
    """An outcome a programme is judged on, read so that more is better."""

    key: str
    outcome: str  # the column of the summary
    sign: float  # +1 when a higher outcome is a gain, -1 when a lower one is
    label: str
    unit: str  # one unit of the gain, in words
    units: str  # plural


AIMS = {a.key: a for a in [
    Aim("bankruptcies", "bankruptcies", -1.0, "Bankruptcies avoided", "bankruptcy avoided",
        "bankruptcies avoided"),
    Aim("output", "output_lost", -1.0, "Output kept through the shock",
        "percentage point of output kept", "percentage points of output kept"),
    Aim("firms", "firms_alive_end", 1.0, "Firms kept in business (at the end)",
        "firm kept in business", "firms kept in business"),
    Aim("innovations", "innovations", 1.0, "Innovations gained", "innovation gained",
        "innovations gained"),
    Aim("growth", "revenue_growth", 1.0, "Revenue growth gained",
        "point of yearly revenue growth", "points of yearly revenue growth"),
]}

RESAMPLES = 4000
COLUMNS = ["scenario", "against", "aim", "reps", "spend", "spend_low", "spend_high", "gain",
           "gain_low", "gain_high", "cost", "cost_low", "cost_high", "per_million",
           "per_million_low", "per_million_high", "status", "rank"]


def _ratio_interval(spend: np.ndarray, gain: np.ndarray, level: float,
                    seed: int) -> tuple[float, float, float, float]:
    """Bootstrap percentile intervals of mean(spend) / mean(gain) and its inverse (x 1000),
    resampling the paired replications."""
    n = spend.size
    if n < 2:
        return (np.nan,) * 4
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(RESAMPLES, n))
    s, g = spend[idx].mean(axis=1), gain[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = np.where(g > 0, s / g, np.inf)
        per = np.where(s > 0, g / s * 1000.0, np.nan)
    low, high = _percentiles(cost, level)
    plow, phigh = _percentiles(per[np.isfinite(per)], level)
    return low, high, plow, phigh


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    """The (1-level)/2 and (1+level)/2 order statistics (inf allowed: no interpolation)."""
    if values.size == 0:
        return np.nan, np.nan
    ordered = np.sort(values)
    tail = (1 - level) / 2
    k = int(np.floor(tail * (ordered.size - 1)))
    return float(ordered[k]), float(ordered[ordered.size - 1 - k])


def value_for_money(summary: pd.DataFrame, comparators: dict[str, str], aim: str,
                    level: float = LEVEL, seed: int = 0) -> pd.DataFrame:
    """One row per spending scenario: money, gain, cost per unit with intervals, status
    (ranked | not_significant | no_gain | no_spend) and rank (1 = cheapest per unit)."""
    a = AIMS[aim]
    rows = []
    for k, (name, against) in enumerate(comparators.items()):
        pg = paired_gain(summary, name, against, a.outcome, a.sign, level)
        spend, g, glo, ghi = pg.spend, pg.gain, pg.gain_low, pg.gain_high
        if not spend.mean > 0:
            status = "no_spend"
        elif not g > 0:
            status = "no_gain"
        elif not glo > 0:
            status = "not_significant"
        else:
            status = "ranked"
        cost = pg.cost  # NaN without a gain or without extra spend
        per = g / spend.mean * 1000.0 if spend.mean > 0 else np.nan
        clo, chi, plo, phi = _ratio_interval(pg.spend_diffs, pg.gain_diffs, level, seed + k)
        rows.append({"scenario": name, "against": against, "aim": aim, "reps": spend.n,
                     "spend": spend.mean, "spend_low": spend.low, "spend_high": spend.high,
                     "gain": g, "gain_low": glo, "gain_high": ghi, "cost": cost,
                     "cost_low": clo if np.isfinite(cost) else np.nan,
                     "cost_high": chi if np.isfinite(cost) else np.nan,
                     "per_million": per, "per_million_low": plo, "per_million_high": phi,
                     "status": status})
    frame = pd.DataFrame(rows, columns=COLUMNS[:-1])
    order = {"ranked": 0, "not_significant": 1, "no_gain": 2, "no_spend": 3}
    frame["_o"] = frame["status"].map(order)
    frame = frame.sort_values(["_o", "cost", "gain"], ascending=[True, True, False],
                              kind="stable").drop(columns="_o").reset_index(drop=True)
    ranked = frame["status"] == "ranked"
    frame["rank"] = np.where(ranked, np.cumsum(ranked), 0)
    return frame
