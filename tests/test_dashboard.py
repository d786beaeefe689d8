"""The dashboard without a browser: its pieces, and its pages rendered with solara.render.

The same pages in a real browser, served by `run.py dashboard`, are in tests/browser/.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from mesa.experimental.scenarios import Scenario as MesaScenario
from test_experiments import SHOCK_TOML  # a deep, short demand shock early on

import run as cli
from analysis import evaluate
from dashboard import compare as cmp
from dashboard import explore, results, serve
from dashboard.common import param_label
from dashboard.session import SESSION, Session, use_new_session
from simulation.errors import UserError
from simulation.params import PARAMS, PARAMS_LIST
from simulation.scenario import load_scenario


@pytest.fixture(autouse=True)
def results_folder(tmp_path, monkeypatch):
    """Comparisons made by these tests are saved in a temporary results/, not the project's."""
    folder = tmp_path / "results"
    monkeypatch.setenv(serve.RESULTS_ENV, str(folder))
    return folder


def small_model(name="recession", **params) -> explore.ExploreModel:
    return explore.ExploreModel(name, rng=3, **{"n_firms": 300, "burn_in": 6, "months": 40,
                                                **params})


# --------------------------------------------------------------------------- settings
def test_every_setting_has_a_plain_label_and_an_input_from_the_registry():
    for p in PARAMS_LIST:  # labels and help from the registry, for people
        assert p.label and p.help, p.name
        for jargon in ("§", "TARGETS", "docs/", "O(n", "^", "calibrated", "assumption", "sd "):
            assert jargon not in p.help, (p.name, jargon)
    inputs = explore.model_params("kenya")
    shown = {k for k, v in inputs.items() if isinstance(v, dict)}
    assert shown == {"rng"} | (set(PARAMS) - set(explore.FIXED))
    assert inputs["scenario_name"] == "kenya" and inputs["structure_stats_every"] == 1
    assert inputs["country"]["value"] == "kenya"  # the scenario's settings are loaded
    assert inputs["n_firms"]["value"] == 2000
    for p in PARAMS_LIST:
        if p.name in explore.FIXED:
            continue
        widget = inputs[p.name]
        assert widget["label"] == param_label(p.name), widget
        if widget["type"] == "SliderFloat":
            steps = (widget["max"] - widget["min"]) / widget["step"]
            assert steps >= 100
            for x in (widget["value"], widget["min"]):
                assert abs(x / widget["step"] - round(x / widget["step"])) < 1e-6, p.name


def test_explore_model_takes_the_scenario_by_name_and_runs_the_warm_up():
    model = small_model(scenario=MesaScenario())  # what SolaraViz's Reset passes
    assert model.input_error is None
    assert model.scenario_spec.name == "recession"
    assert model.month == 0 and model.report["month"] == 0
    model.step()
    assert model.month == 1


@pytest.mark.parametrize("params, needles", [
    ({"share_micro": 0.9, "share_small": 0.5}, ["'Share of micro firms", "exceeds 1"]),
    ({"n_firms": 0}, ["'Number of firms at the start'", "out of range"]),
    ({"scenario_name": "no_such_scenario"}, ["no_such_scenario", "unknown"]),
])
def test_impossible_settings_become_a_message_not_an_exception(params, needles):
    model = explore.ExploreModel(**{"scenario_name": "baseline", **params})
    assert all(n in model.input_error for n in needles), model.input_error
    steps = model.steps
    model.step()
    assert model.month == 0 and model.running is False and model.steps >= steps


# --------------------------------------------------------------------------- figures
def test_shock_and_policy_periods_come_from_the_scenario():
    model = small_model("recession_with_credit_guarantee")
    months = np.arange(1, 100)
    shocked = months[explore.shock_months(model, months)]
    assert shocked.min() == 24 and shocked.max() == 24 + 12 + 11  # a year, a year fading
    assert explore.policy_periods(model) == [(1, 1200, "Public credit guarantee")]
    assert explore.policy_periods(small_model("recession_with_credit_guarantee",
                                              policy_scale=0.0)) == []


def test_figures_are_redrawn_from_the_model_each_month():
    model = small_model()
    figures = [explore.make_figure(model, name) for name in explore.FIGURES]
    first = [f.png() for f in figures]
    assert all(png.startswith(b"\x89PNG") for png in first)
    for _ in range(3):
        model.step()
    again = [f.png() for f in figures]
    assert all(a != b for a, b in zip(first, again))
    assert figures[0].lines[0].get_xdata()[-1] == 3


def test_partnerships_are_counted_per_100_firms_by_country_sector_and_type():
    model = small_model(n_firms=1000)
    for _ in range(3):
        model.step()
    book, s = model.alliances.book, model.firms
    memberships = (book.members[book.active] >= 0).sum()
    for by in ("country", "sector"):
        names, per100, firms = explore.partnership_counts(model, by)
        assert firms.sum() == s.alive.sum() and len(names) == len(firms) == per100.shape[0]
        assert per100.shape[1] == len(explore.ALLIANCE_TYPES)
        # every member counted once, in its own country or sector
        assert np.isclose((per100 * firms[:, None] / 100).sum(), memberships)
    names, _, _ = explore.partnership_counts(small_model("kenya", n_firms=300), "country")
    assert names == ["Kenya"]  # a one-country model shows that country only


def test_headlines_and_the_month_in_words():
    model = small_model()
    assert explore.situation(model) == ("No shock this month. No support programme "
                                        "running.")
    while model.month < 25:
        model.step()
    cards = {h.title: h for h in explore.headlines(model)}
    assert cards["Month"].value == "25 of 40"
    assert cards["Firms in business"].note.endswith("since month 0")
    text = explore.situation(model)
    assert "fall in customer demand" in text and "credit crunch" in text


def test_the_resilience_card_prices_the_shock_against_the_no_shock_twin():
    """The card leads with the sales lost to the shock so far against the model's no-shock
    twin, stepped beside it: at the end, the number analysis.evaluate (and sweep) gives for
    the same point and seed. The scores' mean and share at the top are its note."""
    model = small_model()
    assert model.first_shock is not None
    card = explore.resilience_headline(model)
    assert card.value == "none yet" and f"starts in month {model.first_shock}" in card.note
    while model.month < model.first_shock:
        assert model.twin is None  # the same months as the model's until the shock
        model.step()
    assert model.twin is not None and model.twin.steps == model.steps  # caught up
    while model.running:
        model.step()
        assert model.twin.steps == model.steps  # lock-step
    card = explore.resilience_headline(model)
    lost = float(card.value.removesuffix(" %"))
    assert lost > 0 and card.kind == "shock-cost"
    assert "on average" in card.note and "at the top" in card.note
    values = {k: x for k, x in model.p.items() if k in PARAMS}
    point = evaluate(values, scenario="recession", seed=3, outcomes=["output_lost"])
    assert explore.shock_cost(model)["output_lost"] == point["output_lost"]
    assert card.value == f"{point['output_lost']:.1f} %"
    cards = [h.title for h in explore.headlines(model)]
    assert "Sales lost to the shock so far" in cards and "Resilience score" not in cards


def test_without_a_shock_the_resilience_card_says_so_and_no_twin_runs():
    model = small_model("baseline")
    model.step()
    assert model.twin is None
    card = explore.resilience_headline(model)
    assert card.value == "no shock" and "no shock" in card.note
    assert "on average" in card.note


# --------------------------------------------------------------------------- Explore page
def month_card(rc) -> str:
    return rc.find(v.Html, class_="headline-value").widgets[0].children[0]


def markdown_text(rc) -> str:
    return "\n".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)


def identity(rc) -> str:
    return rc.find(v.Html, class_="model-identity").widget.children[0]


def sliders(rc) -> dict:
    return {w.label: w for w in rc.find(v.Slider).widgets}


def click(rc, label: str, times: int = 1) -> None:
    for _ in range(times):
        rc.find(v.Btn, children=[label]).widget.click()


CREDIT_GUARANTEE = "Recession + public credit guarantee"
FIRMS = "Number of firms at the start (firms)"


def test_explore_pages_step_their_own_models(monkeypatch):
    monkeypatch.setitem(explore.PAGE_DEFAULTS, "n_firms", 300)
    _, page_a = solara.render(solara.AppLayout(children=[explore.ExplorePage()]),
                              handle_error=False)
    _, page_b = solara.render(solara.AppLayout(children=[explore.ExplorePage()]),
                              handle_error=False)
    assert month_card(page_a) == month_card(page_b) == "0 of 120"
    assert len(page_a.find(ipywidgets.Image).widgets) == len(explore.FIGURES)
    click(page_a, "Step one month", 2)
    assert month_card(page_a) == "2 of 120"
    assert month_card(page_b) == "0 of 120"  # another session's model did not move

    # the scenario picker (by title) loads a scenario into this page's model only
    page_b.find(v.Select, class_="scenario-picker").widget.v_model = "Recession: demand " \
        "and credit fall (no support)"
    page_b.find(v.Html, children=[load_scenario("recession").description.replace("\n", " ")]) \
        .assert_single()
    click(page_b, "Step one month")
    assert month_card(page_b) == "1 of 120" and month_card(page_a) == "2 of 120"
    assert sliders(page_b)[FIRMS].v_model == 300


def test_the_model_on_screen_is_the_model_of_the_settings_shown(monkeypatch):
    """The bug of issue 22: Reset built a 3,000-firm baseline whatever the screen showed.
    Every change of scenario or setting builds exactly the model the sidebar shows."""
    monkeypatch.setitem(explore.PAGE_DEFAULTS, "n_firms", 300)
    built = []
    real = explore.build_model
    monkeypatch.setattr(explore, "build_model", lambda values: built.append(values)
                        or real(values))
    _, rc = solara.render(solara.AppLayout(children=[explore.ExplorePage()]),
                          handle_error=False)
    rc.find(v.Select, class_="scenario-picker").widget.v_model = CREDIT_GUARANTEE
    assert built[-1]["scenario_name"] == "recession_with_credit_guarantee"
    assert identity(rc) == (f"Model on screen: {CREDIT_GUARANTEE} · All five countries · "
                            "300 firms at the start · random draw 42")
    sliders(rc)[FIRMS].v_model = 400
    {w.label: w for w in rc.find(v.Select).widgets}["Country"].v_model = "Kenya"
    assert identity(rc) == (f"Model on screen: {CREDIT_GUARANTEE} · Kenya · "
                            "400 firms at the start · random draw 42")
    values = built[-1]
    assert (values["scenario_name"], values["country"], values["n_firms"]) == \
        ("recession_with_credit_guarantee", "kenya", 400)
    shown = {w.label: w.v_model for w in rc.find(v.Slider).widgets}
    for p in PARAMS_LIST:  # every slider shows the value the model was built with
        if param_label(p.name) in shown:
            assert shown[param_label(p.name)] == pytest.approx(values[p.name]), p.name
    click(rc, "Step one month", 3)
    click(rc, "Start again")  # the same settings, from month 0
    assert month_card(rc) == "0 of 120" and built[-1] == values
    assert identity(rc).endswith("Kenya · 400 firms at the start · random draw 42")


def test_explore_page_says_what_is_wrong_with_impossible_settings(monkeypatch):
    monkeypatch.setitem(explore.PAGE_DEFAULTS, "n_firms", 300)
    _, page = solara.render(solara.AppLayout(children=[explore.ExplorePage()]),
                            handle_error=False)
    sliders(page)["Share of small firms (10-49 staff) (share, 0-1)"].v_model = 0.99
    alert = page.find(v.Alert, type="error").widget
    assert "These settings are not possible" in alert.children[0]
    assert "exceeds 1" in alert.children[0]
    sliders(page)["Share of small firms (10-49 staff) (share, 0-1)"].v_model = 0.0
    page.find(v.Alert, type="error").assert_empty()
    assert month_card(page) == "0 of 120"


def test_the_session_keeps_each_page_while_its_user_is_on_another(monkeypatch):
    monkeypatch.setitem(explore.PAGE_DEFAULTS, "n_firms", 300)
    shown = solara.reactive("explore")

    @solara.component
    def App():
        SESSION.provide(use_new_session())
        page = explore.ExplorePage() if shown.value == "explore" else cmp.ComparePage()
        return solara.AppLayout(children=[page])

    _, rc = solara.render(App(), handle_error=False)
    rc.find(v.Select, class_="scenario-picker").widget.v_model = CREDIT_GUARANTEE
    sliders(rc)[FIRMS].v_model = 500
    click(rc, "Step one month")
    shown.set("compare")
    fields = {w.label: w for w in rc.find(v.TextField).widgets}
    fields["Number of firms"].v_model = "123"
    shown.set("explore")
    assert month_card(rc) == "1 of 120"  # the same model, where it was left
    assert rc.find(v.Select, class_="scenario-picker").widget.v_model == CREDIT_GUARANTEE
    assert sliders(rc)[FIRMS].v_model == 500  # and the sidebar shows its settings
    assert "500 firms at the start" in identity(rc)
    shown.set("compare")
    assert {w.label: w for w in rc.find(v.TextField).widgets}["Number of firms"].v_model \
        == "123"


def test_a_session_runs_one_job_at_a_time_and_cleans_up_when_it_ends():
    progress = solara.reactive(None)
    session = Session(progress)
    folder = session.folder
    assert folder.is_dir()
    stopped = []

    def steps(cancel):
        yield "started"
        cancel.wait(10)
        stopped.append(cancel.is_set())
        yield "stopped"

    session.start("first", steps)
    deadline = time.monotonic() + 5
    while progress.value != "started" and time.monotonic() < deadline:
        time.sleep(0.01)
    session.start("second", lambda cancel: iter(["second done"]))  # the first one stops
    session.close()
    deadline = time.monotonic() + 5
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped == [True] and session.job == "second"
    assert progress.value == "second done"  # the stopped job's last report was not shown
    assert not folder.exists()


# --------------------------------------------------------------------------- Compare
def test_the_compare_form_names_every_problem_in_plain_words():
    problems, _ = cmp.check_form(cmp.Form(others=(), firms=0, reps=0, months=0, seed=-1))
    text = "\n".join(problems)
    for needle in ("Pick at least one scenario to compare", "Number of firms: 0 is not",
                   "Runs per scenario: 0 is not", "Months after the warm-up: 0",
                   "Random draw: -1"):
        assert needle in text, text
    problems, _ = cmp.check_form(cmp.Form(variants=(cmp.Variant(
        add_policy="credit_guarantee", add_budget=-5.0),)))
    assert problems == ["Variant 1: Monthly budget of the added programme: -5.0 is out of "
                        "range (valid: 0.0 to 1000000000.0 thousand/month per 1,000 firms)"]
    bad = [cmp.Variant(name="recession"), cmp.Variant(name="1st try"),
           cmp.Variant(add_policy="rd_grants", add_start=30, add_end=10),
           cmp.Variant(setting="share_small", setting_value="0.9"),
           cmp.Variant(setting="trust_build_rate", setting_value="fast"),
           cmp.Variant(shock_depths=(None, 140.0))]
    needles = ["is taken by another scenario", "must start with a letter", "before it starts",
               "do not fit together", "expected a number",
               "Credit crunch (shock 2, from month 24): depth"]
    for variant, needle in zip(bad, needles):
        problems, _ = cmp.check_form(cmp.Form(variants=(variant,)))
        assert len(problems) == 1 and needle in problems[0], problems
    twins = (cmp.Variant(name="twin"), cmp.Variant(name="twin"))
    problems, _ = cmp.check_form(cmp.Form(variants=twins))
    assert problems == ["Variant 2: the name 'twin' is taken by another scenario in the "
                        "comparison; give the variant another name"]


def test_variants_are_written_as_scenario_files_the_engine_reads(tmp_path, monkeypatch):
    monkeypatch.setenv(serve.RESULTS_ENV, str(tmp_path / "results"))
    deeper = cmp.Variant(base="recession", name="deeper_with_brokering",
                         shock_depths=(30.0, None), shock_months=(18, 6),
                         add_policy="trust_brokering", add_start=20, add_end=48,
                         setting="trust_build_rate", setting_value="0.2")
    form = cmp.Form(reference="deeper_with_brokering", country="kenya", firms=400,
                    others=("recession_with_credit_guarantee",),
                    variants=(deeper, cmp.Variant(name="as_is")))
    problems, variants = cmp.check_form(form)
    assert problems == []
    req = cmp.make_request(form, variants, tmp_path / "scratch", run_id=7)
    # the reference first (here a variant), saved under results/, not in the session
    assert req.out.parent == tmp_path / "results" and req.out.name.startswith("dashboard-")
    assert req.scenarios[1] == "recession_with_credit_guarantee"
    back = load_scenario(req.scenarios[0])
    assert back.name == "deeper_with_brokering"
    assert [s.depth for s in back.shocks] == [0.3, 0.4]  # each shock by its own name
    assert [s.duration for s in back.shocks] == [18, 6]
    # the budget the shipped scenario gives trust brokering (25), not a made-up 100
    assert back.policies[-1].kind == "trust_brokering" and back.policies[-1].budget == 25.0
    assert back.params["trust_build_rate"] == 0.2
    assert load_scenario(req.scenarios[2]).name == "as_is"
    command = cmp.compare_command(req)
    assert command[1].endswith("run.py") and command[2] == "compare"
    for flag, value in (("--reps", "3"), ("--firms", "400"), ("--months", "60"),
                        ("--set", "country=kenya"), ("--out", str(req.out))):
        assert command[command.index(flag) + 1] == value
    assert "--force" in command and "--resume" not in command
    assert "--resume" in cmp.compare_command(dataclasses.replace(req, resume=True))
    assert [name for name, _ in cmp.scenario_files(req.out)] == sorted([
        "deeper_with_brokering.toml", "recession_with_credit_guarantee.toml", "as_is.toml"])
    note = results.read_note(req.out)
    assert note["titles"]["recession_with_credit_guarantee"] == \
        "Recession + public credit guarantee"
    assert note["country"] == "kenya"


def test_a_comparison_of_unlike_scenarios_is_flagged():
    kenya = cmp.Form(reference="recession", others=("kenya", "recession_with_rd_grants"))
    (warning,) = cmp.differences(kenya, [])
    assert warning.startswith("Kenya: ordinary times differs from the reference")
    assert "its shocks" in warning and "country (Kenya against All five countries)" in warning
    # the population block makes them alike in country; the shocks still differ
    (warning,) = cmp.differences(dataclasses.replace(kenya, country="kenya"), [])
    assert "its shocks" in warning and "country" not in warning
    alike = cmp.Form(reference="recession", others=("recession_with_rd_grants",),
                     country="kenya")
    assert cmp.differences(alike, []) == []


def test_time_left_is_said_as_a_person_would():
    assert cmp.time_left(0, 80, 10.0) == ""
    assert cmp.time_left(20, 80, 10.0) == "about 30 s left"
    assert cmp.time_left(10, 80, 60.0) == "about 7 min left"
    assert cmp.time_left(30, 80, 10.0, first=20) == "about 50 s left"  # resumed: new runs only


@pytest.fixture(scope="module")
def finished_comparison(tmp_path_factory):
    """A tiny comparison run the way the Compare page runs it."""
    session = tmp_path_factory.mktemp("session")
    shock = session / "early_shock.toml"
    shock.write_text(SHOCK_TOML)
    req = cmp.Request(1, ("baseline", str(shock)), reps=2, firms=80, months=10, seed=5,
                      out=session / "results" / "compare-1", log=session / "compare-1.log")
    progress = list(cmp.run_comparison(req, threading.Event(), poll=0.05))
    return req, progress


def test_a_comparison_runs_in_the_background_with_progress(finished_comparison):
    req, progress = finished_comparison
    assert progress[0].state == "starting"
    assert progress[-1].state == "finished", progress[-1]
    # 2 scenarios x 2 runs; the shock's no-shock twin is the baseline run with the same seed
    assert progress[-1].done == progress[-1].total == 4
    counts = [p.done for p in progress if p.state == "running"]
    assert counts == sorted(counts)
    res = results.open_results(req.out)
    assert res.kind == "compare"
    assert res.title == "Comparison against Ordinary times: no shock, no support (all five " \
        "countries)"
    assert "Firms alive at end" in res.table and "Early shock" in res.table
    assert "2 runs each, 80 firms, 10 months" in res.summary
    assert {name for name, _ in res.downloads} == {"comparison.csv", "costs.csv"}
    assert res.comparators == {"early_shock": "baseline"}
    value = results.value_markdown(results.value_for_money(res.runs, res.comparators,
                                                           "firms"), "firms", res.titles, False)
    assert "Cost per firm kept in business, thousand USD-equivalent" in value
    assert "Spent no more public money than Ordinary times" in value
    assert progress[-1].message.startswith("Finished at ")
    assert "listed on the Results page" in progress[-1].message
    assert len(res.images) >= 4 and all(png.startswith(b"\x89PNG") for _, png in res.images)


def test_cancel_ends_the_comparison_and_starts_no_more_runs(tmp_path):
    req = cmp.Request(1, ("recession", "recession_with_rd_grants"), reps=40, firms=3000,
                      months=60, seed=1, out=tmp_path / "compare-1", log=tmp_path / "log")
    cancel = threading.Event()
    seen = []
    for p in cmp.run_comparison(req, cancel, poll=0.05):
        seen.append(p)
        if p.state == "running" and p.total:
            cancel.set()
    assert seen[-1].state == "cancelled", seen[-1]
    assert seen[-1].message.startswith("Cancelled: ")
    assert "they are kept in compare-1" in seen[-1].message
    done = cmp.count_runs(req.out)[0]
    time.sleep(1.5)
    assert cmp.count_runs(req.out)[0] == done < seen[-1].total


def test_continue_finishes_a_cancelled_comparison_from_its_kept_runs(tmp_path):
    req = cmp.Request(1, ("recession", "recession_with_rd_grants"), reps=4, firms=200,
                      months=30, seed=1, out=tmp_path / "compare-1", log=tmp_path / "log")
    cancel = threading.Event()
    for p in cmp.run_comparison(req, cancel, poll=0.05):
        if p.state == "running" and p.done >= 1:
            cancel.set()
    kept = cmp.count_runs(req.out)[0]
    assert p.state == "cancelled" and kept >= 1, p
    listed = results.listed(req.out)
    assert listed.state == "unfinished" and f"unfinished: {kept} of" in listed.what
    last = list(cmp.run_comparison(dataclasses.replace(req, resume=True), threading.Event(),
                                   poll=0.05))[-1]
    assert last.state == "finished" and last.done == last.total, last
    assert results.open_results(req.out).kind == "compare"
    assert results.listed(req.out).state == "finished"


def test_a_failed_comparison_says_why(tmp_path):
    req = cmp.Request(1, ("baseline", "no_such_scenario"), reps=1, firms=10, months=2,
                      seed=1, out=tmp_path / "out", log=tmp_path / "log")
    last = list(cmp.run_comparison(req, threading.Event(), poll=0.05))[-1]
    assert last.state == "failed"
    assert "no_such_scenario" in last.message and "unknown" in last.message


# --------------------------------------------------------------------------- Results
def _file(folder: Path, name: str, returned: Path | None = None) -> Path:
    (folder / name).write_text("x")
    return returned or folder / name


@pytest.mark.parametrize("make, needle", [
    (lambda p: "", "Type the path of a results folder"),
    (lambda p: p / "missing", "There is no folder at"),
    (lambda p: _file(p, "file.txt"), "is a file, not a folder"),
    (lambda p: p, "is not a results folder written by 'run.py compare' or 'run.py sweep'"),
    (lambda p: _file(p, "jobs.parquet", p), "did not finish"),
])
def test_a_folder_that_is_not_results_gets_a_clear_message(tmp_path, make, needle):
    with pytest.raises(UserError) as error:
        results.open_results(make(tmp_path))
    assert needle in str(error.value)


def test_a_dashboard_open_to_the_network_opens_only_folders_under_its_roots(tmp_path,
                                                                            monkeypatch):
    inside, outside = tmp_path / "results", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    monkeypatch.setenv(serve.ROOTS_ENV, str(inside))
    for refused in (outside, inside / ".." / "elsewhere"):
        with pytest.raises(UserError) as error:
            results.open_results(refused)
        assert "is outside the results folder" in str(error.value)
        assert "\n" not in str(error.value)
    with pytest.raises(UserError) as error:  # inside: on to the usual checks
        results.open_results(inside)
    assert "is not a results folder" in str(error.value)
    monkeypatch.delenv(serve.ROOTS_ENV)  # on this computer only: any folder
    with pytest.raises(UserError) as error:
        results.open_results(outside)
    assert "is not a results folder" in str(error.value)


@pytest.mark.parametrize("host, local", [("127.0.0.1", True), ("localhost", True),
                                         ("::1", True), ("127.0.0.2", True),
                                         ("0.0.0.0", False), ("::", False),
                                         ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_hosts_count_as_this_computer(host, local, monkeypatch):
    monkeypatch.delenv(serve.ROOTS_ENV, raising=False)
    assert serve.is_local(host) is local
    env = serve.server_env(host, "/tmp/scratch-x")
    assert env[serve.SCRATCH_ENV] == "/tmp/scratch-x"
    if local:
        assert serve.ROOTS_ENV not in env
    else:
        assert env[serve.ROOTS_ENV].split(os.pathsep) == [
            str(serve.results_root()), "/tmp/scratch-x"]


def test_results_of_a_sweep_are_tabled_and_plotted(tmp_path):
    shock = tmp_path / "early_shock.toml"
    shock.write_text(SHOCK_TOML)
    spec = tmp_path / "spec.toml"
    spec.write_text(f'description = "Budget sweep (test)."\nscenarios = ["{shock}"]\n'
                    'replications = 2\nmonths = 8\nfirms = 60\noutcomes = ["output_lost", '
                    '"firms_alive_end"]\n[params]\nburn_in = 0\n[vary]\n'
                    "policy_scale = [0.5, 2.0]\n")
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "sweep"), "--workers", "1",
                     "--quiet"]) == 0
    res = results.open_results(tmp_path / "sweep")
    assert res.kind == "sweep"
    assert param_label("policy_scale") in res.table and "Output lost" in res.table
    assert [c for c, _ in res.images] == ["Output lost to the shock", "Firms alive at end"]
    assert res.notes[0] == "Budget sweep (test)."


def test_results_page_shows_a_folder_or_says_what_is_wrong(finished_comparison):
    req, _ = finished_comparison
    box, rc = solara.render(results.ResultsPage(), handle_error=False)
    rc.find(v.Alert, type="error").assert_empty()  # nothing typed yet: nothing wrong yet
    field = rc.find(v.TextField).widget
    field.v_model = "/no/such/folder"
    field.fire_event("focusout", None)
    rc.find(v.Alert, children=["There is no folder at '/no/such/folder'. Check the path (it "
                               "is read on the computer that runs the dashboard)."]) \
        .assert_single()
    field.v_model = str(req.out)
    field.fire_event("focusout", None)
    rc.find(v.Alert, type="error").assert_empty()
    assert "Comparison against Ordinary times" in markdown_text(rc)
    assert "Firms alive at end" in markdown_text(rc)


def test_compare_page_refuses_a_bad_form_without_running_anything():
    box, rc = solara.render(cmp.ComparePage(), handle_error=False)
    fields = {w.label: w for w in rc.find(v.TextField).widgets}
    fields["Number of firms"].v_model = "0"
    rc.find(v.Btn, children=["Run comparison"]).widget.click()
    rc.find(v.Alert, children=["Number of firms: 0 is not possible; give a whole number from "
                               "1 to 50,000 (for more, use 'run.py compare' on the command "
                               "line)"]).assert_single()


# --------------------------------------------------------------------------- serving
def test_the_server_command_is_local_offline_and_quiet():
    command = serve.server_command("127.0.0.1", 8765)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "--production" in command and "--no-check-version" in command
    assert serve.server_env()["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert serve.url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert serve.url("::1", 8765) == "http://[::1]:8765/"


@pytest.mark.parametrize("args, needle", [
    (["--port", "0"], "--port 0: expected a whole number from 1 to 65535"),
    (["--port", "70000"], "--port 70000: expected a whole number from 1 to 65535"),
    (["--port", "http"], "argument --port: invalid int value: 'http'"),
    (["--host", "no.such.host.invalid"], "--host no.such.host.invalid: not a known address"),
])
def test_bad_dashboard_arguments_are_one_line_and_exit_2(capsys, args, needle):
    assert cli.main(["dashboard", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_a_port_in_use_is_refused():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserError, match=f"--port {port}: cannot listen on 127.0.0.1"):
            serve.check_address("127.0.0.1", port)


EARLY_TITLE = "Early shock against Ordinary times: no shock, no support (all five countries)"


def test_results_finder_lists_experiment_folders(tmp_path, finished_comparison, monkeypatch):
    req, _ = finished_comparison
    assert results.find_results(req.out.parent) == [req.out]
    assert results.find_results(tmp_path / "none") == []
    row = results.listed(req.out)
    assert row.state == "finished" and row.title == EARLY_TITLE
    assert "80 firms, 2 runs each, 10 months" in row.what and row.when.endswith("UTC")
    # the Results page lists what is saved under results/ whenever it is opened
    monkeypatch.setenv(serve.RESULTS_ENV, str(req.out.parent))
    _, rc = solara.render(results.ResultsPage(), handle_error=False)
    titles = [w.children[0] for w in rc.find(v.Html, class_="results-list-title").widgets]
    assert titles == [EARLY_TITLE]
