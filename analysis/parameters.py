"""The parameter registry for other programs: tables, SALib problems, EMA Workbench lists.

Everything comes from `simulation.params` (the registry); nothing here restates a default or
a bound.

- `registry_rows(group=None)`: one dict per parameter (name, default, low, high, unit, group,
  type, choices, help), what `run.py params --format json|csv` prints.
- `salib_problem(names, bounds=None)`: SALib's problem dict
  (`{"num_vars", "names", "bounds"}`), bounds from the registry unless narrowed.
- `ema_parameters(names, bounds=None)`: EMA Workbench `RealParameter`, `IntegerParameter`,
  `CategoricalParameter` and `BooleanParameter` objects, for a model's `uncertainties` or
  `levers`; `ema_scenario_lever(names)` the scenario as a categorical lever (EMA Workbench
  keeps the column name `scenario` for itself, so the lever is named `sme_scenario` and
  passed to the model as its `scenario` keyword); `ema_outcomes(names)` the outcomes as
  `ScalarOutcome`s, minimised or maximised as analysis/outcomes.py says is better;
  `ema_model(...)` a function model that calls `analysis.evaluate_point`.
"""

from __future__ import annotations

from simulation.errors import UserError
from simulation.params import GROUPS, PARAMS, PARAMS_LIST, Param

from .outcomes import OUTCOMES, OUTCOMES_LIST, check_outcomes
from .sampling import make_factor, problem

COLUMNS = ("name", "default", "low", "high", "unit", "group", "type", "choices", "help")
SCENARIO_LEVER = "sme_scenario"  # EMA Workbench's experiments table has its own `scenario`


def type_name(p: Param) -> str:
    """int, float, bool, choice (one of `choices`) or list (of `choices`)."""
    if p.kind is list:
        return "list"
    if p.choices is not None:
        return "choice"
    return p.kind.__name__


def registry_rows(group: str | None = None) -> list[dict]:
    """Every registry parameter (or one group's) as a plain dict, in registry order."""
    if group is not None and group not in GROUPS:
        raise UserError(f"--group {group}: unknown group (valid: {', '.join(GROUPS)})")
    return [{"name": p.name, "default": p.default, "low": p.low, "high": p.high,
             "unit": p.unit, "group": p.group, "type": type_name(p),
             "choices": list(p.choices) if p.choices else None, "help": p.help}
            for p in PARAMS_LIST if group is None or p.group == group]


def write_rows(rows: list[dict], fmt: str, stream) -> None:
    """`rows` (registry_rows) as JSON (a list of objects; None as null) or CSV (a header of
    COLUMNS; None as an empty cell, choices joined by '|')."""
    if fmt == "json":
        import json

        json.dump(rows, stream, indent=1)
        stream.write("\n")
        return
    import csv

    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "choices": "|".join(r["choices"] or ())})


def _factors(names, bounds: dict | None):
    bounds = dict(bounds or {})
    unknown = [k for k in bounds if k not in names]
    if unknown:
        raise UserError(f"bounds: {unknown[0]} is not one of the names ({', '.join(names)})")
    return [make_factor(n, "sobol", bounds=bounds.get(n)) for n in names]


def salib_problem(names, bounds: dict | None = None) -> dict:
    """SALib's problem dict for numeric registry parameters; `bounds` {name: (low, high)}
    may narrow the registry's (UserError outside them, or for a choice parameter)."""
    return problem(_factors(list(names), bounds))


def ema_parameters(names, bounds: dict | None = None) -> list:
    """EMA Workbench parameters for registry parameters: numbers between the registry's
    bounds (or narrower `bounds`), choices and true/false values as categories. Give
    `bounds` for the flat settings whose low end means "as the scenario says" (`shock_start`
    and `shock_duration` 0, a budget below 0), e.g. {"credit_guarantee_budget": (0, 2000)}."""
    from ema_workbench import (
        BooleanParameter,
        CategoricalParameter,
        IntegerParameter,
        RealParameter,
    )

    names = list(names)
    for name in names:
        if name not in PARAMS:
            make_factor(name, "grid")  # the registry's message, naming the closest one
    bounds = dict(bounds or {})
    out = []
    for name in names:
        p = PARAMS[name]
        if p.kind is bool:
            out.append(BooleanParameter(name, default=p.default))
        elif p.choices is not None:
            if p.kind is list:
                raise UserError(f"{name}: a list parameter cannot be an EMA parameter")
            out.append(CategoricalParameter(name, list(p.choices), default=p.default))
        else:
            f = make_factor(name, "lhs", bounds=bounds.pop(name, None))
            low, high = f.bounds
            if p.kind is int:
                out.append(IntegerParameter(name, int(low), int(high)))
            else:
                out.append(RealParameter(name, low, high))
    if bounds:
        raise UserError(f"bounds: {next(iter(bounds))} is not one of the names "
                        f"({', '.join(names)})")
    return out


def ema_scenario_lever(scenarios) -> object:
    """The scenario as a categorical EMA Workbench lever (or uncertainty): named
    `sme_scenario` in EMA's tables, passed to `evaluate_point` as `scenario`."""
    from ema_workbench import CategoricalParameter

    return CategoricalParameter(SCENARIO_LEVER, list(scenarios), variable_name="scenario")


def ema_outcomes(names=None) -> list:
    """ScalarOutcomes of analysis/outcomes.py (default: all), MAXIMIZE where higher is better,
    MINIMIZE where lower is, INFO otherwise."""
    from ema_workbench import ScalarOutcome

    names = [o.name for o in OUTCOMES_LIST] if names is None else check_outcomes(names)
    kind = {"higher": ScalarOutcome.MAXIMIZE, "lower": ScalarOutcome.MINIMIZE, "": None}
    return [ScalarOutcome(n, kind[OUTCOMES[n].better]) if kind[OUTCOMES[n].better] is not None
            else ScalarOutcome(n) for n in names]


def ema_model(name: str = "sme_ecosystem", uncertainties=(), levers=(), outcomes=None,
              constants: dict | None = None):
    """An EMA Workbench function model over `analysis.evaluate_point`.

    `uncertainties` and `levers`: registry names (made with `ema_parameters`) or EMA
    parameter objects; `outcomes`: outcome names (default: all); `constants`: fixed values
    passed on every call (registry parameters, `scenario`, `seed`), e.g.
    {"scenario": "recession", "n_firms": 500, "seed": 1}.
    """
    from ema_workbench import Constant, Model

    from .point import evaluate_point

    def params(items):
        names = [x for x in items if isinstance(x, str)]
        made = iter(ema_parameters(names))
        return [next(made) if isinstance(x, str) else x for x in items]

    model = Model(name, function=evaluate_point)
    model.uncertainties = params(list(uncertainties))
    model.levers = params(list(levers))
    outcome_names = [o.name for o in OUTCOMES_LIST] if outcomes is None else list(outcomes)
    model.outcomes = ema_outcomes(outcome_names)
    # the outcomes asked of evaluate_point are the model's, so nothing else is computed
    constants = {"outcomes": outcome_names, **(constants or {})}
    # EMA's tables keep `scenario` (and `policy`, `model`) for themselves: constants get a
    # prefixed name and are passed under their own
    model.constants = [Constant(f"sme_{k}" if k in ("scenario", "policy", "model") else k,
                                v, variable_name=k) for k, v in constants.items()]
    return model
