"""Compiled loops (numba) for the steps that numpy can only do in several passes.

Each kernel is one loop (or two) over the rows of the alliances, the memberships, the firms
or the memory writes, where the numpy path needs sorts, rounds, expansions through index
tables, or a few dozen element-wise passes with temporaries:

- alliance steps: `member_slots` (the memberships grouped by type, row and slot; numpy: a
  stable argsort, a gather and a flatnonzero), `contribute` (shirking, its detection and
  each alliance's effectiveness), `update_trust` (the trust of every partner pair and the
  two trust flags; numpy: pair cells listed through a pattern table, then gathers and
  scatters), `remember` (each write into the firms' memory in turn; numpy: rounds),
  `first_occurrence` (formation's first claim of each firm; numpy: `np.minimum.at`, which
  keeps Python's lock), `update_reputation`;
- firm steps, each one pass over the firm rows: `produce` (production with the resilience
  update), `update_credit`, `innovate` (up to the sectors' mean gains), `value_table` (the
  month's type values), `gain_experience`, `exits`, `forget` (exited partners);
- `bincount`: weighted counts (numpy's keeps Python's lock);
- the structure months' `triangles` (sorted neighbour lists merged) and `largest_component`
  (union-find), in place of scipy's sparse product and csgraph.

They give the numpy path's results bit for bit: the same float32 and float64 operations in
the same order per value (a Python float times a float32 array is float32 in numpy, so the
kernels write `np.float32(...)` there), numpy's rules for signed zeros and NaN in max, min
and clip (`_max`, `_min`, `_clip`), and every exponential, logarithm and power left to numpy,
whose SIMD versions differ from the C library's in the last bit (tests/test_kernels.py). They
release Python's lock, so the worker thread of simulation/side.py runs beside them. numba is
optional (the `fast` extra, which `make venv` installs): without it, or with SME_NUMBA=off,
the numpy path runs.
SME_NUMBA: `auto` (default, when numba is installed: compiled for arrays of at least
AUTO_MIN_ROWS rows, and at any size in a process that runs many models, an experiment's
worker, see `for_many_models`), `on` (at any size; numba required), `off`. A single small
model does not load numba: its import, about 0.35 s and 100 MB once per process, would cost
more than the kernels save in one run of a few thousand firms (about a fifth of each month).
numba is imported, and each kernel compiled, on first use (about 3 s for all of them on the
machine of docs/PERFORMANCE.md, once: numba caches them on disk).
"""

from __future__ import annotations

import importlib.util
import threading

import numpy as np

from . import side
from .errors import ParameterError

ENV = "SME_NUMBA"
AUTO_MIN_ROWS = side.AUTO_MIN_FIRMS  # the same threshold as the second core's
installed = importlib.util.find_spec("numba") is not None
_compiled: dict = {}
_HELPERS = ("_max", "_min", "_clip", "_root")  # functions that kernels call
_lock = threading.Lock()
_many_models = False  # set by for_many_models


def mode() -> str:
    """The setting from SME_NUMBA: auto (default), on or off."""
    value = side.setting(ENV)
    if value == "on" and not installed:
        raise ParameterError(f"{ENV}=on: numba is not installed (pip install numba, or "
                             "the project's `fast` extra; or set SME_NUMBA=auto)")
    return value


def use(n_rows: int, many_models: bool | None = None) -> bool:
    """Run the compiled kernels on arrays of n_rows rows (else the numpy path)?
    `many_models`: whether the process runs many models (default: whether
    `for_many_models` was called in it)."""
    if not installed:
        return False
    value = mode()
    if many_models is None:
        many_models = _many_models
    return side.on_for(value, n_rows) or (many_models and value == "auto")


def for_many_models() -> None:
    """Say that this process runs many models one after another (analysis/runner.py's tasks):
    in `auto`, the kernels then run at any size, since numba's one-off import is shared by
    all of them (docs/PERFORMANCE.md: 3,000 firms x 144 months in 0.47 s instead of 0.61 s
    a run, after 0.35 s once). The results are the same either way."""
    global _many_models
    _many_models = True


def compiled(fn):
    """The compiled version of one of this module's loops (made once per process)."""
    with _lock:
        if fn not in _compiled:
            import numba

            if not _compiled:  # the helpers the kernels call, compiled in their place
                for name in _HELPERS:
                    globals()[name] = numba.njit(inline="always")(globals()[name])
            _compiled[fn] = numba.njit(cache=True, nogil=True)(fn)
        return _compiled[fn]


def member_slots(kind, members, n_types):
    """(alliance, slot, flat index 4 a + s, firm) of every taken member slot, grouped by
    alliance type, then by row and slot; and the type bounds (n_types + 1) into them."""
    n, width = members.shape
    count = np.zeros(n_types + 1, np.int64)
    for r in range(n):
        taken = 0
        for s in range(width):
            if members[r, s] >= 0:
                taken += 1
        count[kind[r] + 1] += taken
    bounds = np.cumsum(count)
    at = bounds[:-1].copy()
    total = bounds[-1]
    alliance = np.empty(total, np.int64)
    slot = np.empty(total, np.int64)
    index = np.empty(total, np.int64)
    firm = np.empty(total, np.intp)
    for r in range(n):
        k = kind[r]
        for s in range(width):
            f = members[r, s]
            if f >= 0:
                i = at[k]
                alliance[i] = r
                slot[i] = s
                index[i] = r * width + s
                firm[i] = f
                at[k] = i + 1
    return alliance, slot, index, firm, bounds


def update_trust(trust, members, detected, build, erode, low_level, half_level):
    """trust[a, s, t] <- min(t (1 - erode) if t was caught else t (1 - build) + build, 1) on
    every partner pair (s != t, both slots taken), in float32 as the numpy path does; returns
    per alliance (some pair's trust < low_level, some pair's trust < half_level)."""
    n, width = members.shape
    low = np.zeros(n, np.bool_)
    below_half = np.zeros(n, np.bool_)
    one = np.float32(1.0)
    keep_seen, keep_unseen = one - erode, one - build
    for r in range(n):
        for s in range(width):
            if members[r, s] < 0:
                continue
            for t in range(width):
                if t == s or members[r, t] < 0:
                    continue
                if detected[r, t]:
                    v = trust[r, s, t] * keep_seen + np.float32(0.0)
                else:
                    v = trust[r, s, t] * keep_unseen + build
                v = min(v, one)
                trust[r, s, t] = v
                if v < low_level:
                    low[r] = True
                if v < half_level:
                    below_half[r] = True
    return low, below_half


def remember(memory_partner, memory_trust, memory_next, f, partner, trust):
    """Each (firm, partner, trust) write in turn: a partner already remembered is updated in
    its slot, a new one takes the firm's oldest slot (which then moves on)."""
    slots = memory_partner.shape[1]
    for i in range(f.size):
        firm, q = f[i], partner[i]
        col = -1
        for c in range(slots):
            if memory_partner[firm, c] == q:
                col = c
                break
        if col < 0:
            col = memory_next[firm]
            memory_next[firm] = (col + 1) % slots
        memory_partner[firm, col] = q
        memory_trust[firm, col] = trust[i]


def first_occurrence(values, bound):
    """True at the first occurrence of each value in `values` (integers in [0, bound))."""
    seen = np.zeros(bound, np.bool_)
    first = np.zeros(values.size, np.bool_)
    for i in range(values.size):
        v = values[i]
        if not seen[v]:
            seen[v] = True
            first[i] = True
    return first


def _max(a, b):
    """np.maximum(a, b) of two scalars: b when they are equal (so max(0.0, -0.0) is -0.0, as
    numpy's loops give), a NaN of either kept."""
    return a if (a > b or a != a) else b


def _min(a, b):
    """np.minimum(a, b) of two scalars, in the same way."""
    return a if (a < b or a != a) else b


def _clip(x, lo, hi):
    """np.clip(x, lo, hi) of one scalar: x unless it is below lo or above hi (so -0.0 and NaN
    pass through, as numpy's clip gives)."""
    return lo if x < lo else (hi if x > hi else x)


def produce(alive, contract_share, export_share, logistics_share, fixed_cost_ratio, infra_share,
            rd_share, var_cost_ratio, capital, revenue, revenue_prev, flow_profit, flow_invest,
            scale, trend, need, employees, revenue_per_employee, size_class, episode_depth,
            episode_months, last_depth, last_recovery, resilience,
            demand_mult, logistics_mult, inputs_mult, interest_mult, compliance,
            contract_boost, price_premium, logistics_cut, infra_cut, rd_speedup, demand,
            in_supply_chain, coordination_cost,
            extra, capacity, expected, reach, failed, noise, interest_rate, invest_share,
            loss_in_chain, loss_alone, resilience_constants):
    """economy.produce after the demand walk, with metrics.update_resilience, one firm row at
    a time: the same operations in the same dtypes and order as the numpy path (whose
    Python-float constants are weak, so float32 where the array is float32)."""
    f32 = np.float32
    one32, zero32 = f32(1.0), f32(0.0)
    below_share, fade = resilience_constants  # metrics.RESILIENCE_CONSTANTS
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
        interest = _max(-capital[i], 0.0) * interest_rate / 12.0 * interest_mult[i]
        cost = (fixed + variable + compliance[i] * new_revenue + interest
                + coordination_cost[i])
        profit = new_revenue - cost if live else 0.0
        revenue_prev[i] = revenue[i]
        revenue[i] = new_revenue
        cap_i = capital[i] + profit
        flow_profit[i] += profit
        invest = invest_share * _max(cap_i - 2.0 * (fixed + variable), 0.0) if live else 0.0
        capital[i] = cap_i - invest
        flow_invest[i] += invest
        scale[i] *= 1.0 + invest / _max(capacity[i] * 12.0, 1e-9)
        old_trend = trend[i]
        drop = _max(0.0, 1.0 - new_revenue / _max(old_trend, 1e-9))
        pressure = _clip(3.0 * drop + (1.0 - demand_mult[i]) + (logistics_mult[i] - 1.0)
                         + (1.0 if failed[i] else 0.0), 0.0, 1.0)
        need[i] = pressure if live else 0.0
        # metrics.update_resilience, against last month's trend
        ratio = f32(new_revenue / _max(old_trend, 1e-9))
        below = live and ratio < below_share
        months = episode_months[i]
        depth = _max(episode_depth[i], (one32 - ratio) * (one32 if below else zero32))
        months += 1 if below else 0
        if live and not below and episode_months[i] > 0:
            last_depth[i] = _max(last_depth[i], depth)
            last_recovery[i] = _max(last_recovery[i], f32(months))
            depth = zero32
            months = 0
        episode_depth[i] = depth
        episode_months[i] = months
        last_d = last_depth[i] * fade
        last_r = last_recovery[i] * fade
        last_depth[i] = last_d
        last_recovery[i] = last_r
        score = (f32(5.0) - f32(2.5) * _min(_max(last_d, depth) * f32(2.5), one32)
                 - f32(1.5) * _min(_max(last_r, f32(months)) * f32(1 / 12), one32))
        resilience[i] = _clip(score, one32, f32(5.0))
        # the trend moves after the resilience score; employees and size class follow it
        new_trend = old_trend + ((new_revenue - old_trend) / 12.0 if live else 0.0)
        trend[i] = new_trend
        if live:
            employees[i] = _max(new_trend / revenue_per_employee[i], 1.0)
        size_class[i] = (1 if employees[i] >= 10 else 0) + (1 if employees[i] >= 50 else 0)


def contribute(members, institutions, trustworthiness, per_alliance, members_f32, formal_f32,
               u_shirk, u_detect, detection_prob, detection, shirked, detected, effectiveness):
    """Contribution's shirking and its detection, one alliance row at a time: the numpy path's
    float32 operations in its order (the members' institutions summed slot by slot, empty
    slots adding 0). Writes the shirked and detected flags of every slot (False where empty)
    and each alliance's effectiveness."""
    n, width = members.shape
    one = np.float32(1.0)
    base, per_institution, formal_share = detection  # alliances.DETECTION
    for r in range(n):
        total = np.float32(0.0)
        for s in range(width):
            f = members[r, s]
            value = institutions[f] if f >= 0 else np.float32(0.0)
            total = value if s == 0 else total + value
        mean_inst = total / members_f32[r]
        p_det = (detection_prob * (base + per_institution * mean_inst)
                 + formal_share * formal_f32[r])
        shirkers = 0
        for s in range(width):
            f = members[r, s]
            caught = False
            shirk = False
            if f >= 0:
                p_shirk = ((one - trustworthiness[f])
                           * (np.float32(1.2) - np.float32(0.08) * institutions[f])
                           * per_alliance[r])
                shirk = u_shirk[r * width + s] < p_shirk
                caught = shirk and u_detect[r * width + s] < p_det
            shirked[r, s] = shirk
            detected[r, s] = caught
            shirkers += shirk
        effectiveness[r] = one - np.float32(shirkers) / members_f32[r]


def _weighted_count(x, weights, out):
    """out[x[i]] += weights[i] for each i in turn (np.bincount's order); False if some x[i]
    is outside out (nothing is written past it)."""
    n = out.size
    for i in range(x.size):
        k = x[i]
        if k < 0 or k >= n:
            return False
        out[k] += weights[i]
    return True


def bincount(x, weights, minlength: int):
    """np.bincount(x, weights=weights, minlength=minlength) for a float64 result: compiled
    (it then releases Python's lock, which numpy's bincount keeps, so the other thread runs
    beside it) where the kernels run and every x lies below minlength, else numpy's."""
    if use(minlength) and x.size:
        out = np.zeros(minlength)
        if compiled(_weighted_count)(x, np.asarray(weights, dtype=np.float64), out):
            return out
    return np.bincount(x, weights=weights, minlength=minlength)


def gain_experience(alive, n_alliances, absorptive, alliance_months, age):
    """economy.gain_experience, one firm row at a time (float32 as numpy computes it)."""
    rate, zero = np.float32(0.01), np.float32(0.0)
    for i in range(alive.size):
        taking_part = alive[i] and n_alliances[i] > 0
        absorptive[i] += rate * (np.float32(1.0) - absorptive[i]) if taking_part else zero
        alliance_months[i] += taking_part
        age[i] += alive[i]


def exits(alive, capital, credit_limit, u, hazard_solvent, gone):
    """economy.exits with one uniform per row (u): marks the rows that leave in `gone` and
    no longer alive; returns how many went bankrupt."""
    bankrupt = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        c = capital[i]
        broke = c < -credit_limit[i]
        # the hazard as numpy makes it: (closure rate / 12) x (6.0 in debt, else 1.0)
        if broke or u[i] < hazard_solvent * (6.0 if c < 0 else 1.0):
            gone[i] = True
            alive[i] = False
            bankrupt += broke
    return bankrupt


def forget(memory_partner, memory_trust, dead):
    """economy.forget_exited: every memory slot naming a firm marked in `dead` is emptied
    (partner -1, trust 0)."""
    rows, slots = memory_partner.shape
    for r in range(rows):
        for c in range(slots):
            q = memory_partner[r, c]
            if q >= 0 and dead[q]:
                memory_partner[r, c] = -1
                memory_trust[r, c] = np.float32(0.0)


def update_reputation(reputation, n_alliances, f, detected):
    """alliances._update_reputation: each firm's reputation moves 10 % towards the share of
    its memberships (n_alliances) in which it was not caught (detected, per membership of
    firm f), in numpy's dtypes."""
    caught = np.zeros(reputation.size, np.int64)
    for i in range(f.size):
        if detected[i]:
            caught[f[i]] += 1
    step = np.float64(np.float32(0.1))
    for r in range(reputation.size):
        count = np.int64(n_alliances[r])
        share = (count - caught[r]) / max(count, 1)
        move = step * (share - np.float64(reputation[r])) * (1.0 if count > 0 else 0.0)
        reputation[r] += np.float32(move)


def value_table(out, reach, logistics_share, var_cost_ratio, export_share, contract_share,
                rd_share, fixed_cost_ratio, infra_share, supply_cut, marketing_premium,
                bid_boost, rd_cut, rd_innovation, infra_cut):
    """alliances.type_value_table of every firm row: row k of `out` the value of type k,
    within the firm's reach, in the numpy path's dtypes (a Python float times a float32
    array is float32 there). rd_innovation: the R&D value's innovation term without the
    variable cost ratio, (cut / (1 - cut)) x rate x gain, as Python computes it."""
    for i in range(reach.size):
        r, vcr, fcr = reach[i], var_cost_ratio[i], fixed_cost_ratio[i]
        out[0, i] = (supply_cut * logistics_share[i]) * vcr * r
        out[1, i] = marketing_premium * np.float64(export_share[i]) * r
        out[2, i] = (bid_boost * contract_share[i]) * _max(1.0 - vcr, 0.05) * r
        out[3, i] = ((rd_cut * rd_share[i]) * fcr + rd_innovation * vcr * 36.0) * r
        out[4, i] = (infra_cut * infra_share[i]) * fcr * r


def triangles(indptr, hi):
    """Triangles of the graph whose upper triangle has the CSR rows `indptr` and the sorted
    columns `hi` (each edge from its lower to its higher end): for each edge u -> v, the
    common higher neighbours of u and v, by merging their sorted rows; each triangle once."""
    count = 0
    for u in range(indptr.size - 1):
        start, stop = indptr[u], indptr[u + 1]
        for e in range(start, stop):
            v = hi[e]
            i, j, j_stop = e + 1, indptr[v], indptr[v + 1]  # u's neighbours above v only
            while i < stop and j < j_stop:
                if hi[i] < hi[j]:
                    i += 1
                elif hi[i] > hi[j]:
                    j += 1
                else:
                    count += 1
                    i += 1
                    j += 1
    return count


def _root(parent, a):
    """The root of node a in the union-find forest `parent`, halving the path on the way."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def largest_component(lo, hi, alive):
    """The most living nodes in one connected component of the graph with the edges
    (lo, hi), by union-find (path halving; the higher root joins the lower)."""
    n = alive.size
    parent = np.arange(n)
    for e in range(lo.size):
        a, b = _root(parent, lo[e]), _root(parent, hi[e])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    size = np.zeros(n, np.int64)
    largest = 0
    for i in range(n):
        if alive[i]:
            r = _root(parent, i)
            size[r] += 1
            largest = max(largest, size[r])
    return largest
