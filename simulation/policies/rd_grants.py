"""rd_grants: grants to members of multi-firm R&D consortia (TARGETS §2, Canada).

Acts at `month_context` (funded R&D consortia are worth a little more to form) and at
`after_effects` (grants paid to members, and a rise in their innovation hazard in
proportion to the grant they got). Spend: grants paid.
"""

from __future__ import annotations

import numpy as np

from ..alliances import RD
from ..params import Param
from .base import VALUE_BONUS, capped

NAME = "rd_grants"
FIELDS = {
    "grant_per_firm": Param("grant_per_firm", 5.0, 0.0, 1e6, "thousand/month", "policy",
                            "Grant per member of an R&D consortium (TARGETS §2, Canada)."),
    "innovation_boost": Param("innovation_boost", 0.5, 0.0, 5.0, "share", "policy",
                              "Rise in a funded firm's innovation hazard."),
}


def month_context(book, running, state, month, context) -> None:
    context.value_bonus[RD] = VALUE_BONUS


def after_effects(book, running, state, month, effects, alliances) -> dict:
    """Grants to members of R&D consortia. Output: grants and innovation boost per firm."""
    grants = np.zeros(state.n)
    boost = np.zeros(state.n)
    for pol, budget in running:
        elig = pol.eligible(state) & effects.rd_member
        want = np.where(elig, pol.opt("grant_per_firm"), 0.0)
        paid, total = capped(want, budget)
        grants += paid
        frac = np.divide(paid, want, out=np.zeros_like(paid), where=want > 0)
        boost += pol.opt("innovation_boost") * frac
        book.book(NAME, total)
    return {"grants": grants, "innovation_boost": boost}
