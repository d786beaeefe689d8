"""The row streams (simulation/streams.py): a firm's monthly draws depend on its row, the
month and the stream, not on how many rows there are or on what other firms did."""

from __future__ import annotations

import numpy as np

from simulation import SMEEcosystem
from simulation.scenario import Scenario
from simulation.shocks import Shock
from simulation.streams import ROW_STREAMS, STREAMS, RowDraws, month_draws, seed_streams


def test_a_draw_of_more_rows_begins_with_the_draw_of_fewer():
    for n, more in ((1, 2), (999, 1000), (5000, 5123)):
        a, b = RowDraws(7, 3), RowDraws(7, 3)
        for call, dtype in (("random", np.float32), ("standard_normal", np.float32),
                            ("random", np.float32), ("random", np.float64)):
            short = getattr(a, call)(n, dtype=dtype)
            long = getattr(b, call)(more, dtype=dtype)
            np.testing.assert_array_equal(short, long[:n])


def test_draws_differ_by_call_month_and_stream():
    d = RowDraws(7, 3)
    first, second = d.random(100), d.random(100)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, RowDraws(7, 4).random(100))
    assert not np.array_equal(first, RowDraws(8, 3).random(100))
    draws = month_draws({"walk": 1, "exit": 2}, 5)
    assert set(draws) == {"walk", "exit"}
    np.testing.assert_array_equal(draws["walk"].random(10), RowDraws(1, 5).random(10))


def test_the_sequential_streams_keep_their_seeds():
    """The row streams' seeds come after the sequential streams' seeds, which are drawn
    first as they always were (so the initial population did not move)."""
    streams, row_seeds = seed_streams(np.random.default_rng(42))
    seeds = np.random.default_rng(42).integers(0, 2**63 - 1, size=len(STREAMS))
    for name, seed in zip(STREAMS, seeds):
        np.testing.assert_array_equal(streams[name].random(5),
                                      np.random.default_rng(int(seed)).random(5))
    assert set(row_seeds) == set(ROW_STREAMS)
    assert len(set(row_seeds.values())) == len(ROW_STREAMS)


def _run(shock: Shock | None) -> SMEEcosystem:
    scenario = Scenario("s", "s", shocks=[shock] if shock else [])
    m = SMEEcosystem(rng=11, n_firms=400, burn_in=0, months=48, max_alliances=0,
                     innovation_rate=0.0, scenario=scenario)
    while m.running:
        m.step()
    return m


def test_firms_a_shock_does_not_reach_keep_their_luck():
    """A demand shock on manufacturing changes who exits there, and so how many firms enter.
    Without alliances, and without innovations (whose copying passes a sector's mean gain,
    entrants' too, to its firms), nothing links the other sectors' incumbents to it, so each
    of them has the same revenue as in the run without the shock: its demand steps, order
    noise and closure draws stayed its own. (With sequential streams the first extra
    entrant, one more row to draw for, shifted every firm's later draws.)"""
    shock = Shock("demand", start=6, duration=12, depth=0.4, recovery=6,
                  sectors=["manufacturing"])
    calm, hit = _run(None), _run(shock)
    assert calm.firms.n != hit.firms.n or not np.array_equal(calm.firms.alive, hit.firms.alive)
    n = min(calm.firms.n, hit.firms.n)
    sector = calm.firms.sector[:n]
    manufacturing = 0  # simulation.regions.SECTORS
    incumbents = ((calm.firms.born[:n] == 0) & (hit.firms.born[:n] == 0)
                  & calm.firms.alive[:n] & hit.firms.alive[:n])
    others = incumbents & (sector != manufacturing)
    hit_ones = incumbents & (sector == manufacturing)
    assert others.sum() > 100
    np.testing.assert_array_equal(calm.firms.revenue[:n][others], hit.firms.revenue[:n][others])
    # and the shock did reach the manufacturers
    assert not np.array_equal(calm.firms.revenue[:n][hit_ones], hit.firms.revenue[:n][hit_ones])
