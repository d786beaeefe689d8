"""Scenarios: the Scenario type and its loader (public API; the TOML data is in scenarios/).

Loads a file, resolves `extends`, validates against the registry and schemas.

A scenario is a TOML file:

    name = "demand_shock"                 # optional, defaults to the file name
    title = "Fall in demand"              # optional: a short title for people (dashboard)
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ParameterError, ScenarioError
from .params import AS_SCENARIO, INSTRUMENTS, PARAMS, suggest, validate
from .policies import COMMON_FIELDS, POLICY_KINDS, Policy, policy_fields
from .shocks import SHOCK_FIELDS, SHOCK_KINDS, Shock

# the shipped TOML files: the data package beside this one (scenarios/)
assert INSTRUMENTS == POLICY_KINDS  # the registry's <instrument>_budget parameters

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
TOP_KEYS = ("name", "title", "description", "extends", "params", "shocks", "policies")
MAX_EXTENDS_DEPTH = 16
MAX_TITLE = 80  # characters: a title fits on one line of a menu


@dataclass
class Scenario:
    name: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    shocks: list[Shock] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    source: str = ""
    chain: list[str] = field(default_factory=list)  # names, from the root ancestor down
    title: str = ""  # a short title for people; not inherited (see `label`)

    @property
    def label(self) -> str:
        """The title, or the name in words where the file gives none."""
        return self.title or self.name.replace("_", " ").capitalize()

    def to_dict(self) -> dict:
        """The fully resolved scenario (no `extends`): itself a valid scenario file."""
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
            **({"title": self.title} if self.title else {}),
            "description": self.description,
            "params": dict(self.params),
            "shocks": shocks,
            "policies": policies,
        }


def to_toml(scenario: Scenario, params: dict | None = None, seed: int | None = None) -> str:
    """The resolved scenario as TOML that load_scenario reads back (provenance as comments)."""
    import tomli_w

    data = scenario.to_dict()
    if params is not None:
        data["params"] = dict(params)
    head = [f"# Resolved scenario: {' > '.join(scenario.chain)} (from {scenario.source})"]
    if seed is not None:
        head.append(f"# Seed: {seed}  (run.py simulate --scenario THIS_FILE --seed {seed})")
    return "\n".join(head) + "\n" + tomli_w.dumps(data)


def shipped() -> dict[str, Path]:
    """Shipped scenario names and their files."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def scenario_titles() -> dict[str, str]:
    """{name: title for people} of every shipped scenario."""
    out = {}
    for name, path in shipped().items():
        try:
            out[name] = load_scenario(path).label
        except ScenarioError:
            out[name] = name
    return out


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
    try:
        return _find_path(ref, base)
    except (OSError, ValueError) as e:  # a name too long, a NUL byte, no permission ...
        reason = getattr(e, "strerror", None) or str(e)
        raise ScenarioError(f"{_short(str(ref))}: cannot be a scenario file ({reason})") from None


def _short(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[:most - 3] + "..."


def _find_path(ref: str | Path, base: Path | None = None) -> Path:
    ref_s = str(ref)
    ships = shipped()
    if ref_s in ships:
        return ships[ref_s]
    if not ref_s.strip():
        raise ScenarioError(f"scenario {ref_s!r}: empty (valid: {', '.join(ships)}; or a path "
                            "to a .toml file)")
    path = Path(ref_s)
    if base is not None and not path.is_absolute():
        rel = base.parent / path
        if rel.is_file():
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


class Locator:
    """Finds the line of a field in the raw text, for error messages.

    Handles `key = ...` lines, `[table]` and `[[table]]` headers, and arrays of inline
    tables (`shocks = [{kind = "demand"}, ...]`), where the n-th entry's key is the
    n-th occurrence of `key =` after `shocks =`.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def _find(self, pattern: re.Pattern, start: int = 0, nth: int = 0) -> int | None:
        seen = -1
        for n in range(start, len(self.lines)):
            for _ in pattern.finditer(self.lines[n]):
                seen += 1
                if seen == nth:
                    return n
        return None

    @staticmethod
    def _key(key: str, anywhere: bool = False) -> re.Pattern:
        lead = r"(?:^|[{,])\s*" if anywhere else r"^\s*"
        return re.compile(rf"{lead}\"?{re.escape(key)}\"?\s*=")

    def line(self, key: str | None, table: str | None = None, index: int = -1) -> int:
        if table is None:
            header = re.compile(rf"^\s*\[\[?\s*\"?{re.escape(key or '')}\"?\s*\]\]?")
            found = self._find(self._key(key or "")) if key else None
            if found is None and key:
                found = self._find(header)
            return (found or 0) + 1
        if index < 0:  # a key of a [table]
            head = self._find(re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]"))
            start = head if head is not None else 0
            if key is None:
                return start + 1
            n = self._find_in_block(self._key(key), start)
            return (n if n is not None else start) + 1
        head = self._find(re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]"), 0, index)
        if head is not None:
            if key is None:
                return head + 1
            n = self._find_in_block(self._key(key), head)
            return (n if n is not None else head) + 1
        # an array of inline tables
        assign = self._find(self._key(table))
        if assign is None:
            return 1
        if key is None:
            n = self._find(re.compile(r"\{"), assign, index)
        else:
            n = self._find(self._key(key, anywhere=True), assign, index)
        return (n if n is not None else assign) + 1

    def _find_in_block(self, pattern: re.Pattern, head: int) -> int | None:
        for n in range(head + 1, len(self.lines)):
            if self.lines[n].lstrip().startswith("["):
                return None
            if pattern.search(self.lines[n]):
                return n
        return None


def read_toml(path: Path) -> tuple[dict, Locator]:
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
    return data, Locator(text)


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


def one_line(text: str) -> str:
    """`text` with line breaks and other unprintable characters (which a file's keys and
    values may hold) escaped, so that an error message stays one readable line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def load_scenario(ref: str | Path, _depth: int = 0, _base: Path | None = None) -> Scenario:
    """Load, validate and resolve a scenario by shipped name or path."""
    try:
        return _load_scenario(ref, _depth, _base)
    except ScenarioError as e:
        raise ScenarioError(one_line(str(e))) from None
    except ParameterError as e:
        raise ParameterError(one_line(str(e))) from None


def _load_scenario(ref: str | Path, _depth: int = 0, _base: Path | None = None,
                   _seen: tuple[Path, ...] = ()) -> Scenario:
    path = _resolve_path(ref, _base)
    data, loc = read_toml(path)
    if not data:
        raise ScenarioError(f"{path}:1: empty scenario (expected at least description = \"...\")")
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(
                f"{path}:{loc.line(key)}: {key}: unknown field{suggest(key, TOP_KEYS)} "
                f"(valid: {', '.join(TOP_KEYS)})"
            )
    for key in ("name", "title", "description", "extends"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{path}:{loc.line(key)}: {key}: expected a string")
    if "description" not in data or not data["description"].strip():
        raise ScenarioError(f"{path}:1: description: missing (a plain-language sentence or two)")
    title = " ".join(data.get("title", "").split())
    if "title" in data and not title:
        raise ScenarioError(f"{path}:{loc.line('title')}: title: empty (a few words, or leave "
                            "the field out)")
    if len(title) > MAX_TITLE:
        raise ScenarioError(f"{path}:{loc.line('title')}: title: {len(title)} characters "
                            f"(valid: at most {MAX_TITLE}; the description says more)")
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
                    shocks=shocks, policies=policies, source=str(path), chain=[name],
                    title=title)
    if "extends" in data:
        if _depth >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"{path}:{loc.line('extends')}: extends: chain deeper than {MAX_EXTENDS_DEPTH} "
                "(a cycle?)"
            )
        where = f"{path}:{loc.line('extends')}: extends"
        try:
            parent_path = _resolve_path(data["extends"], path)
        except ScenarioError as e:
            raise ScenarioError(f"{where}: {e}") from None
        chain = (*_seen, path.resolve())
        if parent_path.resolve() in chain:
            names = " > ".join(p.stem for p in (*chain, parent_path))
            raise ScenarioError(f"{where}: {data['extends']!r} makes a cycle ({names}); a "
                                "scenario cannot extend itself")
        try:
            parent = _load_scenario(parent_path, _depth + 1, path, chain)
        except ScenarioError as e:  # the parent's own problem, seen from this file
            raise ScenarioError(f"{where}: {e}") from None
        scen.params = {**parent.params, **checked}
        scen.shocks = parent.shocks + shocks
        scen.policies = parent.policies + policies
        scen.chain = parent.chain + [name]
    return scen


# --------------------------------------------------------------------------- flat settings
SHOCK_SETTINGS = ("shock_depth_scale", "shock_start", "shock_duration")


def budget_setting(kind: str) -> str:
    """The registry parameter that sets the budget of instrument `kind`."""
    return f"{kind}_budget"


# every flat setting: what apply_settings reads
FLAT_SETTINGS = (*SHOCK_SETTINGS, *(budget_setting(k) for k in POLICY_KINDS))


def _set(params: dict, name: str) -> bool:
    """Is the flat setting `name` given in `params` and other than "as the scenario says"?"""
    if name not in params:
        return False
    value = params[name]
    if name.endswith("_budget"):
        return value >= 0
    return value != PARAMS[name].default if name == "shock_depth_scale" else value != AS_SCENARIO


def apply_settings(scenario: Scenario | None, params: dict) -> Scenario | None:
    """The scenario with the flat shock and policy settings of `params` applied.

    The settings are registry parameters (group shocks and policy), so that a sweep, a
    sampler, `--set` or the model's keywords can vary what a scenario file holds in its
    [[shocks]] and [[policies]] lists:
    - `shock_depth_scale`: every scheduled shock's depth x the scale (at most 1);
    - `shock_start`: the first scheduled shock starts that month, the others move with it;
    - `shock_duration`: every scheduled shock's months at full depth;
    - `<instrument>_budget`: the budget of every policy of that instrument (before
      `policy_scale`, which the model applies).
    At their defaults (1, 0, 0, -1: "as the scenario says") the scenario is returned
    unchanged, the same object. A setting for something the scenario does not have (a
    shock setting without scheduled shocks, a budget without the instrument) changes
    nothing, as `policy_scale` on a scenario without policies; `inert_settings` names them.
    Random shocks (`random_shock_rate`) are not scheduled shocks: their depth is
    `random_shock_depth`. The result is a new Scenario; `scenario` is not modified.
    """
    if scenario is None:
        return None
    shock_changes = [name for name in SHOCK_SETTINGS if _set(params, name)]
    budgets = {kind: params[budget_setting(kind)] for kind in POLICY_KINDS
               if _set(params, budget_setting(kind))}
    if not shock_changes and not budgets:
        return scenario
    shocks = list(scenario.shocks)
    if shocks and shock_changes:
        shift = (params["shock_start"] - min(s.start for s in shocks)
                 if "shock_start" in shock_changes else 0)
        changed = []
        for s in shocks:
            new = {"start": s.start + shift}
            if "shock_depth_scale" in shock_changes:
                new["depth"] = min(s.depth * params["shock_depth_scale"], 1.0)
            if "shock_duration" in shock_changes:
                new["duration"] = params["shock_duration"]
            changed.append(replace(s, **new))
        shocks = changed
    policies = [replace(p, budget=float(budgets[p.kind])) if p.kind in budgets else p
                for p in scenario.policies]
    return replace(scenario, shocks=shocks, policies=policies)


def inert_settings(scenario: Scenario | None, params: dict) -> list[str]:
    """The settings in `params` that cannot change this scenario's runs, each as a short
    reason: a shock setting without scheduled shocks, a policy setting (`policy_scale`, a
    budget) without that policy."""
    shocks = scenario.shocks if scenario else []
    policies = scenario.policies if scenario else []
    name = scenario.name if scenario else "(no scenario)"
    out = []
    if not shocks:
        out += [f"{s}: scenario {name} has no scheduled shock" for s in SHOCK_SETTINGS
                if _set(params, s)]
    if not policies and params.get("policy_scale", 1.0) != PARAMS["policy_scale"].default:
        out.append(f"policy_scale: scenario {name} has no policy")
    kinds = {p.kind for p in policies}
    out += [f"{budget_setting(k)}: scenario {name} has no {k} policy" for k in POLICY_KINDS
            if k not in kinds and _set(params, budget_setting(k))]
    return out
