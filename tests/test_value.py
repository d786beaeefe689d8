"""The value-for-money ranking (analysis/value.py) on made-up paired runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.value import AIMS, value_for_money


def runs(name: str, spend: list[float], bankruptcies: list[float]) -> pd.DataFrame:
    n = len(spend)
    return pd.DataFrame({"scenario": name, "point": 0, "replication": range(n),
                         "policy_spend": spend, "bankruptcies": bankruptcies,
                         "output_lost": 10.0, "firms_alive_end": 100.0, "innovations": 5.0,
                         "revenue_growth": 2.0})


def test_programmes_are_ranked_by_cost_per_unit_and_the_rest_said_in_words():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.3, 10)
    summary = pd.concat([
        runs("none", [0.0] * 10, list(20 + noise)),
        runs("cheap", [100.0] * 10, list(15 + noise)),  # 5 fewer for 100: 20 each
        runs("dear", [1000.0] * 10, list(10 + noise)),  # 10 fewer for 1000: 100 each
        runs("chance", [100.0] * 10, list(20 + noise + rng.normal(0, 3, 10))),
        runs("worse", [100.0] * 10, list(25 + noise)),
        runs("free", [0.0] * 10, list(15 + noise)),
    ])
    comparators = {n: "none" for n in ("dear", "chance", "worse", "free", "cheap")}
    frame = value_for_money(summary, comparators, "bankruptcies").set_index("scenario")
    assert list(frame.index[:2]) == ["cheap", "dear"]
    assert frame.loc["cheap", "rank"] == 1 and frame.loc["dear", "rank"] == 2
    assert abs(frame.loc["cheap", "cost"] - 20.0) < 1e-9
    assert frame.loc["cheap", "cost_low"] <= 20.0 <= frame.loc["cheap", "cost_high"]
    assert abs(frame.loc["dear", "per_million"] - 10.0) < 1e-9  # 10 per 1,000 thousand
    assert frame.loc["chance", "status"] == "not_significant"
    assert frame.loc["worse", "status"] == "no_gain"
    assert frame.loc["free", "status"] == "no_spend"
    assert (frame.loc[["chance", "worse", "free"], "rank"] == 0).all()
    assert set(AIMS) == {"bankruptcies", "output", "firms", "innovations", "growth"}


def test_a_run_with_a_missing_outcome_is_left_out_of_every_figure():
    """A run whose outcome is missing (NaN) drops out of the means, the intervals and the
    resampled cost interval alike, and is not counted; a zero gain shows as 0, not -0."""
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 0.3, 10)
    dropped = list(15 + noise)
    dropped[3] = np.nan
    summary = pd.concat([runs("none", [0.0] * 10, list(20 + noise)),
                         runs("cheap", [100.0] * 10, dropped),
                         runs("same", [100.0] * 10, list(20 + noise))])
    frame = value_for_money(summary, {"cheap": "none", "same": "none"},
                            "bankruptcies").set_index("scenario")
    assert frame.loc["cheap", "reps"] == 9
    assert np.isfinite(frame.loc["cheap", "cost_high"])  # no "no upper limit" from one NaN
    assert frame.loc["cheap", "cost_low"] <= frame.loc["cheap", "cost"] <= frame.loc[
        "cheap", "cost_high"]
    assert np.signbit(frame.loc["same", "gain"]) == False  # noqa: E712


def test_the_cli_cost_table_and_the_dashboard_agree_on_cost_per_unit():
    """run.py compare's costs.csv (compare.cost_table) and the dashboard's value for money
    price a point of output loss avoided alike, with the same significance, gain or none:
    both come from compare.paired_gain."""
    from analysis.compare import cost_table

    rng = np.random.default_rng(3)
    summary = pd.concat([runs("none", [0.0] * 8, [20.0] * 8),
                         runs("helps", [50.0 + r for r in range(8)], [20.0] * 8),
                         runs("noisy", [50.0] * 8, [20.0] * 8),
                         runs("hurts", [50.0] * 8, [20.0] * 8)]).assign(survival_rate=100.0)
    lost = {"helps": 8.0 + rng.normal(0, 0.2, 8), "noisy": 9.5 + rng.normal(0, 3, 8),
            "hurts": 11.0 + rng.normal(0, 0.2, 8)}
    for name, values in lost.items():
        summary.loc[summary["scenario"] == name, "output_lost"] = values
    comparators = {n: "none" for n in lost}
    costs = cost_table(summary, comparators).set_index(["scenario", "outcome"])
    value = value_for_money(summary, comparators, "output").set_index("scenario")
    for name in lost:
        cli, page = costs.loc[(name, "output_lost")], value.loc[name]
        np.testing.assert_equal(cli["cost"], page["cost"])
        assert cli["gain_significant"] == (page["status"] == "ranked")
    assert np.isfinite(value.loc["helps", "cost"]) and value.loc["helps", "status"] == "ranked"
    assert value.loc["noisy", "status"] == "not_significant"  # priced, marked (ns) by the CLI
    assert np.isfinite(costs.loc[("noisy", "output_lost"), "cost"])
    assert value.loc["hurts", "status"] == "no_gain" and np.isnan(costs.loc[("hurts",
                                                                              "output_lost"),
                                                                             "cost"])
