"""The registry for other programs: `run.py params --format json|csv`, SALib problems and
EMA Workbench parameter lists (analysis/parameters.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

import run as cli
from analysis.parameters import (
    COLUMNS,
    ema_model,
    ema_outcomes,
    ema_parameters,
    ema_scenario_lever,
    registry_rows,
    salib_problem,
)
from simulation.errors import UserError
from simulation.params import PARAMS, PARAMS_LIST


def _cli(capsys, *args) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_json_is_every_parameter_as_the_registry_says(capsys):
    rows = json.loads(_cli(capsys, "params", "--format", "json"))
    assert [r["name"] for r in rows] == [p.name for p in PARAMS_LIST]
    for r in rows:
        p = PARAMS[r["name"]]
        assert list(r) == list(COLUMNS)
        assert (r["default"], r["low"], r["high"], r["unit"], r["group"], r["help"]) == (
            p.default, p.low, p.high, p.unit, p.group, p.help)
        assert r["type"] in ("int", "float", "bool", "choice", "list")
        assert (r["choices"] is None) == (p.choices is None)
    budget = next(r for r in rows if r["name"] == "credit_guarantee_budget")
    assert budget["type"] == "float" and budget["default"] == -1.0 and budget["high"] == 1e6


def test_csv_parses_and_matches_the_registry_and_groups_filter(capsys):
    rows = list(csv.DictReader(io.StringIO(_cli(capsys, "params", "--format", "csv"))))
    assert [r["name"] for r in rows] == [p.name for p in PARAMS_LIST]
    for r in rows:
        p = PARAMS[r["name"]]
        assert r["group"] == p.group and r["unit"] == p.unit and r["help"] == p.help
        if p.kind in (int, float) and p.choices is None:
            assert float(r["low"]) == p.low and float(r["high"]) == p.high
            assert float(r["default"]) == p.default
    country = next(r for r in rows if r["name"] == "country")
    assert country["type"] == "choice" and country["choices"].split("|") == list(
        PARAMS["country"].choices)
    shocks = list(csv.DictReader(io.StringIO(_cli(capsys, "params", "--group", "shocks",
                                                  "--format", "csv"))))
    assert {r["group"] for r in shocks} == {"shocks"}
    assert {"shock_depth_scale", "shock_start", "shock_duration"} <= {r["name"] for r in shocks}
    assert "| name |" in _cli(capsys, "params", "--format", "markdown")


def test_bad_params_arguments_are_one_line(capsys):
    assert cli.main(["params", "--format", "json", "--group", "trust2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--group trust2: unknown group" in err
    with pytest.raises(UserError, match="unknown group"):
        registry_rows("nope")


def test_salib_problem_takes_the_registry_bounds_or_narrower():
    prob = salib_problem(["trust_build_rate", "shock_start"], {"shock_start": (6, 30)})
    assert prob == {"num_vars": 2, "names": ["trust_build_rate", "shock_start"],
                    "bounds": [[0.0, 1.0], [6.0, 30.0]]}
    with pytest.raises(UserError, match="go outside the registry's"):
        salib_problem(["trust_build_rate"], {"trust_build_rate": (0.0, 2.0)})
    with pytest.raises(UserError, match="can only be varied in a grid"):
        salib_problem(["country"])
    with pytest.raises(UserError, match="did you mean 'search_prob'"):
        salib_problem(["search_prb"])


def test_ema_parameters_outcomes_and_model_from_the_registry():
    pytest.importorskip("ema_workbench")  # the [ema] extra, which `make test` installs
    from ema_workbench import (
        CategoricalParameter,
        IntegerParameter,
        RealParameter,
        ScalarOutcome,
    )

    real, integer, choice = ema_parameters(["shock_depth_scale", "shock_start", "country"],
                                           {"shock_start": (1, 48)})
    assert isinstance(real, RealParameter) and (real.lower_bound, real.upper_bound) == (0, 5)
    assert isinstance(integer, IntegerParameter)
    assert (integer.lower_bound, integer.upper_bound) == (1, 48)
    assert isinstance(choice, CategoricalParameter)
    assert [c.value for c in choice.categories] == list(PARAMS["country"].choices)
    lever = ema_scenario_lever(["recession", "recession_with_credit_guarantee"])
    assert lever.name == "sme_scenario" and lever.variable_name == ["scenario"]
    kinds = {o.name: o.kind for o in ema_outcomes(["output_lost", "firms_alive_end",
                                                    "policy_spend"])}
    assert kinds == {"output_lost": ScalarOutcome.MINIMIZE,
                     "firms_alive_end": ScalarOutcome.MAXIMIZE,
                     "policy_spend": ScalarOutcome.INFO}
    with pytest.raises(UserError, match="unknown parameter"):
        ema_parameters(["shock_dept_scale"])
    model = ema_model(uncertainties=["shock_depth_scale"], levers=[lever],
                      outcomes=["output_lost"], constants={"n_firms": 50, "seed": 1})
    assert [u.name for u in model.uncertainties] == ["shock_depth_scale"]
    assert {c.name for c in model.constants} == {"outcomes", "n_firms", "seed"}


def test_ema_experiments_equal_evaluate(capsys):
    """perform_experiments over the model gives what evaluate gives for the same inputs."""
    pytest.importorskip("ema_workbench")
    from ema_workbench import SequentialEvaluator

    from analysis import evaluate

    lever = ema_scenario_lever(["recession", "recession_with_credit_guarantee"])
    fixed = {"n_firms": 60, "months": 12, "burn_in": 0, "seed": 3}
    model = ema_model(uncertainties=["shock_depth_scale"], levers=[lever],
                      outcomes=["output_lost", "bankruptcies"],
                      constants={**fixed, "shock_start": 2})
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=2, policies=2)
    assert len(experiments) == 4 and "sme_scenario" in experiments
    for i, row in experiments.iterrows():
        want = evaluate({"n_firms": 60, "months": 12, "burn_in": 0, "shock_start": 2,
                         "shock_depth_scale": row["shock_depth_scale"]},
                        scenario=row["sme_scenario"], seed=3,
                        outcomes=["output_lost", "bankruptcies"])
        assert outcomes["output_lost"][i] == want["output_lost"]
        assert outcomes["bankruptcies"][i] == want["bankruptcies"]
    assert outcomes["output_lost"].max() > 0
