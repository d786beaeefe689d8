"""`run.py sweep SPEC` with command-line values over the spec, its warnings about points
that cannot differ, and progress counts that agree with the bar."""

from __future__ import annotations

import re

import pandas as pd

import run as cli
from analysis import store
from tests.test_experiments import cli_error

SPEC = """\
description = "policy budgets under the recession (big; the tests shrink it)"
scenarios = ["recession", "recession_with_credit_guarantee"]
design = "grid"
replications = 10
months = 60
firms = 1000
outcomes = ["output_lost", "policy_spend", "bankruptcies"]
[vary]
policy_scale = [0.5, 1.0, 2.0]
"""
SMALL = ["--reps", "2", "--firms", "60", "--months", "8", "--seed", "7", "--set", "burn_in=0",
         "--set", "shock_start=2", "--workers", "1", "--quiet"]


def test_command_line_values_replace_the_specs_and_are_recorded(tmp_path, capsys):
    spec = tmp_path / "budgets.toml"
    spec.write_text(SPEC)
    out = tmp_path / "sw"
    assert cli.main(["sweep", str(spec), "--out", str(out), *SMALL]) == 0
    captured = capsys.readouterr()
    summary = store.load_summary(out)
    assert len(summary) == 2 * 3 * 2  # --reps 2, not the spec's 10
    frame = store.load(out, columns=["firms_alive"])
    assert frame["month"].max() == 8 and frame["month"].min() == 1
    manifest = store.read_manifest(out)
    assert manifest["base_seed"] == 7
    assert manifest["spec"]["params"] == {"burn_in": 0, "months": 8, "n_firms": 60,
                                          "shock_start": 2}
    assert manifest["info"]["overrides"] == {"--reps": 2, "--firms": 60, "--months": 8, "--seed": 7,
                                     "--set": ["burn_in=0", "shock_start=2"]}
    # the run line counts what the bar counts
    runs = int(re.search(r"= (\d+) runs", captured.out).group(1))
    assert runs == manifest["runs"]
    # one line per warning: policy_scale cannot change the recession's runs, and the
    # guarantee's budget never binds
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, captured.err
    assert "policy_scale (0.500, 1.00, 2.00) on recession: scenario recession has no policy" \
        in warnings[0]
    assert re.search(r"credit_guarantee on recession_with_credit_guarantee \(at most \d+% of a "
                     r"month's budget spent, \d+% of the run's\)", warnings[1])
    # ... and indeed the recession's three points are the same runs, run once
    rec = summary[summary["scenario"] == "recession"]
    assert rec.groupby("replication")["bankruptcies"].nunique().eq(1).all()
    jobs = store.load_jobs(out)
    assert jobs[jobs["scenario"] == "recession"].groupby("replication")["key"].nunique().eq(
        1).all()
    assert "12 jobs (8 distinct: the others repeat a run)" in captured.out
    # resuming with other values is a changed experiment: refused
    other = [a if a != "2" else "3" for a in SMALL]  # --reps 3
    cli_error(capsys, "sweep", spec, "--out", out, "--resume", *other,
              needles=("--resume: the spec changed", "replications"))
    assert cli.main(["sweep", str(spec), "--out", str(out), "--resume", *SMALL]) == 0


def test_morris_counts_distinct_runs_like_the_bar(tmp_path, capsys):
    spec = tmp_path / "morris.toml"
    spec.write_text("""\
description = "integer factors repeat points"
scenarios = ["recession"]
design = "morris"
samples = 4
replications = 1
[vary]
max_alliances = {bounds = [1, 2]}
loss_months_to_break = {bounds = [5, 6]}
""")
    out = tmp_path / "m"
    assert cli.main(["sweep", str(spec), "--out", str(out), *SMALL[2:]]) == 0
    text = capsys.readouterr().out
    jobs = store.load_jobs(out)
    m = re.search(r"(\d+) jobs \((\d+) distinct: the others repeat a run\) \+ (\d+) no-shock "
                  r"runs = (\d+) runs", text)
    assert m, text
    total, distinct, twins, runs = map(int, m.groups())
    assert total == len(jobs) == 12 and distinct == jobs["key"].nunique() < total
    assert runs == distinct + twins == store.read_manifest(out)["runs"]


def test_bad_command_line_values_are_one_line(tmp_path, capsys):
    spec = tmp_path / "budgets.toml"
    spec.write_text(SPEC)
    cli_error(capsys, "sweep", spec, "--set", "policy_scale=3", needles=(
        "--set policy_scale:", "varies it ([vary]); drop --set or the [vary] entry"))
    cli_error(capsys, "sweep", spec, "--reps", "0", needles=("--reps 0: expected a whole "
                                                             "number, at least 1",))
    cli_error(capsys, "sweep", spec, "--firms", "0", needles=("--firms n_firms: 0 is out of "
                                                              "range",))
    cli_error(capsys, "sweep", spec, "--set", "trust_buld_rate=0.1",
              needles=("did you mean 'trust_build_rate'",))
    cli_error(capsys, "sweep", spec, "--seed", "-4", needles=("--seed -4",))
    for command in (("sweep", spec), ("simulate",)):  # neither the flag nor --set wins silently
        cli_error(capsys, *command, "--months", "10", "--set", "months=5",
                  needles=("--months and --set months=...: given twice; keep one",))
    cli_error(capsys, "sweep", spec, "--set", "share_micro=0.9", "--set", "share_small=0.5",
              needles=("share_micro + share_small",))
    assert not list(tmp_path.glob("results*"))


def test_sensitivity_takes_several_outcomes_and_gives_indices_for_each(tmp_path, capsys):
    from tests.test_experiments import SHOCK_TOML, TINY_ARGS

    scen = tmp_path / "early_shock.toml"
    scen.write_text(SHOCK_TOML)
    out = tmp_path / "sens"
    code = cli.main(["sensitivity", "--method", "morris", "--params",
                     "search_prob=0.01:0.3,trust_build_rate", "--outcome",
                     "alliances_formed,output_lost", "--outcome", "mean_trust_end", "--n", "4",
                     "--scenario", str(scen), "--out", str(out), *TINY_ARGS])
    text = capsys.readouterr().out
    assert code == 0
    assert len(store.load_jobs(out)) == 4 * 3  # the runs are shared by the outcomes
    for name, label in (("alliances_formed", "Alliances formed"),
                        ("output_lost", "Output lost to the shock"),
                        ("mean_trust_end", "Mean trust between partners at end")):
        indices = pd.read_csv(out / f"sensitivity_{name}.csv")
        assert list(indices["parameter"]) == ["search_prob", "trust_build_rate"], name
        assert {"mu_star", "mu_star_conf", "sigma"} <= set(indices)
        assert (out / f"sensitivity_{name}.png").is_file()
        assert f"Outcome: {label}" in text
    assert pd.read_csv(out / "sensitivity_alliances_formed.csv")["mu_star"].iloc[0] > 0
    cli_error(capsys, "sensitivity", "--method", "morris", "--params", "search_prob",
              "--outcome", "innovations,nosuch", needles=("--outcome: 'nosuch'",))
    cli_error(capsys, "sensitivity", "--method", "morris", "--params", "search_prob",
              "--outcome", "innovations,,bankruptcies", needles=("an empty name",))


def test_simulate_warns_about_a_setting_that_changes_nothing(tmp_path, capsys):
    assert cli.main(["simulate", "--scenario", "recession", "--firms", "40", "--months", "2",
                     "--set", "burn_in=0", "--set", "rd_grants_budget=50", "--out",
                     str(tmp_path / "s"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert ("warning: --set rd_grants_budget: scenario recession has no rd_grants policy: it "
            "changes nothing here") in err
