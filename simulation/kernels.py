"""Compiled loops (numba) for the alliance steps that numpy can only do in several passes.

Each kernel is one loop (or a few) over the alliance rows, the memberships or the memory
writes, where the numpy path needs sorts, rounds or expansions through index tables:

- `member_slots`: the memberships of every alliance grouped by type, then by row and slot
  (numpy: a stable argsort of the types, a gather of the occupancy words and a flatnonzero);
- `update_trust`: the trust of every partner pair of an alliance and its two trust flags, in
  the same pass over its member slots (numpy: the partner-pair cells listed from the
  occupancy codes through a pattern table, then a gather, a scatter and two flag scatters);
- `mutual_aid`: the alliances that take part (those of the firms in distress), each member's
  trust in its distressed partners and the transfers, a pass each (numpy: scatters, gathers
  and masks over the memberships of the alliances taking part);
- `remember`: each write into the firms' memory of partners in turn (numpy: rounds, so that
  a firm written twice keeps both writes in order).

They give the numpy path's results bit for bit (the same float32 operations, in the same
order per value; tests/test_kernels.py) and release Python's lock, so the worker thread
of simulation/side.py runs them beside the main thread. numba is optional (the `fast` extra,
which `make venv` installs): without it, or with SME_NUMBA=off, the numpy path runs.
SME_NUMBA: `auto` (default: compiled when numba is installed), `on` (required), `off`.
The first call compiles each kernel (about a second each), cached on disk by numba.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import ParameterError

ENV = "SME_NUMBA"
MODES = ("auto", "on", "off")

try:  # pragma: no cover - which branch runs depends on the installation
    import numba
except ImportError:  # pragma: no cover
    numba = None


def mode() -> str:
    """The setting from SME_NUMBA: auto (default), on or off."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ParameterError(f"{ENV}={value!r}: use one of {', '.join(MODES)} "
                             "(or leave it unset)")
    if value == "on" and numba is None:
        raise ParameterError(f"{ENV}=on: numba is not installed (pip install numba, or "
                             "the project's `fast` extra; or set SME_NUMBA=auto)")
    return value


def use() -> bool:
    """Run the compiled kernels (else the numpy path)?"""
    return numba is not None and mode() != "off"


def _jit(fn):
    return numba.njit(cache=True, nogil=True)(fn) if numba is not None else fn


@_jit
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


@_jit
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


@_jit
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


@_jit
def mutual_aid(a, f, ms, capital, n_alliances, firm_alliances, trust_rows, n_book,
               fixed_cost, share):
    """Mutual aid over the memberships (a, f, flat slot index ms) of member_slots(), as the
    numpy path of Alliances.mutual_aid computes it, value by value and in the same order:
    (any member in distress, net transfer per firm, pay and receipt per taking-part
    membership). `trust_rows` is the book's trust as (alliances x members) rows of partners."""
    n = capital.size
    width = trust_rows.shape[1]
    involved = np.zeros(n_book + 1, np.bool_)  # the last entry: free slots (-1)
    anyone = False
    for i in range(n):
        if capital[i] < 0 and n_alliances[i] > 0:
            anyone = True
            for k in range(firm_alliances.shape[1]):
                involved[firm_alliances[i, k]] = True
    if not anyone:
        empty = np.zeros(0)
        return False, empty, empty, empty
    m = 0
    for i in range(a.size):
        if involved[a[i]]:
            m += 1
    sel = np.empty(m, np.int64)
    j = 0
    for i in range(a.size):
        if involved[a[i]]:
            sel[j] = i
            j += 1
    distressed = np.zeros(n_book * width, np.bool_)
    for j in range(m):
        if capital[f[sel[j]]] < 0:
            distressed[ms[sel[j]]] = True
    need = np.empty(m)
    offer = np.empty(m)
    total_need = np.zeros(n_book)
    total_offer = np.zeros(n_book)
    zero32 = np.float32(0.0)
    for j in range(m):
        i = sel[j]
        firm, row = f[i], a[i]
        cap = capital[firm]
        count = max(n_alliances[firm], 1)
        need[j] = max(-cap, 0.0) / count
        # trust of this slot in the distressed members of its alliance (float32 sum)
        tsum = zero32
        shown = 0
        for t in range(width):
            d = distressed[row * width + t]
            x = trust_rows[ms[i], t] * np.float32(d)
            tsum = tsum + x if t else x + zero32
            shown += d
        trust_in = np.float64(tsum) / max(shown, 1)
        spare = max(cap - 2.0 * fixed_cost[firm], 0.0)
        offer[j] = share * spare / count * trust_in * (0.0 if cap < 0 else 1.0)
        total_need[row] += need[j]
        total_offer[row] += offer[j]
    net = np.zeros(n)
    pay = np.empty(m)
    recv = np.empty(m)
    for j in range(m):
        i = sel[j]
        row = a[i]
        need_a, offer_a = total_need[row], total_offer[row]
        transfer = min(need_a, offer_a)
        recv[j] = transfer * need[j] / max(need_a, 1e-300) if need_a > 0 else 0.0
        pay[j] = transfer * offer[j] / max(offer_a, 1e-300) if offer_a > 0 else 0.0
        net[f[i]] += recv[j] - pay[j]
    return True, net, pay, recv
