"""credit_guarantee: keeps credit lines open in a crunch, restoring `coverage` of the
credit withdrawn, for a fee paid from the budget.

Acts at `credit`. Spend: the fee on guaranteed credit.
"""

from __future__ import annotations

import numpy as np

from ..params import Param

NAME = "credit_guarantee"
FIELDS = {
    "coverage": Param("coverage", 0.8, 0.0, 1.0, "share", "policy",
                      "Share of credit withdrawn in a crunch that the guarantee restores."),
    "fee_rate": Param("fee_rate", 0.01, 0.0, 1.0, "per month", "policy",
                      "Cost to the public purse per unit of guaranteed credit."),
}


def credit(book, running, state, month, credit_mult: np.ndarray, base_limit) -> np.ndarray:
    """The month's credit multiplier per firm with the guarantee. `base_limit()`: each
    firm's credit line before any crunch (computed only when a guarantee runs)."""
    out = credit_mult.copy()
    base = base_limit()
    for pol, budget in running:
        elig = pol.eligible(state) & (credit_mult < 1.0)
        if not elig.any():
            continue
        restored = (1.0 - credit_mult[elig]) * pol.opt("coverage")
        guaranteed = restored * base[elig]
        fee = pol.opt("fee_rate")
        total = float(guaranteed.sum()) * fee
        if total > budget:
            restored *= budget / total
            total = budget
        out[elig] = np.maximum(out[elig], credit_mult[elig] + restored)
        book.book(NAME, total)
    return out
