"""Firm size relative to the reference firm, and what follows from it for alliances."""

from __future__ import annotations

import numpy as np


def relative_size(trend: np.ndarray) -> np.ndarray:
    """Size relative to the reference firm (20 thousand revenue a month), float32, >= 0.05."""
    return np.clip(trend.astype(np.float32) / np.float32(20.0), 0.05, 1e6)


def alliance_reach(rel: np.ndarray, p: dict) -> np.ndarray:
    """Share of a firm's business its alliances reach: min(1, rel^-e), e =
    alliance_size_elasticity (rel: relative_size). Alliance effects on revenue and cost, and
    the value firms expect from an alliance, are multiplied by it."""
    return np.minimum(rel.astype(np.float64) ** -p["alliance_size_elasticity"], 1.0)


def sizes_of(trend: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """(relative_size, alliance_reach) of firms with this trend: what the month's type values
    and demand walk read (made once a month, simulation/model.py)."""
    rel = relative_size(trend)
    return rel, alliance_reach(rel, p)
