"""Experimental designs: full factorial grids, Latin hypercube, Sobol and Morris (SALib).

A design turns the varied parameters (factors) into parameter points. Bounds default to the
parameter registry's (`simulation.params.PARAMS`) and may only narrow them. Integer
parameters drawn from a continuous design are rounded to the nearest integer; choice and
true/false parameters (e.g. `country`) can only be varied in a grid, which lists their values.

Point counts: grid = product of the value counts; lhs = samples; sobol = samples x (D + 2),
or samples x (2D + 2) with second-order indices; morris = samples (trajectories) x (D + 1),
for D factors. The raw (unrounded) sample matrix is kept for the SALib analysis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from simulation.errors import UserError
from simulation.params import PARAMS, suggest

DESIGNS = ("grid", "lhs", "sobol", "morris")
MIN_SOBOL_SAMPLES = 16  # base samples; fewer give bootstrap intervals wider than the indices
MIN_MORRIS_TRAJECTORIES = 4
MIN_LHS_SAMPLES = 2


@dataclass(frozen=True)
class Factor:
    """One varied parameter: the values of a grid, or the bounds of a sampled design."""

    name: str
    values: tuple | None = None
    bounds: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        if self.values is not None:
            return {"values": list(self.values)}
        return {"bounds": list(self.bounds)}


def numeric(name: str) -> bool:
    p = PARAMS[name]
    return p.choices is None and p.kind in (int, float)


def make_factor(name: str, design: str, values=None, bounds=None, where: str = "") -> Factor:
    """A validated factor: a registry parameter, values for a grid, bounds inside the registry's
    for the other designs (None: the registry's own bounds)."""
    place = f"{where}{name}"
    if name not in PARAMS:
        raise UserError(f"{place}: unknown parameter{suggest(name, PARAMS)}; "
                        "'run.py params' lists them")
    p = PARAMS[name]
    if design == "grid":
        if bounds is not None or values is None:
            raise UserError(f"{place}: a grid design needs the values to try "
                            f"(e.g. {name} = [{p.default!r}, ...])")
        if not isinstance(values, list | tuple) or not values:
            raise UserError(f"{place}: expected a non-empty list of values")
        checked = tuple(p.check(v, where) for v in values)
        if len(set(checked)) != len(checked):
            raise UserError(f"{place}: a value is listed twice")
        return Factor(name, values=checked)
    if values is not None:
        raise UserError(f"{place}: a {design} design samples between bounds; give "
                        f"bounds = [low, high] (or none for the registry's {p.bounds_text})")
    if not numeric(name):
        raise UserError(f"{place}: a {p.kind.__name__ if p.choices is None else 'choice'} "
                        f"parameter can only be varied in a grid design (valid here: "
                        "numeric parameters)")
    if bounds is None:
        return Factor(name, bounds=(float(p.low), float(p.high)))
    if (not isinstance(bounds, list | tuple) or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)):
        raise UserError(f"{place}: bounds: expected [low, high], got {bounds!r}")
    low, high = float(bounds[0]), float(bounds[1])
    if not low < high:
        raise UserError(f"{place}: bounds [{low:g}, {high:g}]: low must be below high")
    if low < p.low or high > p.high:
        raise UserError(f"{place}: bounds [{low:g}, {high:g}] go outside the registry's "
                        f"({p.low} to {p.high}{' ' + p.unit if p.unit else ''})")
    if p.kind is int and np.floor(high) < np.ceil(low):
        raise UserError(f"{place}: bounds [{low:g}, {high:g}] hold no integer")
    return Factor(name, bounds=(low, high))


def check_samples(design: str, samples, n_factors: int, where: str = "samples") -> int | None:
    """The sample count a design needs (None for a grid); UserError if it cannot work."""
    if design not in DESIGNS:
        raise UserError(f"design: {design!r} is not a design{suggest(str(design), DESIGNS)} "
                        f"(valid: {', '.join(DESIGNS)})")
    if design == "grid":
        if samples is not None:
            raise UserError(f"{where}: a grid design runs every combination of the values; "
                            "drop samples (or choose lhs, sobol or morris)")
        return None
    if n_factors == 0:
        raise UserError(f"vary: a {design} design needs at least one parameter to vary")
    if samples is None:
        raise UserError(f"{where}: missing; a {design} design needs a sample count")
    if isinstance(samples, bool) or not isinstance(samples, int):
        raise UserError(f"{where}: expected a whole number, got {samples!r}")
    if design == "sobol":
        if samples < MIN_SOBOL_SAMPLES or samples & (samples - 1):
            problem_text = "too few" if samples < MIN_SOBOL_SAMPLES else "not a power of two"
            hint = max(MIN_SOBOL_SAMPLES, 1 << (max(samples, 1) - 1).bit_length())
            raise UserError(
                f"{where}: {samples} is {problem_text}: a Sobol design needs a power of two of "
                f"at least {MIN_SOBOL_SAMPLES} base samples (it runs samples x (parameters + 2) "
                f"points); try {hint}")
    elif design == "morris" and samples < MIN_MORRIS_TRAJECTORIES:
        raise UserError(f"{where}: {samples} trajectories are too few for a Morris design "
                        f"(valid: at least {MIN_MORRIS_TRAJECTORIES})")
    elif design == "lhs" and samples < MIN_LHS_SAMPLES:
        raise UserError(f"{where}: {samples} is too few for a Latin hypercube "
                        f"(valid: at least {MIN_LHS_SAMPLES})")
    return samples


def problem(factors: list[Factor]) -> dict:
    """The SALib problem dictionary of sampled factors."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [list(f.bounds) for f in factors]}


def _point(factors: list[Factor], row) -> dict:
    """One sample row as registry-typed values (integers rounded, kept inside their bounds)."""
    out = {}
    for f, x in zip(factors, row):
        if PARAMS[f.name].kind is int:
            lo, hi = int(np.ceil(f.bounds[0])), int(np.floor(f.bounds[1]))
            out[f.name] = int(min(max(round(float(x)), lo), hi))
        else:
            out[f.name] = float(x)
    return out


def point_count(design: str, factors: list[Factor], samples: int | None = None,
                second_order: bool = False) -> int:
    """How many points a design gives (the counts in this module's docstring), computed
    without drawing them, so that an impossible size is refused before any memory is used."""
    if not factors:
        return 1
    d = len(factors)
    if design == "grid":
        count = 1
        for f in factors:
            count *= len(f.values)
        return count
    samples = samples or 0
    if design == "sobol":
        return samples * ((2 * d + 2) if second_order else (d + 2))
    if design == "morris":
        return samples * (d + 1)
    return samples


def design_points(design: str, factors: list[Factor], samples: int | None = None,
                  seed: int = 42, levels: int = 4,
                  second_order: bool = False) -> tuple[list[dict], np.ndarray | None]:
    """The parameter points of a design, and the raw SALib sample matrix (None for a grid).

    With no factors the design is a single point with nothing varied.
    """
    if not factors:
        return [{}], None
    if design == "grid":
        combos = itertools.product(*(f.values for f in factors))
        return [dict(zip((f.name for f in factors), c)) for c in combos], None
    prob = problem(factors)
    if design == "lhs":
        from SALib.sample import latin

        x = latin.sample(prob, samples, seed=seed)
    elif design == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(prob, samples, calc_second_order=second_order, seed=seed)
    elif design == "morris":
        from SALib.sample import morris

        x = morris.sample(prob, samples, num_levels=levels, seed=seed)
    else:  # pragma: no cover - check_samples refuses it first
        raise UserError(f"design: {design!r} is not a design (valid: {', '.join(DESIGNS)})")
    return [_point(factors, row) for row in x], np.asarray(x, dtype=float)
