"""Writing and reading results: output folders, atomic files, manifests, experiment stores.

Nothing already written is lost: a folder that holds files is refused unless
the caller passes force=True, and every file is written to a temporary name
in the same folder and renamed into place, so a reader never sees half a file.

An experiment folder (see analysis/runner.py) holds:

    manifest.json      spec, spec hash, base seed, replication seeds, versions, git revision,
                       and one entry per session (start, end, executor, jobs run and skipped)
    jobs.parquet       one row per job: scenario, point, replication, seed, varied parameters,
                       and the keys of its run and of its no-shock counterfactual
    jobs/<key>.parquet one file per distinct model run: one row per horizon month
    summary.parquet    one row per job: its identifiers and every outcome (also summary.csv)
    log.jsonl          wall-clock seconds and worker of each run (never in the job files)

`load(folder)` gives the time series as one tidy frame (one row per job and month),
`load_summary(folder)` the outcomes (one row per job).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata as _md
import json
import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from simulation.errors import UserError

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "SALib", "dask",
            "distributed", "sme-alliance-sim")

MANIFEST = "manifest.json"
JOBS_TABLE = "jobs.parquet"
JOBS_DIR = "jobs"
SUMMARY = "summary.parquet"
SUMMARY_CSV = "summary.csv"
LOG_FILE = "log.jsonl"
LOCK_FILE = ".lock"
JOB_NAME = re.compile(r"[0-9a-f]{16}\.parquet")
TMP_NAME = re.compile(r"\..+\.tmp")  # atomic_write's temporaries: .<name>.<random>.tmp


def prepare_out_dir(path: str | Path, force: bool = False) -> Path:
    """Create (or accept) an output folder; refuse a non-empty one without force."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is a file; choose a folder path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(
            f"--out {out}: folder exists and is not empty; use --force to overwrite its "
            "files or choose another --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", suffix=".tmp",
                                            delete=True)  # a temporary: cleaned if killed
        probe.close()
    except OSError as e:
        raise UserError(
            f"--out {out}: cannot write there ({e.strerror or e}); choose another --out"
        ) from None
    return out


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise write_error(path, e) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; results are to share
        os.replace(tmp_path, path)
    except BaseException as e:
        tmp_path.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise write_error(path, e) from None
        raise
    return path


def write_error(path: Path, e: OSError) -> UserError:
    """A failed write (disk full, read-only, gone) as one line: the file, why, what to do.
    Files written before stay as they were: every write goes to a temporary name first."""
    reason = e.strerror or type(e).__name__
    return UserError(f"{path}: cannot write ({reason}); the files already finished are kept: "
                     "free some space or make the folder writable and run the same command "
                     "again (an experiment with --resume), or choose another --out")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def json_ready(data):
    """A JSON-safe copy of `data`: numpy scalars as Python numbers, NaN and infinities as
    null, keys as strings, tuples as lists."""
    if isinstance(data, dict):
        return {str(k): json_ready(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_ready(v) for v in data]
    if isinstance(data, np.generic):
        data = data.item()
    if isinstance(data, float) and not np.isfinite(data):
        return None
    return data


def write_json(path: Path, data) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_frame(path: Path, frame) -> Path:
    """A pandas DataFrame as Parquet (.parquet) or CSV (.csv)."""
    if path.suffix == ".parquet":
        return atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = _md.version(name)
        except _md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str | None:
    """The checkout's commit (with '-dirty' if it has changes), or None outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5)
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def manifest(**fields) -> dict:
    """A manifest: what ran, with which seed, on which versions, when."""
    return {
        "created": now(),
        **fields,
        "versions": versions(),
        "git_revision": git_revision(),
    }


# --------------------------------------------------------------------------- experiments
def _canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def spec_hash(spec: dict) -> str:
    """sha256 of the canonical JSON of an experiment spec."""
    return hashlib.sha256(_canonical(spec).encode()).hexdigest()


def _short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def spec_difference(old, new, path: str = "") -> str | None:
    """The first difference between two specs, as 'path: old -> new' (None if equal)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            here = f"{path}.{key}" if path else str(key)
            if key not in new:
                return f"{here}: removed"
            if key not in old:
                return f"{here}: added ({_short(new[key])})"
            found = spec_difference(old[key], new[key], here)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            found = spec_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if old == new else f"{path}: {_short(old)} -> {_short(new)}"


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, None if it has none; UserError if it cannot be read."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: cannot read the manifest ({e}); use --force to start "
                        "again or another --out") from None
    return data if isinstance(data, dict) else None


def check_experiment_dir(out: Path, spec: dict, digest: str, resume: bool,
                         force: bool) -> dict | None:
    """Refuse a folder the experiment may not use; return its manifest when resuming.

    Writes nothing: called before any file of the experiment is touched.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is a file; choose a folder path")
    if resume:
        old = read_manifest(out)
        if old is None or "spec_hash" not in old:
            raise UserError(f"--resume: {out} holds no experiment to continue (no experiment "
                            f"{MANIFEST}); run without --resume")
        if old["spec_hash"] != digest:
            diff = spec_difference(old.get("spec"), json.loads(_canonical(spec)))
            raise UserError(
                f"--resume: the spec changed since {out} was created ({diff or 'content'}; "
                f"hash {old['spec_hash'][:12]} != {digest[:12]}); use a new --out, or --force "
                "to start again")
        return old
    # a killed run's lock and temporaries (never results) do not make a folder "used"
    if out.is_dir() and any(p.name != LOCK_FILE and not TMP_NAME.fullmatch(p.name)
                            for p in out.iterdir()) and not force:
        try:
            old = read_manifest(out)
        except UserError:
            old = None
        if old and old.get("spec_hash") == digest:
            raise UserError(f"--out {out}: holds this experiment already; add --resume to "
                            "continue it or --force to start again")
        raise UserError(f"--out {out}: folder exists and is not empty; use --resume to "
                        "continue an experiment, --force to overwrite, or another --out")
    return None


@contextmanager
def experiment_lock(out: Path) -> Iterator[None]:
    """Hold the folder for one run at a time (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(Path(out) / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"--out {out}: another run is using this folder; wait for it "
                            "or choose another --out") from None
        yield
    finally:
        os.close(fd)


def experiment_manifest(old: dict | None, *, session: dict, **fields) -> dict:
    """A new manifest, or the old one updated, with this session appended."""
    if old is None:
        return manifest(**fields, sessions=[session])
    return {**old, **fields, "sessions": [*old.get("sessions", []), session]}


def job_path(out: Path, key: str) -> Path:
    return Path(out) / JOBS_DIR / f"{key}.parquet"


def write_job(out: Path, key: str, frame) -> Path:
    path = job_path(out, key)
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as e:
        raise write_error(path.parent, e) from None
    return write_frame(path, frame)


def read_job(out: Path, key: str, columns: list[str] | None = None):
    import pandas as pd

    return pd.read_parquet(job_path(out, key), columns=columns)


def _remove_leftovers(folder: Path) -> None:
    """Delete atomic_write temporaries left by a killed run (never read as results)."""
    for path in folder.iterdir():
        if TMP_NAME.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)


def finished_jobs(out: Path) -> set[str]:
    """Keys of the runs whose files are complete; temporaries and unreadable files go."""
    import pyarrow.parquet as pq

    out = Path(out)
    _remove_leftovers(out)
    folder = out / JOBS_DIR
    if not folder.is_dir():
        return set()
    _remove_leftovers(folder)
    done = set()
    for path in folder.iterdir():
        if JOB_NAME.fullmatch(path.name):
            try:
                pq.read_metadata(path)
            except Exception:  # noqa: BLE001 - any unreadable file is run again
                path.unlink(missing_ok=True)
                continue
            done.add(path.name[:16])
    return done


def clear_jobs(out: Path) -> None:
    """Remove the engine's job files (for --force); other files in the folder stay."""
    folder = Path(out) / JOBS_DIR
    if folder.is_dir():
        for path in folder.iterdir():
            if JOB_NAME.fullmatch(path.name) or TMP_NAME.fullmatch(path.name):
                path.unlink(missing_ok=True)
    for name in (SUMMARY, SUMMARY_CSV, LOG_FILE):
        (Path(out) / name).unlink(missing_ok=True)


def _experiment_folder(folder) -> Path:
    folder = Path(folder)
    if not (folder / JOBS_TABLE).is_file():
        raise UserError(f"{folder}: no experiment results here (no {JOBS_TABLE})")
    return folder


def load_jobs(folder):
    """The jobs table: one row per job (scenario, point, replication, seed, varied values)."""
    import pandas as pd

    return pd.read_parquet(_experiment_folder(folder) / JOBS_TABLE)


def load_summary(folder):
    """One row per job: its identifiers and every outcome (analysis/outcomes.py)."""
    import pandas as pd

    path = _experiment_folder(folder) / SUMMARY
    if not path.is_file():
        raise UserError(f"{folder}: no {SUMMARY} yet (the run did not finish; resume it)")
    return pd.read_parquet(path)


def load(folder, columns: list[str] | None = None, scenarios: list[str] | None = None,
         counterfactual: bool = False):
    """Time series as one tidy frame: one row per job and month, with the job's identifiers.

    `columns` picks reporters (all by default; `month` always comes), `scenarios` picks
    scenarios. `counterfactual=True` gives each shocked job's no-shock twin instead. Jobs
    not finished yet are left out. A `simulate` folder gives its single time series.
    """
    import pandas as pd

    folder = Path(folder)
    if not (folder / JOBS_TABLE).is_file() and (folder / "timeseries.parquet").is_file():
        return pd.read_parquet(folder / "timeseries.parquet", columns=columns)
    jobs = load_jobs(folder)
    if scenarios is not None:
        jobs = jobs[jobs["scenario"].isin(list(scenarios))]
    key = "counterfactual" if counterfactual else "key"
    jobs = jobs[jobs[key] != ""]
    wanted = None if columns is None else ["month", *[c for c in columns if c != "month"]]
    parts = []
    for k in dict.fromkeys(jobs[key]):
        if job_path(folder, k).is_file():
            parts.append(read_job(folder, k, wanted).assign(_key=k))
    ids = [c for c in jobs.columns if c not in ("key", "counterfactual")]
    if not parts:
        return pd.DataFrame(columns=ids + (wanted or ["month"]))
    series = pd.concat(parts, ignore_index=True)
    tidy = jobs[ids + [key]].merge(series, left_on=key, right_on="_key", how="inner")
    tidy = tidy.drop(columns=[key, "_key"]).sort_values(["job", "month"], kind="stable")
    return tidy.reset_index(drop=True)
