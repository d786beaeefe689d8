"""Headline figures of one run, computed from its monthly time series."""

from __future__ import annotations

import pandas as pd


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
    "mean_resilience_end": "Mean firm resilience score at end (1-5)",
}


def format_summary(summary: dict[str, float]) -> str:
    lines = []
    for key, label in LABELS.items():
        v = summary[key]
        text = f"{v:,.0f}" if isinstance(v, int) or abs(v) >= 1000 else f"{v:,.2f}"
        lines.append(f"  {label:<44} {text:>14}")
    return "\n".join(lines)
