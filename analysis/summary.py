"""Headline figures of one run, computed from its monthly time series.

`summarize` gives the figures of the run alone. `resilience_summary` adds what can rank
policies: the shock's cost against the run's no-shock twin (analysis/resilience.py, the
numbers `sweep`, `compare` and `analysis.evaluate` report) and the spread of the firms'
resilience scores at the end (how exposed the firms are; the shock's cost is what ranks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .resilience import system_resilience

# a firm at or above this score has come through unscathed so far (the scale tops out at 5)
TOP_SCORE = 4.95
SHOCK_KEYS = ("output_lost", "max_drop", "recovery_months", "recovered", "survival_rate")
NO_SHOCK_TEXT = "no shock in this run"


def horizon(frame: pd.DataFrame) -> pd.DataFrame:
    """The months of the horizon (the burn-in excluded)."""
    return frame[frame["month"] >= 1]


def summarize(frame: pd.DataFrame) -> dict[str, float]:
    """Headline outcomes over the horizon of one run (burn-in excluded)."""
    h = horizon(frame)
    if h.empty:
        h = frame
    first, last = h.iloc[0], h.iloc[-1]
    years = max(len(h) / 12.0, 1 / 12)
    rev0 = h["total_revenue"].iloc[:12].mean()
    rev1 = h["total_revenue"].iloc[-12:].mean()
    span = max((len(h) - min(12, len(h))) / 12.0, 1 / 12)
    growth = ((rev1 / rev0) ** (1.0 / span) - 1.0) * 100.0 if rev0 > 0 and len(h) > 12 else 0.0
    firm_years = h["firms_alive"].mean() * years
    return {
        "months": int(len(h)),
        "firms_alive_start": int(first["firms_alive"]),
        "firms_alive_end": int(last["firms_alive"]),
        "revenue_growth_pct_per_year": float(growth),
        "alliances_formed": int(h["alliances_formed"].sum()),
        "alliances_dissolved": int(h["alliances_dissolved"].sum()),
        "alliances_active_end": int(last["alliances_active"]),
        "firms_in_alliances_end": float(last["firms_in_alliances"]),
        "mean_trust_end": float(last["mean_trust"]),
        "innovations": int(h["innovations"].sum()),
        "innovations_per_firm_year": float(h["innovations"].sum() / max(firm_years, 1e-9)),
        "bankruptcies": int(h["bankruptcies"].sum()),
        "exits": int(h["exits"].sum()),
        "entries": int(h["entries"].sum()),
        "exit_rate_pct_per_year": float(h["exits"].sum() / max(firm_years, 1e-9) * 100.0),
        "policy_spend": float(h["policy_spend"].sum()),
        "mean_resilience_end": float(last["mean_resilience"]),
    }


def resilience_summary(frame: pd.DataFrame, twin: pd.DataFrame | None,
                       scores: np.ndarray) -> dict:
    """The shock's cost against the no-shock twin (`twin`: the same run with the shocks
    removed, None when the run has no shock in its horizon) and the distribution of the
    living firms' resilience scores at the end (`scores`: the model's final firm state; the
    mean is `summarize`'s, from the last month's reporter).

    Without a shock the four shock figures are None (nothing was measured) and
    `shock_in_run` is False; `recovered` is 1 or 0 as in a sweep."""
    out: dict = {"shock_in_run": twin is not None}
    if twin is None:
        out.update(dict.fromkeys(SHOCK_KEYS))
    else:
        out.update(system_resilience(horizon(frame), horizon(twin)))
    scores = np.asarray(scores, dtype=float)
    q1, median, q3 = np.percentile(scores, [25, 50, 75]) if scores.size else (0.0, 0.0, 0.0)
    out.update({
        "mean_resilience_end": summarize(frame)["mean_resilience_end"],
        "resilience_top_share_end": float((scores >= TOP_SCORE).mean()) if scores.size else 0.0,
        "resilience_q1_end": float(q1),
        "resilience_median_end": float(median),
        "resilience_q3_end": float(q3),
    })
    return out


LABELS = {
    "firms_alive_start": "Firms alive at start of horizon",
    "firms_alive_end": "Firms alive at end",
    "revenue_growth_pct_per_year": "Revenue growth (% a year, all firms)",
    "alliances_formed": "Alliances formed",
    "alliances_dissolved": "Alliances broken",
    "alliances_active_end": "Alliances in force at end",
    "firms_in_alliances_end": "Share of firms in an alliance at end",
    "mean_trust_end": "Mean trust between partners at end (0-1)",
    "innovations": "Innovations",
    "innovations_per_firm_year": "Innovations per firm and year",
    "bankruptcies": "Bankruptcies",
    "exits": "Exits (bankruptcies and closures)",
    "entries": "New firms",
    "exit_rate_pct_per_year": "Exit rate (% of firms a year)",
    "policy_spend": "Public money spent (thousand)",
    "output_lost": "Output lost to the shock (% of sales without it)",
    "max_drop": "Deepest drop in sales (% below the run without it)",
    "recovery_months": "Months to recover 95 % of sales without the shock",
    "survival_rate": "Firms left after the shock (% of the run without it)",
    "mean_resilience_end": "Mean firm resilience score at end (1-5)",
    "resilience_top_share_end": f"  share of firms at the top (score >= {TOP_SCORE})",
    "resilience_q1_end": "  lower quartile of the scores",
    "resilience_median_end": "  median score",
    "resilience_q3_end": "  upper quartile of the scores",
}
RESILIENCE_TITLE = "Resilience, against the same run without the shock:"
SCORES_TITLE = "Firms' resilience scores (1 = hit hard, 5 = unaffected):"


def _number(v) -> str:
    return f"{v:,.0f}" if isinstance(v, int) or abs(v) >= 1000 else f"{v:,.2f}"


def format_summary(summary: dict) -> str:
    """The printed summary: the run's figures, then its resilience, the shock's cost first
    (or a line saying there was no shock), then the spread of the firms' scores."""
    lines = []
    for key, label in LABELS.items():
        if key not in summary:  # a summary without the resilience figures
            continue
        if key == "output_lost":
            lines.append(f"  {RESILIENCE_TITLE}")
            if not summary.get("shock_in_run"):
                lines.append(f"  {'Output lost to a shock':<52} {NO_SHOCK_TEXT:>20}")
        if key == "mean_resilience_end" and "output_lost" in summary:
            lines.append(f"  {SCORES_TITLE}")
        v = summary[key]
        if v is None:
            continue
        if key == "recovery_months" and not summary.get("recovered", 1):
            text = "not by the end"
        elif key == "resilience_top_share_end":
            text = f"{v * 100:.0f} %"
        else:
            text = _number(v)
        lines.append(f"  {label:<52} {text:>20}")
    return "\n".join(lines)
