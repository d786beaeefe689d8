"""Requests this machine's memory cannot hold are refused up front (docs/RELIABILITY.md).

The estimate (analysis/resources.py) is the measured 1.2 KB per firm plus ~250 MB per
process (docs/PERFORMANCE.md), times the models running at once; the budget is MemAvailable,
or SME_MEMORY_LIMIT. Every entry point refuses in one line with the estimate and a fix, exit
code 2, before writing anything.
"""

from __future__ import annotations

import pytest
from test_experiments_engine import one_line_error, run_cli

from analysis import resources
from analysis.resources import check_memory, experiment_bytes, model_bytes
from simulation.errors import UserError


def test_the_estimate_follows_the_measured_cost(monkeypatch):
    monkeypatch.setenv("SME_NUMBA", "off")
    assert model_bytes(1_000_000) == pytest.approx(1.45e9, rel=0.05)  # PERFORMANCE: ~1.2 GB
    # numba and its compiled kernels, where a model uses them (PERFORMANCE: 134 MB)
    monkeypatch.setattr(resources.kernels, "installed", True)
    monkeypatch.setenv("SME_NUMBA", "auto")
    assert model_bytes(1_000_000) == pytest.approx(1.45e9 + resources.KERNEL_BYTES, rel=0.05)
    assert model_bytes(10_000) < resources.FIXED_BYTES + 10_000 * 2000  # numpy only there
    assert model_bytes(0) == resources.FIXED_BYTES
    assert experiment_bytes(10_000, 144, 4) > 4 * model_bytes(10_000, 144)
    assert experiment_bytes(10_000, 144, 1) == model_bytes(10_000, 144)
    # an experiment's workers load the kernels at any size (simulation/kernels.py)
    assert model_bytes(10_000, 144, many_models=True) == (model_bytes(10_000, 144)
                                                          + resources.KERNEL_BYTES)
    assert experiment_bytes(10_000, 144, 2, many_models=True) == (
        experiment_bytes(10_000, 144, 2) + 2 * resources.KERNEL_BYTES)
    monkeypatch.setenv("SME_NUMBA", "off")
    assert model_bytes(10_000, 144, many_models=True) == model_bytes(10_000, 144)


def test_available_memory_is_read_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv(resources.ENV, raising=False)
    measured = resources.available_bytes()
    assert measured is None or measured > 0
    for text, size in (("8G", 8 * 2**30), ("1500M", 1500 * 2**20), ("2.5GB", int(2.5 * 2**30)),
                       ("123456", 123456), ("64 k", 64 * 2**10)):
        monkeypatch.setenv(resources.ENV, text)
        assert resources.available_bytes() == size
    monkeypatch.setenv(resources.ENV, "off")
    assert resources.available_bytes() is None
    check_memory(5_000_000, 1440, workers=64)  # off: never refused


def test_a_refusal_names_the_need_what_is_there_and_the_fix(monkeypatch):
    monkeypatch.setenv(resources.ENV, "1G")
    check_memory(100_000, 144)  # fits
    with pytest.raises(UserError) as info:
        check_memory(2_000_000, 144)
    text = str(info.value)
    need = resources.fmt_bytes(model_bytes(2_000_000, 144))  # 2.5 GB, 2.6 with numba
    assert text.startswith("--firms 2,000,000: one run") and f"needs about {need}" in text
    most = int(text.split("at most about ")[1].split(" firms")[0].replace(",", ""))
    assert model_bytes(most, 144) <= 2**30 < model_bytes(int(most * 1.01) + 1, 144)
    assert "1.0 GB is available" in text and "at most about" in text and "=off" in text
    with pytest.raises(UserError, match="use --workers 1 or fewer firms"):
        check_memory(300_000, 144, workers=4)
    # an experiment's fix counts numba's share in each worker, at any size
    monkeypatch.setattr(resources.kernels, "installed", True)
    monkeypatch.setenv("SME_NUMBA", "auto")
    monkeypatch.setenv(resources.ENV, "1100M")
    with pytest.raises(UserError) as info:
        check_memory(100_000, 144, workers=2, place="firms", workers_flag=False,
                     many_models=True)
    most = int(str(info.value).split("at most about ")[1].split(" firms")[0].replace(",", ""))
    assert experiment_bytes(most, 144, 2, many_models=True) <= 1100 * 2**20 < experiment_bytes(
        int(most * 1.01) + 1, 144, 2, many_models=True)


def test_simulate_too_big_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = run_cli("simulate", "--firms", "3000000", "--months", "12", "--out", out,
                     env={resources.ENV: "2G"})
    one_line_error(result, "--firms 3,000,000", "needs about", "2.0 GB is available")
    assert not out.exists()


def test_an_experiment_whose_workers_do_not_fit_is_one_line(tmp_path):
    out = tmp_path / "out"
    result = run_cli("compare", "baseline", "recession", "--reps", "4", "--firms", "900000",
                     "--months", "12", "--workers", "2", "--out", out, env={resources.ENV: "2G"})
    one_line_error(result, "2 workers x", "use --workers 1")
    assert not out.exists()
    spec = tmp_path / "big.toml"
    spec.write_text('scenarios = ["baseline"]\nreplications = 2\nfirms = 4000000\nmonths = 6\n')
    result = run_cli("sweep", spec, "--out", out, "--workers", "1", env={resources.ENV: "3G"})
    one_line_error(result, "firms 4,000,000: one run", "needs about")
    assert not out.exists()


def test_validate_too_big_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = run_cli("validate", "--set", "n_firms=3000000", "--out", out,
                     env={resources.ENV: "500M"})
    one_line_error(result, "--set n_firms 3,000,000", "needs about", "500.0 MB is available")
    assert not out.exists()
