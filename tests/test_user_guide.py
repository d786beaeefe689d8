"""docs/USER_GUIDE.md matches the code: every `python run.py ...` command it shows is one the
command line accepts, every image it links exists, and every scenario file it shows loads."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import run as cli
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "USER_GUIDE.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", GUIDE.read_text(), flags=re.S)


def _commands() -> list[list[str]]:
    """Argument lists of every `python run.py ...` line of the sh blocks (continuations
    joined, trailing comments dropped)."""
    out = []
    for block in _blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["python", "run.py"]:
                out.append(words[2:])
    return out


def test_the_guide_shows_every_command():
    shown = {words[0] for words in _commands()}
    assert shown >= {"dashboard", "simulate", "params", "compare", "sweep", "sensitivity",
                     "validate", "bench"}


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a)[:60])
def test_every_command_in_the_guide_parses(argv):
    args = cli.build_parser().parse_args(argv)  # a misspelt option raises CliError
    assert args.command == argv[0]


def test_every_image_the_guide_links_exists():
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", GUIDE.read_text())
    assert links
    for link in links:
        assert (GUIDE.parent / link).is_file(), link


def test_the_guides_scenario_file_loads_and_names_real_fields(tmp_path):
    (toml,) = _blocks("toml")
    path = tmp_path / "my_supply_break.toml"
    path.write_text(toml)
    scenario = load_scenario(path)
    assert scenario.params["n_firms"] == 4000
    assert [s.kind for s in scenario.shocks] == ["supply"]
    assert [p.kind for p in scenario.policies] == ["cluster_funding"]
