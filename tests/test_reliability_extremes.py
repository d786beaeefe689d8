"""Extreme but valid inputs run and report sensibly (DESIGN §8; docs/RELIABILITY.md).

One firm; collaboration impossible; every firm bankrupt in the first month; all four shocks
at full depth at once with random shocks on top; policy budgets far beyond what firms can
use; a 600-month horizon. Each runs to the end with the invariants of tests/test_model.py
checked every month, and reports concrete, finite numbers.
"""

from __future__ import annotations

import json
import math

import pytest

import run as cli
from analysis.outcomes import job_outcomes
from analysis.summary import summarize
from simulation import SMEEcosystem
from simulation.policies import POLICY_KINDS, Policy
from simulation.scenario import Scenario
from simulation.shocks import SHOCK_KINDS, Shock
from tests.test_model import everything_scenario
from tests.test_reliability_model import run_with_invariants


def run_checked(scenario=None, seed=5, **params):
    model = SMEEcosystem(rng=seed, scenario=scenario, **params)
    return model, run_with_invariants(model)


def finite(d: dict) -> bool:
    return all(math.isfinite(v) for v in d.values() if isinstance(v, float))


def test_one_firm_runs_and_forms_no_alliance():
    model, frame = run_checked(n_firms=1, burn_in=2, months=36, entry_rate=0.0)
    assert frame["alliances_formed"].sum() == 0 and frame["alliances_active"].max() == 0
    assert frame["firms_alive"].max() <= 1
    assert frame["mean_trust"].between(0, 1).all()
    assert finite(summarize(frame[frame["month"] >= 1]))


@pytest.mark.parametrize("switch", [{"max_alliances": 0}, {"search_prob": 0.0,
                                                            "search_need_weight": 0.0}])
def test_collaboration_switched_off_forms_no_alliance(switch):
    model, frame = run_checked(n_firms=300, burn_in=3, months=24, **switch)
    assert frame["alliances_formed"].sum() == 0
    assert frame["alliances_active"].max() == 0 and frame["firms_in_alliances"].max() == 0
    assert (model.firms.alliances == -1).all()
    assert frame["firms_alive"].iloc[-1] > 0


BANKRUPT = dict(initial_buffer=0.0, credit_months=0.0, entry_rate=0.0, burn_in=0, months=12)
COLLAPSE = Scenario("collapse", "Demand vanishes in month 1 and nobody has cash or credit.",
                    shocks=[Shock("demand", start=1, duration=12, depth=1.0, recovery=0)])


def test_every_firm_bankrupt_in_month_one_is_reported_without_nan(tmp_path, capsys):
    model, frame = run_checked(COLLAPSE, n_firms=200, **BANKRUPT)
    assert frame["firms_alive"].iloc[0] == 0 and frame["bankruptcies"].iloc[0] == 200
    assert (frame["firms_alive"] == 0).all()
    assert (frame[["mean_revenue", "mean_trust", "mean_resilience", "total_revenue"]] == 0).all(
        axis=None)
    summary = summarize(frame)
    assert finite(summary) and summary["firms_alive_end"] == 0
    twin = run_checked(None, n_firms=200, **BANKRUPT)[1]  # the same firms, no shock
    assert twin["firms_alive"].iloc[-1] > 0
    outcomes = job_outcomes(frame, twin)
    assert finite(outcomes) and outcomes["firms_alive_end"] == 0
    assert outcomes["survival_rate"] == 0.0
    assert outcomes["output_lost"] == pytest.approx(100.0, abs=1e-9)  # a sum of ratios
    assert outcomes["recovered"] == 0.0
    # the command line writes and prints it too: no 'nan' anywhere
    scenario = tmp_path / "collapse.toml"
    scenario.write_text('description = "Everything fails in month 1."\n[params]\n'
                        + "".join(f"{k} = {v}\n" for k, v in BANKRUPT.items())
                        + '[[shocks]]\nkind = "demand"\nstart = 1\nduration = 12\ndepth = 1.0\n'
                        "recovery = 0\n")
    out = tmp_path / "out"
    assert cli.main(["simulate", "--scenario", str(scenario), "--firms", "200", "--out",
                     str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "nan" not in printed.lower() and "inf" not in printed.lower().replace("info", "")
    written = json.loads((out / "summary.json").read_text())
    assert written["firms_alive_end"] == 0 and finite(written)


def test_all_shocks_at_full_depth_at_once_with_random_shocks_on_top():
    shocks = [Shock(kind, start=1, duration=6, depth=1.0, recovery=6) for kind in SHOCK_KINDS]
    shocks += [Shock(kind, start=3, duration=2, depth=0.9, recovery=0, profile="exponential")
               for kind in SHOCK_KINDS]
    storm = Scenario("storm", "every shock twice, overlapping", shocks=shocks)
    model, frame = run_checked(storm, n_firms=300, burn_in=0, months=24,
                               random_shock_rate=5.0, random_shock_depth=0.9)
    assert frame["shock_intensity"].max() >= 1.0
    assert frame["bankruptcies"].sum() > 0


def budgets(amount: float) -> Scenario:
    return Scenario("rich", "every instrument, a budget far beyond need", policies=[
        Policy(kind, budget=amount, start=1, end=24) for kind in POLICY_KINDS],
        shocks=everything_scenario().shocks)


def test_budget_far_beyond_need_spends_only_what_is_needed():
    spends = {}
    for amount in (1e7, 1e9):
        model = SMEEcosystem(rng=11, scenario=budgets(amount), n_firms=300, burn_in=0,
                             months=24, policy_scale=100.0)
        total = dict.fromkeys(POLICY_KINDS, 0.0)
        while model.running:
            model.step()
            for kind in POLICY_KINDS:
                spent = model.policy.spend[kind]
                assert 0.0 <= spent <= amount * model.policy.scale
                total[kind] += spent
        spends[amount] = total
        assert all(math.isfinite(v) for v in total.values())
    # a hundred times the money changes nothing: what is spent is what firms could use
    assert spends[1e7] == spends[1e9]
    assert sum(spends[1e9].values()) > 0
    assert max(spends[1e9].values()) < 1e7 * 30  # far below even the smaller monthly budget


def test_a_600_month_horizon_runs_with_a_renewing_population():
    model, frame = run_checked(n_firms=60, burn_in=0, months=600)
    assert len(frame) == 600 and frame["month"].iloc[-1] == 600
    assert frame["entries"].sum() > 0 and frame["firms_alive"].iloc[-1] > 0
    summary = summarize(frame)
    assert finite(summary)
