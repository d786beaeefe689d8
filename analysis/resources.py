"""Memory: refuse up front a run or an experiment this machine cannot hold.

A model's peak memory is measured in docs/PERFORMANCE.md (`run.py bench`): about 1.2 KB per
firm (firm arrays, alliance book, an alliance or so per firm) on top of a fixed ~250 MB for
the Python process with numpy, pandas and Mesa loaded, plus a small record per month (the
reporters Mesa's DataCollector keeps), plus ~140 MB for numba and the compiled kernels in a
process whose model uses them (simulation/kernels.py: from 50,000 firms by default, and at
any size in an experiment's workers). An experiment holds one model per worker process at a
time (and the engine's own process), so its need is workers x one model.

What is available is /proc/meminfo's MemAvailable (or the free physical pages from
os.sysconf where there is no /proc). `SME_MEMORY_LIMIT` overrides it: a size (`8G`,
`1500M`, bytes) to budget for less (a shared machine) or more, or `off` to skip the check.

Every entry point calls this one module: `run.py simulate` (analysis/simulate.py), the
experiment engine (analysis/runner.py: compare, sweep, sensitivity), and the dashboard's
Explore and Compare pages.
"""

from __future__ import annotations

import os
import re

from simulation import kernels
from simulation.errors import UserError
from simulation.params import defaults

BYTES_PER_FIRM = 1200  # peak RSS per firm at 1M firms (docs/PERFORMANCE.md)
FIXED_BYTES = 250 * 2**20  # the process itself: Python, numpy, pandas, Mesa
BYTES_PER_MONTH = 8 * 2**10  # one DataCollector row of ~45 reporters, as Python objects
KERNEL_BYTES = 140 * 2**20  # numba and the compiled kernels (134 MB measured)
ENV = "SME_MEMORY_LIMIT"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def model_bytes(n_firms: int, steps: int = 0, many_models: bool = False) -> int:
    """Estimated peak memory of one process running one model of `n_firms` for `steps`
    months (burn-in included); `many_models`: a process that runs an experiment's models,
    which loads the kernels at any size (simulation/kernels.py)."""
    return (FIXED_BYTES + int(n_firms) * BYTES_PER_FIRM + int(steps) * BYTES_PER_MONTH
            + (KERNEL_BYTES if kernels.use(int(n_firms), many_models) else 0))


def experiment_bytes(n_firms: int, steps: int, workers: int, many_models: bool = False) -> int:
    """Estimated peak memory of an experiment with `workers` models running at once: each
    worker process holds one model, and the engine's own process (which, with one worker,
    is the one running the models) its fixed share. `many_models`: as in model_bytes."""
    per = model_bytes(n_firms, steps, many_models)
    return per if workers <= 1 else FIXED_BYTES + workers * per


def fmt_bytes(n: float) -> str:
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 2**10:.0f} KB"


def available_bytes() -> int | None:
    """Memory this process may plan for: SME_MEMORY_LIMIT if set, else MemAvailable; None
    when the check is switched off (SME_MEMORY_LIMIT=off) or nothing can be measured."""
    limit = os.environ.get(ENV, "").strip()
    if limit:
        if limit.lower() in ("off", "none"):
            return None
        m = _SIZE.fullmatch(limit)
        if not m:
            raise UserError(f"{ENV}={limit}: expected a size such as 8G or 1500M, or 'off' "
                            "to skip the memory check")
        return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _fix(workers: int, fits_workers: int, most_firms: int, place: str, flag: bool) -> str:
    if workers > 1 and fits_workers >= 1 and flag:
        return f"use --workers {fits_workers} or fewer firms"
    if most_firms >= 1:
        return f"use at most about {most_firms:,} firms ({place})"
    return "close other programs"


def run_size(params: dict) -> tuple[int, int]:
    """(firms, months including the burn-in) of a run with these (validated) parameters;
    the registry's defaults fill what they leave out."""
    p = {**defaults(), **params}
    return p["n_firms"], p["burn_in"] + p["months"]


def check_memory(n_firms: int, steps: int, workers: int = 1, place: str = "--firms",
                 workers_flag: bool = True, copies: str = "workers",
                 many_models: bool = False) -> None:
    """Raise UserError (one line: the estimate, what is available, the fix) when `workers`
    models of `n_firms` firms over `steps` months would not fit in the available memory.
    `place` names the input (--firms, a spec's firms, a dashboard field); `workers_flag`
    says whether the user can pass --workers; `copies` names the models held at once;
    `many_models`: each worker runs an experiment's models (as in model_bytes)."""
    avail = available_bytes()
    if avail is None:
        return
    workers = max(int(workers), 1)
    need = experiment_bytes(n_firms, steps, workers, many_models)
    if need <= avail:
        return
    per = model_bytes(n_firms, steps, many_models)
    fits_workers = (avail - FIXED_BYTES) // per if workers > 1 else 0
    fits_workers = int(min(max(fits_workers, 0), workers - 1))
    spare = avail - (FIXED_BYTES if workers > 1 else 0) - workers * (
        FIXED_BYTES + steps * BYTES_PER_MONTH)
    most_firms = max(int(spare // (workers * BYTES_PER_FIRM)), 0)
    if kernels.use(most_firms, many_models):  # a model that large pays numba's share too
        most_firms = max(int((spare - workers * KERNEL_BYTES) // (workers * BYTES_PER_FIRM)),
                         0 if kernels.use(0, many_models)
                         else min(most_firms, kernels.AUTO_MIN_ROWS - 1))
    what = (f"{workers} {copies} x {fmt_bytes(per)} per run" if workers > 1
            else "one run")
    fix = _fix(workers, fits_workers, most_firms, place, workers_flag)
    raise UserError(
        f"{place} {n_firms:,}: {what} of {n_firms:,} firms x {steps:,} months needs about "
        f"{fmt_bytes(need)} of memory, but {fmt_bytes(avail)} is available; "
        f"{fix}, or set {ENV}=off to try anyway"
    )
