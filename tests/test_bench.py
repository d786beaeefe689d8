"""`run.py bench` runs at a tiny size and writes valid JSON and a plot (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import side
from simulation.params import defaults

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args):
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_bench_writes_json_with_both_models_at_each_size(tmp_path):
    out = tmp_path / "b" / "bench.json"
    res = run_cli("bench", "--firms", "200,400", "--months", "2", "--burn-in", "2",
                  "--out", out, "--quiet")
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert [r["firms"] for r in data["rows"]] == [200, 400]
    for row in data["rows"]:
        for key in ("ns_per_firm_month", "init_ns_per_firm", "collect_ms_per_month",
                    "peak_rss_mb"):
            assert row["ours"][key] > 0
        assert row["mesa"]["ns_per_agent_step"] > 0 and row["mesa"]["steps"] >= 2
        # CPU time is measured too; tiny models run on one core unless told (simulation/side.py)
        assert row["ours"]["cpu_ns_per_firm_month"] > 0
        assert row["ours"]["side_thread"] is side.use(row["firms"])
        assert row["ratio_step"] == pytest.approx(
            row["ours"]["ns_per_firm_month"] / row["mesa"]["ns_per_agent_step"])
        assert row["rss_kb_per_firm"] > 0
        # the default run: init + 24 burn-in months + 120 months, each at its measured rate
        o = row["ours"]
        assert row["full_run_estimate_s"] == pytest.approx(
            o["init_s"] + o["burn_in_s"] / 2 * 24 + o["months_s"] / 2 * 120)
    assert isinstance(data["scaling_exponent_time_vs_firms"], float)
    # cost against alliances, at the middle size: no search, no alliances; more search, more
    al = data["alliance_scaling"]
    assert al["firms"] == 400
    probs = [p["search_prob"] for p in al["points"]]
    base = defaults()["search_prob"]
    assert probs == pytest.approx([base * m for m in (0.0, 0.25, 0.5, 1.0, 2.0)])
    alliances = [p["alliances_mean"] for p in al["points"]]
    assert alliances[0] == 0 and alliances[-1] > alliances[1] > 0
    assert all(p["ms_per_month"] > 0 for p in al["points"])
    assert al["us_per_alliance"] is not None and 0 <= al["r2"] <= 1
    assert "Cost against alliances at 400 firms" in res.stdout
    # the point with no alliance, against Mesa's step at the same size: the ratio's floor
    row = data["rows"][1]
    assert al["no_alliance_ms"] == al["points"][0]["ms_per_month"]
    assert al["no_alliance_ratio"] == pytest.approx(
        al["no_alliance_ms"] * 1e6 / 400 / row["mesa"]["ns_per_agent_step"])
    assert f"with no alliance at all: {al['no_alliance_ms']:.1f} ms a month" in res.stdout
    assert data["machine"]["mesa"].startswith("3.")
    assert out.with_suffix(".png").stat().st_size > 1000
    assert "Mesa ns/agent-step" in res.stdout and "ratio" in res.stdout
    assert "(CPU ns)" in res.stdout and "2 cores" in res.stdout


@pytest.mark.parametrize("args, words", [
    (["--firms", "abc"], ["--firms", "whole numbers"]),
    (["--firms", "5"], ["--firms", "from 10"]),
    (["--months", "0"], ["--months", "from 1"]),
    (["--out", "bench.txt"], ["--out", ".json"]),
    (["--alliance-firms", "5"], ["--alliance-firms", "0 (skip)"]),
])
def test_bench_bad_input_is_one_line_and_exit_2(args, words):
    res = run_cli("bench", *args, "--quiet")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0]


def test_minimal_mesa_model_moves_wealth_but_keeps_the_total():
    from analysis.bench import BoltzmannModel

    m = BoltzmannModel(500, rng=1)
    for _ in range(5):
        m.step()
    wealth = [a.wealth for a in m.agents]
    assert sum(wealth) == 500 and max(wealth) > 1 and len(m.agents) == 500


def test_bench_refuses_a_size_the_memory_cannot_hold_before_running_anything(tmp_path):
    import os

    out = tmp_path / "bench.json"
    res = subprocess.run([sys.executable, "run.py", "bench", "--firms", "1000,2000000",
                          "--out", out, "--quiet"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "SME_MEMORY_LIMIT": "500M"})
    assert res.returncode == 2 and "Traceback" not in res.stderr
    line = res.stderr.strip()
    assert "\n" not in line and "2,000,000 firms" in line and "SME_MEMORY_LIMIT=off" in line
    assert not out.exists()


def test_the_alliance_sweep_counts_its_five_models_held_at_once(tmp_path):
    import os

    # one model of 300,000 firms fits in 1 GB; the sweep's five at once do not
    out = tmp_path / "bench.json"
    res = subprocess.run([sys.executable, "run.py", "bench", "--firms", "1000",
                          "--alliance-firms", "300000", "--out", out, "--quiet"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "SME_MEMORY_LIMIT": "1G"})
    assert res.returncode == 2 and "Traceback" not in res.stderr
    line = res.stderr.strip()
    assert "\n" not in line and "--alliance-firms 300,000" in line
    assert "5 models taking turns" in line and "--alliance-firms 0" in line
    assert not out.exists()


def test_the_alliance_sweep_models_take_turns_month_by_month(monkeypatch):
    from analysis import bench
    from simulation import SMEEcosystem

    order = []
    step = SMEEcosystem.step

    def recording_step(self):
        order.append((self.p["search_prob"], self.steps))
        step(self)

    monkeypatch.setattr(SMEEcosystem, "step", recording_step)
    points = bench.alliance_points(300, 2, 1, [0.0, 0.07, 0.14])
    # Mesa counts the step before it runs: step 1 is each model's burn-in month
    assert [prob for prob, steps in order[:3]] == [0.0, 0.07, 0.14]
    timed = [prob for prob, steps in order if steps > 1]
    # every timed month, each model once, a different one first
    assert timed == [0.0, 0.07, 0.14, 0.07, 0.14, 0.0]
    assert [p["search_prob"] for p in points] == [0.0, 0.07, 0.14]
    assert points[0]["alliances_mean"] == 0 < points[1]["alliances_mean"]
    assert all(p["ms_per_month"] > 0 for p in points)
