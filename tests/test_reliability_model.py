"""Reliability of the model over its whole parameter space (DESIGN §8; docs/RELIABILITY.md).

Hypothesis draws parameter sets anywhere inside the registry's bounds (every parameter at
once, bounds included) and runs each small model for 24 months, with and without every
shock and policy at once, checking every month: no NaN or inf, employees at least 1, trust
and reputation in [0, 1], alliance membership consistent both ways, exited firms hold no
alliance, money accounted (capital change = profit + aid + grants - investment), policy
spend within budget. Any value outside the bounds, of the wrong type, NaN or inf, is refused
with a message naming the parameter and its valid range, wherever it comes from.

The hypothesis profile (tests/conftest.py) is derandomized: CI draws the same cases each run.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import SMEEcosystem
from simulation.errors import ParameterError
from simulation.params import PARAMS, PARAMS_LIST, Param, parse_assignment, validate
from simulation.policies import POLICY_KINDS
from tests.test_model import check_invariants, everything_scenario

MODEL_EXAMPLES = int(os.environ.get("SME_MODEL_EXAMPLES", 150))  # x 24 months, each month checked
BUDGET = 400.0  # everything_scenario's budget per instrument


def value_in_bounds(p: Param) -> st.SearchStrategy:
    """Any valid value of one registry parameter, the bounds themselves included."""
    if p.choices is not None:
        return st.sampled_from(p.choices)
    if p.kind is bool:
        return st.booleans()
    if p.kind is int:
        return st.integers(int(p.low), int(p.high))
    return st.one_of(st.sampled_from([p.low, p.high]),
                     st.floats(p.low, p.high, allow_nan=False, allow_infinity=False))


# sizes kept small (a model a tenth of a second); everything else over its whole range
SMALL = {"n_firms": st.integers(1, 200), "months": st.just(24), "burn_in": st.integers(0, 6)}


@st.composite
def parameter_sets(draw) -> dict:
    values = {p.name: draw(SMALL[p.name] if p.name in SMALL else value_in_bounds(p))
              for p in PARAMS_LIST}
    # the one joint constraint: micro and small firms' shares add up to at most 1
    values["share_small"] = draw(st.floats(0.0, 1.0 - values["share_micro"]))
    return values


def run_with_invariants(model: SMEEcosystem, each_month=None):
    """Run `model` to the end, checking tests/test_model.py's invariants (and `each_month`,
    if given) after every month; return its reporters, checked finite."""
    while model.running:
        before = {"alive": model.firms.alive.copy(), "capital": model.firms.capital.copy(),
                  "uid": model.firms.uid.copy()}
        model.step()
        check_invariants(model, before)
        assert model.report["firms_alive"] == int(model.firms.alive.sum())
        if each_month is not None:
            each_month(model)
    frame = model.datacollector.get_model_vars_dataframe()
    assert np.isfinite(frame.to_numpy(dtype=float)).all()
    return frame


def spend_within_budget(model: SMEEcosystem) -> None:
    for kind in POLICY_KINDS:
        # everything_scenario's budget, or the one a `<kind>_budget` setting gave
        budget = model.p[f"{kind}_budget"] if model.p[f"{kind}_budget"] >= 0 else BUDGET
        assert 0.0 <= model.policy.spend[kind] <= budget * model.policy.scale * (1 + 1e-9), kind


def run_checked(params: dict, seed: int, scenario=None) -> SMEEcosystem:
    model = SMEEcosystem(rng=seed, scenario=scenario, **params)
    frame = run_with_invariants(model, spend_within_budget)
    assert len(frame) == params["burn_in"] + 24
    return model


@settings(max_examples=MODEL_EXAMPLES)
@given(params=parameter_sets(), seed=st.integers(0, 2**32), everything=st.booleans())
def test_any_parameter_set_within_bounds_keeps_every_invariant(params, seed, everything):
    run_checked(params, seed, everything_scenario() if everything else None)


def test_the_bounds_themselves_keep_every_invariant():
    """Every parameter at its lower bound, then at its upper bound (shares adjusted)."""
    for end in ("low", "high"):
        params = {p.name: (getattr(p, end) if p.low is not None else p.default)
                  for p in PARAMS_LIST if p.kind in (int, float)}
        params.update(n_firms=150, months=24, burn_in=3)
        if params["share_micro"] + params["share_small"] > 1:
            params["share_small"] = 0.0
        run_checked(params, seed=7, scenario=everything_scenario())


# --------------------------------------------------------------------------- refusals
NUMERIC = [p for p in PARAMS_LIST if p.kind in (int, float)]


@st.composite
def out_of_bounds(draw) -> tuple[Param, object]:
    p = draw(st.sampled_from(NUMERIC))
    span = max(abs(p.high - p.low), 1.0)
    side = draw(st.sampled_from(["below", "above", "special", "type"]))
    if side == "below":
        value = p.low - draw(st.floats(1e-6, 1e12)) * span if p.kind is float else \
            int(p.low) - draw(st.integers(1, 10**12))
    elif side == "above":
        value = p.high + draw(st.floats(1e-6, 1e12)) * span if p.kind is float else \
            int(p.high) + draw(st.integers(1, 10**12))
    elif side == "special":
        value = draw(st.sampled_from([math.nan, math.inf, -math.inf, "nan", "inf", "1e999"]))
    else:
        value = draw(st.one_of(st.text(max_size=8).filter(lambda t: not _numeric(t)),
                               st.none(), st.lists(st.integers(), max_size=2), st.booleans(),
                               st.just({"a": 1})))
        if p.kind is int and draw(st.booleans()):
            value = draw(st.floats(p.low, p.high).filter(lambda x: not float(x).is_integer()))
    return p, value


def _numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@settings(max_examples=300)
@given(case=out_of_bounds())
def test_any_value_outside_bounds_is_refused_naming_the_parameter(case):
    p, value = case
    attempts = [lambda: validate({p.name: value}),
                lambda: parse_assignment(f"{p.name}={value}")]
    if not (p.name == "n_firms" and value is None):  # the model's documented "the default"
        attempts.append(lambda: SMEEcosystem(rng=1, **{p.name: value}))
    for attempt in attempts:
        with pytest.raises(ParameterError) as info:
            attempt()
        message = str(info.value)
        assert p.name in message and "\n" not in message
        assert "valid:" in message or "expected" in message, message


def test_share_constraint_and_unknown_names_are_refused():
    with pytest.raises(ParameterError, match=r"share_micro \+ share_small: 1.5 exceeds 1"):
        validate({"share_micro": 0.9, "share_small": 0.6})
    with pytest.raises(ParameterError, match="did you mean 'trust_build_rate'"):
        SMEEcosystem(rng=1, trust_buld_rate=0.1)
    assert PARAMS["n_firms"].check(1) == 1  # the smallest model is allowed ...
    with pytest.raises(ParameterError, match="n_firms: 0 is out of range"):
        SMEEcosystem(rng=1, n_firms=0)  # ... an empty one is not
