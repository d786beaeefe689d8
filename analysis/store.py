"""Writing results to disk: output folders, atomic files, manifests.

Nothing already written is lost: a folder that holds files is refused unless
the caller passes force=True, and every file is written to a temporary name
in the same folder and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from simulation.errors import UserError

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "sme-alliance-sim")


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
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as e:
        raise UserError(
            f"--out {out}: cannot write there ({e.strerror or e}); choose another --out"
        ) from None
    return out


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; results are to share
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


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


def manifest(**fields) -> dict:
    """A manifest: what ran, with which seed, on which versions, when."""
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **fields,
        "versions": versions(),
        "git_revision": git_revision(),
    }
