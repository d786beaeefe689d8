"""Shock specifications and their effect on the economy.

A shock has a kind, a start month (counted from the end of the burn-in; month
1 is the first month of the horizon), a duration at full depth, a recovery
period and profile, and a scope (sectors, regions, share of firms). Its
intensity I(t) is 1 during the shock and falls back to 0 over the recovery.

Effects at intensity I and depth d on an affected firm:
- demand: revenue x (1 - d I)
- supply: logistics cost x (1 + d I), other inputs x (1 + d I / 2), and a
  monthly chance d I / 5 of a supplier failure that loses 30 % of the month's
  output (halved for members of a supply-chain alliance: diversified supply)
- credit: credit line x (1 - d I), interest x (1 + 2 d I)
- regulatory: compliance cost d I x 5 % of revenue x the region's regulatory
  uncertainty; partner search and formation x (1 - d I x uncertainty / 1.4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import COUNTRIES, Param
from .regions import SECTORS, region_array

SHOCK_KINDS = ("demand", "supply", "credit", "regulatory")
PROFILES = ("linear", "exponential", "permanent")

# The schema of one [[shocks]] entry: the single source for the loader and the docs.
SHOCK_FIELDS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("kind", None, group="shock", help="Kind of shock.", kind=str, choices=SHOCK_KINDS),
        Param("start", 12, -240, 1200, "month", "shock",
              "First month at full depth, counted from the end of the burn-in.", int),
        Param("duration", 12, 1, 1200, "months", "shock", "Months at full depth.", int),
        Param("depth", 0.2, 0.0, 1.0, "share", "shock",
              "Depth: revenue lost, cost added, credit withdrawn or compliance burden.", float),
        Param("recovery", 12, 0, 1200, "months", "shock",
              "Months over which the shock fades after its duration.", int),
        Param("profile", "linear", group="shock", help="How the shock fades.", kind=str,
              choices=PROFILES),
        Param("sectors", [], group="shock", help="Sectors hit (empty: all).", kind=list,
              choices=SECTORS),
        Param("regions", [], group="shock", help="Countries hit (empty: all).", kind=list,
              choices=COUNTRIES),
        Param("share", 1.0, 0.0, 1.0, "share", "shock", "Share of firms in scope hit.", float),
    ]
}


@dataclass
class Shock:
    kind: str
    start: int = 12
    duration: int = 12
    depth: float = 0.2
    recovery: int = 12
    profile: str = "linear"
    sectors: list | None = None
    regions: list | None = None
    share: float = 1.0

    def intensity(self, month: int) -> float:
        """I(t) in [0, 1] at a month counted from the end of the burn-in."""
        if month < self.start:
            return 0.0
        end = self.start + self.duration
        if month < end:
            return 1.0
        if self.profile == "permanent":
            return 1.0
        r = month - end + 1
        if self.profile == "linear":
            return max(0.0, 1.0 - r / (self.recovery + 1))
        level = float(np.exp(-3.0 * r / max(self.recovery, 1)))
        return level if level >= 0.01 else 0.0

    def in_scope(self, sector: np.ndarray, region: np.ndarray, key: np.ndarray, index: int):
        """Boolean mask of the firms this shock hits (fixed per firm via its key)."""
        mask = np.ones(sector.shape, dtype=bool)
        if self.sectors:
            mask &= np.isin(sector, [SECTORS.index(s) for s in self.sectors])
        if self.regions:
            mask &= np.isin(region, [COUNTRIES.index(r) for r in self.regions])
        if self.share < 1.0:
            # a shock-specific rotation of the firm's key: independent across shocks
            u = (key + 0.6180339887498949 * (index + 1)) % 1.0
            mask &= u < self.share
        return mask


def random_shocks(rng: np.random.Generator, rate: float, depth: float, months: int, burn_in: int):
    """Unscheduled shocks drawn up front (Poisson arrivals over the whole run)."""
    if rate <= 0:
        return []
    n = rng.poisson(rate * (months + burn_in) / 12.0)
    shocks = []
    for _ in range(n):
        shocks.append(
            Shock(
                kind=SHOCK_KINDS[rng.integers(len(SHOCK_KINDS))],
                start=int(rng.integers(-burn_in + 1, months + 1)),
                duration=int(rng.integers(3, 13)),
                depth=depth,
                recovery=int(rng.integers(3, 13)),
                sectors=[SECTORS[rng.integers(len(SECTORS))]],
            )
        )
    return shocks


@dataclass
class ShockEffects:
    """Per-firm multipliers for one month (arrays over all firm rows)."""

    demand: np.ndarray  # revenue multiplier
    logistics: np.ndarray  # logistics cost multiplier
    inputs: np.ndarray  # other input cost multiplier
    failure_prob: np.ndarray  # chance of a supplier failure
    credit: np.ndarray  # credit line multiplier
    interest: np.ndarray  # interest multiplier
    compliance: np.ndarray  # compliance cost, share of revenue
    formation: np.ndarray  # multiplier on search and acceptance
    intensity: float  # the strongest intensity of any shock this month
    demand_hit: bool = False  # whether a demand shock is active this month


def credit_multiplier(shocks: list[Shock], month: int, state, rows: np.ndarray) -> np.ndarray:
    """The credit line multiplier of some firms (e.g. this month's entrants)."""
    mult = np.ones(rows.size)
    for i, shock in enumerate(shocks):
        level = shock.intensity(month)
        if shock.kind == "credit" and level > 0:
            hit = shock.in_scope(state.sector[rows], state.region[rows], state.key[rows], i)
            mult *= 1.0 - shock.depth * level * hit
    return mult


def shock_effects(shocks: list[Shock], month: int, state) -> ShockEffects:
    """Combine every shock active this month into per-firm multipliers.

    Multipliers that no shock moves this month are one shared read-only array of ones (or
    zeros): a month without shocks writes nothing per firm."""
    n = state.n
    ones, zeros = np.ones(n), np.zeros(n)
    ones.flags.writeable = zeros.flags.writeable = False
    eff = ShockEffects(ones, ones, ones, zeros, ones, ones, zeros, ones, 0.0)
    for i, shock in enumerate(shocks):
        level = shock.intensity(month)
        if level <= 0.0:
            continue
        eff.intensity = max(eff.intensity, level)
        hit = shock.in_scope(state.sector, state.region, state.key, i)
        d = shock.depth * level * hit
        # each multiplier is made anew (1 x m = m exactly): the shared arrays stay as they are
        if shock.kind == "demand":
            eff.demand = eff.demand * (1.0 - d)
            eff.demand_hit = True
        elif shock.kind == "supply":
            eff.logistics = eff.logistics * (1.0 + d)
            eff.inputs = eff.inputs * (1.0 + d / 2)
            eff.failure_prob = 1.0 - (1.0 - eff.failure_prob) * (1.0 - d / 5)
        elif shock.kind == "credit":
            eff.credit = eff.credit * (1.0 - d)
            eff.interest = eff.interest * (1.0 + 2 * d)
        else:  # regulatory
            uncertainty = region_array("regulatory_uncertainty")[state.region]
            eff.compliance = eff.compliance + 0.05 * d * uncertainty
            eff.formation = eff.formation * np.clip(1.0 - d * uncertainty / 1.4, 0.0, 1.0)
    return eff
