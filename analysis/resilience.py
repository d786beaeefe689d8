"""System resilience of one run, measured against its no-shock counterfactual (DESIGN §3).

The counterfactual is the same run (same parameters, policies and seed) with every shock
removed; the experiment runner runs it as an extra job. With common random numbers the two
runs share their initial population and their random draws, so the gap between them is the
shock's effect and not noise.

All four metrics start at the shock start: the first month of the horizon (month >= 1) in
which `shock_intensity > 0`. With `y` the run's total revenue and `c` the counterfactual's,
from the shock start to the end of the horizon:

- output_lost: sum of max(0, c - y) as a percentage of the sum of c (the "resilience
  triangle" as a share of what the economy would have produced);
- max_drop: the largest 1 - y / c, in percent (0 if revenue never fell below the
  counterfactual);
- recovery_months: months from the shock start to the first month, at or after the deepest
  drop, in which y >= 95 % of c (0 if y never fell below 95 % of c). A run that does not
  recover by the end of the horizon gets the months from the shock start to the end of the
  horizon plus one, and `recovered` = 0;
- survival_rate: firms alive in the last month of the shock (the last month with
  `shock_intensity > 0`) as a percentage of firms alive in the counterfactual in the same
  month. Counts include entrants, so it measures the population kept, not the fate of the
  firms present at the start.

A run without a shock in its horizon has lost nothing: output_lost = max_drop =
recovery_months = 0, recovered = 1 and survival_rate = 100. So a no-shock reference
scenario pairs with a shocked one, and the paired difference is the shock's cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RECOVERY_LEVEL = 0.95
NO_SHOCK = {"output_lost": 0.0, "max_drop": 0.0, "recovery_months": 0.0, "recovered": 1.0,
            "survival_rate": 100.0}


def shock_window(frame: pd.DataFrame) -> tuple[int, int] | None:
    """(first, last) horizon month with shock_intensity > 0, or None."""
    shocked = frame.loc[(frame["month"] >= 1) & (frame["shock_intensity"] > 0), "month"]
    if shocked.empty:
        return None
    return int(shocked.iloc[0]), int(shocked.iloc[-1])


def system_resilience(actual: pd.DataFrame, counterfactual: pd.DataFrame | None) -> dict:
    """The four resilience metrics (and the `recovered` flag) of one run; see the module doc."""
    window = shock_window(actual)
    if window is None or counterfactual is None:
        return dict(NO_SHOCK)
    start, last = window
    a = actual.set_index("month")
    c = counterfactual.set_index("month")
    months = a.index[a.index >= start]
    if not months.isin(c.index).all():
        raise ValueError("the counterfactual does not cover the run's months")
    y = a.loc[months, "total_revenue"].to_numpy(dtype=float)
    cf = c.loc[months, "total_revenue"].to_numpy(dtype=float)

    total = cf.sum()
    output_lost = 100.0 * np.maximum(cf - y, 0.0).sum() / total if total > 0 else 0.0
    ratio = np.divide(y, cf, out=np.ones_like(y), where=cf > 0)
    drop = 1.0 - ratio
    max_drop = 100.0 * max(float(drop.max()), 0.0)
    if ratio.min() >= RECOVERY_LEVEL:
        recovery, recovered = 0.0, 1.0
    else:
        trough = int(np.argmax(drop))
        back = np.flatnonzero(ratio[trough:] >= RECOVERY_LEVEL)
        if back.size:
            recovery, recovered = float(months[trough + back[0]] - start), 1.0
        else:
            recovery, recovered = float(months[-1] - start + 1), 0.0
    cf_alive = float(c.loc[last, "firms_alive"])
    survival = 100.0 * float(a.loc[last, "firms_alive"]) / cf_alive if cf_alive > 0 else 100.0
    return {"output_lost": float(output_lost), "max_drop": max_drop,
            "recovery_months": recovery, "recovered": recovered, "survival_rate": survival}
