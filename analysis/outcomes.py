"""The outcomes of one experiment job: growth, resilience, alliance activity, policy spend.

Every name an experiment can report on (a sweep's `outcomes`, `sensitivity --outcome`) is
declared once here, with its label, unit, group and which direction is better. Growth and
alliance figures come from `analysis.summary.summarize` (the same numbers `simulate`
prints); resilience from `analysis.resilience`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation.errors import UserError
from simulation.params import suggest

from .resilience import system_resilience
from .summary import summarize


@dataclass(frozen=True)
class Outcome:
    name: str
    label: str
    unit: str
    group: str
    better: str  # "higher", "lower" or "" (neither)
    source: str = ""  # key in summarize(); empty for resilience metrics


_O = Outcome
OUTCOMES_LIST = [
    _O("revenue_growth", "Revenue growth", "% a year", "growth", "higher",
       "revenue_growth_pct_per_year"),
    _O("firms_alive_end", "Firms alive at end", "firms", "growth", "higher", "firms_alive_end"),
    _O("innovations", "Innovations", "count", "growth", "higher", "innovations"),
    _O("bankruptcies", "Bankruptcies", "count", "growth", "lower", "bankruptcies"),
    _O("output_lost", "Output lost to the shock", "% of no-shock revenue", "resilience",
       "lower"),
    _O("max_drop", "Deepest revenue drop", "% below no-shock", "resilience", "lower"),
    _O("recovery_months", "Months to recover 95 % of no-shock revenue", "months", "resilience",
       "lower"),
    _O("recovered", "Runs recovered by the end", "share", "resilience", "higher"),
    _O("survival_rate", "Firms alive after the shock", "% of no-shock", "resilience", "higher"),
    _O("alliances_formed", "Alliances formed", "count", "alliances", "higher",
       "alliances_formed"),
    _O("alliances_active_end", "Alliances in force at end", "count", "alliances", "higher",
       "alliances_active_end"),
    _O("firms_in_alliances_end", "Firms in an alliance at end", "share", "alliances", "higher",
       "firms_in_alliances_end"),
    _O("mean_trust_end", "Mean trust between partners at end", "0-1", "alliances", "higher",
       "mean_trust_end"),
    _O("policy_spend", "Public money spent", "thousand USD-equivalent", "policy", "",
       "policy_spend"),
]
OUTCOMES: dict[str, Outcome] = {o.name: o for o in OUTCOMES_LIST}
GROUP_TITLES = {"growth": "Growth", "resilience": "Resilience (against the no-shock run)",
                "alliances": "Alliance activity", "policy": "Policy"}


def check_outcomes(names, where: str = "outcomes") -> list[str]:
    """Validate outcome names (UserError naming the valid ones); return them as a list."""
    names = list(names)
    for name in names:
        if not isinstance(name, str):
            raise UserError(f"{where}: {name!r} is not an outcome name; expected names in "
                            f"quotes (valid: {', '.join(OUTCOMES)})")
        if name not in OUTCOMES:
            raise UserError(f"{where}: {name!r} is not an outcome{suggest(name, OUTCOMES)} "
                            f"(valid: {', '.join(OUTCOMES)})")
    if len(set(names)) != len(names):
        raise UserError(f"{where}: an outcome is listed twice")
    return names


def job_outcomes(frame: pd.DataFrame, counterfactual: pd.DataFrame | None) -> dict[str, float]:
    """Every outcome of one run (its horizon months), given its no-shock twin if it has one."""
    summary = summarize(frame)
    row = {o.name: float(summary[o.source]) for o in OUTCOMES_LIST if o.source}
    row.update(system_resilience(frame, counterfactual))
    return {o.name: row[o.name] for o in OUTCOMES_LIST}
