"""procurement_access: a share of public contracts reserved for SME joint-bid consortia.

Acts at `month_context` (joint bids are worth a little more to form) and at
`after_effects` (the reserved contracts, shared among eligible joint-bid members by trend
revenue, at most a tenth of their revenue). Spend: contract value.
"""

from __future__ import annotations

import numpy as np

from ..alliances import BID
from ..params import Param
from .base import VALUE_BONUS

NAME = "procurement_access"
FIELDS = {
    "min_members": Param("min_members", 2, 2, 4, "firms", "policy",
                         "Smallest joint-bid alliance that may bid for reserved contracts.",
                         int),
}
CONTRACT_CAP = 0.1  # a consortium takes at most this share of its members' revenue


def month_context(book, running, state, month, context) -> None:
    context.value_bonus[BID] = VALUE_BONUS


def after_effects(book, running, state, month, effects, alliances) -> dict:
    """Reserved contracts shared by joint-bid members. Output: extra revenue per firm."""
    bid_members = alliances.largest_of_type(state, BID)  # size of its largest joint bid
    extra = np.zeros(state.n)
    for pol, budget in running:
        elig = pol.eligible(state) & (bid_members >= pol.opt("min_members"))
        weight = np.where(elig, state.trend, 0.0)
        total = weight.sum()
        if total <= 0:
            continue
        share = np.minimum(budget * weight / total, CONTRACT_CAP * state.trend)
        extra += share
        book.book(NAME, float(share.sum()))
    return {"extra_revenue": extra}
