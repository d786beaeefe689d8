"""Flat shock and policy settings (simulation/scenario.py, apply_settings): registry
parameters that change a scenario's [[shocks]] and [[policies]] lists."""

from __future__ import annotations

import pytest

from simulation import SMEEcosystem
from simulation.errors import ParameterError
from simulation.params import PARAMS, defaults, parse_assignment, validate
from simulation.scenario import apply_settings, inert_settings, load_scenario

SMALL = dict(n_firms=150, burn_in=3, months=14)


def test_defaults_leave_every_shipped_scenario_as_it_is():
    from simulation.scenario import shipped

    for name in shipped():
        scen = load_scenario(name)
        assert apply_settings(scen, {**defaults(), **scen.params}) is scen, name


def test_depth_scale_start_and_duration_move_every_scheduled_shock():
    scen = load_scenario("recession")  # demand 0.2 and credit 0.4, both from month 24
    got = apply_settings(scen, {**defaults(), "shock_depth_scale": 3.0, "shock_start": 6,
                                "shock_duration": 2})
    assert [(s.kind, s.start, s.duration, s.depth) for s in got.shocks] == [
        ("demand", 6, 2, pytest.approx(0.6)), ("credit", 6, 2, 1.0)]  # a depth is at most 1
    assert [s.depth for s in scen.shocks] == [0.2, 0.4]  # the loaded scenario is not changed


def test_shock_start_keeps_the_shocks_relative_timing():
    from dataclasses import replace

    scen = load_scenario("recession")
    scen = replace(scen, shocks=[scen.shocks[0], replace(scen.shocks[1], start=30)])
    got = apply_settings(scen, {"shock_start": 10})
    assert [s.start for s in got.shocks] == [10, 16]


def test_a_budget_sets_that_instrument_and_policy_scale_still_multiplies():
    scen = load_scenario("recession_with_resilience_mix")
    kinds = [p.kind for p in scen.policies]
    assert "credit_guarantee" in kinds
    got = apply_settings(scen, {"credit_guarantee_budget": 50.0})
    for old, new in zip(scen.policies, got.policies):
        assert new.budget == (50.0 if old.kind == "credit_guarantee" else old.budget)
    model = SMEEcosystem(rng=1, scenario=scen, credit_guarantee_budget=50.0, policy_scale=2.0,
                         **SMALL)
    running = dict(((p.kind, b) for p, b in model.policy.running("credit_guarantee", 30)))
    assert running == {"credit_guarantee": pytest.approx(50.0 * 2.0 * 150 / 1000)}


def test_settings_change_the_run_as_the_edited_scenario_does():
    """A flat setting gives the same numbers as the scenario file edited by hand."""
    from dataclasses import replace

    scen = load_scenario("recession")
    edited = replace(scen, shocks=[replace(s, depth=min(s.depth * 1.5, 1.0), start=5)
                                   for s in scen.shocks])

    def frame(**kw):
        model = SMEEcosystem(rng=4, **SMALL, **kw)
        model.run()
        return model.datacollector.get_model_vars_dataframe()

    by_setting = frame(scenario=scen, shock_depth_scale=1.5, shock_start=5)
    by_hand = frame(scenario=edited)
    assert by_setting.equals(by_hand)
    assert not by_setting.equals(frame(scenario=scen))


def test_settings_for_what_a_scenario_lacks_change_nothing_and_are_named():
    scen = load_scenario("recession")  # shocks, no policy
    params = {"credit_guarantee_budget": 10.0, "policy_scale": 2.0}
    assert inert_settings(scen, params) == [
        "policy_scale: scenario recession has no policy",
        "credit_guarantee_budget: scenario recession has no credit_guarantee policy"]
    base = load_scenario("baseline")
    assert inert_settings(base, {"shock_depth_scale": 2.0, "shock_start": 0}) == [
        "shock_depth_scale: scenario baseline has no scheduled shock"]
    assert apply_settings(base, {"shock_depth_scale": 2.0}).shocks == []


@pytest.mark.parametrize("text,message", [
    ("shock_depth_scale=6", "shock_depth_scale: 6.0 is out of range (valid: 0.0 to 5.0 x)"),
    ("shock_start=-3", "shock_start: -3 is out of range"),
    ("credit_guarantee_budget=-2", "credit_guarantee_budget: -2.0 is out of range"),
    ("rd_grant_budget=5", "did you mean 'rd_grants_budget'"),
])
def test_bad_settings_are_refused_in_one_line(text, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_assignment(text)
    key, _, value = text.partition("=")
    with pytest.raises(ParameterError) as info:
        SMEEcosystem(rng=1, scenario="recession", **{key: float(value)}, **SMALL)
    assert "\n" not in str(info.value) and key in str(info.value)


def test_the_settings_are_registry_parameters_in_their_groups():
    assert PARAMS["shock_depth_scale"].group == "shocks"
    assert PARAMS["trust_brokering_budget"].group == "policy"
    assert validate({"shock_start": "12"}) == {"shock_start": 12}
