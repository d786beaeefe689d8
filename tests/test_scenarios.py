"""Scenario files: the shipped set, `extends`, error locations and the resolved form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomli_w

from simulation.params import COUNTRIES
from simulation.policies import POLICY_KINDS
from simulation.scenario import Scenario, ScenarioError, list_scenarios, load_scenario, shipped
from simulation.shocks import SHOCK_KINDS

SHIPPED = sorted(shipped())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return n
    raise AssertionError(f"{marker!r} not in the test text")


def error_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def assert_file_line(message: str, path: Path, line: int) -> None:
    m = re.search(re.escape(str(path)) + r":(\d+):", message)
    assert m, f"no '{path}:LINE:' in {message!r}"
    assert int(m.group(1)) == line, f"line {m.group(1)} reported, expected {line}: {message!r}"


# --------------------------------------------------------------------- the shipped set


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_with_plain_description(name):
    scen = load_scenario(name)
    assert isinstance(scen, Scenario)
    assert scen.name == name
    words = scen.description.split()
    assert len(words) >= 8, scen.description
    assert sum(bool(re.search(r"[A-Za-z]{2,}", w)) for w in words) >= 8
    identifiers = [w for w in words if "_" in w]
    assert not identifiers, f"identifiers in the description: {identifiers}"
    assert scen.chain[-1] == name
    assert scen.chain[0] == "baseline"


def test_list_scenarios_matches_shipped_files():
    items = list_scenarios()
    assert [n for n, _ in items] == SHIPPED
    here = Path(__file__).resolve().parent.parent / "scenarios"
    assert SHIPPED == sorted(p.stem for p in here.glob("*.toml"))
    for name, desc in items:
        assert desc and not desc.startswith("(invalid"), (name, desc)
        assert "\n" not in desc


@pytest.mark.parametrize("name, kind", [
    ("demand_shock", "demand"),
    ("supply_shock", "supply"),
    ("credit_shock", "credit"),
    ("regulatory_shock", "regulatory"),
])
def test_single_shock_scenarios(name, kind):
    scen = load_scenario(name)
    assert kind in {s.kind for s in scen.shocks}
    assert not scen.policies


def test_baseline_has_no_shock_and_no_policy():
    scen = load_scenario("baseline")
    assert scen.shocks == [] and scen.policies == []


@pytest.mark.parametrize("kind", POLICY_KINDS)
def test_recession_with_each_policy_kind(kind):
    name = f"recession_with_{kind}"
    assert name in SHIPPED
    scen = load_scenario(name)
    assert kind in {p.kind for p in scen.policies}
    assert "recession" in scen.chain
    assert scen.shocks == load_scenario("recession").shocks


def test_policy_mixes():
    mixes = [n for n in SHIPPED if len({p.kind for p in load_scenario(n).policies}) >= 2]
    assert len(mixes) >= 2, mixes


@pytest.mark.parametrize("country", ["vietnam", "kenya", "uk", "canada", "india"])
def test_country_scenarios(country):
    assert country in COUNTRIES
    scen = load_scenario(country)
    assert scen.params.get("country") == country


def test_survey_calibration_exists():
    scen = load_scenario("survey_calibration")
    assert scen.params.get("country", "all") == "all"


# --------------------------------------------------------------------- extends


def test_extends_shipped_parent_merges(tmp_path):
    parent = load_scenario("recession")
    assert parent.shocks, "recession should carry shocks"
    path = write(tmp_path, "child.toml", """\
description = "The recession with a supply shock on top and a keener search for partners."
extends = "recession"

[params]
search_prob = 0.1

[[shocks]]
kind = "supply"
start = 30
depth = 0.3

[[policies]]
kind = "cluster_funding"
budget = 50.0
""")
    child = load_scenario(path)
    assert child.shocks[: len(parent.shocks)] == parent.shocks
    assert len(child.shocks) == len(parent.shocks) + 1
    assert child.shocks[-1].kind == "supply" and child.shocks[-1].depth == 0.3
    assert [p.kind for p in child.policies] == [p.kind for p in parent.policies] + [
        "cluster_funding"
    ]
    assert child.params == {**parent.params, "search_prob": 0.1}
    assert child.chain == parent.chain + ["child"]
    assert load_scenario("recession").shocks == parent.shocks, "parent must not change"


def test_extends_inherits_and_overrides_params(tmp_path):
    write(tmp_path, "parent.toml", """\
description = "A parent in a temporary folder that sets two parameters and one shock."
extends = "recession"

[params]
n_firms = 500
search_prob = 0.05

[[shocks]]
kind = "regulatory"
start = 5
""")
    child_path = write(tmp_path, "child.toml", """\
description = "A child that overrides one parameter of its parent and adds a shock."
extends = "parent.toml"

[params]
search_prob = 0.2

[[shocks]]
kind = "credit"
start = 40
""")
    child = load_scenario(child_path)
    recession = load_scenario("recession")
    assert child.params == {"n_firms": 500, "search_prob": 0.2}
    assert [s.kind for s in child.shocks] == [s.kind for s in recession.shocks] + [
        "regulatory", "credit"
    ]
    assert child.chain == ["baseline", "recession", "parent", "child"]


def test_extends_country_inherits_params(tmp_path):
    path = write(tmp_path, "vn.toml", """\
description = "Vietnam hit by the demand shock: a child of a shipped country scenario."
extends = "vietnam"

[[shocks]]
kind = "demand"
""")
    scen = load_scenario(path)
    assert scen.params["country"] == "vietnam"
    assert [s.kind for s in scen.shocks] == ["demand"]


def test_extends_cycle_is_a_clear_error(tmp_path):
    a = write(tmp_path, "a.toml", 'description = "a"\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", 'description = "b"\nextends = "a.toml"\n')
    message = error_of(a)  # a ScenarioError, not a RecursionError
    assert "extends" in message and "cycle" in message
    assert re.search(r"[ab]\.toml:2:", message), message


def test_extends_self_is_a_clear_error(tmp_path):
    path = write(tmp_path, "self.toml", 'description = "me"\n\nextends = "self.toml"\n')
    message = error_of(path)
    assert "cycle" in message
    assert_file_line(message, path, 3)


# --------------------------------------------------------------------- error locations

HEAD = 'description = "A scenario written by the tests to check an error message."\n'

LOCATED = [
    pytest.param(HEAD + '\n[[shocks]]\nkind = "demand"\n\n[[shocks]]\nstart = 3\n'
                 'kind = "earthquake"\n',
                 'kind = "earthquake"', ["shocks[1].kind", "earthquake", *SHOCK_KINDS],
                 id="shock-kind"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "rd_grants"\n\n[[policies]]\nbudget = 1.0\n'
                 'kind = "tax_cut"\n',
                 'kind = "tax_cut"', ["policies[1].kind", "tax_cut", *POLICY_KINDS],
                 id="policy-kind"),
    pytest.param(HEAD + '\n[[shocks]]\nkind = "supply"\ndepth = "deep"\n',
                 "depth =", ["shocks[0].depth", "expected a number", "deep"], id="wrong-type"),
    pytest.param(HEAD + '\n[[shocks]]\nkind = "demand"\ndepth = 0.2\n\n[[shocks]]\n'
                 'kind = "credit"\ndepth = 1.5\n',
                 "depth = 1.5", ["shocks[1].depth", "0.0 to 1.0"], id="range-second-entry"),
    pytest.param(HEAD + '\n[[shocks]]\nkind = "demand"\ndept = 0.3\n',
                 "dept =", ["shocks[0].dept", "did you mean 'depth'"], id="shock-field-typo"),
    pytest.param(HEAD + '\n[[shocks]]\nkind = "demand"\nsectors = ["farming"]\n',
                 "sectors =", ["sectors", "farming", "manufacturing"], id="shock-sector"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "cluster_funding"\nsubsidy_share = 3\n',
                 "subsidy_share =", ["subsidy_share", "0.0 to 1.0"], id="policy-range"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "cluster_funding"\nsubsidy = 0.3\n',
                 "subsidy =", ["subsidy", "did you mean 'subsidy_share'"], id="policy-field"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "trust_brokering"\nregions = ["mars"]\n',
                 "regions =", ["regions", "mars", "kenya"], id="policy-region"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "cluster_funding"\nstart = 10\nend = 5\n',
                 "end =", ["policies[0].end", "start"], id="end-before-start"),
    pytest.param(HEAD + '\n[[policies]]\nkind = "rd_grants"\nbudget = 9.0\n\n[[shocks]]\n'
                 'kind = "demand"\nbudget = 8.0\n',
                 "budget = 8.0", ["shocks[0].budget", "unknown field"], id="after-policies"),
    # a missing kind points at the entry's header
    pytest.param(HEAD + '\n[[shocks]]\nkind = "demand"\n\n[[shocks]]  # no kind\n'
                 'depth = 0.1\n',
                 "# no kind", ["shocks[1].kind", "missing", *SHOCK_KINDS], id="kind-missing"),
    pytest.param(HEAD + "\n[params]\nn_firms = 100\nserch_prob = 0.1\n",
                 "serch_prob", ["serch_prob", "did you mean 'search_prob'"], id="param-typo"),
    pytest.param(HEAD + "\n[params]\nn_firms = 100\nsearch_prob = 1.5\n",
                 "search_prob", ["params.search_prob", "0.0 to 1.0"], id="param-range"),
    pytest.param(HEAD + '\n[params]\nn_firms = "many"\n',
                 "n_firms", ["params.n_firms", "expected an integer"], id="param-type"),
    pytest.param(HEAD + '\n[params]\ncountry = "france"\n',
                 "country", ["country", "france", "vietnam", "india"], id="param-choice"),
    pytest.param(HEAD + 'extend = "baseline"\n',
                 "extend =", ["extend", "did you mean 'extends'"], id="top-key"),
    pytest.param('# comment\ndescription = 5\n', "description", ["description", "string"],
                 id="description-type"),
    pytest.param(HEAD + 'extends = "recesion"\n', "extends",
                 ["extends", "recesion", "recession", "baseline"], id="extends-unknown"),
    pytest.param(HEAD + "\n[params]\nn_firms = \n", "n_firms", ["malformed TOML"],
                 id="malformed"),
]


@pytest.mark.parametrize("text, marker, needles", LOCATED)
def test_error_names_file_line_and_field(tmp_path, text, marker, needles):
    path = write(tmp_path, "bad.toml", text)
    message = error_of(path)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert_file_line(message, path, line_of(text, marker))


@pytest.mark.parametrize("text, marker", [
    pytest.param(HEAD + '\n[[policy]]\nkind = "rd_grants"\n', "[[policy]]",
                 id="typo-array-header"),
    pytest.param(HEAD + "\n[param]\nn_firms = 5\n", "[param]",
                 id="typo-table-header"),
    pytest.param(HEAD + '\n[shocks]\nkind = "demand"\n', "[shocks]",
                 id="single-table-not-array"),
    pytest.param(HEAD + 'shocks = [\n  { kind = "demand" },\n  { kind = "quake" },\n]\n',
                 '"quake"',
                 id="inline-tables"),
])
def test_error_line_of_table_headers(tmp_path, text, marker):
    path = write(tmp_path, "bad.toml", text)
    assert_file_line(error_of(path), path, line_of(text, marker))


def test_error_in_parent_names_the_parent(tmp_path):
    parent_text = HEAD + '\n[[shocks]]\nkind = "demand"\ndepth = 7\n'
    parent = write(tmp_path, "parent.toml", parent_text)
    child = write(tmp_path, "child.toml", HEAD + 'extends = "parent.toml"\n')
    message = error_of(child)
    assert_file_line(message, parent, line_of(parent_text, "depth = 7"))


@pytest.mark.parametrize("content, needle", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfd", "UTF-8"),
    (b"# only a comment\n", "empty"),
    (b'name = "nameless"\n', "description"),
])
def test_unusable_files(tmp_path, content, needle):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    message = error_of(path)
    assert needle in message
    assert_file_line(message, path, 1)


def test_unknown_name_lists_choices():
    with pytest.raises(ScenarioError) as info:
        load_scenario("nosuch")
    assert "baseline" in str(info.value) and "nosuch" in str(info.value)


def test_folder_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="folder"):
        load_scenario(tmp_path)


# --------------------------------------------------------------------- to_dict


def dump(tmp_path: Path, data: dict, name: str = "resolved.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_to_dict_round_trips(tmp_path, name):
    scen = load_scenario(name)
    data = scen.to_dict()
    assert "extends" not in data
    again = load_scenario(dump(tmp_path, data))
    resolved = again.to_dict()
    original = scen.to_dict()
    assert resolved["shocks"] == original["shocks"]
    assert resolved["policies"] == original["policies"]
    assert resolved["params"] == original["params"]
    assert again.name == scen.name and again.description == scen.description
    assert [s.kind for s in again.shocks] == [s.kind for s in scen.shocks]
    assert [p.kind for p in again.policies] == [p.kind for p in scen.policies]


def test_run_scenario_file_loads_back_with_its_provenance(tmp_path):
    from simulation.scenario import to_toml

    scen = load_scenario("recession_with_innovation_mix")
    path = tmp_path / "scenario.toml"
    path.write_text(to_toml(scen, seed=9), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "baseline > recession > recession_with_innovation_mix" in text and "Seed: 9" in text
    again = load_scenario(path)
    assert again.to_dict() == scen.to_dict()


def test_to_dict_output_loads_as_is(tmp_path):
    scen = load_scenario("recession_with_innovation_mix")
    again = load_scenario(dump(tmp_path, scen.to_dict()))
    assert again.to_dict()["policies"] == scen.to_dict()["policies"]


def test_every_shipped_scenario_has_a_title_for_people():
    titles = {}
    for name in shipped():
        scen = load_scenario(name)
        assert scen.title and scen.label == scen.title, name
        assert "_" not in scen.title and len(scen.title) <= 80, scen.title
        titles[scen.title] = name
    assert len(titles) == len(shipped())  # no two scenarios share a title


@pytest.mark.parametrize("title, needle", [
    ('""', "title: empty"), ("3", "title: expected a string"),
    ('"' + "x" * 81 + '"', "title: 81 characters"),
])
def test_a_bad_title_is_named(tmp_path, title, needle):
    path = tmp_path / "bad.toml"
    path.write_text(f'title = {title}\ndescription = "A test."\n')
    with pytest.raises(ScenarioError, match=needle):
        load_scenario(path)


def test_a_scenario_without_a_title_is_called_by_its_name_in_words(tmp_path):
    path = tmp_path / "my_variant.toml"
    path.write_text('description = "A test."\nextends = "recession"\n')
    scen = load_scenario(path)
    assert scen.title == "" and scen.label == "My variant"  # titles are not inherited
    assert "title" not in scen.to_dict()
