"""`run.py simulate`'s headline resilience: the shock's cost against the run's no-shock twin
(the numbers `sweep`, `compare` and `analysis.evaluate` give), and the spread of the firms'
resilience scores, whose mean alone sits near the top of the scale."""

from __future__ import annotations

import json

from analysis import evaluate
from analysis.simulate import simulate
from analysis.summary import NO_SHOCK_TEXT, SHOCK_KEYS, format_summary

SMALL = {"firms": 300, "months": 40, "assignments": ["burn_in=6"], "seed": 3}
SHOCK_FIGURES = ["output_lost", "max_drop", "recovery_months", "recovered", "survival_rate"]


def run(tmp_path, scenario: str, capsys) -> tuple[dict, str]:
    out = simulate(scenario, out=str(tmp_path / scenario), quiet=True, **SMALL)
    printed = capsys.readouterr().out
    return json.loads((out / "summary.json").read_text()), printed


def test_recession_reports_output_lost_against_its_twin_as_evaluate_does(tmp_path, capsys):
    summary, printed = run(tmp_path, "recession", capsys)
    assert summary["shock_in_run"] is True
    assert summary["output_lost"] > 0 and summary["max_drop"] > 0
    # one source of truth: the numbers of analysis.evaluate (and so of sweep) at this point
    point = evaluate({"burn_in": 6}, scenario="recession", seed=SMALL["seed"], n_firms=300,
                     months=40, outcomes=SHOCK_FIGURES)
    assert {k: summary[k] for k in SHOCK_FIGURES} == point
    lines = printed.splitlines()
    lost = next(i for i, line in enumerate(lines) if "Output lost to the shock" in line)
    mean = next(i for i, line in enumerate(lines) if "Mean firm resilience score" in line)
    assert lost < mean  # the shock's cost leads the resilience lines
    assert f"{summary['output_lost']:.2f}" in lines[lost]
    assert NO_SHOCK_TEXT not in printed


def test_baseline_says_there_was_no_shock_rather_than_zeros(tmp_path, capsys):
    summary, printed = run(tmp_path, "baseline", capsys)
    assert summary["shock_in_run"] is False
    assert all(summary[k] is None for k in SHOCK_KEYS)  # nothing measured, not 0
    assert NO_SHOCK_TEXT in printed
    assert "Deepest drop" not in printed and "Months to recover" not in printed


def test_the_scores_spread_beside_their_mean(tmp_path, capsys):
    summary, printed = run(tmp_path, "recession", capsys)
    q1, median, q3 = (summary[f"resilience_{q}_end"] for q in ("q1", "median", "q3"))
    assert 1.0 <= q1 <= median <= q3 <= 5.0
    assert 0.0 <= summary["resilience_top_share_end"] <= 1.0
    assert 1.0 <= summary["mean_resilience_end"] <= 5.0  # the last month's reporter
    assert "share of firms at the top" in printed and "median score" in printed


def test_a_summary_without_resilience_figures_still_prints():
    assert "Output lost" not in format_summary({"bankruptcies": 3})
