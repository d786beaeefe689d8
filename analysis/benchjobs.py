"""Experiment throughput: jobs per second, serially, on 2 workers, and through mesa.batch_run.

One run measures, for the same jobs (the baseline scenario, `firms` firms, the registry's
burn-in and `months` months, `jobs` replications with the experiment engine's seeds):

- the engine serially (`workers=1`, in this process),
- the engine on a local process pool of `workers` processes,
- the engine on a local Dask cluster of `workers` processes,
- `mesa.batch_run(SMEEcosystem, ..., number_processes=workers, rng=[seeds])`.

Each engine time is the whole `analysis.runner.run` call into a fresh folder: starting the
workers, running, writing every job file and the summary. The Dask time includes starting
the cluster. batch_run keeps its results in memory and writes nothing. The engine's rows
also give the mean time of one job inside its worker (from log.jsonl): two jobs running at
once on two cores each take longer than one alone, which bounds the speed-up. Usage:

    python -m analysis.benchjobs [--firms 2000] [--months 120] [--jobs 8] [--workers 2]

`measure()` returns the figures as a dict (for a future `run.py bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from simulation.scenario import load_scenario

from .runner import Experiment, run


def _engine(experiment: Experiment, folder: Path, **executor) -> tuple[float, float]:
    """Wall seconds of the whole run, and the mean seconds one job took inside its worker."""
    from . import store

    started = time.perf_counter()
    run(experiment, folder, quiet=True, **executor)
    wall = time.perf_counter() - started
    log = [json.loads(line) for line in (folder / store.LOG_FILE).read_text().splitlines()]
    return wall, sum(r["seconds"] for r in log) / len(log)


def _batch_run(firms: int, months: int, seeds: list[int], workers: int) -> float:
    import mesa

    from simulation import SMEEcosystem
    from simulation.params import PARAMS

    steps = PARAMS["burn_in"].default + months
    started = time.perf_counter()
    results = mesa.batch_run(SMEEcosystem, parameters={"n_firms": firms, "months": months,
                                                       "scenario": "baseline"},
                             number_processes=workers, rng=seeds, max_steps=steps,
                             data_collection_period=-1, display_progress=False)
    seconds = time.perf_counter() - started
    assert len(results) == len(seeds)
    return seconds


def measure(firms: int = 2000, months: int = 120, jobs: int = 8, workers: int = 2) -> dict:
    """Seconds and jobs per second of each way of running the same jobs."""
    experiment = Experiment("bench", [load_scenario("baseline")],
                            fixed={"n_firms": firms, "months": months}, replications=jobs)
    seeds = [experiment.seed(0, r) for r in range(jobs)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="benchjobs-") as tmp:
        tmp = Path(tmp)
        ways = [("engine, serial (1 process)", {"workers": 1}),
                (f"engine, process pool ({workers} workers)", {"workers": workers}),
                (f"engine, local Dask cluster ({workers} workers)", {"dask_local": workers})]
        for i, (label, executor) in enumerate(ways):
            seconds, per_job = _engine(experiment, tmp / f"run{i}", **executor)
            rows.append({"how": label, "seconds": seconds, "job_seconds": per_job})
    # last: batch_run switches multiprocessing to "spawn" for the whole process
    rows.append({"how": f"mesa.batch_run (number_processes={workers})",
                 "seconds": _batch_run(firms, months, seeds, workers), "job_seconds": None})
    serial = rows[0]["seconds"]
    for r in rows:
        r["jobs_per_second"] = jobs / r["seconds"]
        r["speedup"] = serial / r["seconds"]
    import mesa
    import numpy

    return {"firms": firms, "months": months, "jobs": jobs, "workers": workers,
            "cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": numpy.__version__, "rows": rows}


def markdown(result: dict) -> str:
    lines = ["| how | seconds | jobs per second | vs serial | one job, in its worker |",
             "|---|---:|---:|---:|---:|"]
    for r in result["rows"]:
        job = "" if r["job_seconds"] is None else f"{r['job_seconds']:.2f} s"
        lines.append(f"| {r['how']} | {r['seconds']:.2f} | {r['jobs_per_second']:.2f} | "
                     f"{r['speedup']:.2f}x | {job} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--firms", type=int, default=2000)
    p.add_argument("--months", type=int, default=120)
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args(argv)
    result = measure(args.firms, args.months, args.jobs, args.workers)
    print(f"{args.jobs} jobs of {args.firms:,} firms x {args.months} months (+ burn-in), "
          f"{result['cores']} cores, Python {result['python']}, Mesa {result['mesa']}")
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
