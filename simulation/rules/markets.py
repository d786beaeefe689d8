"""Markets reached with partners: growth that collaboration earns (ODD §7.11).

Joint marketing (co-branding, trade fairs, joint export: the Vietnam case) and joint bids for
contracts too large for one firm (the UK case) open customers the firm would not reach
alone. Each month a firm's demand level grows by

    market_access_growth / 12 x access x reach x enforcement

where access is its joint-marketing and joint-bidding alliances at their participation (at
most 2, Effects.market_access), reach the share of its business a partner can move
(sizes.alliance_reach), and enforcement = institutions / 5 the share of the jointly won
market a member keeps: where contracts are enforced, partners honour the shared customers
and contracts (TARGETS §2: strong institutions amplify the benefits of collaboration, UK and
Canada; coordination costs and disputes are higher where they are weak, Kenya and India).
"""

from __future__ import annotations

import numpy as np

from ..regions import INSTITUTIONS_TOP


def grow_markets(state, p: dict, access: np.ndarray, reach: np.ndarray) -> None:
    """The month's growth of each firm's demand level from markets reached with partners."""
    rate = p["market_access_growth"] / 12.0
    if rate <= 0.0:
        return
    rows = np.flatnonzero((access > 0) & state.alive)  # firms with such an alliance
    enforcement = state.institutions[rows] / INSTITUTIONS_TOP
    state.level[rows] *= np.exp(rate * access[rows] * reach[rows] * enforcement)
