"""What every instrument shares: the common fields, the budget cap and the value bonus."""

from __future__ import annotations

import numpy as np

from ..params import COUNTRIES, Param
from ..regions import SECTORS, SIZE_CLASSES

# extra value share of an R&D or joint-bid alliance while a programme funds that kind
VALUE_BONUS = 0.01

COMMON_FIELDS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("kind", None, group="policy", help="Instrument.", kind=str, choices=()),
        Param("budget", 100.0, 0.0, 1e9, "thousand/month per 1,000 firms", "policy",
              "Monthly budget per 1,000 firms of the initial population (so a scenario means "
              "the same at any model size); unspent budget lapses.", float),
        Param("start", 1, -240, 1200, "month", "policy",
              "First month the instrument runs (from the end of the burn-in).", int),
        Param("end", 1200, -240, 100000, "month", "policy", "Last month it runs.", int),
        Param("regions", [], group="policy", help="Eligible countries (empty: all).",
              kind=list, choices=COUNTRIES),
        Param("sectors", [], group="policy", help="Eligible sectors (empty: all).",
              kind=list, choices=SECTORS),
        Param("size_classes", [], group="policy", help="Eligible size classes (empty: all).",
              kind=list, choices=SIZE_CLASSES),
    ]
}


def capped(amounts: np.ndarray, budget: float) -> tuple[np.ndarray, float]:
    """Scale payments down pro rata so that they fit the budget; return them and the total."""
    total = float(amounts.sum())
    if total > budget > 0:
        amounts = amounts * (budget / total)
        total = float(amounts.sum())
    elif budget <= 0:
        return np.zeros_like(amounts), 0.0
    return amounts, total
