"""Demand, prices, costs, profit, credit, investment, innovation, entry and exit.

Money is in thousand USD-equivalent per month. Every function works on whole
arrays of firms; dead rows are carried along and masked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels, side
from .metrics import RESILIENCE_CONSTANTS, update_resilience
from .params import COUNTRIES
from .regions import SECTORS, region_array, sector_array, size_class_of
from .sizes import sizes_of

SUPPLIER_FAILURE_LOSS = 0.3  # share of a month's output lost in a supplier failure
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
    (from the economy stream, in this order). It reads the firms' trend, demand level and
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


def produce(state, p: dict, rng: np.random.Generator, index: np.ndarray, shock, effects,
            extra_revenue: np.ndarray, walk: Walk | None = None, compiled: bool = False) -> None:
    """Revenue, costs and profit of the month; profit flows into capital.

    capacity = demand index x scale;  expected = capacity x level
    volume   = expected x demand shock (after diversification) x (1 - supplier failure loss)
               x (1 + contract share x joint-bid boost) x transitory noise + public contracts
    transitory noise = exp(N(0, sd) - sd^2 / 2), sd = 0.03 x (trend/20)^-0.2 (the size factor)
    revenue  = volume x (1 + export share x co-marketing premium)
    fixed    = fixed ratio x capacity x (1 - infra share x infra cut - R&D share x R&D cut)
    variable = volume x variable ratio
               x [(1 - ls) x inputs + ls x (1 - logistics cut) x logistics]
    cost     = fixed + variable + compliance + interest on drawn credit + coordination
    Each alliance effect above (joint-bid boost, co-marketing premium, infrastructure, R&D
    and logistics cuts) is multiplied by the firm's reach, min(1, (trend/20)^-e) with
    e = alliance_size_elasticity: a partner matters less to a larger firm's business.
    The firm's demand level follows a random walk with Laplace steps whose scale falls
    with size (x size^-0.2) and rare large jumps (a major customer or contract won or lost,
    `add_demand_jumps`), so growth rates are tent-shaped (TARGETS §4); capacity (and
    fixed cost) closes 3 % of its gap to demand each month. `walk`: this month's
    demand_walk if it has been taken already (else it is taken here, from `rng`).
    `compiled`: in one compiled pass per firm row (simulation/kernels.py, the same results).
    """
    if walk is None:
        walk = demand_walk(state, p, rng, index, shock)
    if compiled:
        _produce_compiled(state, p, shock, effects, extra_revenue, walk)
        return
    alive = state.alive
    capacity, expected, reach, failed = walk.capacity, walk.expected, walk.reach, walk.failed
    demand = effects.demand
    # alliances reach a smaller share of a larger firm's business: above the reference size
    # their effects are diluted by (size / reference)^-e (1 at e = 0: every firm alike)
    contract_boost = effects.contract_boost * reach
    price_premium = effects.price_premium * reach
    logistics_cut = effects.logistics_cut * reach
    infra_cut, rd_cut = effects.infra_cut * reach, effects.rd_speedup * reach
    loss = failed * np.where(effects.in_supply_chain, np.float32(SUPPLIER_FAILURE_LOSS / 2),
                             np.float32(SUPPLIER_FAILURE_LOSS))
    # volume (at list prices) carries variable cost; the co-marketing premium is pure price
    volume = (
        expected
        * demand
        * (1.0 - loss)
        * (1.0 + state.contract_share * contract_boost)
        * walk.noise
        + extra_revenue
    )
    volume = np.where(alive, volume, 0.0)
    revenue = volume * (1.0 + state.export_share * price_premium)

    ls = state.logistics_share
    fixed = state.fixed_cost_ratio * capacity * (
        1.0 - state.infra_share * infra_cut - state.rd_share * rd_cut
    )
    variable = volume * state.var_cost_ratio * (
        (1.0 - ls) * shock.inputs + ls * (1.0 - logistics_cut) * shock.logistics
    )
    compliance = shock.compliance * revenue
    interest = np.maximum(-state.capital, 0.0) * p["interest_rate"] / 12.0 * shock.interest
    cost = fixed + variable + compliance + interest + effects.coordination_cost
    profit = np.where(alive, revenue - cost, 0.0)

    state.revenue_prev[:] = state.revenue
    state.revenue[:] = revenue
    state.capital += profit
    state.flow_profit += profit

    # invest spare capital in capacity: one unit of annual revenue capacity per unit
    target = 2.0 * (fixed + variable)
    invest = np.where(alive, p["invest_share"] * np.maximum(state.capital - target, 0.0), 0.0)
    state.capital -= invest
    state.flow_invest += invest
    state.scale *= 1.0 + invest / np.maximum(capacity * 12.0, 1e-9)

    # pressure to collaborate: a fall below trend, a shock, a supplier failure
    drop = np.maximum(0.0, 1.0 - revenue / np.maximum(state.trend, 1e-9))
    need = np.clip(3.0 * drop + (1.0 - shock.demand) + (shock.logistics - 1.0) + failed, 0, 1)
    state.need[:] = np.where(alive, need, 0.0)
    update_resilience(state)  # against last month's trend, before it moves
    state.trend += np.where(alive, (revenue - state.trend) / 12.0, 0.0)
    state.employees[:] = np.where(alive, np.maximum(state.trend / state.revenue_per_employee, 1.0),
                                  state.employees)
    state.size_class[:] = size_class_of(state.employees)


def _produce_compiled(state, p: dict, shock, effects, extra_revenue: np.ndarray,
                      walk: Walk) -> None:
    """produce's arithmetic and update_resilience by kernels.produce."""
    s, e = state, effects
    kernels.compiled(kernels.produce)(
        s.alive, s.contract_share, s.export_share, s.logistics_share, s.fixed_cost_ratio,
        s.infra_share, s.rd_share, s.var_cost_ratio, s.capital, s.revenue, s.revenue_prev,
        s.flow_profit, s.flow_invest, s.scale, s.trend, s.need, s.employees,
        s.revenue_per_employee, s.size_class, s.episode_depth, s.episode_months, s.last_depth,
        s.last_recovery, s.resilience,
        shock.demand, shock.logistics, shock.inputs, shock.interest, shock.compliance,
        e.contract_boost, e.price_premium, e.logistics_cut, e.infra_cut, e.rd_speedup, e.demand,
        e.in_supply_chain, e.coordination_cost,
        extra_revenue, walk.capacity, walk.expected, walk.reach, walk.failed, walk.noise,
        float(p["interest_rate"]), float(p["invest_share"]),
        np.float32(SUPPLIER_FAILURE_LOSS / 2), np.float32(SUPPLIER_FAILURE_LOSS),
        RESILIENCE_CONSTANTS)


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


def credit_base(state, p: dict, rows=slice(None)) -> np.ndarray:
    """The credit line of firms `rows` before any crunch: months of trend revenue x country
    access."""
    access = region_array("credit_access")[state.region[rows]]
    return p["credit_months"] * state.trend[rows] * access


def update_credit(state, p: dict, credit_mult: np.ndarray) -> None:
    """Credit line = months of trend revenue x country access x crunch multiplier."""
    state.credit_limit[:] = credit_base(state, p) * credit_mult


def innovate(state, p: dict, rng: np.random.Generator, effects, grant_boost: np.ndarray,
             steps: np.ndarray | None = None) -> int:
    """Innovations this month; each lowers the firm's variable cost ratio.

    hazard = rate x sector multiplier x (0.5 + absorptive capacity)
             x (1 + 0.5 partner diversity) / (1 - R&D time cut) x (1 + grant boost)
    is the expected number of innovations a month; each firm's development project advances
    towards its next launch at that speed (see `_develop`).
    Competitors copy: each sector's mean productivity gain is passed on to prices, so
    an innovation is a relative advantage (the ratio of the innovator falls, the
    sector's rises by the sector mean). It reads no alliance, so the model runs it beside
    mutual aid and dissolution (simulation/side.py); `gain_experience` follows them.
    `steps`: this month's development_steps if drawn already (else drawn here, from `rng`).
    Output: the number of innovations.
    """
    if steps is None:
        steps = development_steps(rng, state.n)
    n_sec = len(SECTORS)
    log_gain = np.log1p(-p["innovation_productivity_gain"])  # of one innovation
    alive = state.alive
    hazard = (
        p["innovation_rate"]
        * sector_array("innovation_mult")[state.sector]
        * (0.5 + state.absorptive)
        * (1.0 + 0.5 * effects.partner_diversity)
        / (1.0 - np.minimum(effects.rd_speedup, 0.9))
        * (1.0 + grant_boost)
    )
    count = _develop(state.innovation_progress, steps, np.where(alive, hazard, 0.0))
    state.innovations += count.astype(np.int32)
    gain = -count * log_gain  # log productivity gain
    sector_alive = state.sector[alive]
    alive_per_sector = np.bincount(sector_alive, minlength=n_sec)
    mean_gain = np.bincount(sector_alive, weights=gain[alive], minlength=n_sec) / np.maximum(
        alive_per_sector, 1
    )
    _pass_on(state, gain, mean_gain)
    return int(count.sum())


def _pass_on(state, gain: np.ndarray, mean_gain: np.ndarray) -> None:
    """Each firm's variable cost ratio falls by its own log productivity gain (gain) and
    rises by its sector's mean gain (mean_gain, per sector), within [0.3, 1.5]."""
    state.var_cost_ratio *= np.exp(-gain + mean_gain[state.sector])
    np.clip(state.var_cost_ratio, 0.3, 1.5, out=state.var_cost_ratio)


def gain_experience(state, compiled: bool = False) -> None:
    """A month older; absorptive capacity grows with alliance experience (by 1 % of the gap
    to 1 in each month spent in at least one alliance, counted after this month's
    dissolutions). `compiled`: by kernels.gain_experience (the same results)."""
    if compiled:
        kernels.compiled(kernels.gain_experience)(state.alive, state.n_alliances,
                                                  state.absorptive, state.alliance_months,
                                                  state.age)
        return
    alive = state.alive
    in_alliance = state.n_alliances > 0
    state.absorptive += np.where(alive & in_alliance, 0.01 * (1.0 - state.absorptive), 0.0).astype(
        np.float32
    )
    state.alliance_months += (alive & in_alliance).astype(np.int32)
    state.age += alive.astype(np.int32)


def development_steps(rng: np.random.Generator, n: int) -> np.ndarray:
    """n Exponential(1) draws for _develop, from one float32 uniform each."""
    return -np.log1p(-rng.random(n, dtype=np.float32))


def _develop(progress: np.ndarray, steps: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Advance every firm's development project; return the innovations launched this month.

    Progress (in projects) grows by rate x an Exponential(1) draw a month (`steps`, from
    development_steps), and an innovation is launched each time it passes a whole project.
    The expected number a month is `rate`, but launches come more regularly than a Poisson
    process: yearly counts are under-dispersed (variance below the mean), as in the survey
    (TARGETS §1: mean 2.4, variance 1.7), which no Poisson process or mixture of them can give.
    """
    progress += rate.astype(np.float32) * steps
    count = np.floor(progress).astype(np.int32)
    progress -= count
    return count


def exits(state, p: dict, rng: np.random.Generator, u: np.ndarray | None = None,
          compiled: bool = False) -> tuple[np.ndarray, int]:
    """Firms leave: bankrupt (capital and credit exhausted) or closing voluntarily.

    Voluntary closure hazard = closure_rate / 12, six times higher for firms in debt.
    `u`: one uniform per firm row if drawn already (else drawn here, from `rng`).
    `compiled`: by kernels.exits (the same results).
    Output: the rows of all exits, and how many were bankruptcies.
    """
    if u is None:
        u = rng.random(state.n)
    if compiled:
        leaving = np.zeros(state.n, dtype=bool)
        bankrupt = kernels.compiled(kernels.exits)(state.alive, state.capital,
                                                   state.credit_limit, u,
                                                   p["closure_rate"] / 12.0, leaving)
        return np.flatnonzero(leaving), int(bankrupt)
    bankrupt = state.alive & (state.capital < -state.credit_limit)
    hazard = p["closure_rate"] / 12.0 * np.where(state.capital < 0, 6.0, 1.0)
    close = state.alive & ~bankrupt & (u < hazard)
    gone = np.flatnonzero(bankrupt | close)
    state.alive[gone] = False
    return gone, int(bankrupt.sum())


def forget_exited(state, gone: np.ndarray, threaded: bool = False) -> None:
    """Drop exited firms from everyone's memory of partners, so their rows can be reused
    (each firm's row on its own: in two halves of the rows when `threaded`, side.halves)."""
    if gone.size == 0:
        return
    # one row more than there are firms, never dead: an empty slot (-1) reads it
    dead = np.zeros(state.n + 1, dtype=bool)
    dead[gone] = True
    if kernels.use(state.n):  # compiled passes over the memory (the same results)
        kernel = kernels.compiled(kernels.forget)
        side.halves(threaded, state.n, lambda rows: kernel(
            state.memory_partner[rows], state.memory_trust[rows], dead))
        return

    def forget(rows):
        mem = state.memory_partner[rows]
        stale = np.flatnonzero(dead[mem])
        mem.reshape(-1)[stale] = -1
        state.memory_trust[rows].reshape(-1)[stale] = 0.0

    side.halves(threaded, state.n, forget)


def entrant_count(state, p: dict, rng: np.random.Generator) -> int:
    """Entrants this month: Poisson with mean entry_rate / 12 x living firms."""
    return int(rng.poisson(p["entry_rate"] / 12.0 * state.alive.sum()))
