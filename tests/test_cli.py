"""The command line as a user meets it: `python run.py ...` in a real subprocess.

The contract (bad input): one clear line on stderr naming the file (scenario
files as `path:line:`), the field and the valid range or choices; exit code 2;
no traceback; nothing already written is lost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.params import PARAMS
from simulation.policies import POLICY_KINDS
from simulation.scenario import shipped
from simulation.shocks import SHOCK_KINDS

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--firms", "30", "--months", "3", "--quiet", "--set", "burn_in=0"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run.py", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )


def assert_user_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one non-empty stderr line, no traceback, every needle in it."""
    err = result.stderr
    assert "Traceback" not in err, err
    assert result.returncode == 2, (result.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}:\n{err}"
    line = lines[0]
    assert line.strip(), "stderr line is empty"
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def line_of(text: str, marker: str) -> int:
    """1-based number of the first line of `text` containing `marker`."""
    for n, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return n
    raise AssertionError(f"{marker!r} not in the test text")


def assert_file_line(message: str, path: Path, line: int) -> None:
    m = re.search(re.escape(str(path)) + r":(\d+):", message)
    assert m, f"no '{path}:LINE:' in {message!r}"
    assert int(m.group(1)) == line, f"line {m.group(1)} reported, expected {line}: {message!r}"


# --------------------------------------------------------------------- usage errors


def test_unknown_subcommand():
    line = assert_user_error(run_cli("simulte"), "simulte")
    for command in ("simulate", "scenarios", "params"):
        assert command in line


def test_missing_subcommand():
    assert_user_error(run_cli(), "COMMAND")


def test_unknown_option():
    assert_user_error(run_cli("simulate", "--frims", "30"), "--frims")


def test_firms_not_an_integer():
    assert_user_error(run_cli("simulate", "--firms", "many", "--quiet"), "--firms", "'many'")


def test_params_unknown_group():
    line = assert_user_error(run_cli("params", "--group", "nosuch"), "--group", "nosuch")
    assert "alliances" in line and "trust" in line


# --------------------------------------------------------------------- --set, --firms, --months


@pytest.mark.parametrize(
    "args, needles",
    [
        pytest.param(["--set", "serch_prob=0.1"], ["serch_prob", "search_prob", "did you mean"],
                     id="unknown-param-suggests"),
        pytest.param(["--set", "search_prob=2"], ["search_prob", "0.0 to 1.0"],
                     id="out-of-range"),
        pytest.param(["--set", "search_prob=abc"], ["search_prob", "expected a number", "abc"],
                     id="not-a-number"),
        pytest.param(["--set", "burn_in=1.5"], ["burn_in", "expected an integer"],
                     id="not-an-integer"),
        pytest.param(["--set", "country=mars"], ["country", "mars", "vietnam", "kenya", "uk",
                                                 "canada", "india"], id="bad-choice"),
        pytest.param(["--set", "search_prob"], ["--set", "key=value"], id="no-equals"),
        pytest.param(["--set", "share_small=0.5"], ["share_micro", "share_small", "exceeds 1"],
                     id="shares-sum"),
        pytest.param(["--firms", "0"], ["--firms", "1 to 5000000"], id="firms-zero"),
        pytest.param(["--months", "0"], ["--months", "1 to 1200"], id="months-zero"),
    ],
)
def test_bad_parameter(tmp_path, args, needles):
    out = tmp_path / "out"
    result = run_cli("simulate", "--quiet", "--firms", "30", "--months", "3", *args,
                     "--out", out)
    assert_user_error(result, *needles)
    assert not out.exists(), "a refused run must not create its --out folder"


def test_unknown_scenario_name(tmp_path):
    out = tmp_path / "out"
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", "nosuch", "--out", out),
                             "nosuch", "baseline", "recession", "vietnam")
    assert "unknown" in line
    assert not out.exists()


def test_scenario_name_typo_suggests(tmp_path):
    assert_user_error(run_cli("simulate", *FAST, "--scenario", "recesion"),
                      "recesion", "did you mean 'recession'")


def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "missing.toml"
    assert_user_error(run_cli("simulate", *FAST, "--scenario", missing), str(missing),
                      "not found")


def test_negative_seed(tmp_path):
    assert_user_error(run_cli("simulate", *FAST, "--seed", "-1", "--out", tmp_path / "out"),
                      "--seed")


# --------------------------------------------------------------------- --out


def test_out_nonempty_refused_then_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "keep.txt"
    precious = b"written earlier\x00\xff\n"
    keep.write_bytes(precious)
    before = keep.stat()

    line = assert_user_error(run_cli("simulate", *FAST, "--out", out), str(out), "--force")
    assert "not empty" in line
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert keep.read_bytes() == precious
    assert keep.stat().st_mtime_ns == before.st_mtime_ns

    result = run_cli("simulate", *FAST, "--seed", "7", "--out", out, "--force")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert keep.read_bytes() == precious, "--force must not remove unrelated files"
    for name in ("timeseries.parquet", "timeseries.csv", "scenario.toml", "manifest.json",
                 "summary.json"):
        assert (out / name).is_file(), name
    assert len(list(out.glob("*.png"))) >= 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert isinstance(manifest["versions"], dict)
    assert manifest["versions"].get("mesa")
    assert isinstance(json.loads((out / "summary.json").read_text()), dict)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def test_out_under_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_bytes(b"not a folder\n")
    out = afile / "out"
    assert_user_error(run_cli("simulate", *FAST, "--out", out), str(out), "--out")
    assert afile.read_bytes() == b"not a folder\n"


def test_out_is_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_bytes(b"keep me\n")
    line = assert_user_error(run_cli("simulate", *FAST, "--out", afile), str(afile), "--out")
    assert "file" in line
    assert afile.read_bytes() == b"keep me\n"


def test_out_under_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user (root?) who can write to a 0o500 folder")
        out = locked / "out"
        line = assert_user_error(run_cli("simulate", *FAST, "--out", out), str(out), "--out")
        assert "cannot write" in line
        assert not out.exists()
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------- scenario files


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_malformed_toml(tmp_path):
    text = 'description = "fine so far"\n\n[params]\nn_firms = \n'
    path = write(tmp_path, "malformed.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path), "malformed TOML")
    assert_file_line(line, path, 4)


SHOCK_KIND_TEXT = """\
description = "A test scenario with a bad shock kind in its second shock entry."
extends = "baseline"

[[shocks]]
kind = "demand"
start = 2

[[shocks]]
start = 3
kind = "earthquake"
"""

POLICY_KIND_TEXT = """\
description = "A test scenario with a bad policy kind in its second policy entry."

[[shocks]]
kind = "demand"

[[policies]]
kind = "rd_grants"

[[policies]]
budget = 5.0
kind = "tax_cut"
"""


def test_unknown_shock_kind(tmp_path):
    path = write(tmp_path, "shock.toml", SHOCK_KIND_TEXT)
    out = tmp_path / "out"
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path, "--out", out),
                             "earthquake", "kind")
    assert_file_line(line, path, line_of(SHOCK_KIND_TEXT, 'kind = "earthquake"'))
    for kind in SHOCK_KINDS:
        assert kind in line
    assert not out.exists()


def test_unknown_policy_kind(tmp_path):
    path = write(tmp_path, "policy.toml", POLICY_KIND_TEXT)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path), "tax_cut", "kind")
    assert_file_line(line, path, line_of(POLICY_KIND_TEXT, 'kind = "tax_cut"'))
    for kind in POLICY_KINDS:
        assert kind in line


def test_wrong_type_in_scenario(tmp_path):
    text = 'description = "wrong type"\n\n[[shocks]]\nkind = "supply"\ndepth = "deep"\n'
    path = write(tmp_path, "wrongtype.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path),
                             "depth", "expected a number", "deep")
    assert_file_line(line, path, line_of(text, "depth ="))


def test_out_of_range_in_scenario(tmp_path):
    text = 'description = "out of range"\n\n[params]\nn_firms = 100\nsearch_prob = 1.5\n'
    path = write(tmp_path, "range.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path),
                             "search_prob", "0.0 to 1.0")
    assert_file_line(line, path, line_of(text, "search_prob ="))


def test_empty_scenario_file(tmp_path):
    path = write(tmp_path, "empty.toml", "")
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path), "empty")
    assert_file_line(line, path, 1)
    assert "description" in line


def test_binary_scenario_file(tmp_path):
    path = write(tmp_path, "junk.toml", b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfd\x80garbage\x00")
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path), "TOML")
    assert_file_line(line, path, 1)


def test_unknown_top_level_key(tmp_path):
    text = 'description = "a typo in a top-level key"\nextend = "baseline"\n'
    path = write(tmp_path, "topkey.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path),
                             "extend", "did you mean 'extends'")
    assert_file_line(line, path, 2)


def test_extends_unknown_scenario(tmp_path):
    text = '# a comment first\ndescription = "extends a typo"\nextends = "recesion"\n'
    path = write(tmp_path, "ext.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path),
                             "extends", "recesion", "recession", "baseline")
    assert_file_line(line, path, 3)


def test_extends_missing_file(tmp_path):
    text = 'description = "extends a file that is not there"\nextends = "missing.toml"\n'
    path = write(tmp_path, "ext.toml", text)
    line = assert_user_error(run_cli("simulate", *FAST, "--scenario", path),
                             "extends", "missing.toml")
    assert_file_line(line, path, 2)


# --------------------------------------------------------------------- successful runs


def test_simulate_success(tmp_path):
    out = tmp_path / "run"
    result = run_cli("simulate", "--firms", "30", "--months", "3", "--quiet",
                     "--set", "burn_in=2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for text in ("Firms alive", "Alliances formed", "Mean trust", "Innovations",
                 "Bankruptcies", str(out)):
        assert text in result.stdout, text
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert len(frame) == 2 + 3
    for column in ("month", "firms_alive", "alliances_formed", "mean_trust"):
        assert column in frame.columns, column
    assert frame["month"].is_monotonic_increasing and frame["month"].is_unique
    csv = pd.read_csv(out / "timeseries.csv")
    assert len(csv) == len(frame)


def test_scenarios_lists_every_shipped_file():
    result = run_cli("scenarios")
    assert result.returncode == 0, result.stderr
    names = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    stems = {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
    assert stems and stems == set(shipped())
    assert stems <= names, stems - names
    assert "(invalid" not in result.stdout


def test_params_lists_every_parameter_with_default():
    result = run_cli("params")
    assert result.returncode == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            rows[parts[0]] = parts[1]
    for name, param in PARAMS.items():
        assert name in rows, name
        assert rows[name] == str(param.default), (name, rows[name], param.default)
