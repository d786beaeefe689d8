"""Country (region), sector and size-class presets.

Institutional quality is on the survey's 0-5 scale (TARGETS §3: UK and Canada
~3.6-3.8, Vietnam and India ~2.7-2.9, Kenya ~2.4-2.6; overall mean ~3.0); Kenya's 2.6,
the technology sector's innovation multiplier of 1.2 and the services sector's of 0.7
(the survey's innovation sd across seeds) come from the calibration (docs/ODD.md,
Section 10.2).
Coordination-cost and regulatory-uncertainty multipliers run the other way
(TARGETS §2-3: frictions are higher where institutions are weaker). Revenue
scales are relative (thousand USD-equivalent per month); growth and digital
adoption figures are assumptions awaiting calibration (issue 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import COUNTRIES

SECTORS = ("manufacturing", "services", "technology")
# the institutional-context scale (TARGETS §1: 0-5): the lowest a firm reports (the survey's
# answers span 1-5), the survey's mean (the mid-point frictions and credit are set around) and
# the top (full enforcement)
INSTITUTIONS_LOW, INSTITUTIONS_MID, INSTITUTIONS_TOP = 1.0, 3.0, 5.0
SIZE_CLASSES = ("micro", "small", "medium")


@dataclass(frozen=True)
class Region:
    name: str
    label: str
    institutions: float  # mean perceived institutional context, 0-5
    coordination_mult: float  # multiplies coordination and transaction costs
    regulatory_uncertainty: float  # multiplies regulatory shock effects
    demand_growth_bonus: float  # added to the trend demand growth, per year
    digital_mult: float  # multiplies the platform adoption share
    credit_access: float  # multiplies credit lines
    revenue_scale: float  # relative revenue level (PPP-adjusted, assumption)


REGIONS: dict[str, Region] = {
    "vietnam": Region("vietnam", "Vietnam", 2.8, 1.15, 1.2, 0.02, 0.9, 0.8, 0.6),
    "kenya": Region("kenya", "Kenya", 2.6, 1.35, 1.4, 0.02, 0.8, 0.6, 0.4),
    "uk": Region("uk", "United Kingdom", 3.6, 0.85, 0.8, -0.01, 1.3, 1.2, 1.4),
    "canada": Region("canada", "Canada", 3.6, 0.85, 0.8, 0.0, 1.3, 1.2, 1.4),
    "india": Region("india", "India", 2.7, 1.2, 1.3, 0.02, 1.0, 0.8, 0.6),
}
assert tuple(REGIONS) == COUNTRIES


@dataclass(frozen=True)
class Sector:
    name: str
    logistics_share: float  # share of variable cost that is logistics
    infra_share: float  # share of fixed cost that is IT / infrastructure
    rd_share: float  # share of fixed cost that is R&D (prototypes, labs)
    export_share: float  # mean share of output exported
    contract_share: float  # share of revenue from large contracts (joint bids)
    innovation_mult: float  # multiplies the innovation hazard
    revenue_per_employee: float  # thousand per month


SECTOR_PRESETS: dict[str, Sector] = {
    "manufacturing": Sector("manufacturing", 0.25, 0.15, 0.10, 0.30, 0.25, 1.0, 9.0),
    "services": Sector("services", 0.10, 0.25, 0.05, 0.12, 0.30, 0.7, 7.0),
    "technology": Sector("technology", 0.05, 0.40, 0.30, 0.25, 0.25, 1.2, 11.0),
}

# employees: lower and upper bound per size class (EU SME definition)
SIZE_BOUNDS = {"micro": (1, 9), "small": (10, 49), "medium": (50, 249)}


def region_array(field: str) -> np.ndarray:
    """One field of every region preset, indexed by region code."""
    return np.array([getattr(REGIONS[c], field) for c in COUNTRIES], dtype=np.float64)


def sector_array(field: str) -> np.ndarray:
    """One field of every sector preset, indexed by sector code."""
    return np.array([getattr(SECTOR_PRESETS[s], field) for s in SECTORS], dtype=np.float64)


def size_class_of(employees: np.ndarray) -> np.ndarray:
    """Size class code (0 micro, 1 small, 2 medium) from employee counts."""
    return (employees >= 10).astype(np.int8) + (employees >= 50)
