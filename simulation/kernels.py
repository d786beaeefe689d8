"""Compiled loops (numba) for the alliance steps that numpy can only do in several passes.

Each kernel is one loop over the alliance rows (or the memory writes) where the numpy path
needs sorts, rounds or an expansion through index tables:

- `member_slots`: the memberships of every alliance grouped by type, then by row and slot
  (numpy: a stable argsort of the types, a gather of the occupancy words and a flatnonzero);
- `update_trust`: the trust of every partner pair of an alliance and its two trust flags, in
  the same pass over its member slots (numpy: the partner-pair cells listed from the
  occupancy codes through a pattern table, then a gather, a scatter and two flag scatters);
- `remember`: each write into the firms' memory of partners in turn (numpy: rounds, so that
  a firm written twice keeps both writes in order);
- `first_occurrence`: the first occurrence of each firm among formation's candidates
  (numpy: the lowest position per value by `np.minimum.at`, slow, and it keeps Python's
  lock).

They give the numpy path's results bit for bit (the same float32 operations, in the same
order per value; tests/test_kernels.py) and release Python's lock, so the worker thread
of simulation/side.py runs them beside the main thread. numba is optional (the `fast` extra,
which `make venv` installs): without it, or with SME_NUMBA=off, the numpy path runs.
SME_NUMBA: `auto` (default: compiled for arrays of at least AUTO_MIN_ROWS rows when numba is
installed; smaller models gain little, and would pay numba's import, about 100 MB), `on`
(at any size; numba required), `off`. numba is imported, and each kernel compiled (about a
second each, cached on disk by numba), on first use.
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
_lock = threading.Lock()


def mode() -> str:
    """The setting from SME_NUMBA: auto (default), on or off."""
    value = side.setting(ENV)
    if value == "on" and not installed:
        raise ParameterError(f"{ENV}=on: numba is not installed (pip install numba, or "
                             "the project's `fast` extra; or set SME_NUMBA=auto)")
    return value


def use(n_rows: int) -> bool:
    """Run the compiled kernels on arrays of n_rows rows (else the numpy path)?"""
    return installed and side.on_for(mode(), n_rows)


def compiled(fn):
    """The compiled version of one of this module's loops (made once per process)."""
    with _lock:
        if fn not in _compiled:
            import numba

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
