"""Experiment jobs: seeds, tasks, executors, progress and resume (DESIGN §5).

An experiment is scenarios x parameter points x replications. Each (scenario, point,
replication) is a *job*. A job whose scenario has a shock in the horizon also needs its
no-shock *counterfactual* (the same scenario, parameters, policies and seed with every shock
removed) for the resilience metrics. Each distinct model run is a *task* named by its key:
a hash of everything the model's output depends on (resolved parameters, shocks, policies,
seed). Identical runs therefore share one key and run once (the counterfactual of
`recession` under common random numbers is the `baseline` job of the same replication), and
a finished task's file can never be mistaken for another's.

Seeds: replication i runs with the seed drawn from `numpy.random.SeedSequence(base_seed,
spawn_key=(i,))` (the i-th child of `SeedSequence(base_seed).spawn`), the same in every
scenario and at every parameter point (common random numbers), so scenario differences are
paired. `common_random_numbers=False` gives every scenario its own seeds (for demonstrating
what pairing buys).

Execution: tasks run on any `concurrent.futures.Executor`: in this process (`workers=1`),
a local process pool (default: all cores; "forkserver" start, never "fork", so it is safe
with threads), or a Dask distributed cluster (`scheduler="tcp://host:8786"`, or
`dask_local=N` workers on 127.0.0.1). Workers run `run_task` and return the time series;
this process writes each one as it arrives (`jobs/<key>.parquet`, atomically), so a cluster
needs no shared file system. At most two tasks per worker are in flight, so memory stays
bounded however many jobs there are. Wall-clock times and worker names go to `log.jsonl`,
never into the job files, which are therefore bit-identical whichever executor ran them.

Resume: a killed run started again with `resume=True` skips the tasks whose files exist
(temporary leftovers are deleted, never read) and ends with the same files as an
uninterrupted run. The spec is hashed into the manifest; resuming a changed spec is refused.
The key also holds a hash of the model's source (`model_version`), so runs finished by other
model code are run again rather than mixed in, and a worker whose model differs from this
process's is refused.

`SME_SCHEDULER_TIMEOUT` (seconds, default 10) bounds the wait for a Dask scheduler.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.errors import UserError
from simulation.params import defaults, validate
from simulation.scenario import FLAT_SETTINGS, SHOCK_SETTINGS, Scenario, apply_settings

from . import store
from .outcomes import OUTCOMES_LIST, job_outcomes
from .resources import check_memory, run_size
from .sampling import Factor, design_points, point_count

DEFAULT_SEED = 42
MAX_SEED = 2**63 - 1
# Jobs in one experiment at most: its plan (the jobs table) is held in memory and each job
# is a file; a million 120-month jobs are ~40 GB of results. Bigger: split it in several.
MAX_JOBS = 1_000_000


def replication_seed(base_seed: int, replication: int, stream: int | None = None) -> int:
    """The model seed of replication i: the same in every scenario unless `stream` is given."""
    key = (replication,) if stream is None else (replication, stream)
    state = np.random.SeedSequence(base_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))  # below 2^63, as the model's seed check wants


def check_seed(seed, where: str = "--seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"{where} {seed!r}: must be a whole number from 0 to 2^63 - 1")
    return seed


# --------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """One model run: what a worker needs, and nothing else (it is pickled to the worker)."""

    key: str
    scenario: Scenario
    params: dict
    seed: int


@lru_cache(maxsize=1)
def model_version() -> str:
    """A hash of the model's source (simulation/*.py) as this process sees it. Part of every
    task key, so runs finished by other model code are never reused, and checked against
    each worker's, so a cluster running other code is caught."""
    import simulation

    digest = hashlib.sha256()
    for path in sorted(Path(simulation.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def run_task(task: Task) -> tuple[pd.DataFrame, float, str, str]:
    """Run one model to the end; return its horizon months (one row each), the seconds it
    took, the worker's name and its model version. Runs in worker processes: importable,
    no side effects."""
    from simulation import SMEEcosystem, kernels  # here: reading a spec needs no Mesa

    kernels.for_many_models()  # numba's import, once per worker, is shared by its runs
    started = time.perf_counter()
    model = SMEEcosystem(rng=task.seed, scenario=task.scenario, **task.params)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    frame = frame[frame["month"] >= 1].reset_index(drop=True)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return frame, time.perf_counter() - started, worker, model_version()


def without_shocks(scenario: Scenario) -> Scenario:
    """The no-shock twin of a scenario: same parameters and policies, no scheduled shocks."""
    return replace(scenario, name=f"{scenario.name} (no shock)", shocks=[])


def has_shock(scenario: Scenario, resolved: dict) -> bool:
    """Can a shock be active in the horizon (months 1..months)? `resolved`: every parameter
    (the flat shock settings in it are applied to the scenario first)."""
    if resolved["random_shock_rate"] > 0:
        return True
    scenario = apply_settings(scenario, resolved)
    return any(s.intensity(m) > 0 for s in scenario.shocks
               for m in range(max(s.start, 1), resolved["months"] + 1))


def counterfactual(scenario: Scenario, params: dict) -> tuple[Scenario, dict] | None:
    """The no-shock twin run of a run (its scenario and parameters), or None when no shock
    can be active in its horizon. The twin drops the scheduled shocks, the flat shock
    settings (which then change nothing, so twins of points that differ only there are one
    run) and random shocks; it keeps every other parameter, the policies and the seed."""
    resolved = {**defaults(), **validate({**scenario.params, **params})}
    if not has_shock(scenario, resolved):
        return None
    twin_params = {k: v for k, v in params.items() if k not in SHOCK_SETTINGS}
    if resolved["random_shock_rate"] > 0:
        twin_params["random_shock_rate"] = 0.0
    return without_shocks(scenario), twin_params


def _canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _model_input(scenario: Scenario, params: dict) -> tuple[dict, str]:
    """The resolved parameters and a canonical text of everything but the seed.

    The text holds the shocks and policies with the flat settings applied, and those
    settings (and `policy_scale` when there is no policy) at their defaults: two points
    that differ only in a setting that changes nothing (e.g. `policy_scale` on a scenario
    without policies) are one run."""
    resolved = {**defaults(), **validate({**scenario.params, **params})}
    applied = apply_settings(scenario, resolved)
    plain = defaults()
    inert = [*FLAT_SETTINGS, *([] if applied.policies else ["policy_scale"])]
    d = applied.to_dict()
    return resolved, _canonical({"params": {**resolved, **{k: plain[k] for k in inert}},
                                 "shocks": d["shocks"], "policies": d["policies"],
                                 "model": model_version()})


def task_key(model_input: str, seed: int) -> str:
    return hashlib.sha256(f"{model_input}|seed={seed}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- experiment
@dataclass
class Experiment:
    """What to run: every scenario at every parameter point, `replications` times.

    `fixed` holds registry values applied to every job (firms, months, --set, a spec's
    [params]); `factors` the varied parameters and `design` how they are sampled.
    """

    command: str
    scenarios: list[Scenario]
    fixed: dict = field(default_factory=dict)
    factors: list[Factor] = field(default_factory=list)
    design: str = "grid"
    samples: int | None = None
    levels: int = 4
    second_order: bool = False
    replications: int = 1
    base_seed: int = DEFAULT_SEED
    common_random_numbers: bool = True
    reference: str | None = None
    outcomes: list[str] = field(default_factory=lambda: [o.name for o in OUTCOMES_LIST])
    description: str = ""
    overrides: dict = field(default_factory=dict)  # command-line values over a spec's

    def __post_init__(self):
        if isinstance(self.replications, bool) or not isinstance(self.replications, int) \
                or self.replications < 1:
            raise UserError(f"replications: {self.replications!r}: expected a whole number, "
                            "at least 1")
        check_seed(self.base_seed, "base_seed")
        names = [s.name for s in self.scenarios]
        if not names:
            raise UserError("scenarios: none given (name at least one)")
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise UserError(f"scenarios: {dup!r} is named twice (each scenario once)")
        self.reference = self.reference or names[0]
        if self.reference not in names:
            raise UserError(f"reference: {self.reference!r} is not one of the scenarios "
                            f"(valid: {', '.join(names)})")
        points = point_count(self.design, self.factors, self.samples, self.second_order)
        jobs = len(names) * points * self.replications
        if jobs > MAX_JOBS:
            raise UserError(
                f"replications: {len(names)} scenarios x {points:,} parameter points x "
                f"{self.replications:,} replications = {jobs:,} jobs, more than the "
                f"{MAX_JOBS:,} one experiment may hold; use fewer replications or samples, or "
                "split it into several experiments")
        self.points, self.sample_matrix = design_points(
            self.design, self.factors, self.samples, self.base_seed, self.levels,
            self.second_order)
        for i, point in enumerate(self.points):  # e.g. share_micro + share_small > 1
            try:
                for scen in self.scenarios:
                    validate({**scen.params, **self.fixed, **point})
            except UserError as e:
                raise UserError(f"vary: parameter point {i} {point}: {e}") from None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def seed(self, scenario_index: int, replication: int) -> int:
        stream = None if self.common_random_numbers else scenario_index + 1
        return replication_seed(self.base_seed, replication, stream)

    def spec(self) -> dict:
        """Everything that decides the jobs' results, canonical (hashed for --resume)."""
        scen = []
        for s in self.scenarios:
            d = s.to_dict()
            scen.append({k: d[k] for k in ("name", "params", "shocks", "policies")})
        return {
            "scenarios": scen,
            "params": dict(sorted(self.fixed.items())),
            "design": self.design,
            "vary": {f.name: f.to_dict() for f in self.factors},
            "samples": self.samples,
            "levels": self.levels if self.design == "morris" else None,
            "second_order": self.second_order if self.design == "sobol" else None,
            "replications": self.replications,
            "base_seed": self.base_seed,
            "common_random_numbers": self.common_random_numbers,
        }

    def plan(self) -> tuple[pd.DataFrame, list[Task]]:
        """The jobs table (one row per scenario x point x replication) and the distinct tasks
        (job runs and the counterfactuals they need), in a fixed order."""
        rows, tasks, seen = [], [], set()

        def add(key, scenario, params, seed):
            if key not in seen:
                seen.add(key)
                tasks.append(Task(key, scenario, params, seed))

        job = 0
        for si, scen in enumerate(self.scenarios):
            seeds = [self.seed(si, rep) for rep in range(self.replications)]
            for pi, point in enumerate(self.points):
                params = {**self.fixed, **point}
                text = _model_input(scen, params)[1]
                twin = counterfactual(scen, params)
                twin_params = twin_text = None
                if twin is not None:
                    twin, twin_params = twin
                    twin_text = _model_input(twin, twin_params)[1]
                for rep, seed in enumerate(seeds):
                    key = task_key(text, seed)
                    add(key, scen, params, seed)
                    cf_key = ""
                    if twin_params is not None:
                        cf_key = task_key(twin_text, seed)
                        add(cf_key, twin, twin_params, seed)
                    rows.append({"job": job, "scenario": scen.name, "point": pi,
                                 "replication": rep, "seed": seed, "key": key,
                                 "counterfactual": cf_key, **point})
                    job += 1
        return pd.DataFrame(rows), tasks


# --------------------------------------------------------------------------- executors
class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (for debugging and 1 worker)."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(e)
        return future


@dataclass
class Engine:
    executor: Executor
    slots: int  # tasks that can run at once
    label: str

    @property
    def window(self) -> int:
        """Tasks in flight at most: enough to keep every slot busy, few enough to bound memory."""
        return 1 if isinstance(self.executor, SerialExecutor) else max(2 * self.slots, 2)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _process_pool(workers: int) -> Executor:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        # workers start with the model loaded (analysis.runner imports it lazily)
        ctx.set_forkserver_preload(["analysis.runner", "simulation.model"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _quiet_dask() -> None:
    """Keep Dask's informational logging (and its workers') off the terminal."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)


SCHEDULER_ADDRESS = re.compile(r"((tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:.]+\]|[^:/\s\[\]]+):\d{1,5}")


def _dask_client(scheduler: str):
    if not SCHEDULER_ADDRESS.fullmatch(scheduler):
        raise UserError(f"--scheduler {scheduler}: expected a Dask scheduler address "
                        "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    _quiet_dask()
    from distributed import Client

    timeout = float(os.environ.get("SME_SCHEDULER_TIMEOUT", "10"))
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as e:  # noqa: BLE001 - OSError, TimeoutError, ValueError for bad addresses
        detail = " ".join(str(e).split()) or type(e).__name__
        raise UserError(
            f"--scheduler {scheduler}: cannot reach a Dask scheduler ({detail}); start one "
            "with 'dask scheduler' and pass its tcp://HOST:PORT, or use --dask-local N"
        ) from None


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None) -> Iterator[Engine]:
    """The executor to run tasks on; closed (and its cluster shut down) on exit."""
    if scheduler is not None and dask_local is not None:
        raise UserError("--scheduler and --dask-local: choose one")
    if (scheduler is not None or dask_local is not None) and workers is not None:
        raise UserError("--workers applies to the local process pool; with Dask the cluster's "
                        "workers run the jobs (drop --workers)")
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: expected at least 1")
    if dask_local is not None and dask_local < 1:
        raise UserError(f"--dask-local {dask_local}: expected at least 1 worker")

    if scheduler is not None or dask_local is not None:
        cluster = None
        if dask_local is not None:
            _quiet_dask()
            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = _dask_client(cluster.scheduler_address)
            label = f"local Dask cluster ({dask_local} workers)"
        else:
            client = _dask_client(scheduler)
            label = f"Dask scheduler {scheduler}"
        executor = client.get_executor(pure=False)
        try:
            yield Engine(executor, max(sum(client.nthreads().values()), 1), label)
        finally:
            executor.shutdown(wait=False)
            client.close()
            if cluster is not None:
                cluster.close()
        return

    workers = default_workers() if workers is None else workers
    if workers == 1:
        yield Engine(SerialExecutor(), 1, "serial (this process)")
        return
    pool = _process_pool(workers)
    ok = False
    try:
        yield Engine(pool, workers, f"process pool ({workers} workers)")
        ok = True
    finally:
        pool.shutdown(wait=ok, cancel_futures=True)


# --------------------------------------------------------------------------- running
@dataclass
class RunReport:
    out: Path
    jobs: pd.DataFrame
    summary: pd.DataFrame
    tasks: int
    ran: int
    skipped: int
    seconds: float
    executor: str


def _task_error(e: BaseException, task: Task) -> BaseException:
    """A worker's failure as the user should see it."""
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(e, UserError):
        return e
    if isinstance(e, BrokenProcessPool) or type(e).__name__ == "KilledWorker":
        return UserError("a worker process died (out of memory?); the finished jobs are kept: "
                         "run the same command with --resume to continue")
    return RuntimeError(f"task {task.key} ({task.scenario.name}, seed {task.seed}) failed: "
                        f"{type(e).__name__}: {e}")


def execute(engine: Engine, todo: list[Task], out: Path, total: int, quiet: bool) -> int:
    """Run `todo`, writing each task's file as it finishes; return how many ran."""
    bar = tqdm(total=total, initial=total - len(todo), unit="run", desc="runs", file=sys.stderr,
               disable=quiet, dynamic_ncols=True, smoothing=0.05, leave=False)
    pending: dict[Future, Task] = {}
    queue = iter(todo)
    ran = 0

    def fill():
        while len(pending) < engine.window:
            task = next(queue, None)
            if task is None:
                return
            pending[engine.executor.submit(run_task, task)] = task

    try:
        try:
            log = open(out / store.LOG_FILE, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            raise store.write_error(out / store.LOG_FILE, e) from None
        with log:
            fill()
            while pending:
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    task = pending.pop(future)
                    try:
                        frame, seconds, worker, version = future.result()
                    except Exception as e:  # noqa: BLE001
                        raise _task_error(e, task) from e
                    if version != model_version():
                        raise UserError(
                            f"worker {worker} runs another version of the model ({version}, "
                            f"here {model_version()}); install the same code on every worker")
                    store.write_job(out, task.key, frame)
                    try:
                        log.write(json.dumps({"key": task.key, "scenario": task.scenario.name,
                                              "seed": task.seed, "seconds": round(seconds, 4),
                                              "worker": worker}) + "\n")
                        log.flush()
                    except OSError as e:  # the job file is written; only its timing is lost
                        raise store.write_error(out / store.LOG_FILE, e) from None
                    ran += 1
                    bar.update(1)
                fill()
    except BaseException as e:
        for future in pending:
            future.cancel()
        bar.close()
        if isinstance(e, KeyboardInterrupt):
            print(f"stopped: {total - len(todo) + ran} of {total} runs are finished and kept; "
                  "run the same command with --resume to continue", file=sys.stderr)
        raise
    bar.close()
    return ran


def summarize_jobs(out: Path, jobs: pd.DataFrame, quiet: bool = True) -> pd.DataFrame:
    """One row per job: its identifiers and every outcome. Reads one job (and its
    counterfactual) at a time, so memory does not grow with the number of jobs."""
    counterfactuals: OrderedDict[str, pd.DataFrame] = OrderedDict()
    rows = []
    ids = [c for c in jobs.columns if c not in ("key", "counterfactual")]
    for job in tqdm(jobs.to_dict("records"), desc="outcomes", unit="job", file=sys.stderr,
                    disable=quiet or len(jobs) < 500, leave=False):
        frame = store.read_job(out, job["key"])
        cf = None
        if job["counterfactual"]:
            cf = counterfactuals.get(job["counterfactual"])
            if cf is None:
                cf = store.read_job(out, job["counterfactual"])
                counterfactuals[job["counterfactual"]] = cf
                if len(counterfactuals) > 256:
                    counterfactuals.popitem(last=False)
        rows.append({**{c: job[c] for c in ids}, **job_outcomes(frame, cf)})
    return pd.DataFrame(rows, columns=ids + [o.name for o in OUTCOMES_LIST])


def check_experiment_memory(command: str, tasks: list[Task], workers: int | None,
                            scheduler: str | None, dask_local: int | None) -> None:
    """Refuse (UserError) an experiment whose biggest run, on every local worker at once,
    would not fit in this machine's memory (analysis/resources.py). A remote Dask cluster's
    memory is its own: not checked here."""
    if scheduler is not None or not tasks:
        return
    slots = dask_local if dask_local is not None else (workers or default_workers())
    sizes = [run_size({**t.scenario.params, **t.params}) for t in tasks]
    firms = max(n for n, _ in sizes)
    steps = max(m for _, m in sizes)
    check_memory(firms, steps, min(slots, len(tasks)),
                 place="firms" if command == "sweep" else "--firms", many_models=True)


def run(experiment: Experiment, out: str | Path, *, resume: bool = False, force: bool = False,
        workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
        quiet: bool = False, argv: list[str] | None = None) -> RunReport:
    """Run (or resume) an experiment into `out`: job files, jobs table, summary, manifest.

    Everything that can be refused (the spec, the folder, the scheduler) is checked before
    anything in `out` is written.
    """
    if resume and force:
        raise UserError("--resume and --force: choose one (--resume continues, --force starts "
                        "again)")
    out = Path(out)
    jobs, tasks = experiment.plan()
    spec = experiment.spec()
    digest = store.spec_hash(spec)
    store.check_experiment_dir(out, spec, digest, resume=resume, force=force)
    check_experiment_memory(experiment.command, tasks, workers, scheduler, dask_local)
    started = time.perf_counter()
    with open_executor(workers, scheduler, dask_local) as engine:
        store.prepare_out_dir(out, force=True)
        with store.experiment_lock(out):
            old = store.check_experiment_dir(out, spec, digest, resume=resume, force=force)
            if not resume:
                store.clear_jobs(out)
            done = store.finished_jobs(out)
            session = {"started": store.now(), "executor": engine.label, "argv": argv,
                       "model_version": model_version(), "versions": store.versions(),
                       "git_revision": store.git_revision()}
            if old and old.get("sessions", [{}])[-1].get("model_version") != model_version():
                print("note: the model's code changed since the last session; runs it finished "
                      "are run again", file=sys.stderr)
            info = {"description": experiment.description, "reference": experiment.reference,
                    "outcomes": experiment.outcomes, "overrides": experiment.overrides}
            manifest = store.experiment_manifest(
                old, command=experiment.command, spec=spec, spec_hash=digest, info=info,
                base_seed=experiment.base_seed, jobs=len(jobs), runs=len(tasks),
                replication_seeds=[experiment.seed(0, r)
                                   for r in range(min(experiment.replications, 1000))],
                session=session)
            store.write_json(out / store.MANIFEST, manifest)
            store.write_frame(out / store.JOBS_TABLE, jobs)

            todo = [t for t in tasks if t.key not in done]
            ran = execute(engine, todo, out, len(tasks), quiet)
            summary = summarize_jobs(out, jobs, quiet)
            store.write_frame(out / store.SUMMARY, summary)
            store.write_frame(out / store.SUMMARY_CSV, summary)
            seconds = time.perf_counter() - started
            session.update(finished=store.now(), ran=ran, skipped=len(tasks) - len(todo),
                           seconds=round(seconds, 3))
            store.write_json(out / store.MANIFEST, manifest)
    return RunReport(out, jobs, summary, len(tasks), ran, len(tasks) - len(todo), seconds,
                     engine.label)
