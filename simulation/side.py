"""The second core's mechanism: one worker thread, jobs handed to it, slices of rows.

What runs there, and where it is joined, is decided by simulation/schedule.py (the month's
rules) and, inside the alliance phases, by the `Cores` they are given (docs/ARCHITECTURE.md
lists every such point); this module only provides the means:
- `submit(threaded, fn, *args)`: fn on the worker (or here and now), as a Future; the
  worker takes its jobs in the order they were handed over.
- `halves(threaded, n_rows, fn)`: element-wise work cut into slices of rows shared between
  the worker and this thread (`Rows` gives an object's per-row arrays for one slice).
numpy releases Python's lock inside its loops and random fills, and the compiled kernels do
too, so the two threads run at the same time. The results are bit-identical to running
everything in line, in order (tests/test_golden.py runs every mode), provided the work run
side by side does not touch what the other writes (simulation/rules declares it;
tests/test_rules.py checks it) and each random stream is used by one thread at a time.

SME_SIDE_THREAD sets both: `auto` (default: on for models of at least AUTO_MIN_FIRMS firm
rows, where the arrays are large enough to gain), `on`, or `off`.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import numpy as np

from .settings import AUTO_MIN_ROWS, on_for, setting

ENV = "SME_SIDE_THREAD"
AUTO_MIN_FIRMS = AUTO_MIN_ROWS
CHUNK = 65_536  # rows per slice of halves(): about the caches' reach of element-wise work

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_worker = threading.local()  # .active is set on the worker thread


def mode() -> str:
    """The setting from SME_SIDE_THREAD: auto (default), on or off."""
    return setting(ENV)


def use(n_rows: int) -> bool:
    """Run the side work of a model with n_rows firm rows on the worker thread?"""
    return on_for(mode(), n_rows)


def halves(threaded: bool, n_rows: int, fn) -> None:
    """fn(rows) for the rows 0..n_rows (firm rows, or memberships) as slices of at most about
    CHUNK rows (so that each slice's temporaries stay in the caches: at 1,000,000 rows
    production took a quarter less time in slices of 65,536 than in one pass). With a worker
    (threaded) there are at least two slices: the worker takes them from the front and this
    thread from the back until they meet, so a busy worker leaves more to this thread, and
    one that has not started by then leaves it all (its job is taken back, not waited for).
    `fn` must treat each row on its own (element-wise work, see `Rows`), and write only its
    own rows of any output: then the result is the same whatever the slices and threads."""
    alone = not threaded or n_rows < 2
    k = max(1 if alone else 2, n_rows // CHUNK)
    bounds = [n_rows * i // k for i in range(k + 1)]
    if alone:
        for i in range(k):
            fn(slice(bounds[i], bounds[i + 1]))
        return
    lock = threading.Lock()
    ends = [0, k]  # the next slice from the front, and one past the next from the back
    failed = []

    def take(front: bool):
        with lock:
            if failed or ends[0] >= ends[1]:
                return None
            if front:
                ends[0] += 1
                i = ends[0] - 1
            else:
                ends[1] -= 1
                i = ends[1]
        return slice(bounds[i], bounds[i + 1])

    def run(front: bool) -> None:
        while (rows := take(front)) is not None:
            fn(rows)

    worker = submit(True, run, True)
    try:
        run(False)
    except BaseException:
        failed.append(True)  # the worker takes no further slice
        if not worker.cancel():
            worker.result()  # nothing writes behind the caller's back once its error is out
        raise
    if not worker.cancel():  # taken back if it had not started
        worker.result()  # the worker's slices are done (or its error raised) before anything


class Rows:
    """The rows `sl` of an object holding per-row arrays (firm state, shock multipliers,
    alliance effects): each array attribute of length n_rows reads as its slice (a view, so
    in-place writes such as `rows.capital += x` or `rows.need[:] = y` reach the object);
    anything else reads as it is. Binding an attribute to a new array is refused: it would
    reach the view, not the object. Only for objects whose arrays are all per row or clearly
    not (a type-major (types x rows) table would be sliced wrongly on a model of as many rows
    as types), and for element-wise work: an array that is not per row is shared by both
    halves and must only be read."""

    __slots__ = ("_obj", "_sl", "_n")

    def __init__(self, obj, sl: slice, n_rows: int):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_sl", sl)
        object.__setattr__(self, "_n", n_rows)

    def __getattr__(self, name):
        if name == "n":
            return len(range(*self._sl.indices(self._n)))
        value = getattr(self._obj, name)
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == self._n:
            return value[self._sl]
        return value

    def __setattr__(self, name, value):
        # `rows.x += y` rebinds x to the view it changed in place: nothing to do then
        current = getattr(self._obj, name)
        if not (isinstance(value, np.ndarray) and isinstance(current, np.ndarray)
                and np.may_share_memory(value, current)):
            raise AttributeError(f"Rows: {name} can only be changed in place")


class Cores:
    """The second core as a rule sees it. The model's schedule gives the alliance phases one
    (they never import this module) and says each month whether the worker is on; a phase
    states which of its parts are independent (`beside`, `slices`, `hand_over`) and where it
    needs their results, and this decides where they run."""

    def __init__(self, threaded: bool = False):
        self.threaded = threaded

    def beside(self, fn, *args) -> Future:
        """fn(*args) on the worker if it is on, else here and now."""
        return submit(self.threaded, fn, *args)

    def slices(self, n_rows: int, fn) -> None:
        """fn(rows) over slices of n_rows element-wise rows (see `halves`)."""
        halves(self.threaded, n_rows, fn)

    def hand_over(self, jobs: list) -> None:
        """Hand the jobs not handed over yet (partials) to the worker, in order."""
        for k, job in enumerate(jobs):
            if isinstance(job, partial):
                jobs[k] = submit(True, job)


def submit(threaded: bool, fn, *args) -> Future:
    """fn(*args) on the worker thread (threaded) or here and now; either way a Future.

    One worker serves every model of the process (several dashboard sessions, say) in the
    order the work was handed over; work handed over by the worker itself runs in line, so
    no job ever waits for one queued behind it.
    """
    if threaded and not getattr(_worker, "active", False):
        global _pool
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sme-side",
                                           initializer=_mark_worker)
            pool = _pool
        return pool.submit(fn, *args)
    done: Future = Future()
    done.set_result(fn(*args))
    return done


def _mark_worker() -> None:
    _worker.active = True


def _forget_pool() -> None:
    """A forked child has no worker thread: it makes its own on first use."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()  # in case another thread held it at the fork


os.register_at_fork(after_in_child=_forget_pool)
