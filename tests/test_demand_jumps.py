"""Demand jumps (docs/ODD.md, Section 7.10): rare, large changes of a firm's demand.

The jump process draws at its stated rate, direction and size, leaves the mean demand level
unchanged, and shrinks with firm size; in the survey-calibration scenario it is what makes
annual growth rates tent-shaped (TARGETS §4).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.facts import growth_rates, laplace_vs_normal
from analysis.survey import observe
from simulation import SMEEcosystem
from simulation.params import defaults
from simulation.rules.demand import add_demand_jumps

JUMPS = dict(demand_jump_rate=1.2, demand_jump_size=0.1, demand_jump_up_share=0.7,
             demand_jump_cap=3.0)


def _steps(size_factor: np.ndarray, seed: int = 0, **params) -> np.ndarray:
    step = np.zeros(size_factor.size, dtype=np.float32)
    add_demand_jumps(step, size_factor, {**defaults(), **params}, np.random.default_rng(seed))
    return step


def test_jumps_have_the_stated_rate_direction_and_size():
    n = 400_000
    step = _steps(np.ones(n, dtype=np.float32), **JUMPS)
    assert step.dtype == np.float32
    base = np.median(step)  # the mean correction every firm gets
    jump = step - base
    hit = np.abs(jump) > 1e-6
    assert hit.mean() == pytest.approx(1.2 / 12, rel=0.03)
    assert (jump[hit] > 0).mean() == pytest.approx(0.7, abs=0.01)
    # exponential with mean s, capped at 3 s: E[min(E, 3)] = 1 - exp(-3)
    assert np.abs(jump[hit]).mean() == pytest.approx(0.1 * (1 - np.exp(-3)), rel=0.03)
    assert np.abs(jump[hit]).max() == pytest.approx(0.3, rel=1e-3)
    # the correction keeps the mean of the demand level: E[exp(step)] = 1
    assert np.exp(step.astype(np.float64)).mean() == pytest.approx(1.0, abs=2e-3)
    assert base < 0  # gains outweigh losses at up share 0.7, so the rest drift down


def test_jumps_shrink_with_size_and_switch_off():
    n = 200_000
    small = _steps(np.full(n, 1.5, dtype=np.float32), seed=1, **JUMPS)
    large = _steps(np.full(n, 0.5, dtype=np.float32), seed=1, **JUMPS)
    assert small.std() == pytest.approx(3 * large.std(), rel=0.05)
    assert not _steps(np.ones(1000, dtype=np.float32), demand_jump_rate=0.0).any()
    assert not _steps(np.ones(1000, dtype=np.float32), demand_jump_size=0.0).any()


@pytest.fixture(scope="module")
def growth_with_and_without_jumps():
    # the cash squeeze held off in both: its rare, deep capacity cuts give heavy tails of their
    # own (excess kurtosis 2.7 without jumps, but no tent: the Laplace fit loses), so the
    # jumps' own part is measured without it
    out = {}
    for label, rate in (("default", defaults()["demand_jump_rate"]), ("off", 0.0)):
        model = SMEEcosystem(rng=3, scenario="survey_calibration", n_firms=4000,
                             demand_jump_rate=rate, cash_squeeze_cut=0.0)
        out[label] = growth_rates(observe(model).firms)
    return out


def test_jumps_make_annual_growth_tent_shaped(growth_with_and_without_jumps):
    g = growth_with_and_without_jumps
    kurt = {k: float(stats.kurtosis(v)) for k, v in g.items()}
    # without jumps twelve summed monthly steps are close to Gaussian (excess kurtosis < 1)
    assert kurt["off"] < 1.0
    assert kurt["default"] > 1.0 and kurt["default"] > kurt["off"] + 1.0, kurt
    # and the Laplace fit gains on the normal fit
    assert (laplace_vs_normal(g["default"])["difference"]
            > laplace_vs_normal(g["off"])["difference"] + 0.01)
