"""The compiled kernels (simulation/kernels.py, numba) give the numpy path's results bit for
bit, step by step and over whole runs; the setting is checked in one line."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from simulation import SMEEcosystem, kernels, side
from simulation.errors import ParameterError
from tests.test_side import KW, _assert_same_run

needs_numba = pytest.mark.skipif(not kernels.installed, reason="numba is not installed")


def _model(monkeypatch) -> SMEEcosystem:
    """A model with consortia, shirking caught and exits, ten months in (numpy path)."""
    monkeypatch.setenv(kernels.ENV, "off")
    m = SMEEcosystem(rng=5, n_firms=600, burn_in=0, months=30, consortium_prob=0.6,
                     trustworthiness_mean=0.5)
    for _ in range(10):
        m.step()
    assert (m.alliances.book.n_members >= 3).any(), "no consortium: later slots not tested"
    return m


def _both(monkeypatch, m: SMEEcosystem, fn):
    """fn(copy of m) under SME_NUMBA=off and =on: the two results."""
    out = []
    for setting in ("off", "on"):
        monkeypatch.setenv(kernels.ENV, setting)
        out.append(fn(pickle.loads(pickle.dumps(m))))
    return out


def _assert_same(numpy_path, compiled, names=None) -> None:
    """Each pair of arrays alike bit for bit: dtype, values, and the sign of float zeros."""
    names = names or [str(k) for k in range(len(numpy_path))]
    assert len(numpy_path) == len(compiled) == len(names)
    for name, x, y in zip(names, numpy_path, compiled):
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(x), np.signbit(y), err_msg=name)
        np.testing.assert_array_equal(x, y, err_msg=name)


def _check_member_slots(monkeypatch):
    m = _model(monkeypatch)
    # a hole in a first slot (a member that exited) must keep the slot order
    b = m.alliances.book
    row = int(np.flatnonzero(b.n_members >= 3)[0])
    b.members[row, 0] = -1

    def slots(x):
        al = x.alliances
        al._forget_membership()
        return (*al.member_slots(), al.slot_index(), al._type_bounds)

    _assert_same(*_both(monkeypatch, m, slots))


def _check_contribution_and_trust_update(monkeypatch):
    """Shirking, its detection, effectiveness, reputation and the trust of partner pairs."""
    m = _model(monkeypatch)

    def update(x):
        x.alliances.contribute_and_update_trust(x.firms, x.steps + 1)
        b = x.alliances.book
        assert b.detected.any(), "no shirking caught: erosion not tested"
        assert (b.shirked & ~b.detected).any(), "every shirker caught: detection not tested"
        return (b.trust, x.alliances.trust_low, x.alliances.trust_below_half, b.shirked,
                b.detected, b.effectiveness, x.firms.reputation)

    numpy_path, compiled = _both(monkeypatch, m, update)
    assert numpy_path[1].any() and numpy_path[2].any(), "no trust flag set: flags not tested"
    _assert_same(numpy_path, compiled)


def _check_memory_writes(monkeypatch):
    m = _model(monkeypatch)
    rng = np.random.default_rng(2)
    alive = np.flatnonzero(m.firms.alive)
    # firms written several times (a known partner again, and more new ones than slots)
    f = rng.choice(alive[:40], 400)
    partner = rng.choice(alive, 400)
    partner[::3] = m.firms.memory_partner[f[::3], 0].clip(0)
    trust = rng.random(400)  # float64: cast to the memory's float32 on both paths

    def write(x):
        x.alliances._remember(x.firms, f, partner, trust)
        return x.firms.memory_partner, x.firms.memory_trust, x.firms.memory_next

    _assert_same(*_both(monkeypatch, m, write))


@needs_numba
@pytest.mark.parametrize("side_thread", ["off", "on"])
def test_a_run_with_the_kernels_is_the_run_without(monkeypatch, side_thread):
    monkeypatch.setenv("SME_SIDE_THREAD", side_thread)
    runs = []
    for setting in ("off", "on"):
        monkeypatch.setenv(kernels.ENV, setting)
        m = SMEEcosystem(**KW)
        m.run()
        runs.append(m)
    _assert_same_run(*runs)


def test_auto_compiles_only_large_models_and_on_needs_numba(monkeypatch):
    monkeypatch.setenv(kernels.ENV, "auto")
    assert not kernels.use(kernels.AUTO_MIN_ROWS - 1)
    assert kernels.use(kernels.AUTO_MIN_ROWS) == kernels.installed
    monkeypatch.setenv(kernels.ENV, " On ")
    if kernels.installed:
        assert kernels.use(10)
    monkeypatch.setattr(kernels, "installed", False)
    with pytest.raises(ParameterError, match="SME_NUMBA=on: numba is not installed"):
        SMEEcosystem(n_firms=50)
    monkeypatch.setenv(kernels.ENV, "auto")
    assert not kernels.use(10**7)  # falls back to numpy


def test_a_process_running_many_models_compiles_at_any_size(monkeypatch):
    """An experiment's worker (analysis.runner.run_task) says it runs many models: in `auto`
    the kernels then run at any size; `off` still turns them off."""
    monkeypatch.setattr(kernels, "installed", True)
    monkeypatch.setenv(kernels.ENV, "auto")
    assert not kernels.use(300) and kernels.use(300, many_models=True)
    kernels.for_many_models()
    assert kernels.use(300) and kernels.use(0) and not kernels.use(300, many_models=False)
    monkeypatch.setenv(kernels.ENV, "off")
    assert not kernels.use(300) and not kernels.use(10**7)
    monkeypatch.setattr(kernels, "installed", False)
    monkeypatch.setenv(kernels.ENV, "auto")
    assert not kernels.use(300)  # no numba: the numpy path


def test_a_small_model_does_not_import_numba():
    """Below AUTO_MIN_ROWS the default setting runs numpy and never pays numba's import."""
    import subprocess
    import sys

    code = ("import sys; from simulation import SMEEcosystem; "
            "SMEEcosystem(n_firms=300, rng=1, burn_in=0, months=3).run(); "
            "print('numba' in sys.modules)")
    env = {k: v for k, v in __import__("os").environ.items() if k != kernels.ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == "False"


def _check_first_occurrence(monkeypatch):
    from simulation.alliances.common import _first_occurrence

    rng = np.random.default_rng(4)
    for size, bound in ((0, 5), (1, 5), (50, 7), (5_000, 300), (5_000, 60_000)):
        values = rng.integers(0, bound, size)
        out = []
        for setting in ("off", "on"):
            monkeypatch.setenv(kernels.ENV, setting)
            out.append(_first_occurrence(values, bound))
        assert out[0].dtype == out[1].dtype == bool
        np.testing.assert_array_equal(*out)
        assert out[0].sum() == np.unique(values).size


@needs_numba
def test_scalar_helpers_are_numpys_max_min_and_clip():
    """Signed zeros and NaN come out of the kernels' max, min and clip as out of numpy's."""
    kernels.compiled(kernels.first_occurrence)  # compiles the helpers in their place
    values = np.array([0.0, -0.0, 1.0, -1.0, np.nan, 2.5, np.inf])
    a, b = np.meshgrid(values, values)
    a, b = a.ravel(), b.ravel()
    for helper, ufunc in ((kernels.scalar_max, np.maximum), (kernels.scalar_min, np.minimum)):
        mine = np.array([helper(x, y) for x, y in zip(a, b)])
        np.testing.assert_array_equal(np.signbit(mine), np.signbit(ufunc(a, b)))
        np.testing.assert_array_equal(mine, ufunc(a, b))
    mine = np.array([kernels.scalar_clip(x, 0.0, 1.0) for x in values])
    np.testing.assert_array_equal(np.signbit(mine), np.signbit(np.clip(values, 0.0, 1.0)))
    np.testing.assert_array_equal(mine, np.clip(values, 0.0, 1.0))


def _check_production(monkeypatch):
    """production.produce and the resilience update: every firm field the same, with supplier
    failures in and out of supply chains, dead rows, debts, shocks, and episodes of lost
    revenue starting, going on and ending."""
    from types import SimpleNamespace

    from simulation.rules import demand, production
    from simulation.state import FirmState

    m = _model(monkeypatch)
    s, n = m.firms, m.firms.n
    rng = np.random.default_rng(8)
    s.capital[rng.random(n) < 0.3] *= -1.0  # in debt: interest
    s.episode_months[rng.random(n) < 0.3] = 3  # episodes under way, some of them ending
    s.episode_depth[:] = rng.random(n).astype(np.float32) * 0.3
    assert (~s.alive).any(), "no dead row: masking not tested"

    def field(low, high):
        return rng.uniform(low, high, n)

    shock = SimpleNamespace(demand=field(0.6, 1.0), logistics=field(1.0, 1.4),
                            inputs=field(1.0, 1.2), interest=field(1.0, 2.0),
                            compliance=field(0.0, 0.05))
    effects = SimpleNamespace(contract_boost=field(0, 0.3), price_premium=field(0, 0.1),
                              logistics_cut=field(0, 0.2), infra_cut=field(0, 0.2),
                              rd_speedup=field(0, 0.3), demand=field(0.5, 1.3),
                              in_supply_chain=rng.random(n) < 0.5,
                              coordination_cost=field(0, 2.0))
    capacity = s.scale * field(0.8, 1.2)
    walk = demand.Walk(capacity=capacity, expected=capacity * s.level, reach=field(0.3, 1.0),
                        failed=rng.random(n) < 0.2,
                        noise=field(0.9, 1.1).astype(np.float32))
    extra = np.where(rng.random(n) < 0.1, field(0, 5.0), 0.0)

    def produce(x):
        production.produce(x.firms, x.p, None, None, shock, effects, extra, walk,
                        compiled=kernels.use(x.firms.n))
        return [getattr(x.firms, f) for f in FirmState.FIELDS]

    numpy_path, compiled = _both(monkeypatch, m, produce)
    after = dict(zip(FirmState.FIELDS, numpy_path))
    started, ended = s.episode_months == 0, s.episode_months > 0  # before, on the original
    assert (started & (after["episode_months"] > 0)).any(), "no episode started"
    assert (ended & (after["episode_months"] == 0) & s.alive).any(), "no episode ended"
    assert (after["need"] > 0).any() and (after["need"] == 1).any()
    _assert_same(numpy_path, compiled, list(FirmState.FIELDS))


def _check_bincount(monkeypatch):
    """The compiled weighted count adds in numpy's order (sums of many values, float32 and
    bool weights), and falls back to numpy where an index reaches past minlength."""
    monkeypatch.setenv(kernels.ENV, "on")
    rng = np.random.default_rng(6)
    x = rng.integers(0, 50, 20_000)
    for weights in (rng.standard_normal(x.size) * 1e3, rng.random(x.size, dtype=np.float32),
                    rng.random(x.size) < 0.5):
        got = kernels.bincount(x, weights, 60)
        np.testing.assert_array_equal(got, np.bincount(x, weights=weights, minlength=60))
        assert got.dtype == np.float64 and got.size == 60
    # the loop's order matters: a reordering would change these sums in the last bits
    w = rng.standard_normal(x.size) * 1e3
    assert not np.array_equal(kernels.bincount(x[::-1], w[::-1], 60), kernels.bincount(x, w, 60))
    wider = kernels.bincount(x, x * 0.5, 10)  # indices up to 49: numpy's longer result
    np.testing.assert_array_equal(wider, np.bincount(x, weights=x * 0.5, minlength=10))


def _check_experience_exits_and_forgetting(monkeypatch):
    """The month's tail: experience, exits (bankrupt, closing in debt and not) and the
    forgetting of exited partners, field by field."""
    from simulation.rules import exit_entry, innovation
    from simulation.state import FirmState

    m = _model(monkeypatch)
    s, n = m.firms, m.firms.n
    rng = np.random.default_rng(9)
    s.capital[rng.random(n) < 0.2] = -1e6  # past any credit line: bankrupt
    s.capital[rng.random(n) < 0.2] *= -1e-3  # in debt, within the line: six times the hazard
    u = rng.random(n) * 0.05  # many voluntary closures
    assert (s.memory_partner >= 0).any() and (~s.alive).any()

    def tail(x):
        compiled = kernels.use(x.firms.n)
        innovation.gain_experience(x.firms, compiled)
        gone, bankrupt = exit_entry.exits(x.firms, x.p, None, u, compiled)
        dead = exit_entry.exited_mask(x.firms, gone)  # in halves with the worker
        side.halves(True, x.firms.n, lambda rows: exit_entry.forget_exited(x.firms, dead, rows,
                                                                         compiled))
        return gone, bankrupt, [getattr(x.firms, f).copy() for f in FirmState.FIELDS]

    (gone, bankrupt, before), (gone_c, bankrupt_c, after) = _both(monkeypatch, m, tail)
    assert bankrupt == bankrupt_c > 0 and gone.size > bankrupt  # closures too
    np.testing.assert_array_equal(gone, gone_c)
    assert np.isin(s.memory_partner, gone).any(), "no exited partner remembered: not tested"
    _assert_same(before, after, list(FirmState.FIELDS))


def _check_reputation(monkeypatch):
    """Many random reputations and membership counts, so that a constant in another dtype
    (0.1 for float32 0.1) would show in the last bits of some of them."""
    from types import SimpleNamespace

    from simulation.alliances.contribution import _update_reputation

    rng = np.random.default_rng(12)
    n = 200_000
    count = rng.integers(0, 5, n).astype(np.int16)
    f = np.repeat(np.arange(n), count)
    detected = rng.random(f.size) < 0.3
    start = rng.random(n, dtype=np.float32)
    out = []
    for setting in ("off", "on"):
        monkeypatch.setenv(kernels.ENV, setting)
        state = SimpleNamespace(n=n, n_alliances=count, reputation=start.copy())
        _update_reputation(state, f, detected)
        out.append(state.reputation)
    assert not np.array_equal(out[0], start)
    np.testing.assert_array_equal(*out)


def _check_type_values(monkeypatch):
    """The month's table of type values of every firm (R&D's cut above 0.9 is capped)."""
    for rd_time_cut in (0.3, 0.95):
        _check_type_values_at(monkeypatch, rd_time_cut)


def _check_type_values_at(monkeypatch, rd_time_cut):
    from simulation.alliances import type_value_table
    from simulation.sizes import sizes_of

    m = _model(monkeypatch)
    m.firms.var_cost_ratio[::5] = 1.2  # a joint bid's margin at its floor
    p = dict(m.p, rd_time_cut=rd_time_cut)
    reach = sizes_of(m.firms.trend, p)[1]
    out = []
    for setting in ("off", "on"):
        monkeypatch.setenv(kernels.ENV, setting)
        out.append(type_value_table(m.firms, slice(None), p, reach))
    assert (out[0] > 0).all(axis=1).any()
    np.testing.assert_array_equal(*out)
    # a list of rows takes the numpy path whatever the setting
    rows = np.arange(0, m.firms.n, 7)
    np.testing.assert_array_equal(type_value_table(m.firms, rows, p, reach[rows]), out[0][:, rows])


def _check_network_statistics(monkeypatch):
    """Triangles and the largest component by the kernels give scipy's figures exactly, on
    graphs with many triangles, isolated and dead firms, and repeated pairs."""
    from simulation.metrics import network_stats

    rng = np.random.default_rng(13)
    seen = []
    for n, edges in ((50, 400), (2_000, 3_000), (5_000, 2_000), (3_000, 1_600), (1_000, 520)):
        u, v = rng.integers(0, n, (2, edges))
        alive = rng.random(n) < 0.95
        alive[u] = alive[v] = True
        out = []
        for setting in ("off", "on"):
            monkeypatch.setenv(kernels.ENV, setting)
            out.append(network_stats(u, v, alive))
        assert out[0] == out[1]
        seen.append(out[0])
    assert seen[0][1] > 0 and any(x[2] < 0.9 for x in seen)  # triangles; components


@needs_numba
def test_an_experiment_task_runs_compiled_with_the_numpy_path_s_results(monkeypatch):
    """analysis.runner.run_task, the code an experiment's workers run, switches the kernels
    on at any size (one numba import per worker, shared by its runs): its months are the
    ones the numpy path gives."""
    import pandas as pd

    from analysis.runner import Experiment, run_task
    from simulation.scenario import load_scenario

    task = Experiment("compare", [load_scenario("recession")], replications=1,
                      fixed=dict(n_firms=300, burn_in=3, months=30)).plan()[1][0]
    monkeypatch.setenv(kernels.ENV, "off")
    reference = run_task(task)[0]
    assert kernels._many_models and not kernels.use(300)
    monkeypatch.setenv(kernels.ENV, "auto")
    assert kernels.use(300)
    compiled = run_task(task)[0]
    pd.testing.assert_frame_equal(compiled, reference, check_exact=True)


# Every compiled kernel and the check that compares it with the numpy path it stands in for.
PAIRS = {
    "member_slots": _check_member_slots,
    "contribute_kernel": _check_contribution_and_trust_update,
    "update_trust_kernel": _check_contribution_and_trust_update,
    "remember_kernel": _check_memory_writes,
    "first_occurrence": _check_first_occurrence,
    "produce_kernel": _check_production,
    "_weighted_count": _check_bincount,
    "gain_experience_kernel": _check_experience_exits_and_forgetting,
    "exits_kernel": _check_experience_exits_and_forgetting,
    "forget_kernel": _check_experience_exits_and_forgetting,
    "update_reputation_kernel": _check_reputation,
    "triangles": _check_network_statistics,
    "largest_component": _check_network_statistics,
    "value_table_kernel": _check_type_values,
}


def _kernels_in_the_model() -> set[str]:
    """Every kernel: the `*_kernel` twins beside their rules, and kernels.KERNELS."""
    import importlib
    import pkgutil

    import simulation

    found = set(kernels.KERNELS)
    for info in pkgutil.walk_packages(simulation.__path__, "simulation."):
        module = importlib.import_module(info.name)
        found |= {name for name, value in vars(module).items()
                  if name.endswith("_kernel") and callable(value)
                  and getattr(value, "__module__", None) == info.name}
    return found


def test_every_kernel_has_its_check():
    assert _kernels_in_the_model() == set(PAIRS)


@needs_numba
@pytest.mark.parametrize("kernel", sorted(PAIRS))
def test_each_kernel_gives_its_rule_s_numbers(monkeypatch, kernel):
    PAIRS[kernel](monkeypatch)
