"""Experiments: statistics with known answers, resilience metrics, designs, specs, bad input,
and the compare / sweep / sensitivity commands end to end on tiny models.

The engine's guarantees (identical files on every executor, kill and resume, refusing a
changed spec) are in test_experiments_engine.py.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import run as cli
from analysis import store
from analysis.compare import (
    comparison_table,
    cost_comparators,
    cost_table,
    mean_ci,
    paired_ci,
    unpaired_ci,
)
from analysis.outcomes import OUTCOMES
from analysis.resilience import NO_SHOCK, system_resilience
from analysis.runner import Experiment, replication_seed, run
from analysis.sampling import check_samples, design_points, make_factor, point_count
from analysis.spec import load_spec
from analysis.sweep import grouped_ci
from simulation.errors import UserError
from simulation.params import PARAMS
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TINY = {"n_firms": 60, "months": 8, "burn_in": 0}
TINY_ARGS = ["--firms", "60", "--months", "8", "--set", "burn_in=0", "--workers", "1",
             "--quiet"]

SHOCK_TOML = """\
description = "A deep, short demand shock early in the horizon (for tests)."
extends = "baseline"

[[shocks]]
kind = "demand"
start = 3
duration = 2
depth = 0.4
recovery = 2
"""


@pytest.fixture
def shock_toml(tmp_path) -> Path:
    path = tmp_path / "early_shock.toml"
    path.write_text(SHOCK_TOML)
    return path


def cli_error(capsys, *args, needles=()) -> str:
    """Run the CLI in this process; assert exit 2 and one stderr line holding every needle."""
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def folder_bytes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- statistics


def test_paired_ci_known_answer():
    a = [1.0, 2.0, 3.0, 4.0, 5.0]
    b = [0.5, 1.0, 2.5, 3.0, 4.0]
    # by hand: d = (0.5, 1, 0.5, 1, 1), mean 0.8, sd = sqrt(0.3 / 4) = 0.2738613,
    # t(0.975, 4) = 2.7764451, half-width = 2.7764451 * 0.2738613 / sqrt(5) = 0.3400437
    ci = paired_ci(a, b)
    assert ci.n == 5
    assert ci.mean == pytest.approx(0.8)
    assert ci.sd == pytest.approx(math.sqrt(0.075))
    assert ci.low == pytest.approx(0.8 - 0.3400437, abs=1e-6)
    assert ci.high == pytest.approx(0.8 + 0.3400437, abs=1e-6)
    ref = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (ci.low, ci.high) == pytest.approx((ref.low, ref.high))


def test_unpaired_ci_is_welch_and_wider_on_correlated_data():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b = a - np.array([0.5, 1.0, 0.5, 1.0, 1.0])
    u = unpaired_ci(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (u.low, u.high) == pytest.approx((ref.low, ref.high))
    assert u.mean == pytest.approx(0.8)
    assert paired_ci(a, b).width < u.width / 4  # pairing removes the shared variation


def test_mean_ci_edge_cases():
    one = mean_ci([3.0])
    assert one.mean == 3.0 and math.isnan(one.low) and one.n == 1
    assert mean_ci([np.nan, 1.0, 3.0]).n == 2  # NaN dropped
    assert mean_ci([]).n == 0
    same = mean_ci([2.0, 2.0, 2.0])
    assert same.low == same.high == 2.0


def test_grouped_ci_equals_mean_ci():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": np.repeat(["a", "b", "c"], [4, 7, 1]),
                          "y": rng.normal(size=12)})
    mean, low, high = grouped_ci(frame, ["g"], "y")
    for g in ("a", "b"):
        ci = mean_ci(frame.loc[frame["g"] == g, "y"])
        assert (mean[g], low[g], high[g]) == pytest.approx((ci.mean, ci.low, ci.high))
    assert math.isnan(low["c"])


def test_comparison_table_pairs_by_replication():
    # replications listed in a different order per scenario: pairing must follow them
    summary = pd.DataFrame({
        "scenario": ["ref"] * 3 + ["alt"] * 3,
        "point": 0,
        "replication": [0, 1, 2, 2, 0, 1],
        **{o: 0.0 for o in OUTCOMES},
    })
    summary.loc[summary["scenario"] == "ref", "innovations"] = [10.0, 20.0, 30.0]
    summary.loc[summary["scenario"] == "alt", "innovations"] = [33.0, 11.0, 22.0]
    table = comparison_table(summary, ["ref", "alt"], "ref", ["innovations"])
    alt = table[table["scenario"] == "alt"].iloc[0]
    ci = paired_ci([11.0, 22.0, 33.0], [10.0, 20.0, 30.0])
    assert alt["diff"] == pytest.approx(2.0)
    assert (alt["diff_ci_low"], alt["diff_ci_high"]) == pytest.approx((ci.low, ci.high))
    assert math.isnan(table[table["scenario"] == "ref"].iloc[0]["diff"])


def test_cost_per_unit_gained():
    rows = []
    for rep in range(3):
        rows.append({"scenario": "shock", "point": 0, "replication": rep, "policy_spend": 0.0,
                     "firms_alive_end": 100.0, "innovations": 50.0, "output_lost": 10.0,
                     "survival_rate": 90.0})
        rows.append({"scenario": "shock_policy", "point": 0, "replication": rep,
                     "policy_spend": 300.0 + rep, "firms_alive_end": 103.0 + rep,
                     "innovations": 50.0, "output_lost": 8.0, "survival_rate": 90.0 - rep})
    costs = cost_table(pd.DataFrame(rows), {"shock_policy": "shock"}).set_index("outcome")
    assert costs.loc["firms_alive_end", "cost"] == pytest.approx(301.0 / 4.0)
    assert costs.loc["output_lost", "cost"] == pytest.approx(301.0 / 2.0)  # 2 points avoided
    assert math.isnan(costs.loc["innovations", "cost"])  # no gain
    assert math.isnan(costs.loc["survival_rate", "cost"])  # a loss
    base, rec = load_scenario("baseline"), load_scenario("recession")
    policy = load_scenario("recession_with_credit_guarantee")
    assert cost_comparators([base, rec, policy], "baseline") == {
        "recession": "baseline", "recession_with_credit_guarantee": "recession"}
    assert cost_comparators([base, policy], "baseline") == {
        "recession_with_credit_guarantee": "baseline"}


# --------------------------------------------------------------------------- resilience


def _frame(revenue, alive, intensity):
    months = np.arange(1, len(revenue) + 1)
    return pd.DataFrame({"month": months, "total_revenue": revenue, "firms_alive": alive,
                         "shock_intensity": intensity})


def test_resilience_known_answer():
    n = 10
    cf = _frame([100.0] * n, [100] * n, [0.0] * n)
    actual = _frame([100, 100, 70, 80, 90, 94, 96, 97, 100, 100],
                    [100, 100, 99, 95, 90, 92, 95, 97, 99, 100],
                    [0, 0, 1, 1, 0.5, 0, 0, 0, 0, 0])
    r = system_resilience(actual, cf)
    # shock months 3..5; gaps from month 3: 30 + 20 + 10 + 6 + 4 + 3 = 73 of 8 x 100
    assert r["output_lost"] == pytest.approx(100 * 73 / 800)
    assert r["max_drop"] == pytest.approx(30.0)
    assert r["recovery_months"] == 4  # back above 95 in month 7, shock began in month 3
    assert r["recovered"] == 1.0
    assert r["survival_rate"] == pytest.approx(90.0)  # month 5: 90 of 100


def test_resilience_not_recovered_and_no_shock():
    cf = _frame([100.0] * 6, [50] * 6, [0.0] * 6)
    actual = _frame([100, 80, 80, 80, 80, 80], [50] * 6, [0, 1, 1, 0, 0, 0])
    r = system_resilience(actual, cf)
    assert r["recovered"] == 0.0
    assert r["recovery_months"] == 6 - 2 + 1
    assert system_resilience(cf, None) == NO_SHOCK
    assert system_resilience(cf, cf) == NO_SHOCK


# --------------------------------------------------------------------------- seeds and designs


def test_replication_seeds_are_spawned_children():
    children = np.random.SeedSequence(42).spawn(3)
    for i, child in enumerate(children):
        expected = int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
        assert replication_seed(42, i) == expected
    assert len({replication_seed(42, i) for i in range(100)}) == 100


def test_grid_design_is_the_full_factorial():
    f1 = make_factor("trust_build_rate", "grid", values=[0.05, 0.1, 0.2])
    f2 = make_factor("country", "grid", values=["kenya", "uk"])
    points, x = design_points("grid", [f1, f2])
    assert x is None and len(points) == 6
    assert point_count("grid", [f1, f2]) == 6  # the count the engine refuses huge plans by
    assert points[0] == {"trust_build_rate": 0.05, "country": "kenya"}
    assert points[-1] == {"trust_build_rate": 0.2, "country": "uk"}


@pytest.mark.parametrize("design, samples, expected", [
    ("lhs", 10, 10), ("sobol", 16, 16 * (2 + 2)), ("morris", 4, 4 * (2 + 1))])
def test_sampled_designs_respect_bounds_and_integers(design, samples, expected):
    factors = [make_factor("search_prob", design, bounds=[0.02, 0.1]),
               make_factor("max_alliances", design)]  # the registry's bounds, an integer
    points, x = design_points(design, factors, check_samples(design, samples, 2), seed=7)
    assert len(points) == expected and x.shape == (expected, 2)
    assert point_count(design, factors, samples) == expected  # counted without drawing
    for p in points:
        assert 0.02 <= p["search_prob"] <= 0.1
        assert isinstance(p["max_alliances"], int)
        assert PARAMS["max_alliances"].low <= p["max_alliances"] <= PARAMS["max_alliances"].high
    assert design_points(design, factors, samples, seed=7)[0] == points  # reproducible
    if design == "sobol":
        assert len(design_points(design, factors, samples, 7, second_order=True)[0]) == 16 * 6
        assert point_count(design, factors, samples, second_order=True) == 16 * 6


@pytest.mark.parametrize("kwargs, needles", [
    (dict(name="serch_prob", design="lhs"), ["unknown parameter", "'search_prob'"]),
    (dict(name="search_prob", design="sobol", bounds=[0.0, 1.5]), ["outside the registry",
                                                                   "0.0 to 1.0"]),
    (dict(name="search_prob", design="lhs", bounds=[0.3, 0.1]), ["low must be below high"]),
    (dict(name="country", design="lhs"), ["only be varied in a grid"]),
    (dict(name="search_prob", design="grid"), ["grid design needs the values"]),
    (dict(name="search_prob", design="morris", values=[0.1]), ["samples between bounds"]),
    (dict(name="search_prob", design="grid", values=[0.1, 2.0]), ["out of range"]),
])
def test_bad_factors(kwargs, needles):
    with pytest.raises(UserError) as e:
        make_factor(**kwargs)
    for needle in needles:
        assert needle in str(e.value)


@pytest.mark.parametrize("design, samples, needle", [
    ("sobol", 8, "too few"), ("sobol", 24, "not a power of two"), ("sobol", None, "missing"),
    ("morris", 2, "too few"), ("lhs", 1, "too few"), ("grid", 8, "drop samples"),
    ("factorial", None, "valid: grid, lhs, sobol, morris")])
def test_bad_sample_counts(design, samples, needle):
    with pytest.raises(UserError, match=needle):
        check_samples(design, samples, 2)


# --------------------------------------------------------------------------- experiments


def test_jobs_pair_seeds_and_share_identical_runs(shock_toml):
    scenarios = [load_scenario("baseline"), load_scenario(shock_toml)]
    exp = Experiment("compare", scenarios, fixed=TINY, replications=3)
    jobs, tasks = exp.plan()
    assert len(jobs) == 6
    by = jobs.set_index(["scenario", "replication"])["seed"]
    for rep in range(3):  # common random numbers
        assert by["baseline", rep] == by["early_shock", rep] == replication_seed(42, rep)
    shocked = jobs[jobs["scenario"] == "early_shock"]
    base = jobs[jobs["scenario"] == "baseline"]
    # the no-shock twin of the shocked scenario is the baseline run: it runs once
    assert list(shocked["counterfactual"]) == list(base["key"])
    assert (base["counterfactual"] == "").all()
    assert len(tasks) == 6
    indep = Experiment("compare", scenarios, fixed=TINY, replications=3,
                       common_random_numbers=False).plan()[0]
    assert set(indep["seed"]).isdisjoint(set(jobs["seed"]))


def test_common_random_numbers_narrow_the_paired_interval(tmp_path, shock_toml):
    scenarios = [load_scenario("baseline"), load_scenario(shock_toml)]
    widths = {}
    # one draw of 8 tiny replications; the firms alive at the end pair closely under common
    # random numbers (same entrants and closures in both scenarios but for the shock's)
    for crn in (True, False):
        exp = Experiment("compare", scenarios, fixed={**TINY, "n_firms": 80}, replications=8,
                         common_random_numbers=crn)
        summary = run(exp, tmp_path / f"crn-{crn}", workers=1, quiet=True).summary
        a = summary.loc[summary["scenario"] == "early_shock", "firms_alive_end"]
        b = summary.loc[summary["scenario"] == "baseline", "firms_alive_end"]
        widths[crn] = paired_ci(a.to_numpy(), b.to_numpy()).width
        if crn:
            widths["unpaired"] = unpaired_ci(a, b).width
    assert widths[True] < widths[False] / 2, widths
    assert widths[True] < widths["unpaired"] / 2, widths


def test_load_gives_tidy_frames(tmp_path, shock_toml):
    exp = Experiment("compare", [load_scenario("baseline"), load_scenario(shock_toml)],
                     fixed=TINY, replications=2)
    run(exp, tmp_path / "r", workers=1, quiet=True)
    tidy = store.load(tmp_path / "r")
    assert len(tidy) == 4 * TINY["months"]  # one row per job and month
    assert {"job", "scenario", "replication", "seed", "month", "total_revenue"} <= set(tidy)
    assert not tidy.duplicated(["job", "month"]).any()
    assert sorted(tidy["month"].unique()) == list(range(1, TINY["months"] + 1))
    few = store.load(tmp_path / "r", columns=["firms_alive"], scenarios=["early_shock"])
    assert set(few["scenario"]) == {"early_shock"} and "total_revenue" not in few
    twins = store.load(tmp_path / "r", columns=["total_revenue"], counterfactual=True)
    base = tidy[tidy["scenario"] == "baseline"]["total_revenue"].to_numpy()
    assert np.array_equal(twins["total_revenue"].to_numpy(), base)  # the twin is baseline
    summary = store.load_summary(tmp_path / "r")
    assert len(summary) == 4 and set(OUTCOMES) <= set(summary)
    shocked = summary[summary["scenario"] == "early_shock"]
    assert (shocked["output_lost"] > 0).all() and (shocked["max_drop"] > 0).all()
    with pytest.raises(UserError, match="no experiment results"):
        store.load(tmp_path)


def test_submission_window_bounds_tasks_in_flight(tmp_path, shock_toml):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from analysis.runner import Engine, execute

    class Counting(ThreadPoolExecutor):
        def __init__(self):
            super().__init__(max_workers=2)
            self.lock, self.now, self.most = threading.Lock(), 0, 0

        def submit(self, fn, /, *args, **kwargs):
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            future = super().submit(fn, *args, **kwargs)
            future.add_done_callback(self._done)
            return future

        def _done(self, _):
            with self.lock:
                self.now -= 1

    exp = Experiment("compare", [load_scenario("baseline"), load_scenario(shock_toml)],
                     fixed={**TINY, "months": 3}, replications=6)
    tasks = exp.plan()[1]
    (tmp_path / "jobs").mkdir()
    with Counting() as pool:
        assert execute(Engine(pool, 2, "threads"), tasks, tmp_path, len(tasks), True) == 12
    assert pool.most <= 4  # 2 x workers, however many tasks
    assert len(list((tmp_path / "jobs").glob("*.parquet"))) == 12


# --------------------------------------------------------------------------- commands


def test_compare_command(tmp_path, capsys, shock_toml):
    out = tmp_path / "cmp"
    code = cli.main(["compare", "baseline", str(shock_toml), "recession_with_credit_guarantee",
                     "--reps", "3", "--out", str(out), *TINY_ARGS])
    text = capsys.readouterr().out
    assert code == 0
    for needle in ("baseline", "early_shock", "recession_with_credit_guarantee",
                   "Output lost to the shock", "diff vs baseline ± 95 % CI",
                   "Cost per point of output loss avoided", "3 replications"):
        assert needle in text
    for name in ("comparison.md", "comparison.csv", "costs.csv", "summary.parquet",
                 "summary.csv", "jobs.parquet", "manifest.json", "fan_revenue.png",
                 "fan_firms.png", "bars_means.png", "bars_differences.png"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    summary = store.load_summary(out)
    row = table[(table["scenario"] == "early_shock") & (table["outcome"] == "output_lost")]
    a = summary[summary["scenario"] == "early_shock"].sort_values("replication")
    b = summary[summary["scenario"] == "baseline"].sort_values("replication")
    d = a["output_lost"].to_numpy() - b["output_lost"].to_numpy()
    assert row["diff"].iloc[0] == pytest.approx(d.mean())
    assert row["diff_ci_high"].iloc[0] - row["diff"].iloc[0] == pytest.approx(
        stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3))
    md = (out / "comparison.md").read_text()
    assert "| Outcome |" in md and "early_shock" in md
    manifest = store.read_manifest(out)
    assert manifest["base_seed"] == 42 and len(manifest["spec_hash"]) == 64
    assert manifest["versions"]["SALib"] != "not installed" and "git_revision" in manifest


def test_sweep_command_and_example_specs(tmp_path, capsys, shock_toml):
    spec = tmp_path / "grid.toml"
    spec.write_text(f"""\
description = "Does faster trust building soften an early shock?"
scenarios = ["baseline", "{shock_toml.name}"]
design = "grid"
replications = 2
months = 8
firms = 60
outcomes = ["output_lost", "alliances_formed"]
[params]
burn_in = 0
[vary]
trust_build_rate = [0.05, 0.3]
""")
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "sw"), "--workers", "1",
                     "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "trust_build_rate" in text and "Best scenario and point" in text
    points = pd.read_csv(tmp_path / "sw" / "points.csv")
    assert len(points) == 4 and (points["runs"] == 2).all()
    assert {"output_lost_diff", "output_lost_diff_ci_low"} <= set(points)
    # the shipped examples are valid specs
    examples = sorted((ROOT / "experiments").glob("*.toml"))
    assert len(examples) >= 2
    designs = {load_spec(p).design for p in examples}
    assert "grid" in designs and designs & {"lhs", "sobol", "morris"}


def test_sensitivity_command(tmp_path, capsys, shock_toml):
    out = tmp_path / "sens"
    code = cli.main(["sensitivity", "--method", "morris", "--params",
                     "search_prob=0.01:0.3,max_alliances", "--outcome", "alliances_formed",
                     "--n", "4", "--scenario", str(shock_toml), "--out", str(out),
                     *TINY_ARGS])
    text = capsys.readouterr().out
    assert code == 0
    assert "mu* [95 % CI]" in text and "search_prob" in text and "max_alliances" in text
    indices = pd.read_csv(out / "sensitivity_alliances_formed.csv")
    assert list(indices["parameter"]) == ["search_prob", "max_alliances"]
    assert indices.loc[0, "mu_star"] > 0  # searching more forms more alliances
    assert (out / "sensitivity_alliances_formed.png").is_file()
    assert len(store.load_jobs(out)) == 4 * 3


# --------------------------------------------------------------------------- bad input

GOOD_SPEC = """\
description = "valid"
scenarios = ["baseline"]
replications = 2
months = 4
firms = 40
[vary]
trust_build_rate = [0.1, 0.2]
"""


def _sobol(samples: int) -> str:
    return GOOD_SPEC.replace('description = "valid"',
                             f'description = "valid"\ndesign = "sobol"\nsamples = {samples}'
                             ).replace("[0.1, 0.2]", "{bounds = [0.1, 0.2]}")


@pytest.mark.parametrize("text, needles, line", [
    (GOOD_SPEC.replace("trust_build_rate", "trust_bild_rate"),
     ["vary.trust_bild_rate", "unknown parameter", "did you mean 'trust_build_rate'"], 7),
    (GOOD_SPEC.replace("replications = 2", "replications = 0"),
     ["replications: 0", "at least 1"], 3),
    (GOOD_SPEC.replace("trust_build_rate = [0.1, 0.2]", "search_prob = [0.0, 1.5]"),
     ["vary.search_prob", "1.5", "out of range"], 7),
    (_sobol(16).replace("[0.1, 0.2]", "[0.1, 1.2]"),
     ["vary.trust_build_rate", "outside the registry's (0.0 to 1.0"], 9),
    (_sobol(8), ["samples: 8 is too few", "power of two", "try 16"], 3),
    (_sobol(48), ["samples: 48 is not a power of two", "try 64"], 3),
    (_sobol(16).replace("trust_build_rate", "country"), ["only be varied in a grid"], 9),
    (_sobol(16).replace("{bounds = [0.1, 0.2]}", "[0.1, 0.2]"),
     ["samples between bounds"], 9),
    (GOOD_SPEC.replace("[vary]", 'outcomes = ["output_lots"]\n[vary]'),
     ["output_lots", "did you mean 'output_lost'", "valid: revenue_growth"], 6),
    (GOOD_SPEC.replace('["baseline"]', '["baseline", "recesion"]'),
     ["did you mean 'recession'"], 2),
    (GOOD_SPEC.replace("replications", "replicatons"),
     ["replicatons", "did you mean 'replications'"], 3),
    (GOOD_SPEC.replace("months = 4", "months = [4"), ["malformed TOML"], None),
    (GOOD_SPEC.replace("[vary]", "[params]\nshare_micro = 0.7\n[vary]").replace(
        "trust_build_rate = [0.1, 0.2]", "share_small = [0.2, 0.4]"),
     ["share_micro + share_small", "exceeds 1"], None),
])
def test_bad_specs_are_refused_in_one_line(tmp_path, capsys, text, needles, line):
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    msg = cli_error(capsys, "sweep", spec, "--out", tmp_path / "out", "--quiet",
                    needles=[str(spec), *needles])
    if line is not None:
        assert f"{spec}:{line}:" in msg
    assert not (tmp_path / "out").exists()


def test_bad_spec_leaves_an_existing_results_folder_alone(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(GOOD_SPEC)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    (out / "notes.txt").write_text("mine")
    before = folder_bytes(out)
    spec.write_text(GOOD_SPEC.replace("replications = 2", "replications = 0"))
    for flag in ("--force", "--resume"):
        cli_error(capsys, "sweep", spec, "--out", out, flag, "--quiet",
                  needles=["replications"])
    assert folder_bytes(out) == before


@pytest.mark.parametrize("args, needles", [
    (["--method", "sobol", "--params", "search_prob", "--outcome", "alliances_formed",
      "--n", "10"], ["--n: 10 is too few", "try 16"]),
    (["--method", "morris", "--params", "search_prob", "--outcome", "nosuch"],
     ["--outcome", "'nosuch'", "valid:", "output_lost", "survival_rate"]),
    (["--method", "morris", "--params", "serch_prob", "--outcome", "innovations"],
     ["serch_prob", "did you mean 'search_prob'"]),
    (["--method", "morris", "--params", "search_prob=0.1:9", "--outcome", "innovations"],
     ["search_prob", "outside the registry"]),
    (["--method", "morris", "--params", "search_prob=low", "--outcome", "innovations"],
     ["name=LOW:HIGH"]),
    (["--method", "morris", "--params", "country", "--outcome", "innovations"],
     ["only be varied in a grid"]),
    (["--method", "morris", "--params", "search_prob", "--outcome", "output_lost"],
     ["baseline has no shock", "--scenario"]),
    (["--method", "morris", "--params", "search_prob", "--outcome", "innovations",
      "--reps", "0"], ["replications", "at least 1"]),
    (["--method", "fast", "--params", "search_prob", "--outcome", "innovations"],
     ["--method", "sobol", "morris"]),
])
def test_bad_sensitivity_input(tmp_path, capsys, args, needles):
    cli_error(capsys, "sensitivity", *args, "--out", tmp_path / "out", "--quiet",
              needles=needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, needles", [
    (["baseline"], ["at least two scenarios"]),
    (["baseline", "recesion"], ["did you mean 'recession'"]),
    (["baseline", "baseline"], ["named twice"]),
    (["baseline", "recession", "--reps", "0"], ["replications", "at least 1"]),
    (["baseline", "recession", "--set", "serch_prob=0.1"], ["did you mean 'search_prob'"]),
    (["baseline", "recession", "--workers", "0"], ["--workers 0"]),
    (["baseline", "recession", "--seed", "-1"], ["--seed -1", "2^63"]),
    (["baseline", "recession", "--dask-local", "2", "--workers", "2"], ["--workers"]),
    (["baseline", "recession", "--resume", "--force"], ["choose one"]),
])
def test_bad_compare_input(tmp_path, capsys, args, needles):
    cli_error(capsys, "compare", *args, "--firms", "30", "--months", "2", "--out",
              tmp_path / "out", "--quiet", needles=needles)
    assert not (tmp_path / "out").exists()


def test_runs_of_other_model_code_are_not_reused(tmp_path, monkeypatch, shock_toml):
    from analysis import runner

    exp = Experiment("compare", [load_scenario("baseline"), load_scenario(shock_toml)],
                     fixed=TINY, replications=2)
    keys = set(exp.plan()[0]["key"])
    monkeypatch.setattr(runner, "model_version", lambda: "another-model")
    assert keys.isdisjoint(set(exp.plan()[0]["key"]))  # finished files would not match


def test_a_worker_with_other_model_code_is_refused(tmp_path, monkeypatch, shock_toml):
    from analysis import runner

    real = runner.run_task
    monkeypatch.setattr(runner, "run_task", lambda task: (*real(task)[:3], "0123456789abcdef"))
    exp = Experiment("compare", [load_scenario("baseline")], fixed=TINY, replications=1)
    with pytest.raises(UserError, match="another version of the model"):
        run(exp, tmp_path / "r", workers=1, quiet=True)
