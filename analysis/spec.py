"""Sweep specs: one TOML file describes a whole experiment (examples in experiments/).

    description = "What the sweep asks, in plain language."
    scenarios = ["recession", "recession_with_credit_guarantee"]  # names or .toml paths
    reference = "recession"    # optional: differences are taken to it (default: the first)
    design = "grid"            # grid | lhs | sobol | morris
    samples = 32               # lhs: points; sobol: base samples (2^k >= 16); morris:
                               # trajectories. Not for a grid.
    levels = 4                 # morris only: grid levels (default 4)
    second_order = false       # sobol only: also second-order indices (more runs)
    replications = 5           # runs per scenario and point, with common random numbers
    months = 60                # optional: horizon (default: the registry's)
    firms = 1000               # optional: initial firms (default: the registry's)
    base_seed = 42             # optional (default 42)
    outcomes = ["output_lost", "survival_rate"]   # optional: what to report (default: all)

    [params]                   # optional: registry values for every job
    burn_in = 12

    [vary]                     # the parameters varied
    trust_build_rate = [0.05, 0.10, 0.20]        # a grid: the values to try
    search_prob = {bounds = [0.02, 0.10]}        # other designs: bounds inside the registry's
    detection_prob = {}                          # ... or the registry's own bounds

`run.py sweep SPEC --reps R --firms N --months M --seed S --set key=value` replaces the
spec's values for one run without editing the file (the manifest records them; a resume
must give the same). Scenario paths are relative to the spec file. Errors name the place as
`file:line: field: problem (valid: ...)`, like scenario files.
"""

from __future__ import annotations

from pathlib import Path

from simulation.errors import UserError
from simulation.params import PARAMS, suggest, validate
from simulation.scenario import Locator, load_scenario, one_line, read_toml

from .outcomes import OUTCOMES_LIST, check_outcomes
from .runner import DEFAULT_SEED, Experiment, check_seed
from .sampling import DESIGNS, check_samples, make_factor

TOP_KEYS = ("description", "scenarios", "reference", "design", "samples", "levels",
            "second_order", "replications", "months", "firms", "base_seed", "outcomes",
            "params", "vary")


class _Where:
    """Turns a problem with a field into `file:line: message`."""

    def __init__(self, path: Path, loc: Locator):
        self.path, self.loc = path, loc

    def error(self, message: str, key: str | None = None, table: str | None = None):
        line = self.loc.line(key, table) if key or table else 1
        return UserError(f"{self.path}:{line}: {message}")


def _int(data: dict, key: str, where: _Where, default=None, low: int | None = None):
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"{key}: expected a whole number, got {value!r}", key)
    if low is not None and value < low:
        raise where.error(f"{key}: {value} is too small (valid: at least {low})", key)
    return value


OVERRIDES = ("replications", "firms", "months", "base_seed", "set")
FLAGS = {"replications": "--reps", "firms": "--firms", "months": "--months",
         "base_seed": "--seed", "set": "--set"}


def load_spec(path: str | Path, overrides: dict | None = None) -> Experiment:
    """Read, validate and resolve a sweep spec into an Experiment.

    `overrides` (the command line's, `run.py sweep SPEC --reps --firms --months --seed
    --set`): {"replications": R, "firms": N, "months": M, "base_seed": S, "set": ["k=v",
    ...]}, each replacing the spec's value (None or absent: the spec's). `set` may not name
    a varied parameter. The overrides given are kept in `Experiment.overrides` (the
    manifest records them) and change the spec's hash like an edit of the file would.
    """
    try:
        return _load_spec(Path(path), {k: v for k, v in (overrides or {}).items()
                                       if v is not None and v != []})
    except UserError as e:
        raise UserError(one_line(str(e))) from None


def _apply_overrides(overrides: dict) -> dict:
    """The command line's values checked (errors name the flag), as registry values for
    [params] and the spec's own fields."""
    unknown = [k for k in overrides if k not in OVERRIDES]
    if unknown:
        raise UserError(f"overrides: {unknown[0]} is not one (valid: {', '.join(OVERRIDES)})")
    if "replications" in overrides:
        reps = overrides["replications"]
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            raise UserError(f"--reps {reps}: expected a whole number, at least 1")
    if "base_seed" in overrides:
        check_seed(overrides["base_seed"], "--seed")
    from .simulate import resolve_overrides  # (imports the plots: only when overridden)

    return resolve_overrides(overrides.get("firms"), overrides.get("months"),
                             overrides.get("set", []))


def _load_spec(path: Path, overrides: dict | None = None) -> Experiment:
    overrides = overrides or {}
    cli_fixed = _apply_overrides(overrides)
    try:
        found, folder = path.is_file(), path.is_dir()
    except OSError as e:  # e.g. a name too long
        raise UserError(f"{path}: cannot be a sweep spec ({e.strerror})") from None
    if not found:
        raise UserError(f"{path}: sweep spec not found" + (" (it is a folder)" if folder
                                                           else ""))
    data, loc = read_toml(path)
    where = _Where(path, loc)
    for key in data:
        if key not in TOP_KEYS:
            raise where.error(f"{key}: unknown field{suggest(key, TOP_KEYS)} "
                              f"(valid: {', '.join(TOP_KEYS)})", key)

    description = data.get("description", "")
    if not isinstance(description, str):
        raise where.error("description: expected a string", "description")
    refs = data.get("scenarios")
    if refs is None:
        raise where.error("scenarios: missing (a list of scenario names or .toml paths)")
    if (not isinstance(refs, list) or not refs
            or not all(isinstance(r, str) for r in refs)):
        raise where.error("scenarios: expected a non-empty list of scenario names or paths",
                          "scenarios")
    scenarios = []
    for ref in refs:
        try:
            scenarios.append(load_scenario(ref, _base=path))
        except UserError as e:
            raise where.error(f"scenarios: {e}", "scenarios") from None

    design = data.get("design", "grid")
    if design not in DESIGNS:
        raise where.error(f"design: {design!r} is not a design{suggest(str(design), DESIGNS)} "
                          f"(valid: {', '.join(DESIGNS)})", "design")
    replications = data.get("replications")
    if replications is None and "replications" not in overrides:
        raise where.error("replications: missing (runs per scenario and point, at least 1; "
                          "or --reps)")
    if replications is not None:
        replications = _int(data, "replications", where, low=1)
    replications = overrides.get("replications", replications)
    levels = _int(data, "levels", where, default=4, low=2)
    if "levels" in data and design != "morris":
        raise where.error(f"levels: only for a morris design (this is {design})", "levels")
    if levels % 2:
        raise where.error(f"levels: {levels} is odd (valid: an even number, e.g. 4)", "levels")
    second_order = data.get("second_order", False)
    if not isinstance(second_order, bool):
        raise where.error("second_order: expected true or false", "second_order")
    if second_order and design != "sobol":
        raise where.error(f"second_order: only for a sobol design (this is {design})",
                          "second_order")
    try:
        base_seed = check_seed(data.get("base_seed", DEFAULT_SEED), "base_seed")
    except UserError as e:
        raise where.error(str(e), "base_seed") from None
    base_seed = overrides.get("base_seed", base_seed)
    outcomes = data.get("outcomes", [o.name for o in OUTCOMES_LIST])
    if not isinstance(outcomes, list) or not outcomes:
        raise where.error("outcomes: expected a non-empty list of outcome names", "outcomes")
    try:
        outcomes = check_outcomes(outcomes)
    except UserError as e:
        raise where.error(str(e), "outcomes") from None

    fixed = data.get("params", {})
    if not isinstance(fixed, dict):
        raise where.error("params: expected a [params] table", "params")
    for key, value in fixed.items():
        try:
            fixed[key] = validate({key: value}, "params.")[key]
        except UserError as e:
            raise where.error(str(e), key, "params") from None
    for short, name in (("firms", "n_firms"), ("months", "months")):
        if short in data:
            if name in fixed:
                raise where.error(f"{short}: given twice (also params.{name}); keep one", short)
            try:
                fixed[name] = PARAMS[name].check(data[short], "")
            except UserError as e:
                raise where.error(f"{short}: {e}", short) from None

    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        raise where.error("vary: expected a [vary] table of parameters", "vary")
    factors = []
    for name, entry in vary.items():
        if name in fixed:
            raise where.error(f"vary.{name}: also fixed in [params]; keep one", name, "vary")
        if isinstance(entry, dict):
            unknown = [k for k in entry if k not in ("values", "bounds")]
            if unknown:
                raise where.error(f"vary.{name}.{unknown[0]}: unknown field (valid: values, "
                                  "bounds)", name, "vary")
            values, bounds = entry.get("values"), entry.get("bounds")
        else:
            values, bounds = entry, None
        try:
            factors.append(make_factor(name, design, values, bounds, "vary."))
        except UserError as e:
            raise where.error(str(e), name, "vary") from None

    for key in cli_fixed:
        if key in vary:
            flag = {"n_firms": "--firms", "months": "--months"}.get(key, "--set")
            raise UserError(f"{flag} {key}: {path} varies it ([vary]); drop {flag} or the "
                            "[vary] entry")
    fixed.update(cli_fixed)  # the command line's values replace the spec's
    try:
        validate(fixed)  # e.g. share_micro + share_small, once the two are combined
    except UserError as e:
        raise UserError(f"{path}: with the command line's values: {e}") from None

    try:
        samples = check_samples(design, data.get("samples"), len(factors))
    except UserError as e:
        raise where.error(str(e), "samples" if "samples" in data else "design") from None
    try:
        return Experiment("sweep", scenarios, fixed=fixed, factors=factors, design=design,
                          samples=samples, levels=levels, second_order=second_order,
                          replications=replications, base_seed=base_seed,
                          reference=data.get("reference"), outcomes=outcomes,
                          description=" ".join(description.split()),
                          overrides={FLAGS[k]: v for k, v in overrides.items()})
    except UserError as e:
        key = next((k for k in ("reference", "scenarios", "replications")
                    if str(e).startswith(k)), "vary")
        raise where.error(str(e), key) from None
