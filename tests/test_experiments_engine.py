"""The experiment engine's guarantees (DESIGN §5, §8):

- the same files, byte for byte, whether the jobs ran serially, on a process pool or on a
  Dask cluster (a local one on 127.0.0.1);
- a sweep killed part-way (SIGKILL to its whole process group) and resumed ends with the
  same files as an uninterrupted one, and temporary leftovers are never read;
- a resume against a changed spec is refused; a fresh run into a used folder is refused
  without --force, and --force touches only the engine's own files;
- an unreachable scheduler is one line and exit code 2.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import run as cli
from analysis import store
from analysis.runner import Experiment, run
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHOCK = """\
description = "An early demand shock (for tests)."
extends = "baseline"

[[shocks]]
kind = "demand"
start = 2
duration = 2
depth = 0.3
recovery = 2
"""


def result_files(folder: Path) -> dict[str, str]:
    """sha256 of every result file (job files, jobs table, summary); not manifest or log,
    which hold times and executor names on purpose."""
    names = [store.JOBS_TABLE, store.SUMMARY, store.SUMMARY_CSV]
    files = sorted((folder / store.JOBS_DIR).glob("*.parquet")) + [folder / n for n in names]
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_serial_pool_and_dask_write_identical_files(tmp_path):
    shock = tmp_path / "shock.toml"
    shock.write_text(SHOCK)
    exp = Experiment("compare", [load_scenario("baseline"), load_scenario(shock)],
                     fixed={"n_firms": 60, "months": 6, "burn_in": 0}, replications=2)
    serial = run(exp, tmp_path / "serial", workers=1, quiet=True)
    pool = run(exp, tmp_path / "pool", workers=2, quiet=True)
    dask = run(exp, tmp_path / "dask", dask_local=2, quiet=True)
    dask1 = run(exp, tmp_path / "dask1", dask_local=1, quiet=True)
    assert (serial.executor, pool.executor) == ("serial (this process)",
                                                "process pool (2 workers)")
    assert dask.executor == "local Dask cluster (2 workers)"
    assert dask1.executor == "local Dask cluster (1 workers)"
    files = result_files(tmp_path / "serial")
    assert len(files) == 4 + 3  # 4 distinct runs (the twin is the baseline run) + 3 tables
    assert result_files(tmp_path / "pool") == files
    assert result_files(tmp_path / "dask") == files
    assert result_files(tmp_path / "dask1") == files
    # and across a resume on another executor: half the runs and the summary gone
    for path in sorted((tmp_path / "pool" / store.JOBS_DIR).glob("*.parquet"))[:2]:
        path.unlink()
    (tmp_path / "pool" / store.SUMMARY).unlink()
    resumed = run(exp, tmp_path / "pool", resume=True, dask_local=2, quiet=True)
    assert (resumed.ran, resumed.skipped) == (2, 2)
    assert result_files(tmp_path / "pool") == files
    # the workers really were other processes
    workers = {line.split('"worker": ')[1] for line in
               (tmp_path / "pool" / store.LOG_FILE).read_text().splitlines()}
    assert str(os.getpid()) not in "".join(workers)


KILL_SPEC = """\
description = "A sweep of 12 runs of a fifth of a second or so each, to be killed part-way."
scenarios = ["baseline", "shock.toml"]
replications = 3
months = 36
firms = 1500
outcomes = ["output_lost", "innovations"]
[params]
burn_in = 0
[vary]
trust_build_rate = [0.05, 0.2]
"""


def test_killed_sweep_resumes_to_the_same_files(tmp_path):
    (tmp_path / "shock.toml").write_text(SHOCK)
    spec = tmp_path / "kill.toml"
    spec.write_text(KILL_SPEC)
    total = 12  # 2 scenarios x 2 points x 3 replications; the twins are the baseline runs

    reference = run_cli("sweep", spec, "--out", tmp_path / "whole", "--workers", "1",
                        "--quiet")
    assert reference.returncode == 0, reference.stderr
    assert len(list((tmp_path / "whole" / "jobs").glob("*.parquet"))) == total

    out = tmp_path / "killed"
    jobs = out / "jobs"
    proc = subprocess.Popen([sys.executable, "run.py", "sweep", str(spec), "--out", str(out),
                             "--workers", "2", "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if jobs.is_dir() and len(list(jobs.glob("*.parquet"))) >= 2:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its pool workers, mid-write or not
        proc.wait()
    done = len(list(jobs.glob("*.parquet")))
    assert 2 <= done < total, f"{done} of {total} jobs were done when killed"
    assert not (out / store.SUMMARY).exists()
    # a half-written file from the kill must never count as a result
    (jobs / ".0123456789abcdef.parquet.x1y2z3w4.tmp").write_bytes(b"PAR1 half a file")

    fresh = run_cli("sweep", spec, "--out", out, "--workers", "1", "--quiet")
    one_line_error(fresh, "--resume")  # the folder holds this experiment: resume, not redo
    resumed = run_cli("sweep", spec, "--out", out, "--resume", "--workers", "1", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert not list(jobs.glob(".*.tmp"))
    assert result_files(out) == result_files(tmp_path / "whole")
    sessions = store.read_manifest(out)["sessions"]
    assert len(sessions) == 2 and sessions[-1]["skipped"] == done
    assert sessions[-1]["ran"] == total - done
    # the printed tables agree too (all but the lines with the run time and the folder)
    def tables(stdout):
        return [line for line in stdout.splitlines()
                if "s on " not in line and not line.startswith("Outputs:")]

    assert tables(resumed.stdout) == tables(reference.stdout)


def test_changed_spec_is_refused_on_resume(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(KILL_SPEC.replace('"shock.toml"', '"recession"').replace("1500", "40")
                    .replace("months = 36", "months = 3"))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--workers", "1",
                     "--quiet"]) == 0
    before = all_files(out)
    spec.write_text(spec.read_text().replace("replications = 3", "replications = 4"))
    result = run_cli("sweep", spec, "--out", out, "--resume", "--quiet")
    one_line_error(result, "spec changed", "replications: 3 -> 4", "--force", "--out")
    spec.write_text(spec.read_text().replace("replications = 4", "replications = 3")
                    .replace("0.2]", "0.3]"))
    capsys.readouterr()
    assert cli.main(["sweep", str(spec), "--out", str(out), "--resume", "--quiet"]) == 2
    assert "vary.trust_build_rate.values[1]: 0.2 -> 0.3" in capsys.readouterr().err
    assert all_files(out) == before
    # changing what is reported (not what is run) resumes: nothing is run again
    spec.write_text(spec.read_text().replace("0.3]", "0.2]").replace(
        '"innovations"', '"bankruptcies"'))
    assert cli.main(["sweep", str(spec), "--out", str(out), "--resume", "--quiet"]) == 0
    assert "Bankruptcies" in capsys.readouterr().out
    assert store.read_manifest(out)["sessions"][-1]["ran"] == 0


def test_folder_rules(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(KILL_SPEC.replace('"shock.toml"', '"recession"').replace("1500", "40")
                    .replace("months = 36", "months = 3").replace("[0.05, 0.2]", "[0.1]"))
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("not the engine's")
    assert cli.main(["sweep", str(spec), "--out", str(used), "--quiet", "--workers", "1"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert cli.main(["sweep", str(spec), "--out", str(used), "--resume", "--quiet"]) == 2
    assert "no experiment to continue" in capsys.readouterr().err
    stale = used / "jobs" / ("f" * 16 + ".parquet")
    stale.parent.mkdir()
    stale.write_bytes(b"a job file of an older experiment")
    assert cli.main(["sweep", str(spec), "--out", str(used), "--force", "--quiet",
                     "--workers", "1"]) == 0
    assert (used / "notes.txt").read_text() == "not the engine's"
    assert not stale.exists()
    assert len(list((used / "jobs").glob("*.parquet"))) == 6


def test_unreachable_scheduler_is_one_line(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    result = run_cli("compare", "baseline", "recession", "--reps", "1", "--firms", "30",
                     "--months", "2", "--scheduler", "tcp://127.0.0.1:9", "--out", out,
                     "--force", env={"SME_SCHEDULER_TIMEOUT": "2"}, timeout=60)
    one_line_error(result, "--scheduler tcp://127.0.0.1:9", "cannot reach a Dask scheduler")
    assert all_files(out) == {"keep.txt": b"keep"}


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:notaport", "nowhere"])
def test_malformed_scheduler_address(tmp_path, capsys, address):
    code = cli.main(["compare", "baseline", "recession", "--reps", "1", "--firms", "30",
                     "--months", "2", "--scheduler", address, "--out", str(tmp_path / "o"),
                     "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "--scheduler" in err
    assert not (tmp_path / "o").exists()
