"""experiments/scenario_discovery.py, EMA Workbench over analysis.evaluate_point, at a tiny
size: it runs, PRIM finds a box, and EMA's process-pool evaluator gives the same numbers as
its sequential one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ema_workbench")  # the [ema] extra, which `make test` installs

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "scenario_discovery.py"
TINY = ["--experiments", "12", "--policies", "2", "--firms", "80", "--months", "36",
        "--burn-in", "6", "--seed", "3"]


def discover(out: Path, *extra: str) -> str:
    done = subprocess.run([sys.executable, str(SCRIPT), *TINY, "--out", str(out), *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_scenario_discovery_finds_a_box_and_any_evaluator_gives_the_same_numbers(tmp_path):
    text = discover(tmp_path / "seq")
    assert "24 experiments (12 x 2)" in text and "PRIM box: coverage" in text
    experiments = pd.read_csv(tmp_path / "seq" / "experiments.csv")
    outcomes = pd.read_csv(tmp_path / "seq" / "outcomes.csv")
    assert len(experiments) == len(outcomes) == 24
    assert {"shock_depth_scale", "shock_start", "sme_scenario",
            "credit_guarantee_budget"} <= set(experiments)
    assert experiments["shock_depth_scale"].between(0.5, 3.0).all()
    assert set(experiments["sme_scenario"]) <= {"recession_with_credit_guarantee",
                                                "recession_with_resilience_mix"}
    assert list(outcomes) == ["output_lost", "survival_rate", "bankruptcies", "policy_spend"]
    assert outcomes["output_lost"].notna().all() and outcomes["output_lost"].max() > 0
    boxes = pd.read_csv(tmp_path / "seq" / "prim_boxes.csv", header=[0, 1], index_col=0)
    assert len(boxes) > 0
    stats = pd.read_csv(tmp_path / "seq" / "prim_stats.csv", index_col=0)
    assert {"coverage", "density", "mass", "res_dim"} <= set(stats)
    assert (stats["density"] > 0.25).all()  # better than the 25 % base rate of fragility
    for figure in ("prim_tradeoff.png", "prim_box.png"):
        assert (tmp_path / "seq" / figure).stat().st_size > 1000
    # EMA Workbench's multiprocessing evaluator: the same experiments, the same numbers
    discover(tmp_path / "pool", "--workers", "2")
    pooled = pd.read_csv(tmp_path / "pool" / "outcomes.csv")
    pd.testing.assert_frame_equal(pooled, outcomes)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "pool" / "experiments.csv"),
                                  experiments)
