"""Policy instruments are one module each, acting only at the month's declared points, and
the model names none of them."""

import inspect
from pathlib import Path

import pytest

from simulation import policies
from simulation.policies import INSTRUMENTS, POINTS, POLICY_KINDS


@pytest.mark.parametrize("module", INSTRUMENTS, ids=[m.NAME for m in INSTRUMENTS])
def test_an_instrument_declares_its_name_fields_and_points(module):
    assert module.__name__.endswith("." + module.NAME)
    assert module.FIELDS and all(name == p.name for name, p in module.FIELDS.items())
    acts = [name for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__]
    assert acts, "an instrument acts at one point of the month at least"
    assert set(acts) <= set(POINTS), f"functions that are no point of the month: {acts}"
    assert module.__doc__ and module.NAME in module.__doc__


def test_each_point_has_a_method_of_the_book():
    for point in POINTS:
        assert callable(getattr(policies.PolicyBook, point))


def test_the_model_names_no_instrument():
    source = Path(inspect.getfile(policies)).parent.parent.joinpath("model.py").read_text()
    named = [kind for kind in POLICY_KINDS if kind in source]
    assert not named, f"model.py names instruments: {named}"
