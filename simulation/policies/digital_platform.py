"""digital_platform: eligible non-adopters join the matchmaking platform (wider search,
visible reputation).

Acts at `before_firms_act`. Spend: adopters x onboarding cost.
"""

from __future__ import annotations

import numpy as np

from ..params import Param

NAME = "digital_platform"
FIELDS = {
    "adoption_rate": Param("adoption_rate", 0.05, 0.0, 1.0, "per month", "policy",
                           "Share of eligible non-adopters who join each month."),
    "cost_per_adopter": Param("cost_per_adopter", 2.0, 0.0, 1e6, "thousand", "policy",
                              "Onboarding cost per firm."),
}


def before_firms_act(book, running, state, month, rng: np.random.Generator) -> None:
    for pol, budget in running:
        cand = np.flatnonzero(pol.eligible(state) & ~state.digital)
        cost = pol.opt("cost_per_adopter")
        want = cand[rng.random(cand.size) < pol.opt("adoption_rate")]
        if cost > 0 and want.size > budget // cost:
            want = np.sort(rng.choice(want, size=int(budget // cost), replace=False))
        state.digital[want] = True
        book.book(NAME, want.size * cost)
