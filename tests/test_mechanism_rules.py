"""The rules issue 21 added, each on hand-made firms with known answers: the cash squeeze,
markets reached with partners, the credit line's standing, the resilience score, and orders
held by partners in a downturn (docs/ODD.md, Sections 7.11-7.13 and 7.19)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import SMEEcosystem
from simulation.params import defaults
from simulation.rules import credit, markets, resilience, squeeze


@pytest.fixture
def firms():
    model = SMEEcosystem(rng=1, n_firms=4, burn_in=0, months=1)
    s = model.firms
    s.alive[:] = True
    return s, dict(model.p)


def test_a_firm_short_of_cash_and_credit_cuts_capacity(firms):
    s, p = firms
    s.revenue[:] = 100.0
    s.flow_profit[:] = 0.0  # costs of 100 a month
    s.capital[:] = [500.0, 50.0, -80.0, -200.0]
    s.credit_limit[:] = 100.0  # cash and credit: 6, 1.5, 0.2 and -1 months of costs
    s.scale[:] = 10.0
    p["cash_squeeze_cut"] = 0.2
    p["working_capital_months"] = 1.0  # cover = those months
    squeeze.cash_squeeze(s, p)
    np.testing.assert_allclose(s.scale, [10.0, 10.0, 10.0 * (1 - 0.2 * 0.8), 8.0])
    p["working_capital_months"] = 2.0  # cover 3, 0.75, 0.1, -0.5
    s.scale[:] = 10.0
    squeeze.cash_squeeze(s, p)
    np.testing.assert_allclose(s.scale, [10.0, 10.0 * (1 - 0.2 * 0.25), 10.0 * (1 - 0.2 * 0.9),
                                         8.0])
    s.scale[:] = 10.0
    for off in ({"cash_squeeze_cut": 0.0}, {"working_capital_months": 0.0}):
        squeeze.cash_squeeze(s, {**p, **off})  # off: nothing moves
        np.testing.assert_allclose(s.scale, 10.0)


def test_markets_reached_with_partners_grow_demand_more_where_contracts_hold(firms):
    s, p = firms
    s.level[:] = 1.0
    s.institutions[:] = [5.0, 2.5, 5.0, 5.0]
    access = np.array([1.0, 1.0, 0.0, 2.0])
    reach = np.array([1.0, 1.0, 1.0, 0.5])
    p["market_access_growth"] = 0.12
    markets.grow_markets(s, p, access, reach)
    np.testing.assert_allclose(np.log(s.level), [0.01, 0.005, 0.0, 0.01], rtol=1e-6)


def test_credit_line_rises_with_institutions_and_partners(firms):
    s, p = firms
    s.trend[:] = 100.0
    s.region[:] = 2  # one country: the same access for all
    s.institutions[:] = [3.0, 0.0, 5.0, 3.0]
    s.n_alliances[:] = [0, 0, 0, 2]
    p["alliance_credit_bonus"] = 0.1
    line = credit.credit_base(s, p)
    base = line[0]
    np.testing.assert_allclose(line / base, [1.0, 0.5, 0.5 + 0.5 * 5 / 3, 1.2], rtol=1e-6)


def test_resilience_score_rates_buffers_partners_and_losses(firms):
    s, _p = firms
    s.revenue[:] = 100.0
    s.flow_profit[:] = 0.0
    s.trend[:] = 100.0
    s.capital[:] = [1200.0, 0.0, 0.0, 300.0]
    s.credit_limit[:] = 0.0
    s.support[:] = [0.0, 0.0, 0.0, 300.0]  # partners double firm 3's six months' cover
    s.episode_depth[:] = [0.0, 0.0, 0.4, 0.0]
    s.episode_months[:] = [0, 0, 12, 0]
    s.last_depth[:] = 0.0
    s.last_recovery[:] = 0.0
    resilience.rate_resilience(s)
    # 1 + 4 (0.85 min(cover / 12, 1) + 0.15 (1 - harm))
    np.testing.assert_allclose(s.resilience, [5.0, 1.6, 1.0, 1 + 4 * (0.85 * 0.5 + 0.15)],
                               rtol=1e-6)


def test_partners_hold_orders_in_a_downturn():
    """The same recession with and without order sharing: allied firms' demand multiplier is
    spared part of the loss, more with older alliances; firms alone lose it all."""
    model = SMEEcosystem(rng=3, n_firms=400, burn_in=12, months=30, scenario="recession",
                         shock_start=2)
    model.run(12 + 2)
    for _ in range(6):  # entry may have added rows after the month's context was made:
        if model.last_month.coord_mult.size == model.firms.n:  # on to a month that fits
            break
        model.step()
    assert model.last_month.coord_mult.size == model.firms.n
    s, a = model.firms, model.alliances
    shock = model.last_shock
    held = a.effects(s, model.last_month, shock.demand, True).demand
    model.p["order_sharing"] = 0.0
    bare = a.effects(s, model.last_month, shock.demand, True).demand
    allied = s.alive & (s.n_alliances > 0)
    alone = s.alive & (s.n_alliances == 0)
    assert (shock.demand[s.alive] < 1).all()
    # an alliance holds orders in proportion to age / (age + 12): firms with one formed
    # before this month's context (nearly all of them hold more; none hold less)
    ids = s.alliances
    start = np.where(ids >= 0, a.book.start[np.maximum(ids, 0)].astype(np.int64), 2**40)
    older = allied & (start < model.last_month.step).any(axis=1)
    assert older.sum() > 0.8 * allied.sum()
    assert (held[older] > bare[older]).mean() > 0.95
    assert (held[allied] >= bare[allied]).all()
    np.testing.assert_array_equal(held[alone], bare[alone])
    spared = (held - bare) / (1 - bare)
    assert spared[allied].max() <= 0.5 + 1e-12


def test_defaults_name_every_new_mechanism():
    p = defaults()
    for name in ("order_sharing", "market_access_growth", "cash_squeeze_cut",
                 "alliance_credit_bonus", "formal_aid_bonus", "partner_knowledge"):
        assert p[name] > 0, name
