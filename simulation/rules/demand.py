"""Demand: the markets' trend and cycle, each firm's demand walk, capacity following demand.

ODD §7.1 (the demand index) and §7.10 (the demand walk). Money is in thousand USD-equivalent
per month; every function works on whole arrays of firms, dead rows carried along and masked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import COUNTRIES
from ..regions import SECTORS, region_array
from ..sizes import sizes_of

TRANSITORY_SD = 0.03  # month-to-month noise around the firm's demand level, at 20 thousand a month
SECTOR_CYCLE_SD = 0.01  # common monthly demand noise per sector and country
CAPACITY_ADJUSTMENT = 0.03  # share of the demand-capacity gap closed each month


def new_demand_index() -> np.ndarray:
    """Demand index per (sector, country), 1 at the start."""
    return np.ones((len(SECTORS), len(COUNTRIES)))


def advance_demand(index: np.ndarray, p: dict, rng: np.random.Generator) -> None:
    """Grow each sector-country market at trend growth plus common noise (in place)."""
    growth = (p["demand_growth"] + region_array("demand_growth_bonus")) / 12.0
    noise = rng.normal(0.0, SECTOR_CYCLE_SD, index.shape)
    index *= np.exp(growth[None, :] + noise - 0.5 * SECTOR_CYCLE_SD**2)


def capacity_revenue(state, index: np.ndarray) -> np.ndarray:
    """Capacity times market demand: the revenue a firm's fixed costs are built for."""
    return state.scale * index.ravel()[state.market]


@dataclass
class Walk:
    """This month's demand walk (demand_walk), before any alliance effect."""

    capacity: np.ndarray  # capacity revenue after this month's adjustment
    expected: np.ndarray  # capacity x the firm's demand level
    reach: np.ndarray  # sizes.alliance_reach of every firm
    failed: np.ndarray  # supplier failure this month
    noise: np.ndarray  # transitory noise in orders


def demand_walk(state, p: dict, rng: np.random.Generator, index: np.ndarray, shock,
                sizes: tuple[np.ndarray, np.ndarray] | None = None) -> Walk:
    """The part of production that no alliance phase touches: each firm's demand level takes
    its step, capacity follows it, and the month's supplier failures and noise are drawn
    (from the row stream `walk`, in this order). It reads the firms' trend, demand level and
    capacity and writes only the last two, which the alliance phases never read, so the model
    can take it on a second core while alliances are formed (see `produce`). `sizes`: every
    firm's sizes.sizes_of(trend), if they are known already.
    """
    n = state.n
    alive = state.alive
    # firm-specific demand: a random walk (Gibrat) with size-dependent volatility
    rel, reach = sizes_of(state.trend, p) if sizes is None else sizes
    size_factor = rel ** np.float32(-0.2)
    b = np.minimum(np.float32(p["revenue_volatility"] / np.sqrt(2.0)) * size_factor,
                   np.float32(0.5))
    # Laplace steps (inverse CDF of one uniform), mean-corrected: E[exp(bL)] = 1 / (1 - b^2)
    v = rng.random(n, dtype=np.float32) - np.float32(0.5)
    laplace = -np.sign(v) * np.log1p(np.float32(-2.0) * np.minimum(np.abs(v), np.float32(0.4999)))
    step = laplace * b + np.log1p(-(b * b))
    add_demand_jumps(step, size_factor, p, rng)
    state.level *= np.exp(step * alive)
    # capacity (and with it fixed cost) follows demand with a lag
    adjust = np.exp(np.log(state.level) * (CAPACITY_ADJUSTMENT * alive))
    state.scale *= adjust
    state.level /= adjust

    capacity = capacity_revenue(state, index)
    failed = rng.random(n, dtype=np.float32) < shock.failure_prob
    # month-to-month noise in orders is firm-specific too, so it falls with size like the walk
    sd = np.float32(TRANSITORY_SD) * size_factor
    noise = np.exp(rng.standard_normal(n, dtype=np.float32) * sd - np.float32(0.5) * sd * sd)
    return Walk(capacity=capacity, expected=capacity * state.level,
                reach=reach, failed=failed, noise=noise)


def add_demand_jumps(step: np.ndarray, size_factor: np.ndarray, p: dict,
                     rng: np.random.Generator) -> None:
    """Rare, large changes of a firm's demand level: a major customer or contract won or lost.

    Inputs: the month's log demand steps (changed in place) and each firm's size factor
    (trend/20)^-0.2. With probability demand_jump_rate / 12 a month a firm's log demand jumps
    by +-s min(E, m), E ~ Exponential(1), m = demand_jump_cap, s = min(demand_jump_size x size
    factor, 0.5): a gain with probability demand_jump_up_share, else a loss. Lumpy
    opportunities make growth rates tent-shaped (Bottazzi and Secchi 2006); a jump is a smaller
    share of a larger firm's demand, so volatility falls with size (Stanley et al. 1996; Amaral
    et al. 1997); and one customer or contract is a bounded share of demand (the cap). Every
    firm's step is corrected by -ln(1 + c), c = E[exp(jump)] - 1, so that jumps leave the mean
    demand level unchanged. One float32 uniform per firm decides whether, which way and how far.
    """
    prob = np.float32(p["demand_jump_rate"] / 12.0)
    u = rng.random(step.size, dtype=np.float32)  # drawn even when off: streams stay aligned
    if prob <= 0.0 or p["demand_jump_size"] <= 0.0:
        return
    up_share = np.float32(p["demand_jump_up_share"])
    cap = np.float32(p["demand_jump_cap"])
    s = np.minimum(np.float32(p["demand_jump_size"]) * size_factor, np.float32(0.5))
    # E[exp(a min(E, m))] = (1 - k) / (1 - a) + k with k = exp(-(1 - a) m), for a = s and -s
    # (k_up x k_down = exp(-2m), which saves a second exponential over all firms)
    k_up = np.exp((s - 1) * cap)
    k_down = np.float32(np.exp(-2.0 * cap)) / k_up
    gain = (1 - k_up) / (1 - s) + k_up - 1
    loss = (1 - k_down) / (1 + s) + k_down - 1
    step -= np.log1p(prob * (up_share * gain + (1 - up_share) * loss))
    hit = np.flatnonzero(u < prob)
    w = u[hit] / prob  # uniform on [0, 1) given a jump
    up = w < up_share
    e = np.where(up, w / max(up_share, 1e-9), (w - up_share) / max(1 - up_share, 1e-9))
    size = np.minimum(-np.log(np.maximum(e, np.float32(1e-30))), cap) * s[hit]
    step[hit] += np.where(up, size, -size)
