"""Compiled loops (numba): the machinery, and the kernels that stand in for no rule.

A rule with a compiled twin keeps it beside itself, in its own module, named `<rule>_kernel`
and taking the rule's own arguments or named-tuple records of them, with the rule's named
constants passed in (a numba cache keeps another module's constants from when it was
compiled): production (simulation/rules/production.py), experience, exits and forgetting
(rules/innovation.py, rules/exit_entry.py), contribution, trust and reputation
(alliances/contribution.py), the memory of partners (alliances/memory.py) and the type
values (alliances/common.py). This module compiles them (`compiled`, with the scalar
helpers `scalar_max`, `scalar_min`, `scalar_clip` and `_root` compiled in their place) and
decides when they run (`use`), and holds KERNELS, the loops that re-implement no rule:
`member_slots`, `first_occurrence` (numpy: `np.minimum.at`, which keeps Python's lock),
`_weighted_count` (for `bincount`: numpy's keeps Python's lock), `triangles` and
`largest_component` (in place of scipy's sparse product and csgraph). tests/test_kernels.py
walks every kernel against the numpy path it stands in for.

They give the numpy path's results bit for bit: the same float32 and float64 operations in
the same order per value (a Python float times a float32 array is float32 in numpy, so the
kernels write `np.float32(...)` there), numpy's rules for signed zeros and NaN in max, min
and clip (`scalar_max`, `scalar_min`, `scalar_clip`), and every exponential, logarithm and
power left to numpy, whose SIMD versions differ from the C library's in the last bit
(tests/test_kernels.py). They release Python's lock, so the worker thread of
simulation/side.py runs beside them. numba is
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

from .errors import ParameterError
from .settings import AUTO_MIN_ROWS as AUTO_MIN_ROWS  # the threshold of `auto`
from .settings import on_for, setting

ENV = "SME_NUMBA"
installed = importlib.util.find_spec("numba") is not None
_compiled: dict = {}
_helpers: dict = {}  # the helpers, compiled (made with the first kernel)
_HELPERS = ("scalar_max", "scalar_min", "scalar_clip", "_root")  # functions that kernels call
# the kernels of this module (the others are `*_kernel` beside their rules)
KERNELS = ("member_slots", "first_occurrence", "_weighted_count", "triangles", "largest_component")
_lock = threading.Lock()
_many_models = False  # set by for_many_models


def mode() -> str:
    """The setting from SME_NUMBA: auto (default), on or off."""
    value = setting(ENV)
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
    return on_for(value, n_rows) or (many_models and value == "auto")


def for_many_models() -> None:
    """Say that this process runs many models one after another (analysis/runner.py's tasks):
    in `auto`, the kernels then run at any size, since numba's one-off import is shared by
    all of them (docs/PERFORMANCE.md: 3,000 firms x 144 months in 0.47 s instead of 0.61 s
    a run, after 0.35 s once). The results are the same either way."""
    global _many_models
    _many_models = True


def compiled(fn):
    """The compiled version of a kernel (made once per process). A kernel may call the
    helpers of this module (`scalar_max`, `scalar_min`, `scalar_clip`, `_root`, imported
    where it lives): they are compiled in their place in its module on first use."""
    with _lock:
        if fn not in _compiled:
            import numba

            if not _helpers:
                _helpers.update({name: numba.njit(inline="always")(globals()[name])
                                 for name in _HELPERS})
            for name, helper in _helpers.items():
                if name in fn.__globals__:
                    fn.__globals__[name] = helper
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


def scalar_max(a, b):
    """np.maximum(a, b) of two scalars: b when they are equal (so max(0.0, -0.0) is -0.0, as
    numpy's loops give), a NaN of either kept."""
    return a if (a > b or a != a) else b


def scalar_min(a, b):
    """np.minimum(a, b) of two scalars, in the same way."""
    return a if (a < b or a != a) else b


def scalar_clip(x, lo, hi):
    """np.clip(x, lo, hi) of one scalar: x unless it is below lo or above hi (so -0.0 and NaN
    pass through, as numpy's clip gives)."""
    return lo if x < lo else (hi if x > hi else x)


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
