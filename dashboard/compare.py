"""Compare: run scenarios side by side in the background and show the engine's comparison.

The page runs exactly `run.py compare` (the experiment engine: common random numbers,
no-shock twins, paired 95 % intervals, cost per unit of public money) in a child process,
so the page never freezes, and a cancel really stops it: the child's whole process group
is ended, so no further model run starts. Progress is the number of model runs whose files
the engine has written (analysis/store.py) out of the number its manifest plans.

Every comparison gets its own new folder under results/ (serve.results_root) with the
engine's manifest, its scenario files (the variants the engine reads, and every scenario
resolved) and a note of what the page asked for (titles, population, warnings): it stays
after the session, a reload or a restart, and the Results page lists it. A cancelled
comparison keeps its finished runs; Continue finishes it with the engine's --resume.
The engine's log goes to the session's temporary folder. A session's comparison goes on
while its user looks at another page, and its progress is the session's own
(dashboard/session.py).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import solara

from analysis import store
from analysis.resources import check_memory
from analysis.runner import MAX_SEED, default_workers
from simulation.errors import UserError
from simulation.params import COUNTRIES, PARAMS, PARAMS_LIST, defaults, validate
from simulation.policies import COMMON_FIELDS, POLICY_KINDS, Policy
from simulation.scenario import Scenario, list_scenarios, load_scenario, to_toml
from simulation.shocks import SHOCK_FIELDS

from .common import (
    MONEY,
    POLICY_LABELS,
    SHOCK_LABELS,
    Markdown,
    check_value,
    country_label,
    param_label,
    shipped_titles,
)
from .results import NOTE_FILE, SCENARIOS_DIR, ResultsView, open_results
from .serve import results_root, stop_group
from .session import remembered, use_session

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "run.py"
DEFAULT_REFERENCE = "recession"
DEFAULT_OTHERS = ("recession_with_credit_guarantee", "recession_with_cluster_funding")
MAX_REPS = 100  # more belongs on the command line (run.py compare, or a sweep on a cluster)
MAX_FIRMS = 50_000
NO_CHANGE = "(no change)"
OWN_COUNTRY = ""  # the population block's "each scenario's own country"
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")


# --------------------------------------------------------------------------- the form
@dataclass(frozen=True)
class Variant:
    """A scenario the user derives from another on the page."""

    base: str = DEFAULT_REFERENCE
    name: str = "my_variant"
    # one entry per shock of the base, in its order: None = unchanged
    shock_depths: tuple[float | None, ...] = ()  # percent
    shock_months: tuple[int | None, ...] = ()  # months at full depth
    policy_scale: float | None = None
    add_policy: str = NO_CHANGE  # a POLICY_KINDS name
    add_budget: float | None = None  # None: the budget the shipped scenarios give it
    add_start: int = 1
    add_end: int = 120
    setting: str = NO_CHANGE  # a registry parameter name
    setting_value: str = ""


@dataclass(frozen=True)
class Form:
    reference: str = DEFAULT_REFERENCE  # a shipped scenario or a variant's name
    others: tuple[str, ...] = DEFAULT_OTHERS
    reps: int = 3
    firms: int = 500
    months: int = 60
    seed: int = 42
    country: str = OWN_COUNTRY  # OWN_COUNTRY or one of COUNTRIES, for every scenario
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class Request:
    """One comparison to run: the checked form, where its files go, and its number."""

    run_id: int
    scenarios: tuple[str, ...]  # shipped names, or paths of variant files; reference first
    reps: int
    firms: int
    months: int
    seed: int
    out: Path
    log: Path
    country: str = OWN_COUNTRY
    resume: bool = False  # continue a cancelled comparison in `out`


def shock_name(shock, index: int) -> str:
    """A shock in words: its kind, its depth and when it starts."""
    return (f"{SHOCK_LABELS[shock.kind].capitalize()} (shock {index + 1}, from month "
            f"{shock.start})")


@functools.cache
def usual_budget(kind: str) -> float:
    """The monthly budget the shipped scenarios give a programme (the registry's default
    where none has it): what a programme added to a variant starts from."""
    for name in shipped_titles():
        for policy in load_scenario(name).policies:
            if policy.kind == kind:
                return float(policy.budget)
    return float(COMMON_FIELDS["budget"].default)


def make_variant(v: Variant) -> Scenario:
    """The variant as a resolved scenario; UserError in plain words if a value is wrong."""
    if not NAME.fullmatch(v.name or ""):
        raise UserError(f"Name of the variant: '{v.name}' must start with a letter and use "
                        "only letters, digits and _ (e.g. recession_bigger_guarantee)")
    base = load_scenario(v.base)
    params = dict(base.params)
    changes = []
    shocks = list(base.shocks)
    for k, shock in enumerate(base.shocks):
        what = shock_name(shock, k)
        depth = v.shock_depths[k] if k < len(v.shock_depths) else None
        if depth is not None:
            new = check_value(SHOCK_FIELDS["depth"], depth / 100.0, f"{what}: depth")
            shocks[k] = replace(shocks[k], depth=new)
            if new != shock.depth:
                changes.append(f"{SHOCK_LABELS[shock.kind]} {depth:g} % deep")
        months = v.shock_months[k] if k < len(v.shock_months) else None
        if months is not None:
            new = check_value(SHOCK_FIELDS["duration"], months,
                              f"{what}: months at full depth")
            shocks[k] = replace(shocks[k], duration=new)
            if new != shock.duration:
                changes.append(f"{SHOCK_LABELS[shock.kind]} lasts {new} months at full depth")
    if v.policy_scale is not None:
        params["policy_scale"] = check_value(PARAMS["policy_scale"], v.policy_scale,
                                             param_label("policy_scale"))
        changes.append(f"programme budgets x {v.policy_scale:g}")
    policies = list(base.policies)
    if v.add_policy != NO_CHANGE:
        if v.add_policy not in POLICY_KINDS:
            raise UserError(f"Support programme to add: '{v.add_policy}' is not one of "
                            f"{', '.join(POLICY_LABELS.values())}")
        budget = check_value(COMMON_FIELDS["budget"],
                             usual_budget(v.add_policy) if v.add_budget is None
                             else v.add_budget, "Monthly budget of the added programme")
        start = check_value(COMMON_FIELDS["start"], v.add_start, "Programme starts in month")
        end = check_value(COMMON_FIELDS["end"], v.add_end, "Programme ends in month")
        if end < start:
            raise UserError(f"Programme ends in month {end}, before it starts (month "
                            f"{start}): make the end month at least the start month")
        policies.append(Policy(v.add_policy, budget=budget, start=start, end=end))
        changes.append(f"adds {POLICY_LABELS[v.add_policy].lower()} ({budget:g} {MONEY} a "
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
    description = (f"Variant of {base.label} made on the dashboard: "
                   + ("; ".join(changes) if changes else "no changes") + ".")
    return Scenario(name=v.name, description=description, params=params, shocks=shocks,
                    policies=policies, source="the dashboard's variant form",
                    chain=[*base.chain, v.name], title=f"{v.name} (your variant)")


def ordered(form: Form, variants: list[Scenario]) -> list[str]:
    """The names in the comparison, the reference first (shipped, then variants)."""
    names = [*dict.fromkeys([*form.others]), *[v.name for v in variants]]
    return [form.reference, *[n for n in names if n != form.reference]]


def check_form(form: Form) -> tuple[list[str], list[Scenario]]:
    """Every problem with the form, in plain words, and the variants."""
    errors = []
    variants: list[Scenario] = []
    for k, v in enumerate(form.variants):
        try:
            made = make_variant(v)
        except UserError as e:
            errors.append(f"Variant {k + 1}: {e}")
            continue
        if made.name in shipped_titles() or made.name in [x.name for x in variants]:
            errors.append(f"Variant {k + 1}: the name '{made.name}' is taken by another "
                          "scenario in the comparison; give the variant another name")
        variants.append(made)
    names = ordered(form, variants)
    if not form.reference or (form.reference not in shipped_titles()
                              and form.reference not in [v.name for v in variants]):
        errors.append("Pick the reference scenario (the one the others are compared with)")
    if len(names) < 2:
        errors.append("Pick at least one scenario to compare with the reference, or add a "
                      "variant")
    if form.country != OWN_COUNTRY and form.country not in COUNTRIES:
        errors.append(f"Country: '{form.country}' is not one of the model's countries")
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
        errors.append(f"Random draw: {form.seed!r} is not possible; give a whole number from "
                      "0 up")
    return errors, variants


def _resolved(ref: str | Scenario) -> Scenario | None:
    if isinstance(ref, Scenario):
        return ref
    try:
        return load_scenario(ref)
    except UserError:
        return None


def differences(form: Form, variants: list[Scenario]) -> list[str]:
    """Warnings: scenarios that differ from the reference in more than their support
    programmes (their shocks or their other settings, after the population block), whose
    differences then mix the programmes' effect with something else."""
    by_name = {v.name: v for v in variants}
    names = ordered(form, variants)
    ref = _resolved(by_name.get(names[0], names[0]))
    if ref is None:
        return []
    fixed = {"n_firms": form.firms, "months": form.months}
    if form.country != OWN_COUNTRY:
        fixed["country"] = form.country

    def settings(s: Scenario) -> dict:
        values = {**defaults(), **s.params, **fixed}
        values.pop("policy_scale")  # the size of the programmes is a policy
        return values

    def shocks(s: Scenario) -> list:
        return s.to_dict()["shocks"]

    out = []
    base = settings(ref)
    for name in names[1:]:
        other = _resolved(by_name.get(name, name))
        if other is None:
            continue
        values = settings(other)
        what = [f"{param_label(k, with_unit=False).lower()} ({_shown(k, values[k])} against "
                f"{_shown(k, base[k])})" for k in values if values[k] != base[k]]
        if shocks(other) != shocks(ref):
            what.insert(0, "its shocks")
        if what:
            out.append(f"{other.label} differs from the reference ({ref.label}) in more than "
                       f"its support programmes: {'; '.join(what)}. Its differences from the "
                       "reference mix the effect of these with the programmes' effect.")
    return out


def _shown(name: str, value) -> str:
    return country_label(value) if name == "country" else f"{value:g}" \
        if isinstance(value, float) else str(value)


def results_folder(form: Form) -> Path:
    """A new folder under results/ for a comparison: when and what (never reused)."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", form.reference)[:40]
    return results_root() / f"dashboard-{stamp}-{slug}-{secrets.token_hex(2)}"


def make_request(form: Form, variants: list[Scenario], scratch: Path,
                 run_id: int) -> Request:
    """Create the comparison's folder under results/ with its scenario files (the variants
    the engine reads, and every scenario resolved, for downloads) and a note of what the
    dashboard asked for; the engine's log goes to the session's scratch folder."""
    out = results_folder(form)
    folder = out / SCENARIOS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    by_name = {v.name: v for v in variants}
    scenarios, titles = [], {}
    for name in ordered(form, variants):
        scen = by_name.get(name) or load_scenario(name)
        path = folder / f"{scen.name}.toml"
        store.write_text(path, to_toml(scen))
        load_scenario(path)  # reads back as the engine will
        scenarios.append(str(path) if name in by_name else name)
        titles[scen.name] = scen.label
    store.write_json(out / NOTE_FILE, {
        "made_by": "dashboard", "created": store.now(), "titles": titles,
        "reference": form.reference, "country": form.country, "firms": form.firms,
        "warnings": differences(form, variants)})
    scratch.mkdir(parents=True, exist_ok=True)
    return Request(run_id, tuple(scenarios), form.reps, form.firms, form.months, form.seed,
                   out, scratch / f"compare-{run_id}.log", form.country)


def compare_workers() -> int:
    return max(1, default_workers() - 1)  # leave a core for the web server


def compare_command(req: Request) -> list[str]:
    """The `run.py compare` command line of a request (the CLI's own engine and checks).
    The folder holds the dashboard's scenario files before the engine starts, hence
    --force (which keeps them) the first time and --resume to continue."""
    workers = compare_workers()
    country = ["--set", f"country={req.country}"] if req.country != OWN_COUNTRY else []
    return [sys.executable, str(RUN_PY), "compare", *req.scenarios, "--reps", str(req.reps),
            "--firms", str(req.firms), "--months", str(req.months), "--seed", str(req.seed),
            *country, "--out", str(req.out), "--workers", str(workers), "--quiet",
            "--resume" if req.resume else "--force"]


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


def duration(seconds: float) -> str:
    """A duration in words, rounded as a person would say it."""
    if seconds < 60:
        return f"{max(5, 5 * round(seconds / 5)):.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def time_left(done: int, total: int, elapsed: float, first: int = 0) -> str:
    """'about 40 s left' from the pace so far ('' until the pace is known)."""
    new = done - first
    if new <= 0 or total <= done or elapsed <= 0:
        return ""
    return f"about {duration(elapsed / new * (total - done))} left"


def run_comparison(req: Request, cancel: threading.Event,
                   poll: float = 0.25) -> Iterator[Progress]:
    """Run `run.py compare` for a request in a child process; yield progress until it ends.

    Setting `cancel` ends the child's process group at once (no further model run starts)
    and yields a last 'cancelled' progress; the runs already finished stay in the folder,
    and a request with `resume` continues from them.
    """
    yield Progress("starting", 0, 0, "Starting the comparison...", req.out)
    started = time.monotonic()
    first: int | None = None  # runs already done when this session's runs began
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
                               f"Cancelled: {done} of {total} model runs had finished; they "
                               f"are kept in {req.out.name} (no more were started). Press "
                               "Continue to finish the comparison from there." if total else
                               "Cancelled before the model runs started.", req.out)
                return
            if total and first is None:
                first, started = done, time.monotonic()
            left = time_left(done, total, time.monotonic() - started, first or 0)
            now = Progress("running", done, total,
                           f"{done} of {total} model runs done" + (f" · {left}" if left
                                                                   else "")
                           if total else "Preparing the model runs...", req.out)
            if now != last:
                yield now
                last = now
        if code == 0:
            yield Progress("finished", total, total,
                           f"Finished at {_dt.datetime.now().strftime('%H:%M')}: {total} "
                           f"model runs. Saved in {req.out.name}, listed on the Results "
                           "page.", req.out)
        else:
            yield Progress("failed", done, total,
                           f"The comparison stopped: {_error_line(req.log)}", req.out)
    finally:
        if proc.poll() is None:
            stop_group(proc)


def scenario_files(out: Path) -> list[tuple[str, str]]:
    """(file name, TOML text) of every scenario of a comparison made on the dashboard."""
    folder = out / SCENARIOS_DIR
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.toml"))] \
        if folder.is_dir() else []


# --------------------------------------------------------------------------- components
def _label_of(kind: str) -> str:
    return POLICY_LABELS.get(kind, kind)


def _at(values: tuple, k: int):
    return values[k] if k < len(values) else None


def _put(values: tuple, k: int, value) -> tuple:
    out = list(values) + [None] * (k + 1 - len(values))
    out[k] = value
    return tuple(out)


@solara.component
def VariantForm(variant: Variant, on_change, on_remove, number: int):
    v = variant
    titles = shipped_titles()
    by_title = {t: n for n, t in titles.items()}

    def set_(**changes):
        on_change(replace(v, **changes))

    base = solara.use_memo(lambda: load_scenario(v.base), [v.base])
    with solara.Card(f"Variant {number}", margin=0, classes=["variant-form"],
                     style={"margin-top": "8px", "background": "#fafafa"}):
        solara.Select("Start from scenario", values=list(by_title),
                      value=titles.get(v.base, v.base),
                      on_value=lambda x: set_(base=by_title[x], shock_depths=(),
                                              shock_months=()))
        solara.InputText("Name of the variant (letters, digits and _)", value=v.name,
                         on_value=lambda x: set_(name=x.strip()))
        if not base.shocks:
            solara.Text("This scenario has no shock to change.")
        for k, shock in enumerate(base.shocks):
            what = shock_name(shock, k)
            depth = _at(v.shock_depths, k)
            months = _at(v.shock_months, k)
            with solara.Row(style={"gap": "8px"}):
                solara.InputFloat(f"{what}: depth (%)",
                                  value=depth if depth is not None
                                  else round(shock.depth * 100, 6),
                                  on_value=lambda x, k=k: set_(
                                      shock_depths=_put(v.shock_depths, k, x)))
                solara.InputInt(f"{what}: months at full depth",
                                value=months if months is not None else shock.duration,
                                on_value=lambda x, k=k: set_(
                                    shock_months=_put(v.shock_months, k, x)))
        solara.InputFloat(param_label("policy_scale"),
                          value=v.policy_scale if v.policy_scale is not None
                          else float(base.params.get("policy_scale",
                                                     PARAMS["policy_scale"].default)),
                          on_value=lambda x: set_(policy_scale=x))
        kinds = [NO_CHANGE, *POLICY_KINDS]
        solara.Select("Add a support programme", values=[_label_of(k) for k in kinds],
                      value=_label_of(v.add_policy),
                      on_value=lambda x: set_(add_policy=kinds[[_label_of(k) for k in kinds]
                                                                .index(x)], add_budget=None))
        if v.add_policy != NO_CHANGE:
            solara.InputFloat(f"Its monthly budget ({MONEY} per 1,000 firms)",
                              value=usual_budget(v.add_policy) if v.add_budget is None
                              else v.add_budget, on_value=lambda x: set_(add_budget=x))
            with solara.Row():
                solara.InputInt("From month", value=v.add_start,
                                on_value=lambda x: set_(add_start=x))
                solara.InputInt("To month", value=v.add_end,
                                on_value=lambda x: set_(add_end=x))
        settings = [NO_CHANGE, *[p.name for p in PARAMS_LIST if p.group != "run"
                                 and p.name not in ("n_firms", "country")]]
        labels = [NO_CHANGE if x == NO_CHANGE else param_label(x) for x in settings]
        solara.Select("Change one setting", values=labels,
                      value=labels[settings.index(v.setting)],
                      on_value=lambda x: set_(setting=settings[labels.index(x)]))
        if v.setting != NO_CHANGE:
            p = PARAMS[v.setting]
            solara.InputText(f"New value ({p.bounds_text}; the scenario has "
                             f"{base.params.get(p.name, p.default)})", value=v.setting_value,
                             on_value=lambda x: set_(setting_value=x))
            solara.Text(p.help, style={"font-size": "0.85em", "color": "#555"})
        solara.Button("Remove this variant", text=True, on_click=on_remove)


@solara.component
def ComparePage():
    titles = shipped_titles()
    by_title = {t: n for n, t in titles.items()}
    descriptions = dict(solara.use_memo(list_scenarios, []))
    # this browser session's form and runs, kept while its user is on another page; the
    # comparisons themselves are saved under results/ and stay
    session = use_session()
    kept = session.compare
    reference = remembered(kept, "reference", DEFAULT_REFERENCE)
    others = remembered(kept, "others", list(DEFAULT_OTHERS))
    reps = remembered(kept, "reps", 3)
    firms = remembered(kept, "firms", 500)
    months = remembered(kept, "months", 60)
    seed = remembered(kept, "seed", 42)
    country = remembered(kept, "country", OWN_COUNTRY)
    variants = remembered(kept, "variants", [])
    errors = solara.use_reactive([])
    progress: Progress | None = session.progress.value
    request: Request | None = session.job
    running = progress is not None and progress.state in ("starting", "running")

    def form() -> Form:
        return Form(reference.value, tuple(others.value), reps.value, firms.value,
                    months.value, seed.value, country.value, tuple(variants.value))

    def start():
        problems, made = check_form(form())
        errors.set(problems)
        if problems:
            return
        run_id = (request.run_id + 1) if request else 1
        try:
            req = make_request(form(), made, session.folder, run_id)
        except UserError as e:
            errors.set([str(e)])
            return
        session.start(req, lambda cancel: run_comparison(req, cancel))

    def resume():
        req = replace(request, resume=True)
        session.start(req, lambda cancel: run_comparison(req, cancel))

    made = [v.name for v in variants.value if NAME.fullmatch(v.name or "")]
    reference_names = [*titles, *made]
    reference_labels = [titles.get(n, f"{n} (your variant)") for n in reference_names]
    warnings = solara.use_memo(lambda: _warnings(form()),
                               [reference.value, tuple(others.value), country.value,
                                tuple(variants.value), firms.value, months.value])
    countries = [OWN_COUNTRY, *COUNTRIES]
    country_labels = ["Each scenario's own", *[country_label(c) for c in COUNTRIES]]

    solara.Title("Compare - SME alliance ecosystem")
    with solara.Column(style={"padding": "8px", "max-width": "1500px"}):
        Markdown(
            "Compare scenarios side by side: each is run several times with the same "
            "random draws, so differences come from the scenario, not from luck. You get the "
            "range of likely paths, a table of growth and resilience with 95 % confidence "
            "ranges, and a ranking of the support programmes by what they cost per unit "
            "gained. Every comparison is saved and stays on the **Results** page.")
        with solara.Row(style={"flex-wrap": "wrap", "gap": "16px", "align-items": "start"}):
            with solara.Card("Scenarios", style={"min-width": "420px", "flex": "1"}):
                solara.Select("Reference (what the others are compared with)",
                              values=reference_labels,
                              value=reference_labels[reference_names.index(reference.value)]
                              if reference.value in reference_names else None,
                              on_value=lambda x: reference.set(
                                  reference_names[reference_labels.index(x)]),
                              classes=["reference-picker"])
                solara.Text(descriptions.get(reference.value, ""),
                            style={"font-size": "0.85em", "color": "#555"})
                solara.SelectMultiple("Scenarios to compare with it", all_values=list(by_title),
                                      values=[titles[n] for n in others.value if n in titles],
                                      on_value=lambda xs: others.set([by_title[x] for x in xs]),
                                      classes=["others-picker"])
                for k, v in enumerate(variants.value):
                    VariantForm(v, on_change=lambda new, k=k: variants.set(
                        [*variants.value[:k], new, *variants.value[k + 1:]]),
                        on_remove=lambda k=k: variants.set(
                            [*variants.value[:k], *variants.value[k + 1:]]), number=k + 1)
                solara.Button("Add a variant: a scenario with your changes", text=True,
                              icon_name="mdi-plus", classes=["add-variant"],
                              on_click=lambda: variants.set(
                                  [*variants.value, Variant(name=_free_name(variants.value))]))
            with solara.Column(style={"min-width": "300px", "max-width": "380px"}):
                with solara.Card("Population", subtitle="The same in every scenario compared",
                                 margin=0):
                    solara.Select("Country", values=country_labels,
                                  value=country_labels[countries.index(country.value)],
                                  on_value=lambda x: country.set(
                                      countries[country_labels.index(x)]),
                                  classes=["population-country"])
                    solara.InputInt("Number of firms", value=firms, continuous_update=True)
                with solara.Card("Runs", margin=0):
                    for label, state in (
                            ("Runs per scenario (more: narrower ranges)", reps),
                            ("Months after the warm-up", months),
                            ("Random draw (same number, same results)", seed)):
                        solara.InputInt(label, value=state, continuous_update=True)
                    with solara.Row():
                        solara.Button("Run comparison", color="primary", on_click=start,
                                      disabled=running)
                        solara.Button("Cancel", on_click=session.cancel, disabled=not running)
                    for problem in errors.value:
                        solara.Error(problem, classes=["form-error"])
        for warning in warnings:
            solara.Warning(warning, dense=True, classes=["like-with-unlike"])
        if progress is not None:
            ProgressPanel(progress, request, resume)


def _free_name(variants: list[Variant]) -> str:
    taken = {v.name for v in variants}
    return next(f"my_variant_{k}" if k else "my_variant" for k in range(len(taken) + 1)
                if (f"my_variant_{k}" if k else "my_variant") not in taken)


def _warnings(form: Form) -> list[str]:
    variants = []
    for v in form.variants:
        try:
            variants.append(make_variant(v))
        except UserError:
            pass
    try:
        return differences(form, variants)
    except UserError:
        return []


@solara.component
def ProgressPanel(progress: Progress, req: Request | None, resume):
    if progress.state in ("starting", "running"):
        solara.ProgressLinear(progress.fraction)
        solara.Text(progress.message, classes=["compare-progress"])
        return
    if progress.state == "cancelled":
        solara.Warning(progress.message, classes=["compare-cancelled"])
        if progress.total:
            solara.Button("Continue", color="primary", on_click=resume,
                          classes=["continue-button"])
        return
    if progress.state == "failed":
        solara.Error(progress.message)
        return
    solara.Success(progress.message, dense=True, classes=["compare-finished"])
    FinishedComparison(progress.out)


@solara.component
def FinishedComparison(out: Path):
    results, error = solara.use_memo(lambda: _open(out), [out])
    if error:
        solara.Error(error)
        return
    ResultsView(results)


def _open(out: Path | None):
    try:
        return open_results(out), None
    except UserError as e:
        return None, str(e)
