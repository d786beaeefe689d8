"""Scenario files: load, resolve `extends`, validate against the registry and schemas.

A scenario is a TOML file:

    name = "demand_shock"                 # optional, defaults to the file name
    description = "Plain language ..."    # required
    extends = "baseline"                  # optional: a shipped scenario or a path
    [params]                              # registry overrides
    n_firms = 3000
    [[shocks]]                            # appended to the parent's shocks
    kind = "demand"
    ...
    [[policies]]                          # appended to the parent's policies
    kind = "rd_grants"
    ...

Errors read `file:line: field: problem (valid: ...)`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.errors import ParameterError, ScenarioError
from simulation.params import suggest, validate
from simulation.policies import COMMON_FIELDS, POLICY_KINDS, Policy, policy_fields
from simulation.shocks import SHOCK_FIELDS, SHOCK_KINDS, Shock

SCENARIO_DIR = Path(__file__).resolve().parent
TOP_KEYS = ("name", "description", "extends", "params", "shocks", "policies")
MAX_EXTENDS_DEPTH = 16


@dataclass
class Scenario:
    name: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    shocks: list[Shock] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    source: str = ""
    chain: list[str] = field(default_factory=list)  # names, from the root ancestor down

    def to_dict(self) -> dict:
        """The fully resolved scenario (no `extends`), ready to write as TOML."""
        shocks = []
        for s in self.shocks:
            d = {k: getattr(s, k) for k in SHOCK_FIELDS}
            d["sectors"], d["regions"] = list(s.sectors or []), list(s.regions or [])
            shocks.append(d)
        policies = []
        for p in self.policies:
            d = {k: getattr(p, k) for k in COMMON_FIELDS}
            d.update({k: p.opt(k) for k in policy_fields(p.kind) if k not in COMMON_FIELDS})
            policies.append(d)
        return {
            "name": self.name,
            "description": self.description,
            "resolved_from": self.chain,
            "params": dict(self.params),
            "shocks": shocks,
            "policies": policies,
        }


def shipped() -> dict[str, Path]:
    """Shipped scenario names and their files."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) of every shipped scenario."""
    out = []
    for name, path in shipped().items():
        try:
            desc = load_scenario(path).description
        except ScenarioError as e:
            desc = f"(invalid: {e})"
        out.append((name, " ".join(desc.split())))
    return out


def _resolve_path(ref: str | Path, base: Path | None = None) -> Path:
    ref_s = str(ref)
    ships = shipped()
    if ref_s in ships:
        return ships[ref_s]
    path = Path(ref_s)
    if base is not None and not path.is_absolute():
        rel = base.parent / path
        if rel.exists():
            return rel
    if path.suffix == ".toml" or path.exists() or "/" in ref_s:
        if not path.exists():
            raise ScenarioError(f"{ref_s}: scenario file not found")
        if path.is_dir():
            raise ScenarioError(f"{ref_s}: is a folder, expected a .toml scenario file")
        return path
    raise ScenarioError(
        f"scenario {ref_s!r}: unknown{suggest(ref_s, ships)} "
        f"(valid: {', '.join(ships)}; or a path to a .toml file)"
    )


class _Locator:
    """Finds the line of a field in the raw text, for error messages."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def _table_start(self, table: str | None, index: int) -> int:
        if table is None:
            return 0
        pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]" if index >= 0 else
                             rf"^\s*\[\s*{table}\s*\]")
        seen = -1
        for n, line in enumerate(self.lines):
            if pattern.match(line):
                seen += 1
                if index < 0 or seen == index:
                    return n
        return 0

    def line(self, key: str | None, table: str | None = None, index: int = -1) -> int:
        start = self._table_start(table, index)
        if key is None:
            return start + 1
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for n in range(start, len(self.lines)):
            if n > start and self.lines[n].lstrip().startswith("[") and table is not None:
                break
            if pattern.match(self.lines[n]):
                return n + 1
        return start + 1


def _read(path: Path) -> tuple[dict, _Locator]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}:1: not a UTF-8 text file; expected TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = m.group(1) if m else "1"
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ScenarioError(f"{path}:{line}: malformed TOML: {msg}") from None
    except RecursionError:
        raise ScenarioError(f"{path}:1: malformed TOML: nesting too deep") from None
    return data, _Locator(text)


def _check_entries(path, loc, data, table, kinds, fields_for, make):
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ScenarioError(
            f"{path}:{loc.line(table)}: {table}: expected a list of [[{table}]] tables"
        )
    out = []
    for idx, entry in enumerate(entries):
        where = f"{table}[{idx}]."
        kind = entry.get("kind")
        if kind is None:
            raise ScenarioError(
                f"{path}:{loc.line(None, table, idx)}: {where}kind: missing "
                f"(valid: {', '.join(kinds)})"
            )
        if kind not in kinds:
            raise ScenarioError(
                f"{path}:{loc.line('kind', table, idx)}: {where}kind: {kind!r} is not a valid "
                f"choice{suggest(str(kind), kinds)} (valid: {', '.join(kinds)})"
            )
        spec = fields_for(kind)
        values = {}
        for key, value in entry.items():
            if key not in spec:
                raise ScenarioError(
                    f"{path}:{loc.line(key, table, idx)}: {where}{key}: unknown field"
                    f"{suggest(key, spec)} (valid: {', '.join(spec)})"
                )
            try:
                values[key] = spec[key].check(value, where)
            except ParameterError as e:
                raise ScenarioError(f"{path}:{loc.line(key, table, idx)}: {e}") from None
        out.append(make(values))
    return out


def _shock_from(values: dict) -> Shock:
    return Shock(**values)


def load_scenario(ref: str | Path, _depth: int = 0, _base: Path | None = None) -> Scenario:
    """Load, validate and resolve a scenario by shipped name or path."""
    path = _resolve_path(ref, _base)
    data, loc = _read(path)
    if not data:
        raise ScenarioError(f"{path}:1: empty scenario (expected at least description = \"...\")")
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(
                f"{path}:{loc.line(key)}: {key}: unknown field{suggest(key, TOP_KEYS)} "
                f"(valid: {', '.join(TOP_KEYS)})"
            )
    for key in ("name", "description", "extends"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{path}:{loc.line(key)}: {key}: expected a string")
    if "description" not in data or not data["description"].strip():
        raise ScenarioError(f"{path}:1: description: missing (a plain-language sentence or two)")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ScenarioError(f"{path}:{loc.line('params')}: params: expected a [params] table")
    checked = {}
    for key, value in params.items():
        try:
            checked.update(validate({key: value}, "params."))
        except ParameterError as e:
            raise ScenarioError(f"{path}:{loc.line(key, 'params')}: {e}") from None
    try:
        validate(checked, "params.")
    except ParameterError as e:
        raise ScenarioError(f"{path}:{loc.line(None, 'params')}: {e}") from None
    shocks = _check_entries(path, loc, data, "shocks", SHOCK_KINDS, lambda k: SHOCK_FIELDS,
                            _shock_from)
    policies = _check_entries(path, loc, data, "policies", POLICY_KINDS, policy_fields,
                              Policy.from_dict)
    for i, p in enumerate(policies):
        if p.end < p.start:
            raise ScenarioError(
                f"{path}:{loc.line('end', 'policies', i)}: policies[{i}].end: {p.end} is before "
                f"start {p.start} (valid: end >= start)"
            )
    name = data.get("name", path.stem)
    scen = Scenario(name=name, description=data["description"].strip(), params=checked,
                    shocks=shocks, policies=policies, source=str(path), chain=[name])
    if "extends" in data:
        if _depth >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"{path}:{loc.line('extends')}: extends: chain deeper than {MAX_EXTENDS_DEPTH} "
                "(a cycle?)"
            )
        try:
            parent = load_scenario(data["extends"], _depth + 1, path)
        except ScenarioError as e:
            if "unknown" in str(e) and str(e).startswith("scenario "):
                raise ScenarioError(f"{path}:{loc.line('extends')}: extends: {e}") from None
            raise
        scen.params = {**parent.params, **checked}
        scen.shocks = parent.shocks + shocks
        scen.policies = parent.policies + policies
        scen.chain = parent.chain + [name]
    return scen
