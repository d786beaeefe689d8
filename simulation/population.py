"""The initial firm population and the entrants of later months.

Firms are drawn country by country (equal shares for country='all', like the
survey's ~100 firms per country), sector uniformly, size class from the
registry shares (entrants are mostly micro). Revenue within a size class is
Pareto-tailed so that the size distribution has a Zipf-like upper tail
(TARGETS §4).
"""

from __future__ import annotations

import numpy as np

from .params import COUNTRIES
from .regions import (
    INSTITUTIONS_LOW,
    INSTITUTIONS_TOP,
    REGIONS,
    SECTORS,
    SIZE_BOUNDS,
    SIZE_CLASSES,
    region_array,
    sector_array,
    size_class_of,
)
from .state import N_CAPABILITIES, FirmState

ENTRANT_SIZE_SHARES = (0.9, 0.09, 0.01)


def _draw_employees(rng: np.random.Generator, size_class: np.ndarray) -> np.ndarray:
    """Employees within each class's bounds, Pareto-tailed (exponent ~1)."""
    lo = np.array([SIZE_BOUNDS[c][0] for c in SIZE_CLASSES], dtype=np.float64)[size_class]
    hi = np.array([SIZE_BOUNDS[c][1] for c in SIZE_CLASSES], dtype=np.float64)[size_class]
    # truncated Pareto with tail exponent 1 by inverse transform
    u = rng.random(size_class.size)
    return lo * hi / (hi - u * (hi - lo))


# the fields populate() sets for every new firm (the others start from their defaults)
POPULATED = frozenset((
    "alive", "born", "region", "sector", "employees", "market", "revenue_per_employee",
    "size_class", "key", "scale", "revenue", "revenue_prev", "trend", "var_cost_ratio",
    "fixed_cost_ratio", "logistics_share", "infra_share", "rd_share", "export_share",
    "contract_share", "capital", "capability", "absorptive", "trustworthiness",
    "trust_propensity", "reputation", "digital", "institutions", "age",
))


def populate(
    state: FirmState,
    rng: np.random.Generator,
    k: int,
    params: dict,
    step: int,
    entrants: bool = False,
) -> np.ndarray:
    """Add k firms to `state` (reusing exited firms' rows) and draw every attribute.

    Inputs: the registry values in `params`; outputs: rows of `state` filled in.
    """
    rows = state.new_rows(k, written=POPULATED)
    if k == 0:
        return rows
    country = params["country"]
    if country == "all":
        region = rng.integers(0, len(COUNTRIES), k).astype(np.int8)
    else:
        region = np.full(k, COUNTRIES.index(country), dtype=np.int8)
    sector = rng.integers(0, len(SECTORS), k).astype(np.int8)
    if entrants:
        shares = ENTRANT_SIZE_SHARES
    else:
        micro, small = params["share_micro"], params["share_small"]
        shares = (micro, small, max(0.0, 1.0 - micro - small))
    p = np.asarray(shares, dtype=np.float64)
    size_class = rng.choice(3, size=k, p=p / p.sum()).astype(np.int8)
    employees = _draw_employees(rng, size_class)

    rev_per_emp = sector_array("revenue_per_employee")[sector] * region_array("revenue_scale")[
        region
    ]
    scale = employees * rev_per_emp

    state.alive[rows] = True
    state.born[rows] = step
    state.region[rows] = region
    state.sector[rows] = sector
    state.employees[rows] = employees
    state.market[rows] = sector.astype(np.int16) * len(COUNTRIES) + region
    state.revenue_per_employee[rows] = rev_per_emp
    state.size_class[rows] = size_class_of(employees)
    state.key[rows] = rng.random(k)
    state.scale[rows] = scale
    state.revenue[rows] = scale
    state.revenue_prev[rows] = scale
    state.trend[rows] = scale
    # entrants are more varied: many are less productive than incumbents (selection)
    vc = rng.normal(params["variable_cost_ratio"] + (0.02 if entrants else 0.0),
                    0.08 if entrants else 0.05, k)
    state.var_cost_ratio[rows] = np.clip(vc, 0.3, 1.2)
    state.fixed_cost_ratio[rows] = params["fixed_cost_ratio"] * rng.uniform(0.7, 1.3, k)
    state.logistics_share[rows] = np.clip(
        sector_array("logistics_share")[sector] * rng.uniform(0.6, 1.4, k), 0, 0.9
    )
    state.infra_share[rows] = np.clip(
        sector_array("infra_share")[sector] * rng.uniform(0.6, 1.4, k), 0, 0.9
    )
    state.rd_share[rows] = np.clip(
        sector_array("rd_share")[sector] * rng.uniform(0.5, 1.5, k), 0, 0.9
    )
    state.export_share[rows] = np.clip(
        rng.beta(2, 2, k) * 2 * sector_array("export_share")[sector], 0, 1
    )
    state.contract_share[rows] = np.clip(
        sector_array("contract_share")[sector] * rng.uniform(0.5, 1.5, k), 0, 0.9
    )
    buffer = params["initial_buffer"] * (0.5 if entrants else 1.0)
    state.capital[rows] = scale * buffer * rng.uniform(0.5, 1.5, k)
    # capabilities: a sector profile plus idiosyncratic variation
    profile = np.eye(len(SECTORS), N_CAPABILITIES, dtype=np.float32)[sector]
    state.capability[rows] = np.clip(
        0.5 * profile + rng.random((k, N_CAPABILITIES)).astype(np.float32) * 0.6, 0, 1
    )
    state.absorptive[rows] = rng.beta(2, 4, k)
    # Beta(a, b) with mean m: b = a (1 - m) / m
    m = min(max(params["trustworthiness_mean"], 1e-3), 1 - 1e-3)
    state.trustworthiness[rows] = rng.beta(4.0, 4.0 * (1 - m) / m, k)
    state.trust_propensity[rows] = np.clip(
        rng.normal(params["trust_propensity_mean"], 0.15, k), 0.01, 0.99
    )
    state.reputation[rows] = 0.5
    digital_p = np.clip(params["digital_adoption"] * region_array("digital_mult")[region], 0, 1)
    state.digital[rows] = rng.random(k) < digital_p
    inst_mean = np.array([REGIONS[c].institutions for c in COUNTRIES])[region]
    state.institutions[rows] = np.clip(
        rng.normal(inst_mean, params["institution_sd"]), INSTITUTIONS_LOW, INSTITUTIONS_TOP
    )
    state.age[rows] = 0 if entrants else rng.integers(12, 240, k)
    return rows
