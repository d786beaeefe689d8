"""The model's numbers are the pinned ones (tests/golden.json), whatever runs them.

A change meant to keep the numbers must pass this unchanged; one meant to move them re-pins
with scripts/pin_golden.py and says why in its commit message (tests/golden.py)."""

import golden
import pytest

from simulation import kernels

PINNED = golden.pinned()


def test_every_pinned_scenario_is_pinned_whole():
    assert set(PINNED) == set(golden.SCENARIOS)
    assert len(PINNED) >= 20


@pytest.mark.parametrize("side_thread,numba", golden.MODES,
                         ids=[f"side-{a}-numba-{b}" for a, b in golden.MODES])
@pytest.mark.parametrize("scenario", golden.SCENARIOS)
def test_numbers_are_the_pinned_ones(scenario, side_thread, numba):
    if numba == "on" and not kernels.installed:
        pytest.skip("numba is not installed")
    with golden.mode(side_thread, numba):
        got = golden.fingerprint(scenario)
    want = PINNED[scenario]
    assert got.keys() == want.keys(), "reporters added or removed: re-pin (scripts/pin_golden.py)"
    moved = sorted(k for k in want if got[k] != want[k])
    assert not moved, f"{scenario}: these series moved: {moved}"
