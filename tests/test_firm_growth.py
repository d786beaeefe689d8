"""How firm growth depends on size (TARGETS §4): alliances reach less of a larger firm's
business (docs/ODD.md, Section 7.10), and the growth-rate facts are measured on growth less
its market's mean (analysis/facts.py; Bottazzi and Secchi 2006)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from analysis.facts import growth_rates
from simulation import SMEEcosystem
from simulation.alliances import Effects
from simulation.rules import production


def _revenue(model, premium: float) -> np.ndarray:
    """This month's revenue of every firm of a copy of `model`, with a co-marketing premium
    of `premium` for every firm and no other alliance effect (same random numbers)."""
    m = copy.deepcopy(model)
    s, n = m.firms, m.firms.n
    z = np.zeros(n)
    effects = Effects(z, np.full(n, premium), z, z, z, np.ones(n), z, np.zeros(n, bool), z,
                      np.zeros(n, bool), z, z)
    production.produce(s, m.p, np.random.default_rng(9), m.demand_index, m.last_shock, effects,
                    np.zeros(n))
    return s.revenue.copy()


@pytest.mark.parametrize("elasticity", [0.0, 0.3, 0.6])
def test_alliance_effects_reach_less_of_a_larger_firms_business(elasticity):
    model = SMEEcosystem(rng=2, n_firms=400, burn_in=6, months=6,
                         alliance_size_elasticity=elasticity)
    model.run(8)
    s = model.firms
    rel = np.clip(s.trend.astype(np.float32) / np.float32(20.0), 0.05, 1e6).astype(float)
    alive = s.alive & (s.export_share > 0)
    uplift = _revenue(model, 0.1)[alive] / _revenue(model, 0.0)[alive] - 1.0
    reach = uplift / (0.1 * s.export_share[alive])
    expected = np.minimum(rel[alive] ** -elasticity, 1.0)
    assert reach == pytest.approx(expected, rel=1e-5)
    large = rel[alive] > 4
    assert large.sum() > 5  # the test covers firms above the reference size
    if elasticity == 0:
        assert reach == pytest.approx(1.0, rel=1e-6)  # every firm alike
    else:
        assert reach[large].max() < 1.0 and reach[~large].min() > reach[large].min()


def test_growth_rates_are_measured_against_their_markets_mean():
    rng = np.random.default_rng(0)
    n = 600
    firms = pd.DataFrame({
        "country": rng.choice(["kenya", "uk", "india"], n),
        "sector": rng.choice(["services", "technology"], n),
        "revenue_prev_year": rng.uniform(50, 500, n),
    })
    g = rng.laplace(0, 0.1, n)
    firms["revenue_survey_year"] = firms["revenue_prev_year"] * np.exp(g)
    base = growth_rates(firms)
    market_means = pd.Series(base).groupby([firms["country"], firms["sector"]]).mean()
    assert np.abs(market_means).max() < 1e-12
    # a market that grew 20 % faster leaves every firm's normalised growth as it was
    boom = (firms["country"] == "uk").to_numpy()
    firms.loc[boom, "revenue_survey_year"] *= 1.2
    assert growth_rates(firms) == pytest.approx(base, abs=1e-12)
    # within a market, differences between firms are kept
    one = ((firms["country"] == "kenya") & (firms["sector"] == "services")).to_numpy()
    assert np.diff(base[one]) == pytest.approx(np.diff(g[one]), abs=1e-12)
