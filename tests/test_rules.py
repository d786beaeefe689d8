"""Each rule's declaration (simulation/rules/__init__.py) is true, and rules run side by side on two
cores (simulation/schedule.BESIDE) never touch what the other writes."""

import os

import pytest
import rulewatch

from simulation import SMEEcosystem, kernels
from simulation.rules import RULES
from simulation.schedule import BESIDE, MonthSchedule


def test_every_rule_of_the_month_and_every_job_is_declared():
    steps = {n for n in vars(MonthSchedule) if not n.startswith("_") and n != "close_month"}
    assert steps | set(rulewatch.JOBS) == set(RULES)


@pytest.mark.parametrize("job", sorted(BESIDE))
def test_rules_side_by_side_do_not_conflict(job):
    a = RULES[job]
    for other in BESIDE[job]:
        b = RULES[other]
        assert not set(a.writes) & b.touches, f"{job} writes what {other} reads or writes"
        assert not set(b.writes) & a.touches, f"{other} writes what {job} reads or writes"
        assert not set(a.streams) & set(b.streams), f"{job} and {other} share a stream"


@pytest.mark.parametrize("numba", ["off", "on"])
@pytest.mark.parametrize("scenario", ["recession_with_resilience_mix",
                                      "recession_with_innovation_mix"])
def test_each_rule_reads_and_writes_only_what_it_declares(monkeypatch, scenario, numba):
    if numba == "on" and not kernels.installed:
        pytest.skip("numba is not installed")
    monkeypatch.setenv("SME_SIDE_THREAD", "off")  # every job in line: each access is its rule's
    monkeypatch.setenv("SME_NUMBA", numba)
    model = SMEEcosystem(rng=5, n_firms=300, burn_in=4, months=40, scenario=scenario)
    seen = rulewatch.watch(model, months=44)  # through the recession and its policies
    for rule, (reads, writes) in seen.items():
        declared = RULES[rule]
        assert writes <= set(declared.writes), f"{rule} writes {writes - set(declared.writes)}"
        assert reads <= declared.touches, f"{rule} reads {reads - declared.touches}"
    assert os.environ["SME_NUMBA"] == numba


def test_the_watch_would_catch_an_undeclared_write(monkeypatch):
    """A rule that writes a field it does not declare is found (the test above can fail)."""
    from simulation.rules import innovation

    real = innovation.gain_experience

    def gain_and_scribble(state, compiled=False):
        real(state, compiled)
        state.trust_propensity[:] = 0.5  # not declared by `innovate`

    monkeypatch.setattr(innovation, "gain_experience", gain_and_scribble)
    monkeypatch.setenv("SME_SIDE_THREAD", "off")
    model = SMEEcosystem(rng=5, n_firms=200, burn_in=0, months=3)
    _reads, writes = rulewatch.watch(model, months=2)["innovate"]
    assert "trust_propensity" in writes and "trust_propensity" not in RULES["innovate"].writes


def test_no_rule_imports_the_scheduling():
    """The rules (simulation/rules, alliances, policies) never import side.py or schedule.py:
    where their work runs is the schedule's business (the alliance phases reach the second
    core only through the side.Cores the model gives them)."""
    import ast
    from pathlib import Path

    import simulation

    root = Path(simulation.__file__).parent
    offenders = []
    for folder in ("rules", "alliances", "policies"):
        for path in sorted((root / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [a.name for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if any(n.split(".")[-1] in ("side", "schedule") for n in names):
                    offenders.append(f"{folder}/{path.name}")
    assert not offenders, offenders
