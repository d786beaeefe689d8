"""analysis.evaluate: one experiment point as a function, equal to a sweep's numbers."""

from __future__ import annotations

import math
import multiprocessing as mp
import pickle
import warnings
from concurrent.futures import ProcessPoolExecutor

import pytest

from analysis import evaluate, evaluate_point, store
from analysis.outcomes import OUTCOMES_LIST
from analysis.point import InertSettingWarning
from analysis.resilience import NO_SHOCK
from analysis.runner import SerialExecutor, _process_pool
from analysis.sweep import sweep
from simulation.errors import ParameterError, UserError

SPEC = """\
description = "tiny: deeper and later recessions"
scenarios = ["recession", "recession_with_credit_guarantee"]
design = "grid"
replications = 2
months = 14
firms = 80
[params]
burn_in = 2
[vary]
shock_depth_scale = [0.5, 2.0]
shock_start = [3, 6]
"""


def same(a: dict, b: dict) -> bool:
    """Equal dicts, NaN equal to NaN (a run without a shock has no resilience figures)."""
    return a.keys() == b.keys() and all(
        (math.isnan(x) and math.isnan(b[k])) if isinstance(x, float) and math.isnan(x)
        else x == b[k] for k, x in a.items())


def test_evaluate_gives_exactly_the_sweeps_numbers(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC)
    out = sweep(str(spec), out=str(tmp_path / "sw"), workers=1, quiet=True)
    capsys.readouterr()
    summary = store.load_summary(out)
    assert len(summary) == 2 * 4 * 2
    names = [o.name for o in OUTCOMES_LIST]
    for row in summary.iloc[[0, 5, 10, 15]].to_dict("records"):
        point = {"burn_in": 2, "shock_depth_scale": row["shock_depth_scale"],
                 "shock_start": int(row["shock_start"])}
        got = evaluate(point, scenario=row["scenario"], seed=int(row["seed"]), n_firms=80,
                       months=14)
        assert list(got) == names
        assert same(got, {n: float(row[n]) for n in names}), (row, got)
        assert not math.isnan(got["output_lost"])  # the twin ran: resilience is measured


def test_outcomes_subset_and_keyword_form():
    small = dict(n_firms=60, months=8, burn_in=0)
    every = evaluate(small, scenario="recession", seed=2)
    growth = evaluate(small, scenario="recession", seed=2,
                      outcomes=["bankruptcies", "revenue_growth"])
    assert list(growth) == ["bankruptcies", "revenue_growth"]
    assert growth == {k: every[k] for k in growth}
    assert evaluate_point(scenario="recession", seed=2, **small) == every
    # no shock in 8 months (the recession starts in month 24): no twin, no loss
    assert {k: every[k] for k in NO_SHOCK} == NO_SHOCK


@pytest.mark.parametrize("params,message", [
    ({"trust_buld_rate": 0.1}, "trust_buld_rate: unknown parameter (did you mean "
                               "'trust_build_rate'?)"),
    ({"shock_depth_scale": 9}, "shock_depth_scale: 9.0 is out of range (valid: 0.0 to 5.0 x)"),
    ({"n_firms": 0}, "n_firms: 0 is out of range"),
])
def test_bad_parameters_raise_the_registrys_one_line_error(params, message):
    for call in (lambda: evaluate(params, scenario="recession"),
                 lambda: evaluate_point(scenario="recession", **params)):
        with pytest.raises(ParameterError) as info:
            call()
        assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_bad_scenario_seed_and_outcome_are_one_line_user_errors():
    with pytest.raises(UserError, match="scenario 'recesion': unknown"):
        evaluate(scenario="recesion")
    with pytest.raises(UserError, match="seed -1: must be a whole number"):
        evaluate(seed=-1)
    with pytest.raises(UserError, match="'output_lst' is not an outcome"):
        evaluate(outcomes=["output_lst"])
    with pytest.raises(UserError, match="n_firms: given twice"):
        evaluate({"n_firms": 50}, n_firms=60)
    for outcomes in ([], "bankruptcies"):  # nothing to return, or a name not in a list
        with pytest.raises(UserError, match="give a list of outcome names"):
            evaluate(outcomes=outcomes)


def test_a_setting_that_changes_nothing_warns():
    with pytest.warns(InertSettingWarning, match="credit_guarantee_budget: scenario recession "
                                                 "has no credit_guarantee policy"):
        evaluate({"credit_guarantee_budget": 5.0, "n_firms": 40, "months": 2, "burn_in": 0},
                 scenario="recession", outcomes=["bankruptcies"])


def test_same_seed_same_dict_in_any_process_and_executor():
    args = ({"n_firms": 70, "months": 10, "burn_in": 1, "shock_start": 4},)
    kw = dict(scenario="recession_with_credit_guarantee", seed=9)
    here = evaluate(*args, **kw)
    assert pickle.loads(pickle.dumps(evaluate)) is evaluate
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing inert here
        serial = SerialExecutor().submit(evaluate, *args, **kw).result()
    pool = _process_pool(1)  # a fresh worker process (forkserver)
    try:
        there = pool.submit(evaluate, *args, **kw).result()
    finally:
        pool.shutdown()
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as plain:
        keywords = plain.submit(evaluate_point, **args[0], **kw).result()
    assert same(here, serial) and same(here, there) and same(here, keywords)
    assert not math.isnan(here["output_lost"])
