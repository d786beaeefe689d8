"""trust_brokering: mediated introductions between eligible firms of one country, with
extra initial trust between the introduced firms.

Acts at `introductions` (before search: the introduced pairs join formation's
candidates). Spend: introductions x cost.
"""

from __future__ import annotations

import numpy as np

from ..params import COUNTRIES, Param

NAME = "trust_brokering"
FIELDS = {
    "cost_per_intro": Param("cost_per_intro", 0.5, 0.0, 1e6, "thousand", "policy",
                            "Cost of one mediated introduction."),
    "trust_boost": Param("trust_boost", 0.2, 0.0, 1.0, "trust", "policy",
                         "Extra initial trust between introduced firms."),
}


def introductions(book, running, state, month, rng: np.random.Generator,
                  max_alliances: int, out: list) -> float:
    """Append (firms, introduced partners) to `out`; return the trust boost."""
    boost = 0.0
    for pol, budget in running:
        cost = pol.opt("cost_per_intro")
        elig = np.flatnonzero(pol.eligible(state) & (state.n_alliances < max_alliances))
        if elig.size < 2:
            continue
        k = elig.size // 2 if cost <= 0 else min(elig.size // 2, int(budget // cost))
        if k <= 0:
            continue
        i = rng.choice(elig, size=k, replace=False)
        # a partner from the same country among eligible firms
        order = elig[np.argsort(state.region[elig], kind="stable")]
        counts = np.bincount(state.region[order], minlength=len(COUNTRIES))
        offs = np.r_[0, np.cumsum(counts)[:-1]]
        r = state.region[i]
        j = order[offs[r] + (rng.random(k) * counts[r]).astype(np.int64)]
        ok = j != i
        out.append((i[ok], j[ok]))
        boost = max(boost, pol.opt("trust_boost"))
        book.book(NAME, ok.sum() * cost)
    return boost
