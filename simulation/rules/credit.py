"""Credit lines: months of trend revenue x country access x the firm's standing with lenders x
the month's crunch multiplier (ODD §7.12)."""

from __future__ import annotations

import numpy as np

from ..regions import INSTITUTIONS_MID, region_array

# standing = (STANDING_FLOOR + (1 - STANDING_FLOOR) x institutions / INSTITUTIONS_MID)
#            x (1 + alliance_credit_bonus x alliances held)
STANDING_FLOOR = 0.5  # at a perceived context of 0 half the line (firms report 1 at least: 2/3)


def credit_base(state, p: dict, rows=slice(None)) -> np.ndarray:
    """The credit line of firms `rows` before any crunch.

    line = credit_months x trend x country access x institutional standing x partners
    institutional standing = 0.5 + 0.5 x institutions / 3: where a firm perceives strong
      support (creditor protection, guarantee and development programmes, associations that
      vouch for members) lenders give it more (Beck, Demirgüç-Kunt and Maksimovic 2005:
      financing obstacles bind small firms hardest where legal and financial institutions
      are weak); 1 at the survey's mean, 2/3 at the lowest reported (1), 4/3 at the top (5)
    partners = 1 + alliance_credit_bonus x alliances held: joint loan and grant
      applications and partners who vouch (TARGETS §2: collaboration eases access to
      finance)
    """
    access = region_array("credit_access")[state.region[rows]]
    standing = STANDING_FLOOR + (1.0 - STANDING_FLOOR) * state.institutions[rows] / INSTITUTIONS_MID
    partners = 1.0 + p["alliance_credit_bonus"] * state.n_alliances[rows]
    return p["credit_months"] * state.trend[rows] * access * standing * partners


def update_credit(state, p: dict, credit_mult: np.ndarray) -> None:
    """Credit line = credit_base x crunch multiplier."""
    state.credit_limit[:] = credit_base(state, p) * credit_mult
