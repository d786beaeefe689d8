"""One experiment point as a function: parameters in, outcomes out.

    from analysis import evaluate
    evaluate({"trust_build_rate": 0.2, "shock_depth_scale": 1.5}, scenario="recession",
             seed=1, n_firms=1000, months=60)
    # -> {"revenue_growth": ..., "output_lost": ..., ...}

`evaluate` runs the model at one parameter point and, when an outcome asked for needs it
(the resilience outcomes), the same point's no-shock twin with the same seed, and returns
the outcomes of analysis/outcomes.py: exactly the numbers `run.py sweep` reports for that
point, scenario and seed (a sweep's replication i runs with the seed in its jobs table,
column `seed`). It is a plain top-level function of picklable arguments, so SALib loops,
`concurrent.futures` pools, Dask and EMA Workbench's evaluators can call it; the same
arguments give the same dict in any process.

`evaluate_point(**values)` is the same with everything as keywords (what EMA Workbench's
`Model(name, function=...)` calls): registry parameters, plus `scenario`, `seed` and
`outcomes`.
"""

from __future__ import annotations

import warnings

import numpy as np

from simulation.errors import UserError
from simulation.params import PARAMS, validate
from simulation.scenario import Scenario, inert_settings, load_scenario

from .outcomes import OUTCOMES, OUTCOMES_LIST, check_outcomes, job_outcomes
from .runner import Task, check_seed, counterfactual, run_task


class InertSettingWarning(UserWarning):
    """A parameter that cannot change this scenario's runs (e.g. a budget for an instrument
    the scenario does not have)."""


def _frame(scenario: Scenario, params: dict, seed: int):
    return run_task(Task("", scenario, params, seed))[0]


def evaluate(params: dict | None = None, *, scenario: str | Scenario = "baseline",
             seed: int = 0, n_firms: int | None = None, months: int | None = None,
             outcomes: list[str] | None = None) -> dict[str, float]:
    """The outcomes of one parameter point: what `run.py sweep` reports for it.

    Args:
        params: registry parameters (`run.py params`), e.g. {"search_prob": 0.1}; the flat
            shock and policy settings (`shock_depth_scale`, `credit_guarantee_budget`, ...)
            included. They override the scenario's, which override the registry defaults.
        scenario: a shipped scenario name, a .toml path or a loaded Scenario.
        seed: the model's seed (0 to 2^63 - 1).
        n_firms, months: shorthands for those two parameters.
        outcomes: names from analysis/outcomes.py (default: all of them, in their order).

    Returns:
        {outcome name: float}, in the order asked for. A run with no shock in its horizon
        has no twin and the resilience outcomes of no loss (analysis/resilience.py,
        NO_SHOCK), as in a sweep's summary.

    Raises:
        ParameterError (a UserError) with the registry's one-line message for an unknown or
        out-of-range parameter; UserError for a bad scenario, seed or outcome name. A
        parameter that changes nothing for this scenario (e.g. a budget for an instrument it
        does not have) gives an InertSettingWarning.
    """
    # numpy scalars (SALib's and EMA Workbench's samples) as plain Python numbers
    point = {k: v.item() if isinstance(v, np.generic) else v for k, v in (params or {}).items()}
    for name, value in (("n_firms", n_firms), ("months", months)):
        if value is not None:
            if name in point:
                raise UserError(f"{name}: given twice (as a keyword and in params); keep one")
            point[name] = value
    point = validate(point)
    seed = check_seed(seed.item() if isinstance(seed, np.generic) else seed, "seed")
    if isinstance(outcomes, str) or (outcomes is not None and not list(outcomes)):
        raise UserError(f"outcomes: {outcomes!r}: give a list of outcome names (or None for all)")
    names = [o.name for o in OUTCOMES_LIST] if outcomes is None else check_outcomes(outcomes)
    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    for text in inert_settings(scen, point):
        warnings.warn(f"{text}: it changes nothing here", InertSettingWarning, stacklevel=2)
    frame = _frame(scen, point, seed)
    twin = None
    if any(OUTCOMES[name].group == "resilience" for name in names):
        twin = counterfactual(scen, point)
    twin_frame = _frame(twin[0], twin[1], seed) if twin is not None else None
    row = job_outcomes(frame, twin_frame)
    return {name: row[name] for name in names}


def evaluate_point(**values) -> dict[str, float]:
    """`evaluate` with every argument a keyword: registry parameters, and optionally
    `scenario`, `seed` and `outcomes` (what EMA Workbench's function models call)."""
    keywords = {k: values.pop(k) for k in ("scenario", "seed", "outcomes") if k in values}
    unknown = [k for k in values if k not in PARAMS]
    if unknown:  # the registry's message, naming the closest parameter
        validate({unknown[0]: values[unknown[0]]})
    return evaluate(values, **keywords)
