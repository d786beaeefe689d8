"""Production: revenue, costs, profit, investment, need, then the loss episodes and the
trend (ODD §7.10, §7.19). `produce` is the rule; `produce_kernel` its compiled twin (numba,
simulation/kernels.py), the same operations in the same dtypes and order, run where the
kernels run (tests/test_kernels.py compares them).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import kernels
from ..kernels import scalar_clip, scalar_max
from ..regions import size_class_of
from .demand import Walk, demand_walk
from .resilience import EPISODE_CONSTANTS, track_episodes

SUPPLIER_FAILURE_LOSS = 0.3  # share of a month's output lost in a supplier failure
INVEST_RESERVE = 2.0  # capital above this many months of costs may be invested
NEED_PER_DROP = 3.0  # a fall of a third below the trend is full pressure to collaborate


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
    `compiled`: in one compiled pass per firm row (produce_kernel, the same results).
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
    target = INVEST_RESERVE * (fixed + variable)
    invest = np.where(alive, p["invest_share"] * np.maximum(state.capital - target, 0.0), 0.0)
    state.capital -= invest
    state.flow_invest += invest
    state.scale *= 1.0 + invest / np.maximum(capacity * 12.0, 1e-9)

    # pressure to collaborate: a fall below trend, a shock, a supplier failure
    drop = np.maximum(0.0, 1.0 - revenue / np.maximum(state.trend, 1e-9))
    need = np.clip(NEED_PER_DROP * drop + (1.0 - shock.demand) + (shock.logistics - 1.0)
                   + failed, 0, 1)
    state.need[:] = np.where(alive, need, 0.0)
    track_episodes(state)  # against last month's trend, before it moves
    state.trend += np.where(alive, (revenue - state.trend) / 12.0, 0.0)
    state.employees[:] = np.where(alive, np.maximum(state.trend / state.revenue_per_employee, 1.0),
                                  state.employees)
    state.size_class[:] = size_class_of(state.employees)


# The compiled twin's argument records: the fields produce reads and writes, by owner. Both
# paths get the same objects (the firm state, the shock's and effects' multipliers, the
# walk); the twin takes them as these named tuples, one field per array.
FirmRecord = namedtuple("FirmRecord", (
    "alive", "contract_share", "export_share", "logistics_share", "fixed_cost_ratio",
    "infra_share", "rd_share", "var_cost_ratio", "capital", "revenue", "revenue_prev",
    "flow_profit", "flow_invest", "scale", "trend", "need", "employees",
    "revenue_per_employee", "size_class", "episode_depth", "episode_months", "last_depth",
    "last_recovery"))
ShockRecord = namedtuple("ShockRecord", ("demand", "logistics", "inputs", "interest",
                                         "compliance"))
EffectsRecord = namedtuple("EffectsRecord", (
    "contract_boost", "price_premium", "logistics_cut", "infra_cut", "rd_speedup", "demand",
    "in_supply_chain", "coordination_cost"))
WalkRecord = namedtuple("WalkRecord", ("capacity", "expected", "reach", "failed", "noise"))
Constants = namedtuple("Constants", ("interest_rate", "invest_share", "loss_in_chain",
                                     "loss_alone", "invest_reserve", "need_per_drop",
                                     "episode_below", "episode_fade"))


def _record(kind, source):
    return kind(*(getattr(source, name) for name in kind._fields))


def _produce_compiled(state, p: dict, shock, effects, extra_revenue: np.ndarray,
                      walk: Walk) -> None:
    """produce's arithmetic and track_episodes by produce_kernel."""
    constants = Constants(float(p["interest_rate"]), float(p["invest_share"]),
                          np.float32(SUPPLIER_FAILURE_LOSS / 2),
                          np.float32(SUPPLIER_FAILURE_LOSS), INVEST_RESERVE, NEED_PER_DROP,
                          *EPISODE_CONSTANTS)
    kernels.compiled(produce_kernel)(
        _record(FirmRecord, state), _record(ShockRecord, shock),
        _record(EffectsRecord, effects), _record(WalkRecord, walk), extra_revenue, constants)


def produce_kernel(firm, shock, effects, walk, extra, constants):
    """produce after the demand walk, with track_episodes, one firm row at a time: the
    same operations in the same dtypes and order as the numpy path (whose Python-float
    constants are weak, so float32 where the array is float32)."""
    (alive, contract_share, export_share, logistics_share, fixed_cost_ratio, infra_share,
     rd_share, var_cost_ratio, capital, revenue, revenue_prev, flow_profit, flow_invest, scale,
     trend, need, employees, revenue_per_employee, size_class, episode_depth, episode_months,
     last_depth, last_recovery) = firm
    demand_mult, logistics_mult, inputs_mult, interest_mult, compliance = shock
    (contract_boost, price_premium, logistics_cut, infra_cut, rd_speedup, demand,
     in_supply_chain, coordination_cost) = effects
    capacity, expected, reach, failed, noise = walk
    (interest_rate, invest_share, loss_in_chain, loss_alone, reserve, per_drop, below_share,
     fade) = constants
    f32 = np.float32
    one32, zero32 = f32(1.0), f32(0.0)
    for i in range(alive.size):
        live = alive[i]
        r = reach[i]
        loss = (loss_in_chain if in_supply_chain[i] else loss_alone) if failed[i] else zero32
        volume = (expected[i] * demand[i] * (one32 - loss)
                  * (1.0 + contract_share[i] * (contract_boost[i] * r)) * noise[i] + extra[i])
        volume = volume if live else 0.0
        new_revenue = volume * (1.0 + export_share[i] * (price_premium[i] * r))
        ls = logistics_share[i]
        fixed = fixed_cost_ratio[i] * capacity[i] * (
            1.0 - infra_share[i] * (infra_cut[i] * r) - rd_share[i] * (rd_speedup[i] * r))
        variable = volume * var_cost_ratio[i] * (
            (one32 - ls) * inputs_mult[i]
            + ls * (1.0 - logistics_cut[i] * r) * logistics_mult[i])
        interest = scalar_max(-capital[i], 0.0) * interest_rate / 12.0 * interest_mult[i]
        cost = (fixed + variable + compliance[i] * new_revenue + interest
                + coordination_cost[i])
        profit = new_revenue - cost if live else 0.0
        revenue_prev[i] = revenue[i]
        revenue[i] = new_revenue
        cap_i = capital[i] + profit
        flow_profit[i] += profit
        invest = (invest_share * scalar_max(cap_i - reserve * (fixed + variable), 0.0)
                  if live else 0.0)
        capital[i] = cap_i - invest
        flow_invest[i] += invest
        scale[i] *= 1.0 + invest / scalar_max(capacity[i] * 12.0, 1e-9)
        old_trend = trend[i]
        drop = scalar_max(0.0, 1.0 - new_revenue / scalar_max(old_trend, 1e-9))
        pressure = scalar_clip(per_drop * drop + (1.0 - demand_mult[i]) + (logistics_mult[i] - 1.0)
                         + (1.0 if failed[i] else 0.0), 0.0, 1.0)
        need[i] = pressure if live else 0.0
        # track_episodes, against last month's trend
        ratio = f32(new_revenue / scalar_max(old_trend, 1e-9))
        below = live and ratio < below_share
        months = episode_months[i]
        depth = scalar_max(episode_depth[i], (one32 - ratio) * (one32 if below else zero32))
        months += 1 if below else 0
        if live and not below and episode_months[i] > 0:
            last_depth[i] = scalar_max(last_depth[i], depth)
            last_recovery[i] = scalar_max(last_recovery[i], f32(months))
            depth = zero32
            months = 0
        episode_depth[i] = depth
        episode_months[i] = months
        last_depth[i] *= fade
        last_recovery[i] *= fade
        # the trend moves after the episodes; employees and size class follow it
        new_trend = old_trend + ((new_revenue - old_trend) / 12.0 if live else 0.0)
        trend[i] = new_trend
        if live:
            employees[i] = scalar_max(new_trend / revenue_per_employee[i], 1.0)
        size_class[i] = (1 if employees[i] >= 10 else 0) + (1 if employees[i] >= 50 else 0)
