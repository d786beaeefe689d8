"""Docs say what the code does: generated tables match the registry; quick start matches CI."""

import re
from pathlib import Path

from simulation.docs import beside_markdown, params_markdown, rules_markdown, schemas_markdown
from simulation.metrics import REPORTERS
from simulation.params import PARAMS

ROOT = Path(__file__).resolve().parent.parent


def _block(text: str, name: str) -> str:
    m = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert m, f"markers for {name} missing"
    return m.group(1).strip()


def test_odd_parameter_table_is_the_registry():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert _block(odd, "params") == params_markdown().strip(), "run scripts/update_docs.py"
    for name in PARAMS:
        assert f"`{name}`" in odd


def test_odd_scenario_schema_is_the_code():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert _block(odd, "schemas") == schemas_markdown().strip(), "run scripts/update_docs.py"


def test_architecture_tables_are_the_code():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert _block(text, "rules") == rules_markdown().strip(), "run scripts/update_docs.py"
    assert _block(text, "beside") == beside_markdown().strip(), "run scripts/update_docs.py"


def test_odd_names_every_reporter():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = [r for r in REPORTERS if r not in odd]
    assert not missing, missing


def test_readme_quick_start_has_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    run_cmd, test_cmd = (b.strip() for b in blocks)
    assert "run" in run_cmd and "test" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "run.py simulate" in makefile and "pytest" in makefile
