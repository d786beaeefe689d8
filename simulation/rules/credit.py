"""Credit lines: months of trend revenue x country access x the month's crunch multiplier
(ODD §7.12)."""

from __future__ import annotations

import numpy as np

from ..regions import region_array


def credit_base(state, p: dict, rows=slice(None)) -> np.ndarray:
    """The credit line of firms `rows` before any crunch: months of trend revenue x country
    access."""
    access = region_array("credit_access")[state.region[rows]]
    return p["credit_months"] * state.trend[rows] * access


def update_credit(state, p: dict, credit_mult: np.ndarray) -> None:
    """Credit line = months of trend revenue x country access x crunch multiplier."""
    state.credit_limit[:] = credit_base(state, p) * credit_mult
