"""One model run from the command line: resolve, run with progress, write, summarise."""

from __future__ import annotations

import datetime as _dt
import sys
import time
from pathlib import Path

from tqdm import tqdm

from simulation import SMEEcosystem
from simulation.errors import UserError
from simulation.params import PARAMS, parse_assignment, validate
from simulation.scenario import inert_settings, load_scenario, to_toml

from . import plots, store
from .resources import check_memory, run_size
from .runner import counterfactual
from .summary import format_summary, resilience_summary, summarize


def resolve_overrides(firms: int | None, months: int | None, assignments: list[str]) -> dict:
    """--firms, --months and --set key=value as validated registry values (the same value
    given by a flag and by --set is refused: neither would silently win)."""
    overrides = dict(parse_assignment(a) for a in assignments)
    for flag, name, value in (("--firms", "n_firms", firms), ("--months", "months", months)):
        if value is not None:
            if name in overrides:
                raise UserError(f"{flag} and --set {name}=...: given twice; keep one")
            overrides[name] = PARAMS[name].check(value, f"{flag} ")
    return overrides


def run_model(model: SMEEcosystem, quiet: bool = False, label: str = "") -> None:
    """Run burn-in and horizon with a progress bar (months, rate, ETA) on stderr."""
    bar = tqdm(total=model.total_steps, unit="month", desc=label or "simulating",
               disable=quiet, file=sys.stderr, leave=False)
    while model.running:
        model.step()
        bar.update(1)
    bar.close()


def run_twin(scen, overrides: dict, seed: int, quiet: bool = False):
    """The run's no-shock twin as a frame of every month (burn-in included) and the seconds
    it took, or (None, 0.0) when no shock can be active in the run's horizon."""
    twin = counterfactual(scen, overrides)
    if twin is None:
        return None, 0.0
    started = time.perf_counter()
    model = SMEEcosystem(rng=seed, scenario=twin[0], **twin[1])
    run_model(model, quiet=quiet, label="no-shock twin")
    return (model.datacollector.get_model_vars_dataframe().reset_index(drop=True),
            time.perf_counter() - started)


def simulate(scenario: str = "baseline", firms: int | None = None, months: int | None = None,
             seed: int = 42, assignments: list[str] | None = None, out: str | None = None,
             force: bool = False, quiet: bool = False) -> Path:
    """Run one model and write its outputs; return the results folder."""
    if not 0 <= seed < 2**63:
        raise UserError(f"--seed {seed}: must be a whole number from 0 to 2^63 - 1")
    scen = load_scenario(scenario)
    overrides = resolve_overrides(firms, months, assignments or [])
    check_memory(*run_size(validate({**scen.params, **overrides})))
    for text in inert_settings(scen, overrides):
        print(f"warning: --set {text}: it changes nothing here", file=sys.stderr)
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{scen.name}-seed{seed}-{stamp}"
    out_dir = store.prepare_out_dir(out, force=force)

    started = time.perf_counter()
    model = SMEEcosystem(rng=seed, scenario=scen, **overrides)
    run_model(model, quiet=quiet, label=scen.name)
    elapsed = time.perf_counter() - started

    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "step", range(1, len(frame) + 1))
    # the no-shock twin (same parameters, policies and seed, the shocks removed) prices the
    # shock, as in sweep, compare and analysis.evaluate; a run without a shock has none
    twin, twin_seconds = run_twin(scen, overrides, seed, quiet)
    firms = model.firms
    summary = summarize(frame)
    del summary["mean_resilience_end"]  # again below, beside the scores' spread
    summary.update(resilience_summary(frame, twin, firms.resilience[firms.alive]))

    store.write_frame(out_dir / "timeseries.parquet", frame)
    store.write_frame(out_dir / "timeseries.csv", frame)
    store.write_text(out_dir / "scenario.toml", to_toml(scen, params=model.p, seed=seed))
    store.write_json(out_dir / "summary.json", summary)
    figures = plots.run_figures(frame, out_dir, title=scen.name)
    store.write_json(out_dir / "manifest.json", store.manifest(
        command="simulate", scenario=scen.name, scenario_source=scen.source, seed=seed,
        overrides=overrides, params=dict(model.p), seconds=round(elapsed, 3),
        no_shock_twin_seconds=None if twin is None else round(twin_seconds, 3),
        files=["timeseries.parquet", "timeseries.csv", "scenario.toml", "summary.json",
               *[f.name for f in figures]],
    ))

    p = model.p
    print(f"Scenario {scen.name}: {p['n_firms']:,} firms, {p['burn_in']} burn-in + "
          f"{p['months']} months, seed {seed} ({elapsed:.1f} s"
          + ("" if twin is None else f"; its no-shock twin {twin_seconds:.1f} s") + ")")
    print(format_summary(summary))
    print(f"Outputs: {out_dir}/ (timeseries.parquet/.csv, scenario.toml, summary.json, "
          f"manifest.json, {len(figures)} charts)")
    return out_dir
