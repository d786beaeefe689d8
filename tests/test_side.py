"""The month's independent work on a second core (simulation/side.py) changes no number,
survives a fork, and a bad setting is refused in one line."""

from __future__ import annotations

import multiprocessing
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from simulation import SMEEcosystem, side
from simulation.errors import ParameterError
from simulation.rules import demand, production
from tests.test_cli import FAST, assert_user_error, run_cli

KW = dict(rng=5, n_firms=600, burn_in=3, months=9, scenario="recession")


def _run(monkeypatch, setting: str) -> SMEEcosystem:
    monkeypatch.setenv(side.ENV, setting)
    m = SMEEcosystem(**KW)
    m.run()
    return m


def _assert_same_run(x: SMEEcosystem, y: SMEEcosystem) -> None:
    """Every reporter and every firm and alliance array of two runs equal, bit for bit."""
    pd.testing.assert_frame_equal(x.datacollector.get_model_vars_dataframe(),
                                  y.datacollector.get_model_vars_dataframe(), check_exact=True)
    for a, b in ((x.firms, y.firms), (x.alliances.book, y.alliances.book)):
        for field in a.FIELDS:
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_the_side_thread_changes_no_number(monkeypatch):
    threads = []
    walk = demand.demand_walk

    def recording_walk(*args):
        threads.append(threading.current_thread().name)
        return walk(*args)

    produced = []
    produce = production.produce

    def recording_produce(state, *args):
        produced.append((threading.current_thread().name, state.n))
        return produce(state, *args)

    monkeypatch.setattr(demand, "demand_walk", recording_walk)
    monkeypatch.setattr(production, "produce", recording_produce)
    inline = _run(monkeypatch, "off")
    assert threads and all(name == threading.main_thread().name for name in threads)
    assert {name for name, _ in produced} == {threading.main_thread().name}
    threads.clear()
    produced.clear()
    beside = _run(monkeypatch, "on")
    assert threads and all(name.startswith("sme-side") for name in threads)  # it ran there
    # production in two halves of the rows every month (the worker's half is taken back by
    # the main thread when the worker has not started it: either thread may do either)
    assert len(produced) == 2 * (KW["burn_in"] + KW["months"])
    pairs = [sorted((a, b)) for (_, a), (_, b) in zip(produced[::2], produced[1::2])]
    assert all(0 < a <= b <= a + 1 for a, b in pairs)
    assert {name.split("_")[0] for name, _ in produced} <= {"sme-side", "MainThread"}

    _assert_same_run(inline, beside)


def test_auto_uses_the_thread_only_for_large_models(monkeypatch):
    monkeypatch.delenv(side.ENV, raising=False)
    assert not side.use(side.AUTO_MIN_FIRMS - 1) and side.use(side.AUTO_MIN_FIRMS)
    monkeypatch.setenv(side.ENV, "off")
    assert not side.use(10**7)
    monkeypatch.setenv(side.ENV, " On ")
    assert side.use(10)


def _child_revenue(queue) -> None:
    m = SMEEcosystem(**KW)  # SME_SIDE_THREAD=on is inherited
    m.run()
    queue.put(float(m.firms.revenue.sum()))


def test_a_forked_child_makes_its_own_worker(monkeypatch):
    parent = _run(monkeypatch, "on")  # the parent's worker thread exists now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_revenue, args=(queue,))
    with warnings.catch_warnings():  # Python 3.12+ warns that a process with threads forks
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    child.join(120)
    if child.is_alive():  # it waited for the parent's thread, which the child does not have
        child.kill()
        pytest.fail("the forked child hung on the side thread")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == float(parent.firms.revenue.sum())


@pytest.mark.parametrize("env", [side.ENV, "SME_NUMBA"])  # the second core, the kernels
def test_a_bad_setting_is_refused_before_the_first_month(monkeypatch, tmp_path, env):
    monkeypatch.setenv(env, "sometimes")  # subprocesses inherit it too
    with pytest.raises(ParameterError, match=f"{env}='sometimes'.*auto, on, off"):
        SMEEcosystem(n_firms=50)
    out = tmp_path / "run"
    assert_user_error(run_cli("simulate", *FAST, "--out", out), env, "auto, on, off")
    assert not out.exists() or not any(out.iterdir())


def test_work_handed_over_by_the_worker_runs_in_line(monkeypatch):
    monkeypatch.setenv(side.ENV, "on")
    names = side.submit(True, lambda: (threading.current_thread().name,
                                       side.submit(True, lambda: threading.current_thread().name
                                                   ).result())).result(timeout=30)
    assert names[0].startswith("sme-side") and names[1] == names[0]  # no deadlock, same thread


def test_rows_reads_slices_writes_through_and_refuses_rebinding():
    class Obj:
        pass

    obj = Obj()
    obj.x = np.arange(6.0)
    obj.table = np.arange(3.0)  # not per row: read as it is
    obj.scale = 2.5
    rows = side.Rows(obj, slice(2, 5), 6)
    assert rows.n == 3 and rows.scale == 2.5
    np.testing.assert_array_equal(rows.table, obj.table)
    rows.x += 10.0  # in place, through the view
    rows.x[:] *= 2.0
    np.testing.assert_array_equal(obj.x, [0, 1, 24, 26, 28, 5])
    with pytest.raises(AttributeError, match="in place"):
        rows.x = np.zeros(3)  # would change the view only


def test_halves_cover_every_row_once_on_two_threads():
    seen = []

    def work(sl):
        if sl.start > 0:
            time.sleep(0.2)  # this thread's half is slow: the idle worker takes the other
        seen.append((threading.current_thread().name, sl))

    side.halves(True, 11, work)
    assert sorted((sl.start, sl.stop) for _, sl in seen) == [(0, 5), (5, 11)]
    assert {name.startswith("sme-side") for name, _ in seen} == {True, False}
    seen.clear()
    side.halves(False, 11, lambda sl: seen.append(sl))
    assert seen == [slice(0, 11)]


def test_halves_cut_large_row_counts_into_slices_of_about_chunk_rows(monkeypatch):
    monkeypatch.setattr(side, "CHUNK", 10)
    seen = []
    for threaded in (False, True):
        seen.clear()
        side.halves(threaded, 95, lambda sl: seen.append((sl.start, sl.stop)))
        seen.sort()
        assert len(seen) == 9 and seen[0][0] == 0 and seen[-1][1] == 95
        assert all(a[1] == b[0] for a, b in zip(seen, seen[1:]))  # every row once
        assert {stop - start for start, stop in seen} <= {10, 11}
    seen.clear()
    side.halves(False, 0, lambda sl: seen.append((sl.start, sl.stop)))
    assert seen == [(0, 0)]


def test_a_run_in_small_slices_on_two_threads_is_the_run_in_one_pass(monkeypatch):
    one_pass = _run(monkeypatch, "off")
    monkeypatch.setattr(side, "CHUNK", 97)  # several slices a step, taken by both threads
    sliced = _run(monkeypatch, "on")
    _assert_same_run(one_pass, sliced)


def test_halves_take_back_the_half_a_busy_worker_has_not_started():
    release = threading.Event()
    busy = side.submit(True, release.wait, 30)  # earlier work still running on the worker
    seen = []
    try:
        side.halves(True, 11, lambda sl: seen.append((threading.current_thread().name, sl)))
    finally:
        release.set()
    busy.result(timeout=30)
    side.submit(True, lambda: None).result(timeout=30)  # the worker's queue has run dry
    # both halves done here, once each: the cancelled one never runs on the worker later
    assert sorted((sl.start, sl.stop) for _, sl in seen) == [(0, 5), (5, 11)]
    assert {name for name, _ in seen} == {threading.current_thread().name}


def test_halves_wait_for_the_worker_when_the_main_half_fails():
    x = np.zeros(4)
    began = threading.Event()

    def work(sl):
        if sl.start == 0:  # the worker's half: started, slow, then writes
            began.set()
            time.sleep(0.2)
            x[sl] = 1.0
        else:
            began.wait(5)
            raise ValueError("main half failed")

    with pytest.raises(ValueError, match="main half"):
        side.halves(True, 4, work)
    # nothing writes behind the caller's back once the error has reached it
    assert x.tolist() == [1.0, 1.0, 0.0, 0.0]


def test_a_failed_half_cancels_the_worker_half_it_has_not_started():
    x = np.zeros(4)
    release = threading.Event()
    busy = side.submit(True, release.wait, 30)

    def work(sl):
        if sl.start == 0:
            x[sl] = 1.0
        else:
            raise ValueError("main half failed")

    try:
        with pytest.raises(ValueError, match="main half"):
            side.halves(True, 4, work)
    finally:
        release.set()
    busy.result(timeout=30)
    side.submit(True, lambda: None).result(timeout=30)
    assert x.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_memory_jobs_keep_their_order_when_the_setting_changes_between_them():
    from functools import partial

    from simulation.alliances import Alliances

    m = SMEEcosystem(n_firms=50, rng=1)
    a = Alliances(m.p, np.random.default_rng(0), side.Cores())
    order = []

    def write(tag, delay):
        time.sleep(delay)
        order.append(tag)

    a._memory_jobs.append(partial(write, "formation", 0.2))
    a.start_memory(True)  # on the second core, still running...
    a._memory_jobs.append(partial(write, "dissolution", 0.0))
    a.start_memory(False)  # ...when the next one would run here
    assert order == ["formation", "dissolution"]
    a.memory_settled()
    assert order == ["formation", "dissolution"] and not a._memory_jobs
