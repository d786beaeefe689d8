"""Bad input never gives a traceback (DESIGN §8; docs/RELIABILITY.md).

Hypothesis writes scenario and sweep files, well-formed TOML with wrong types, unknown keys,
missing fields, huge numbers, NaN and inf, unicode and control characters in names and keys,
deep nesting, as well as mutilated copies of the shipped files and binary junk, and gives them
to the loaders: each either loads or raises a UserError of one line that starts with the
file's path (`file:line: field: problem`). The nastiest cases are kept as files in
tests/corpus/ and each one goes through the real command line (`run.py simulate --scenario`
or `run.py sweep`) in a subprocess: exit code 2, one line on stderr naming the file, no
traceback, nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.spec import TOP_KEYS as SPEC_KEYS
from analysis.spec import load_spec
from simulation.errors import UserError
from simulation.params import PARAMS
from simulation.policies import COMMON_FIELDS, POLICY_KINDS
from simulation.scenario import TOP_KEYS as SCENARIO_KEYS
from simulation.scenario import load_scenario, shipped
from simulation.shocks import SHOCK_FIELDS, SHOCK_KINDS

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
FUZZ_EXAMPLES = int(os.environ.get("SME_FUZZ_EXAMPLES", 300))  # per test below

# --------------------------------------------------------------------------- strategies
NASTY_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\n", "a\nb", "é", "名前", "\u202e", "\x00", "\x7f", "💥" * 3,
                     "../" * 5 + "etc/passwd", "baseline", "recession", "/dev/null",
                     "nosuch.toml", "x" * 2000]),
)
NUMBERS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 5e-324]),
)
SCALARS = st.one_of(NUMBERS, st.booleans(), NASTY_TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(NASTY_TEXT, inner, max_size=4)),
    max_leaves=12,
)


def key_of(valid) -> st.SearchStrategy:
    """A real field name most of the time (five in six), anything else sometimes."""
    return st.integers(0, 5).flatmap(
        lambda k: NASTY_TEXT if k == 0 else st.sampled_from(sorted(valid)))


def value_for(name: str) -> st.SearchStrategy:
    """A plausible value for a known field, or anything."""
    p = PARAMS.get(name) or SHOCK_FIELDS.get(name) or COMMON_FIELDS.get(name)
    if p is None or p.low is None:
        return VALUES
    return st.one_of(VALUES, st.floats(p.low - 1, p.high + 1), st.integers(
        int(p.low) - 2, int(min(p.high, 2**62)) + 2))


def entries(kinds, fields) -> st.SearchStrategy:
    entry = st.dictionaries(key_of(fields), VALUES, max_size=6).flatmap(
        lambda d: st.fixed_dictionaries({"kind": st.one_of(st.sampled_from(kinds), SCALARS)})
        .map(lambda k: {**k, **d}))
    return st.one_of(st.lists(entry, max_size=3), VALUES)


@st.composite
def scenario_documents(draw) -> dict:
    doc = {}
    for key in draw(st.lists(key_of(SCENARIO_KEYS), max_size=7, unique=True)):
        if key == "params":
            names = draw(st.lists(key_of(PARAMS), max_size=5, unique=True))
            doc[key] = draw(st.one_of(
                st.fixed_dictionaries({n: value_for(n) for n in names}), VALUES))
        elif key == "shocks":
            doc[key] = draw(entries(SHOCK_KINDS, SHOCK_FIELDS))
        elif key == "policies":
            doc[key] = draw(entries(POLICY_KINDS, COMMON_FIELDS))
        elif key in ("description", "name", "extends"):
            doc[key] = draw(st.one_of(NASTY_TEXT, VALUES))
        else:
            doc[key] = draw(VALUES)
    return doc


@st.composite
def spec_documents(draw) -> dict:
    doc = {}
    for key in draw(st.lists(key_of(SPEC_KEYS), max_size=9, unique=True)):
        if key == "scenarios":
            doc[key] = draw(st.one_of(
                st.lists(st.one_of(st.sampled_from(["baseline", "recession", "nosuch",
                                                    "missing.toml"]), NASTY_TEXT),
                         max_size=3), VALUES))
        elif key == "design":
            doc[key] = draw(st.one_of(st.sampled_from(["grid", "lhs", "sobol", "morris"]),
                                      VALUES))
        elif key in ("samples", "replications", "levels", "months", "firms", "base_seed"):
            doc[key] = draw(st.one_of(NUMBERS, VALUES))
        elif key in ("params", "vary"):
            names = draw(st.lists(key_of(PARAMS), max_size=3, unique=True))
            doc[key] = draw(st.one_of(st.fixed_dictionaries({n: st.one_of(
                value_for(n), st.lists(value_for(n), max_size=3),
                st.fixed_dictionaries({"bounds": st.lists(NUMBERS, max_size=3)}))
                for n in names}), VALUES))
        else:
            doc[key] = draw(VALUES)
    return doc


VALID_SCENARIO = {
    "description": "A valid scenario that one to three fields are then spoiled in.",
    "extends": "baseline",
    "params": {"search_prob": 0.1, "n_firms": 50},
    "shocks": [{"kind": "demand", "start": 2, "duration": 3, "depth": 0.2}],
    "policies": [{"kind": "rd_grants", "budget": 10.0, "start": 1, "end": 12}],
}
VALID_SPEC = {
    "description": "A valid spec that one to three fields are then spoiled in.",
    "scenarios": ["baseline", "recession"], "design": "lhs", "samples": 4,
    "replications": 2, "months": 3, "firms": 20, "params": {"burn_in": 0},
    "vary": {"search_prob": {"bounds": [0.01, 0.2]}, "detection_prob": {}},
}


@st.composite
def near_valid(draw, valid: dict, top: tuple[str, ...]) -> dict:
    """`valid` with one to three fields replaced, added or removed, at any depth."""
    doc = {k: (dict(v) if isinstance(v, dict) else [dict(e) for e in v]
               if isinstance(v, list) and v and isinstance(v[0], dict) else v)
           for k, v in valid.items()}
    for _ in range(draw(st.integers(1, 3))):
        key = draw(key_of(top))
        where = doc.get(key)
        if isinstance(where, dict) and draw(st.booleans()):
            name = draw(key_of(PARAMS) if key in ("params", "vary") else NASTY_TEXT)
            where[name] = draw(value_for(name))
        elif isinstance(where, list) and where and isinstance(where[0], dict):
            field = draw(key_of(SHOCK_FIELDS if key == "shocks" else COMMON_FIELDS))
            if draw(st.booleans()):
                where[0][field] = draw(value_for(field))
            else:
                where[0].pop(field, None)
        elif draw(st.integers(0, 3)) == 0:
            doc.pop(key, None)
        else:
            doc[key] = draw(st.one_of(value_for(key), NUMBERS, VALUES))
    return doc


def as_toml(doc: dict) -> str | None:
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):  # e.g. a top-level value tomli_w cannot place
        return None


SHIPPED_TEXTS = [p.read_text() for p in sorted(shipped().values())] + [
    p.read_text() for p in sorted((ROOT / "experiments").glob("*.toml"))]


@st.composite
def mutilated(draw) -> bytes:
    """A shipped scenario or spec with bytes cut, inserted or replaced, or pure junk."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=200))
    data = bytearray(draw(st.sampled_from(SHIPPED_TEXTS)).encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["cut", "insert", "truncate"]))
        if how == "cut":
            del data[at:at + draw(st.integers(1, 40))]
        elif how == "insert":
            data[at:at] = draw(st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(
                [b"[", b"]", b"=", b'"', b"[[shocks]]\n", b"\n[params]\n", b"nan", b"inf",
                 b"-1", b"1e999", b"99999999999999999999", b"\xff\xfe", b"\x00"])))
        else:
            del data[at:]
    return bytes(data)


# --------------------------------------------------------------------------- the check
def assert_loads_or_one_line(load, path: Path) -> None:
    try:
        load(path)
    except UserError as e:
        message = str(e)
        assert message.startswith(str(path)), message
        assert "\n" not in message and "\r" not in message, message
        assert "Traceback" not in message
    # anything else (TypeError, KeyError, RecursionError, ...) fails the test


def check_bytes(load, data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        assert_loads_or_one_line(load, path)


GENERATED = {  # what is fuzzed: documents of that kind, the loader, the file's name
    "scenario": (st.one_of(scenario_documents(), near_valid(VALID_SCENARIO, SCENARIO_KEYS)),
                 load_scenario, "fuzzed.toml"),
    "sweep spec": (st.one_of(spec_documents(), near_valid(VALID_SPEC, SPEC_KEYS)),
                   load_spec, "fuzzed_spec.toml"),
}


@pytest.mark.parametrize("kind", sorted(GENERATED))
@settings(max_examples=FUZZ_EXAMPLES)
@given(data=st.data())
def test_generated_files_load_or_give_one_line(kind, data):
    documents, load, name = GENERATED[kind]
    text = as_toml(data.draw(documents, label=kind))
    if text is not None:
        check_bytes(load, text.encode(), name)


@settings(max_examples=FUZZ_EXAMPLES)
@given(data=mutilated(), spec=st.booleans())
def test_mutilated_files_and_junk_load_or_give_one_line(data, spec):
    check_bytes(load_spec if spec else load_scenario, data, "mutilated.toml")


# --------------------------------------------------------------------------- the corpus
CASES = sorted((CORPUS / "scenarios").glob("*.toml")) + sorted((CORPUS / "sweeps").glob("*.toml"))


def test_the_corpus_is_there():
    assert len(list((CORPUS / "scenarios").glob("*.toml"))) >= 15
    assert len(list((CORPUS / "sweeps").glob("*.toml"))) >= 10


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_case_through_the_command_line(case, tmp_path):
    out = tmp_path / "out"
    if case.parent.name == "scenarios":
        args = ["simulate", "--scenario", str(case), "--firms", "50", "--months", "2"]
    else:
        args = ["sweep", str(case), "--workers", "1"]
    result = subprocess.run([sys.executable, "run.py", *args, "--out", str(out), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and case.name in lines[0], lines[0]
    assert not out.exists(), "a refused run wrote its folder"
    expected = case.read_bytes().split(b"\n", 1)[0]
    if expected.startswith(b"# expect: "):  # what the message must say, where the file says
        assert expected[len(b"# expect: "):].decode() in lines[0], lines[0]
