"""Kill, crash and full disks lose nothing (DESIGN §5, §8; docs/RELIABILITY.md).

- A sweep killed with SIGKILL (its whole process group: the CLI and its pool workers) again
  and again, at seeded-random moments, and resumed each time, ends with exactly the files of
  an uninterrupted run. After every kill, every file that carries a result's name is
  complete (byte-equal to the uninterrupted run's), never half-written: results are written
  to a temporary name and renamed; temporaries are removed on resume.
- A disk that fills up mid-sweep (a real 'No space left on device' on a tiny tmpfs when
  this runs as root, and a simulated one everywhere) stops the run with one line and exit
  code 2, keeps every finished file, and a resume once there is space again ends with the
  same files. A read-only results folder, or one under a file, is one line and exit code 2.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_experiments_engine import KILL_SPEC, SHOCK, one_line_error, result_files, run_cli

import run as cli
from analysis import store

ROOT = Path(__file__).resolve().parent.parent
# 16 runs of ~0.2 s each (with the compiled kernels an experiment's workers use), long enough
# for every kill below to land while the sweep still runs
SPEC = KILL_SPEC.replace("replications = 3", "replications = 4").replace("months = 36",
                                                                         "months = 72")
TOTAL = 16
KILLS = 5  # SIGKILLs in the loop below
SEED = 20261123  # of the moments they come


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("resume")
    (folder / "shock.toml").write_text(SHOCK)
    (folder / "spec.toml").write_text(SPEC)
    return folder


@pytest.fixture(scope="module")
def reference(spec_dir) -> Path:
    """The uninterrupted run (serial)."""
    out = spec_dir / "whole"
    done = run_cli("sweep", spec_dir / "spec.toml", "--out", out, "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert len(list((out / "jobs").glob("*.parquet"))) == TOTAL
    return out


def job_files(out: Path) -> list[Path]:
    folder = out / store.JOBS_DIR
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def assert_only_complete_results(out: Path, reference: Path) -> None:
    """Every file under a result's name is the finished file, byte for byte."""
    for path in job_files(out):
        assert path.read_bytes() == (reference / "jobs" / path.name).read_bytes(), path.name
    for name in (store.SUMMARY, store.SUMMARY_CSV, store.JOBS_TABLE):
        if (out / name).exists():
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    if (out / store.MANIFEST).exists():
        assert store.read_manifest(out)["runs"] == TOTAL  # valid JSON, never half of it


def test_sweep_killed_again_and_again_resumes_to_the_same_files(spec_dir, reference):
    rng = random.Random(SEED)
    out = spec_dir / "killed"
    kills, seen_progress = 0, []
    for cycle in range(KILLS + 1):
        resume = ["--resume"] if (out / store.MANIFEST).exists() else []
        before = len(job_files(out))
        proc = subprocess.Popen(
            [sys.executable, "run.py", "sweep", str(spec_dir / "spec.toml"), "--out", str(out),
             "--workers", "2", "--quiet", *resume], cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        if cycle < KILLS:
            # the first kill at a random moment from the start (maybe before any file), the
            # others a random moment after the run has finished one more job (maybe mid-write)
            deadline = time.monotonic() + 120
            if cycle == 0:
                time.sleep(rng.uniform(0.2, 1.5))
            else:
                while (proc.poll() is None and len(job_files(out)) <= before
                       and time.monotonic() < deadline):
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.4))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                kills += 1
        _, err = proc.communicate(timeout=180)
        assert "Traceback" not in err.decode(), err.decode()
        seen_progress.append(len(job_files(out)))
        assert_only_complete_results(out, reference)
        if proc.returncode == 0:
            break
    assert kills == KILLS, f"only {kills} kills landed while the sweep ran ({seen_progress})"
    assert proc.returncode == 0
    assert not list(out.rglob("*.tmp")), "temporaries left after the resume"
    assert result_files(out) == result_files(reference)
    sessions = store.read_manifest(out)["sessions"]
    assert sessions[-1]["ran"] + sessions[-1]["skipped"] == TOTAL


# --------------------------------------------------------------------------- disk full
def _mount(where: Path, size: str, *options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join([f"size={size}", *options])
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root (the simulated disk-full test runs)")
    where = tmp_path / "tiny"
    if not _mount(where, "160k"):
        pytest.skip("mount -t tmpfs is not permitted here (the simulated test runs)")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_disk_that_fills_up_mid_sweep_stops_cleanly_and_resumes(spec_dir, reference,
                                                                  tiny_disk):
    out = tiny_disk / "sweep"
    full = run_cli("sweep", spec_dir / "spec.toml", "--out", out, "--workers", "1", "--quiet")
    one_line_error(full, "No space left on device", "--resume")
    kept = job_files(out)
    assert 0 < len(kept) < TOTAL, f"{len(kept)} files fit: resize the tmpfs"
    assert_only_complete_results(out, reference)
    assert not list(out.rglob("*.tmp"))
    subprocess.run(["mount", "-o", "remount,size=20m", str(tiny_disk)], check=True)
    resumed = run_cli("sweep", spec_dir / "spec.toml", "--out", out, "--resume", "--workers",
                      "1", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert result_files(out) == result_files(reference)


def test_a_simulated_full_disk_stops_cleanly_and_resumes(spec_dir, reference, monkeypatch,
                                                         capsys):
    """Without root: the 6th Parquet write fails with ENOSPC."""
    out = spec_dir / "enospc"
    real, calls = pd.DataFrame.to_parquet, []

    def to_parquet(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) >= 6:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    args = ["sweep", str(spec_dir / "spec.toml"), "--out", str(out), "--workers", "1",
            "--quiet"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "No space left on device" in err and "--resume" in err
    assert len(job_files(out)) == 4  # jobs table first, then four job files; the 6th failed
    assert not list(out.rglob("*.tmp"))
    assert_only_complete_results(out, reference)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert cli.main([*args, "--resume"]) == 0
    assert result_files(out) == result_files(reference)


def test_a_simulated_full_disk_in_simulate_is_one_line(tmp_path, monkeypatch, capsys):
    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    out = tmp_path / "out"
    assert cli.main(["simulate", "--firms", "40", "--months", "2", "--out", str(out),
                     "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "timeseries.csv: cannot write" in err
    assert (out / "timeseries.parquet").is_file()  # written before the failure, kept
    assert not list(out.glob(".*.tmp"))


# --------------------------------------------------------------------------- read-only
COMMANDS = {
    "simulate": ["simulate", "--firms", "30", "--months", "2"],
    "compare": ["compare", "baseline", "recession", "--reps", "1", "--firms", "30",
                "--months", "2", "--workers", "1"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_results_folder_under_a_file_is_one_line(tmp_path, command):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_cli(*COMMANDS[command], "--out", blocker / "results", "--quiet")
    one_line_error(result, str(blocker / "results"), "--out")
    assert blocker.read_text() == "not a folder"


def test_sweep_into_a_read_only_file_system_is_one_line(spec_dir, tmp_path):
    where = tmp_path / "ro"
    if os.geteuid() != 0 or not _mount(where, "1m", "ro"):
        pytest.skip("needs root and mount to make a read-only file system")
    try:
        result = run_cli("sweep", spec_dir / "spec.toml", "--out", where / "out", "--quiet")
        one_line_error(result, "Read-only file system", "--out")
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
