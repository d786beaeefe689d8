"""institution_building: perceived institutional context rises toward 5 with the
programme's reach (stronger enforcement, lower coordination cost).

Acts at `before_firms_act`. Spend: firms reached x cost per firm.
"""

from __future__ import annotations

import numpy as np

from ..params import Param

NAME = "institution_building"
FIELDS = {
    "gain_per_year": Param("gain_per_year", 0.3, 0.0, 5.0, "points/year", "policy",
                           "Rise in perceived institutional context at full reach."),
    "cost_per_firm": Param("cost_per_firm", 0.1, 0.0, 1e6, "thousand/month", "policy",
                           "Programme cost per firm reached."),
}


def before_firms_act(book, running, state, month, rng) -> None:
    for pol, budget in running:
        elig = pol.eligible(state)
        n = int(elig.sum())
        if n == 0:
            continue
        cost = pol.opt("cost_per_firm") * n
        reach = 1.0 if cost <= budget else budget / cost
        rise = pol.opt("gain_per_year") / 12.0 * reach
        state.institutions[elig] = np.minimum(5.0, state.institutions[elig] + rise).astype(
            np.float32
        )
        book.book(NAME, min(cost, budget))
