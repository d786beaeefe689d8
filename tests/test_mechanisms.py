"""The mechanism checks (analysis/mechanisms.py, issue 21): the measurement on hand-made data
gives the known answers; a small end-to-end run gives every figure, finite, in the right
shapes; the command line refuses bad input in one line.

No test here asserts which way the model's effects go: the checks measure whatever
mechanisms the model has.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.mechanisms import (
    CHECKS,
    Run,
    alliance_recovery,
    alliance_survival,
    firm_outcomes,
    markdown_section,
    ols_slopes,
    panel_table,
    recession_growth,
    run_checks,
    shock_window,
    shock_year_growth,
    track_firms,
)
from simulation.regions import SECTORS
from simulation.shocks import Shock

ROOT = Path(__file__).resolve().parent.parent
NAN = np.nan
# a recession early in a short horizon: window months 14 to 37 of 40
SMALL = {"burn_in": 6, "months": 40, "shock_start": 14}
SURVEY_SMALL = {"n_firms": 600, "burn_in": 6, "months": 30}


# --------------------------------------------------------------------- known answers
def test_firm_outcomes_on_hand_made_revenue():
    # months x firms, month 0 the shock start; window = months 0..3
    rel = np.array([
        # A: falls to 0.8, back at 0.96 in month 3   B: never below 0.95
        # C: falls, never back (censored)             D: exits in month 2
        # E: trough in month 2, back in month 5 (after the window), dips again later
        [0.90, 1.10, 0.90, 0.90, 0.99],
        [0.80, 1.00, 0.70, 0.85, 0.90],
        [0.90, 0.97, 0.60, NAN, 0.70],
        [0.96, 1.05, 0.70, NAN, 0.80],
        [1.00, 1.00, 0.80, NAN, 0.90],
        [1.00, 1.00, 0.90, NAN, 0.95],
        [1.00, 1.00, 0.90, NAN, 0.50],
    ])
    out = firm_outcomes(rel, window_months=4)
    assert out["depth"].tolist() == pytest.approx([0.2, 0.03, 0.4, 0.15, 0.3])
    months = out["months_to_recover"].to_numpy()
    assert months[:3].tolist() == [3.0, 0.0, 7.0]  # C: censored at months to end + 1
    assert np.isnan(months[3])  # D exited before it recovered
    assert months[4] == 5.0
    assert out["censored"].tolist() == [False, False, True, False, False]
    assert out["recovered"].tolist() == [True, True, False, False, True]
    assert out["alive_shock_end"].tolist() == [True, True, True, False, True]
    assert out["alive_end"].tolist() == [True, True, True, False, True]


def test_firm_outcomes_refuses_a_window_outside_the_months():
    with pytest.raises(ValueError):
        firm_outcomes(np.ones((3, 2)), window_months=4)


def _firm_table(rng, n=600, runs=(1, 2)):
    """Firms whose depth and months fall with alliances (count and age), and allied firms
    survive more often."""
    k = rng.integers(0, 4, n)
    age = np.where(k > 0, rng.uniform(1, 30, n), NAN)
    depth = 0.30 - 0.05 * k - 0.002 * np.nan_to_num(age) + rng.normal(0, 0.02, n)
    months = 12 - 2.0 * k - 0.1 * np.nan_to_num(age) + rng.normal(0, 1, n)
    alive = np.where(k > 0, rng.random(n) < 0.9, rng.random(n) < 0.5)
    return pd.DataFrame({
        "run": rng.choice(list(runs), n), "sector": rng.choice(list(SECTORS), n),
        "country": rng.choice(["kenya", "uk"], n), "size_class": rng.choice(["micro", "small"], n),
        "n_alliances": k, "mean_alliance_age": age, "hit": True, "alive_shock_end": alive,
        "alive_end": alive, "depth": depth, "months_to_recover": months,
        "recovered": True, "censored": False,
    })


def test_slopes_recover_known_negative_effects():
    firms = _firm_table(np.random.default_rng(0))
    a = alliance_recovery(firms)
    assert a["depth"]["n_alliances"]["slope"] < 0
    assert a["depth"]["joint"]["n_alliances"]["slope"] == pytest.approx(-0.05, abs=0.01)
    assert a["depth"]["joint"]["mean_alliance_age"]["slope"] == pytest.approx(-0.002, abs=0.001)
    assert a["months_to_recover"]["mean_alliance_age"]["slope"] < 0
    assert all(a["passed"].values())
    for y in ("depth", "months_to_recover"):
        s = a[y]["n_alliances"]
        assert s["low"] < s["slope"] < s["high"] < 0 and s["n"] == a["n"]
    # the age regression uses the allied firms only
    assert a["depth"]["mean_alliance_age"]["n"] == int(
        (firms["alive_shock_end"] & (firms["n_alliances"] > 0)).sum())


def test_slopes_without_an_effect_do_not_pass_and_degenerate_data_give_nan():
    rng = np.random.default_rng(1)
    firms = _firm_table(rng)
    firms["depth"] = rng.normal(0.2, 0.05, len(firms))  # unrelated to alliances
    firms["months_to_recover"] = 5.0 + 2.0 * firms["n_alliances"]  # rises with them
    a = alliance_recovery(firms)
    assert not a["passed"]["months_to_recover~n_alliances"]
    assert a["months_to_recover"]["n_alliances"]["slope"] == pytest.approx(2.0)
    flat = firms.assign(n_alliances=1)
    assert np.isnan(ols_slopes(flat, "depth", ["n_alliances"])["n_alliances"]["slope"])


def test_survival_gap_on_known_shares():
    firms = _firm_table(np.random.default_rng(2), n=4000)
    b = alliance_survival(firms)
    assert b["share_allied"] == pytest.approx(0.9, abs=0.03)
    assert b["share_not_allied"] == pytest.approx(0.5, abs=0.05)
    d = b["difference"]
    assert d["low"] < d["mean"] < d["high"] and d["low"] > 0 and b["passed"]
    assert len(b["per_run"]) == 2
    assert b["with_controls"]["slope"] == pytest.approx(d["mean"], abs=0.05)
    # no difference: the interval covers 0 and the check does not pass
    same = firms.assign(alive_shock_end=np.random.default_rng(3).random(len(firms)) < 0.8)
    assert not alliance_survival(same)["passed"]


def _sector_revenue(before: float, after: float, start: int = 13) -> pd.DataFrame:
    months = pd.Index(range(-5, 41), name="month")
    values = np.where(np.asarray(months) < start, before, after)
    return pd.DataFrame({s: values * (i + 1) for i, s in enumerate(SECTORS)}, index=months)


def test_shock_year_growth_and_the_paired_difference():
    g = shock_year_growth(_sector_revenue(100.0, 80.0), 13)
    assert g["total"] == pytest.approx(-20.0) and g["services"] == pytest.approx(-20.0)
    assert all(np.isnan(v) for v in shock_year_growth(_sector_revenue(1, 1), 35).values())
    empty = pd.DataFrame()
    recs = [Run("recession", s, empty, _sector_revenue(100.0, 80.0 + s), None, (13, 30))
            for s in (1, 2, 3)]
    bases = [Run("baseline", s, empty, _sector_revenue(100.0, 110.0 - s), None, None)
             for s in (1, 2, 3)]
    d = recession_growth(recs, bases)
    assert d["total"]["difference"]["mean"] == pytest.approx(-26.0)  # (-18) - (+8) on average
    assert d["total"]["difference"]["high"] < 0 and d["passed"]
    assert d["total"]["recession"] == pytest.approx([-19.0, -18.0, -17.0])


def test_shock_window():
    shocks = [Shock("demand", start=5, duration=2, recovery=2),
              Shock("credit", start=7, duration=1, recovery=0)]
    assert shock_window(shocks, 40) == (5, 8)
    assert shock_window(shocks, 6) == (5, 6)
    assert shock_window(shocks, 4) is None


# --------------------------------------------------------------------- end to end
def test_track_firms_follows_the_firms_alive_at_the_shock_start():
    run = track_firms("recession", 3, {"n_firms": 300, **SMALL})
    p = run.panel
    assert run.window == (14, 37) and (p.start, p.last, p.end) == (14, 37, 40)
    assert p.relative.dtype == np.float32 and p.relative.shape == (27, len(p.firms))
    frame = run.frame.set_index("month")
    assert len(p.firms) <= frame.loc[13, "firms_alive"]
    assert p.firms["uid"].is_unique and p.firms["row"].is_unique
    assert p.firms["hit"].all()  # the recession hits every firm
    held = p.firms["n_alliances"] > 0
    assert p.firms.loc[held, "mean_alliance_age"].ge(0).all()
    assert p.firms.loc[~held, "mean_alliance_age"].isna().all()
    assert (p.firms.loc[held, "max_alliance_age"] >= p.firms.loc[held, "mean_alliance_age"]).all()
    # once NaN (exited), always NaN: a row reused by an entrant is not counted
    gone = np.isnan(p.relative)
    assert not (gone[:-1] & ~gone[1:]).any()
    table = panel_table(run)
    assert int(table["alive_end"].sum()) <= frame.loc[40, "firms_alive"]
    # each month's sector totals add up to the run's total revenue
    total = run.sector_revenue.sum(axis=1)
    assert np.allclose(total.to_numpy(), frame.loc[total.index, "total_revenue"].to_numpy())


@pytest.fixture(scope="module")
def small_checks():
    return run_checks([1, 2], n_firms=400, params=SMALL, survey_params=SURVEY_SMALL)


def _finite(x) -> bool:
    return isinstance(x, int | float) and np.isfinite(x)


def test_every_check_gives_finite_figures(small_checks):
    res, firms = small_checks.results, small_checks.firms
    assert set(CHECKS) <= set(res) and res["window"] == [14, 37]
    assert res["run"]["seeds"] == [1, 2] and firms["run"].nunique() == 2
    a = res["a"]
    for y in ("depth", "months_to_recover"):
        for x in ("n_alliances", "mean_alliance_age"):
            for fit in (a[y][x], a[y]["joint"][x]):
                assert all(_finite(fit[k]) for k in ("slope", "low", "high", "p")), (y, x)
                assert fit["low"] <= fit["slope"] <= fit["high"] and fit["n"] > 100
    assert 0 <= a["months_to_recover"]["censored_share"] <= 1
    assert set(a["passed"]) == {f"{y}~{x}" for y in ("depth", "months_to_recover")
                                for x in ("n_alliances", "mean_alliance_age")}
    b = res["b"]
    assert 0 <= b["share_allied"] <= 1 and 0 <= b["share_not_allied"] <= 1
    assert all(_finite(b[k]["low"]) and _finite(b[k]["high"])
               for k in ("difference", "over_runs", "with_controls"))
    for o in ("bankruptcies", "output_lost"):
        c = res["c"][o]
        assert len(c["recession"]) == len(c["guarantee"]) == 2
        assert all(_finite(c["difference"][k]) for k in ("mean", "low", "high"))
    for key in ("total", *SECTORS):
        d = res["d"][key]
        assert len(d["recession"]) == len(d["baseline"]) == 2
        assert all(_finite(d["difference"][k]) for k in ("mean", "low", "high")), key
    e = res["e"]
    assert set(e["variants"]) == {"as_is", "no_demand_growth", "no_alliances"}
    for v in e["variants"].values():
        assert all(_finite(v[k]["mean"]) for k in ("firm_mean", "aggregate"))
    for part in e["parts"].values():
        assert all(_finite(part[k]["low"]) for k in ("firm_mean", "aggregate"))
    assert e["alliances_switched_off"]  # max_alliances = 0 keeps firms from teaming up
    assert e["variants"]["as_is"]["alliances_formed"][0] > 0
    for col in ("depth", "n_alliances", "trend"):
        assert np.isfinite(firms.loc[firms["alive_shock_end"], col]).all(), col
    section = markdown_section(res)
    assert section.startswith("## Mechanism checks")
    assert all(f"### ({c})" in section for c in CHECKS)


# --------------------------------------------------------------------- command line
def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args,needle", [
    (["--firms", "0"], "--firms"),
    (["--reps", "0"], "--reps"),
    (["--seeds", "1,x"], "--seeds"),
    (["--seeds", "1,2", "--reps", "3"], "--seeds"),
    (["--checks", "a,z"], "--checks"),
    (["--set", "months=10"], "months"),
    (["--set", "n_firms=50"], "--firms"),
    (["--set", "nonsense=1"], "nonsense"),
    (["--survey-firms", "0"], "--survey-firms"),
])
def test_mechanisms_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    out = tmp_path / "m"
    r = _cli("mechanisms", "--quiet", "--out", out, *args)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not out.exists()  # refused before anything is written


def test_mechanisms_command_writes_its_files(tmp_path):
    out = tmp_path / "m"
    r = _cli("mechanisms", "--firms", "200", "--seeds", "1,2", "--checks", "a,b,d", "--quiet",
             "--out", out, *[f"--set={k}={v}" for k, v in SMALL.items()])
    assert r.returncode == 0, r.stderr
    assert "(a) depth" in r.stdout and "(d) shock-year growth" in r.stdout
    res = json.loads((out / "mechanisms.json").read_text())
    assert set(res) == {"a", "b", "d", "window", "run"} and res["run"]["seeds"] == [1, 2]
    assert "# Mechanism checks" in (out / "mechanisms.md").read_text()
    firms = pd.read_csv(out / "firms.csv")
    assert {"run", "uid", "n_alliances", "depth", "months_to_recover"} <= set(firms.columns)


def test_validate_appends_the_mechanism_section(tmp_path):
    out = tmp_path / "v"
    r = _cli("validate", "--reps", "2", "--mechanisms", "--mechanism-firms", "150", "--quiet",
             "--out", out, "--set", "n_firms=600", "--set", "burn_in=6")
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "validation.json").read_text())
    assert set(CHECKS) <= set(res["mechanisms"])
    assert res["mechanisms"]["run"]["seeds"] == [42, 43]
    assert res["mechanisms"]["run"]["n_firms"] == 150
    assert res["mechanisms"]["run"]["survey_params"]["n_firms"] == 600
    report = (out / "validation.md").read_text()
    assert "## Mechanism checks" in report and "### (e)" in report
    bad = _cli("validate", "--mechanism-firms", "200", "--quiet", "--out", tmp_path / "w")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--mechanism-firms" in bad.stderr


def test_checks_without_any_alliance_give_no_figure_rather_than_fail():
    # collaboration switched off, the shock from the first month without a burn-in
    res = run_checks([1], n_firms=150, params={"burn_in": 0, "months": 30, "shock_start": 1,
                                               "max_alliances": 0}, checks=["a", "b"]).results
    assert res["window"][0] == 1 and res["b"]["n_allied"] == 0
    assert 0 <= res["b"]["share_not_allied"] <= 1
    assert np.isnan(res["a"]["depth"]["n_alliances"]["slope"])
    section = markdown_section(res)
    assert "n/a" in section and "FAIL" not in section


def test_validate_runs_the_checks_by_default_from_five_replications():
    from analysis.validation import mechanism_settings
    from simulation.errors import UserError

    assert mechanism_settings(42, 4, {}, None, None) is None
    on = mechanism_settings(42, 5, {"n_firms": 2000, "burn_in": 12}, None, None)
    assert on["seeds"] == [42, 43, 44, 45, 46] and on["n_firms"] == 1000
    assert on["params"] == {"burn_in": 12, "n_firms": 1000}
    assert on["survey_params"] == {"n_firms": 2000, "burn_in": 12}
    assert mechanism_settings(42, 5, {}, False, None) is None
    assert mechanism_settings(42, 1, {}, True, 300)["n_firms"] == 300
    with pytest.raises(UserError, match="--mechanism-firms"):
        mechanism_settings(42, 1, {}, None, 300)


def test_the_model_carries_the_evidence(small_checks):
    """The directions issue 21 asks of the mechanisms, on the small checks' two pinned runs:
    hit firms with more (and older) alliances lose less and recover sooner, allied firms
    survive the shock more often, the guarantee saves firms, the recession's year shrinks
    revenue, and alliances add to the survey firms' growth."""
    res = small_checks.results
    a = res["a"]
    assert a["depth"]["n_alliances"]["high"] < 0
    assert a["months_to_recover"]["n_alliances"]["high"] < 0
    assert a["depth"]["mean_alliance_age"]["slope"] < 0
    assert a["months_to_recover"]["mean_alliance_age"]["slope"] < 0
    assert all(d > 0 for d in res["b"]["per_run"])  # in each run (n too small for the CI)
    c = res["c"]["bankruptcies"]
    assert sum(c["guarantee"]) < sum(c["recession"])
    d = res["d"]["total"]
    assert all(r < b for r, b in zip(d["recession"], d["baseline"]))
    growth = {k: v["firm_mean"]["mean"] for k, v in res["e"]["variants"].items()}
    assert growth["no_alliances"] < growth["as_is"] and growth["no_demand_growth"] > 0
