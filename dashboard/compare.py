"""Compare: run scenarios side by side in the background and show the engine's comparison.

The page runs exactly `run.py compare` (the experiment engine: common random numbers,
no-shock twins, paired 95 % intervals, cost per unit of public money) in a child process,
so the page never freezes, and a cancel really stops it: the child's whole process group
is ended, so no further model run starts. Progress is the number of model runs whose files
the engine has written (analysis/store.py) out of the number its manifest plans.

Each browser session has its own folder (a temporary directory removed when the session
ends) for its variants and results, and its comparison goes on while its user looks at
another page; sessions never see each other's runs (dashboard/session.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import solara

from analysis import store
from analysis.resources import check_memory
from analysis.runner import MAX_SEED, default_workers
from simulation.errors import UserError
from simulation.params import PARAMS, PARAMS_LIST, validate
from simulation.policies import COMMON_FIELDS, POLICY_KINDS, Policy
from simulation.scenario import Scenario, list_scenarios, load_scenario, to_toml
from simulation.shocks import SHOCK_FIELDS

from .common import POLICY_LABELS, check_value, param_label
from .results import ResultsView, open_results
from .serve import stop_group
from .session import remembered, use_session

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "run.py"
DEFAULT_REFERENCE = "recession"
DEFAULT_OTHERS = ("recession_with_credit_guarantee", "recession_with_cluster_funding")
MAX_REPS = 100  # more belongs on the command line (run.py compare, or a sweep on a cluster)
MAX_FIRMS = 50_000
NO_CHANGE = "(no change)"
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")


# --------------------------------------------------------------------------- the form
@dataclass(frozen=True)
class Variant:
    """A scenario the user derives from another on the page."""

    base: str = DEFAULT_REFERENCE
    name: str = "my_variant"
    shock_depth_pct: float | None = None  # every shock of the base, None = unchanged
    shock_months: int | None = None
    policy_scale: float | None = None
    add_policy: str = NO_CHANGE  # a POLICY_KINDS name
    add_budget: float = 100.0
    add_start: int = 1
    add_end: int = 120
    setting: str = NO_CHANGE  # a registry parameter name
    setting_value: str = ""


@dataclass(frozen=True)
class Form:
    reference: str = DEFAULT_REFERENCE
    others: tuple[str, ...] = DEFAULT_OTHERS
    reps: int = 3
    firms: int = 500
    months: int = 60
    seed: int = 42
    variant: Variant | None = None


@dataclass(frozen=True)
class Request:
    """One comparison to run: the checked form, where its files go, and its number."""

    run_id: int
    scenarios: tuple[str, ...]  # shipped names, or paths of variant files
    reps: int
    firms: int
    months: int
    seed: int
    out: Path
    log: Path


def make_variant(v: Variant) -> Scenario:
    """The variant as a resolved scenario; UserError in plain words if a value is wrong."""
    if not NAME.fullmatch(v.name or ""):
        raise UserError(f"Name of the variant: '{v.name}' must start with a letter and use "
                        "only letters, digits and _ (e.g. recession_bigger_guarantee)")
    base = load_scenario(v.base)
    params = dict(base.params)
    changes = []
    shocks = list(base.shocks)
    if v.shock_depth_pct is not None and shocks:
        depth = check_value(SHOCK_FIELDS["depth"], v.shock_depth_pct / 100.0,
                            "Depth of the shocks")
        shocks = [replace(s, depth=depth) for s in shocks]
        changes.append(f"shocks {v.shock_depth_pct:g} % deep")
    if v.shock_months is not None and shocks:
        months = check_value(SHOCK_FIELDS["duration"], v.shock_months,
                             "Months each shock lasts at full depth")
        shocks = [replace(s, duration=months) for s in shocks]
        changes.append(f"shocks last {months} months at full depth")
    if v.policy_scale is not None:
        params["policy_scale"] = check_value(PARAMS["policy_scale"], v.policy_scale,
                                             param_label("policy_scale"))
        changes.append(f"programme budgets x {v.policy_scale:g}")
    policies = list(base.policies)
    if v.add_policy != NO_CHANGE:
        if v.add_policy not in POLICY_KINDS:
            raise UserError(f"Support programme to add: '{v.add_policy}' is not one of "
                            f"{', '.join(POLICY_LABELS.values())}")
        budget = check_value(COMMON_FIELDS["budget"], v.add_budget,
                             "Monthly budget of the added programme")
        start = check_value(COMMON_FIELDS["start"], v.add_start, "Programme starts in month")
        end = check_value(COMMON_FIELDS["end"], v.add_end, "Programme ends in month")
        if end < start:
            raise UserError(f"Programme ends in month {end}, before it starts (month "
                            f"{start}): make the end month at least the start month")
        policies.append(Policy(v.add_policy, budget=budget, start=start, end=end))
        changes.append(f"adds {POLICY_LABELS[v.add_policy].lower()} ({budget:g} thousand a "
                       f"month per 1,000 firms, months {start}-{end})")
    if v.setting != NO_CHANGE:
        if v.setting not in PARAMS:
            raise UserError(f"Setting to change: '{v.setting}' is not a setting")
        label = param_label(v.setting)
        params[v.setting] = check_value(PARAMS[v.setting], v.setting_value.strip(), label)
        changes.append(f"{label} = {params[v.setting]}")
    try:
        validate(params)
    except UserError as e:
        raise UserError(f"The variant's settings do not fit together: {e}") from None
    description = (f"Variant of {base.name} made on the dashboard: "
                   + ("; ".join(changes) if changes else "no changes") + ".")
    return Scenario(name=v.name, description=description, params=params, shocks=shocks,
                    policies=policies, source="the dashboard's variant form",
                    chain=[*base.chain, v.name])


def check_form(form: Form) -> tuple[list[str], Scenario | None]:
    """Every problem with the form, in plain words, and the variant if there is one."""
    errors = []
    names = [form.reference, *[n for n in form.others if n != form.reference]]
    variant = None
    if form.variant is not None:
        try:
            variant = make_variant(form.variant)
            if variant.name in names:
                errors.append(f"Name of the variant: '{variant.name}' is already a scenario "
                              "in the comparison; give the variant another name")
        except UserError as e:
            errors.append(str(e))
    if not form.reference:
        errors.append("Pick the reference scenario (the one the others are compared with)")
    if len(names) + (form.variant is not None) < 2:
        errors.append("Pick at least one scenario to compare with the reference, or add a "
                      "variant")
    checks = [("reps", "Runs per scenario", 1, MAX_REPS),
              ("firms", "Number of firms", 1, MAX_FIRMS),
              ("months", "Months after the warm-up", 1, PARAMS["months"].high)]
    for attr, label, low, high in checks:
        value = getattr(form, attr)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            more = (" (for more, use 'run.py compare' on the command line)"
                    if attr in ("reps", "firms") else "")
            errors.append(f"{label}: {value!r} is not possible; give a whole number from "
                          f"{low:,} to {high:,}{more}")
    if not errors:  # the machine's memory, for the sizes asked (analysis/resources.py)
        try:
            check_memory(form.firms, PARAMS["burn_in"].default + form.months,
                         compare_workers(), place="Number of firms", workers_flag=False)
        except UserError as e:
            errors.append(str(e))
    if isinstance(form.seed, bool) or not isinstance(form.seed, int) \
            or not 0 <= form.seed <= MAX_SEED:
        errors.append(f"Random seed: {form.seed!r} is not possible; give a whole number from "
                      "0 up")
    return errors, variant


def make_request(form: Form, variant: Scenario | None, session: Path, run_id: int) -> Request:
    """Write the variant's file and name the output folder of run `run_id`."""
    scenarios = [form.reference, *[n for n in form.others if n != form.reference]]
    if variant is not None:
        path = session / "variants" / f"{variant.name}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(path, to_toml(variant))
        load_scenario(path)  # reads back as the engine will
        scenarios.append(str(path))
    out = session / f"compare-{run_id}"
    return Request(run_id, tuple(scenarios), form.reps, form.firms, form.months, form.seed,
                   out, session / f"compare-{run_id}.log")


def compare_workers() -> int:
    return max(1, default_workers() - 1)  # leave a core for the web server


def compare_command(req: Request) -> list[str]:
    """The `run.py compare` command line of a request (the CLI's own engine and checks)."""
    workers = compare_workers()
    return [sys.executable, str(RUN_PY), "compare", *req.scenarios, "--reps", str(req.reps),
            "--firms", str(req.firms), "--months", str(req.months), "--seed", str(req.seed),
            "--out", str(req.out), "--workers", str(workers), "--quiet"]


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Progress:
    state: str  # starting | running | finished | failed | cancelled
    done: int
    total: int  # 0 until the engine has planned the runs
    message: str
    out: Path | None = None

    @property
    def fraction(self) -> float | bool:
        return self.done / self.total if self.total else True


def count_runs(out: Path) -> tuple[int, int]:
    """(model runs finished, model runs planned) of an experiment being written in `out`."""
    total = 0
    try:
        total = int(json.loads((out / store.MANIFEST).read_text(encoding="utf-8"))["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    jobs = out / store.JOBS_DIR
    done = sum(1 for p in jobs.iterdir() if store.JOB_NAME.fullmatch(p.name)) \
        if jobs.is_dir() else 0
    return done, total


def _error_line(log: Path) -> str:
    try:
        lines = [x for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]
    except OSError:
        return "no message"
    errors = [x for x in lines if x.startswith("error:")]
    return (errors[-1].removeprefix("error:").strip() if errors
            else lines[-1] if lines else "no message")


def run_comparison(req: Request, cancel: threading.Event,
                   poll: float = 0.25) -> Iterator[Progress]:
    """Run `run.py compare` for a request in a child process; yield progress until it ends.

    Setting `cancel` ends the child's process group at once (no further model run starts)
    and yields a last 'cancelled' progress.
    """
    yield Progress("starting", 0, 0, "Starting the comparison...", req.out)
    with open(req.log, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(compare_command(req), cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        last = None
        while True:
            code = proc.poll()
            done, total = count_runs(req.out)
            if code is not None:
                break
            if cancel.wait(poll):
                stop_group(proc)  # the engine and its workers
                done, total = count_runs(req.out)
                yield Progress("cancelled", done, total,
                               f"Cancelled: {done} of {total} model runs had finished; no "
                               "more were started." if total else
                               "Cancelled before the model runs started.", req.out)
                return
            now = Progress("running", done, total,
                           f"{done} of {total} model runs done" if total
                           else "Preparing the model runs...", req.out)
            if now != last:
                yield now
                last = now
        if code == 0:
            yield Progress("finished", total, total, f"Finished: {total} model runs.", req.out)
        else:
            yield Progress("failed", done, total,
                           f"The comparison stopped: {_error_line(req.log)}", req.out)
    finally:
        if proc.poll() is None:
            stop_group(proc)


def scenario_files(req: Request) -> list[tuple[str, str]]:
    """(file name, TOML text) of every scenario of a request, fully resolved."""
    out = []
    for ref in req.scenarios:
        scen = load_scenario(ref)
        out.append((f"{scen.name}.toml", to_toml(scen)))
    return out


# --------------------------------------------------------------------------- components
def _label_of(kind: str) -> str:
    return POLICY_LABELS.get(kind, kind)


@solara.component
def VariantForm(variant: solara.Reactive[Variant], names: list[str]):
    v = variant.value

    def set_(**changes):
        variant.set(replace(variant.value, **changes))

    base = solara.use_memo(lambda: load_scenario(v.base), [v.base])
    solara.Select("Start from scenario", values=names, value=v.base,
                  on_value=lambda x: set_(base=x, shock_depth_pct=None, shock_months=None))
    solara.InputText("Name of the variant (letters, digits and _)", value=v.name,
                     on_value=lambda x: set_(name=x.strip()))
    if base.shocks:
        first = base.shocks[0]
        solara.InputFloat("Depth of its shocks (%; e.g. 20 = demand falls by 20 %)",
                          value=v.shock_depth_pct if v.shock_depth_pct is not None
                          else round(first.depth * 100, 6),
                          on_value=lambda x: set_(shock_depth_pct=x))
        solara.InputInt("Months each shock lasts at full depth",
                        value=v.shock_months if v.shock_months is not None else first.duration,
                        on_value=lambda x: set_(shock_months=x))
    else:
        solara.Text("This scenario has no shock to change.")
    solara.InputFloat(param_label("policy_scale"),
                      value=v.policy_scale if v.policy_scale is not None
                      else float(base.params.get("policy_scale", PARAMS["policy_scale"].default)),
                      on_value=lambda x: set_(policy_scale=x))
    kinds = [NO_CHANGE, *POLICY_KINDS]
    solara.Select("Add a support programme", values=[_label_of(k) for k in kinds],
                  value=_label_of(v.add_policy),
                  on_value=lambda x: set_(add_policy=kinds[[_label_of(k) for k in kinds]
                                                            .index(x)]))
    if v.add_policy != NO_CHANGE:
        solara.InputFloat("Its monthly budget (thousand per 1,000 firms)", value=v.add_budget,
                          on_value=lambda x: set_(add_budget=x))
        with solara.Row():
            solara.InputInt("From month", value=v.add_start, on_value=lambda x: set_(add_start=x))
            solara.InputInt("To month", value=v.add_end, on_value=lambda x: set_(add_end=x))
    settings = [NO_CHANGE, *[p.name for p in PARAMS_LIST if p.group != "run"
                             and p.name != "n_firms"]]
    labels = [NO_CHANGE if s == NO_CHANGE else param_label(s) for s in settings]
    solara.Select("Change one setting", values=labels,
                  value=labels[settings.index(v.setting)],
                  on_value=lambda x: set_(setting=settings[labels.index(x)]))
    if v.setting != NO_CHANGE:
        p = PARAMS[v.setting]
        solara.InputText(f"New value ({p.bounds_text}; the scenario has "
                         f"{base.params.get(p.name, p.default)})", value=v.setting_value,
                         on_value=lambda x: set_(setting_value=x))
        solara.Text(p.help, style={"font-size": "0.85em", "color": "#555"})


@solara.component
def ComparePage():
    scenarios = solara.use_memo(list_scenarios, [])
    names = [n for n, _ in scenarios]
    descriptions = dict(scenarios)
    # this browser session's form, runs and folder (variants and results), kept while its
    # user is on another page and removed when the session ends
    session = use_session()
    kept = session.compare
    reference = remembered(kept, "reference", DEFAULT_REFERENCE)
    others = remembered(kept, "others", list(DEFAULT_OTHERS))
    reps = remembered(kept, "reps", 3)
    firms = remembered(kept, "firms", 500)
    months = remembered(kept, "months", 60)
    seed = remembered(kept, "seed", 42)
    with_variant = remembered(kept, "with_variant", False)
    variant = remembered(kept, "variant", Variant())
    errors = solara.use_reactive([])
    progress: Progress | None = session.progress.value
    request: Request | None = session.job
    running = progress is not None and progress.state in ("starting", "running")

    def start():
        form = Form(reference.value, tuple(others.value), reps.value, firms.value,
                    months.value, seed.value, variant.value if with_variant.value else None)
        problems, made = check_form(form)
        errors.set(problems)
        if problems:
            return
        run_id = (request.run_id + 1) if request else 1
        try:
            req = make_request(form, made, session.folder, run_id)
        except UserError as e:
            errors.set([str(e)])
            return
        session.start(req, lambda cancel: run_comparison(req, cancel))

    solara.Title("Compare - SME alliance ecosystem")
    with solara.Column(style={"padding": "8px", "max-width": "1500px"}):
        solara.Markdown(
            "Compare scenarios side by side: each is run several times with the same "
            "random draws, so differences come from the scenario, not from luck. You get the "
            "range of likely paths, a table of growth and resilience with 95 % confidence "
            "ranges, and the public money each support programme spent per unit gained.")
        with solara.Row(style={"flex-wrap": "wrap", "gap": "16px", "align-items": "start"}):
            with solara.Card("Scenarios", style={"min-width": "380px", "flex": "1"}):
                solara.Select("Reference (what the others are compared with)", values=names,
                              value=reference)
                solara.Text(descriptions.get(reference.value, ""),
                            style={"font-size": "0.85em", "color": "#555"})
                solara.SelectMultiple("Scenarios to compare with it", all_values=names,
                                      values=others)
                solara.Checkbox(label="Also run a variant: a scenario with your changes",
                                value=with_variant)
                if with_variant.value:
                    VariantForm(variant, names)
            with solara.Card("Runs", style={"min-width": "280px", "max-width": "360px"}):
                for label, state in (
                        ("Runs per scenario (more: narrower ranges)", reps),
                        ("Number of firms", firms), ("Months after the warm-up", months),
                        ("Random seed (same seed, same results)", seed)):
                    solara.InputInt(label, value=state, continuous_update=True)
                with solara.Row():
                    solara.Button("Run comparison", color="primary", on_click=start,
                                  disabled=running)
                    solara.Button("Cancel", on_click=session.cancel, disabled=not running)
        for problem in errors.value:
            solara.Error(problem)
        if progress is not None:
            ProgressPanel(progress, request)


@solara.component
def ProgressPanel(progress: Progress, req: Request | None):
    if progress.state in ("starting", "running"):
        solara.ProgressLinear(progress.fraction)
        solara.Text(progress.message, classes=["compare-progress"])
        return
    if progress.state == "cancelled":
        solara.Warning(progress.message)
        return
    if progress.state == "failed":
        solara.Error(progress.message)
        return
    solara.Success(progress.message, dense=True)
    FinishedComparison(progress.out, req)


@solara.component
def FinishedComparison(out: Path, req: Request | None):
    results, error = solara.use_memo(lambda: _open(out), [out])
    if error:
        solara.Error(error)
        return
    if req is not None:
        with solara.Row(style={"flex-wrap": "wrap"}):
            for name, text in scenario_files(req):
                solara.FileDownload(text, filename=name, label=f"Download {name}",
                                    mime_type="application/toml")
    ResultsView(results)


def _open(out: Path | None):
    try:
        return open_results(out), None
    except UserError as e:
        return None, str(e)
