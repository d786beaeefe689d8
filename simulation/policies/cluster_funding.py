"""cluster_funding: pays a share of eligible alliance members' coordination cost.

Acts at `month_context` (the share each firm expects to be paid, which search and formation
weigh) and at `after_effects` (the subsidy paid from the coordination cost the alliances'
effects charged this month). Spend: the subsidy paid.
"""

from __future__ import annotations

import numpy as np

from ..params import Param
from .base import capped

NAME = "cluster_funding"
FIELDS = {
    "subsidy_share": Param("subsidy_share", 0.5, 0.0, 1.0, "share", "policy",
                           "Share of coordination cost paid by the programme."),
}


def month_context(book, running, state, month, context) -> None:
    """The share of its coordination cost each firm expects to be paid (the largest of the
    programmes it is eligible for)."""
    share = np.zeros(state.n)
    for pol, _budget in running:
        share = np.maximum(share, np.where(pol.eligible(state), pol.opt("subsidy_share"), 0.0))
    context.coord_subsidy = share


def after_effects(book, running, state, month, effects, alliances) -> dict:
    """Pay a share of eligible firms' coordination cost. Output: grants per firm."""
    coordination_cost = effects.coordination_cost
    grants = np.zeros(state.n)
    for pol, budget in running:
        elig = pol.eligible(state)
        # overlapping programmes never pay more than the whole cost
        want = np.where(elig, np.minimum(coordination_cost * pol.opt("subsidy_share"),
                                         coordination_cost - grants), 0.0)
        paid, total = capped(want, budget)
        grants += paid
        book.book(NAME, total)
    return {"grants": grants}
