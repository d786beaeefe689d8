"""The dashboard in a real browser: `run.py dashboard` on a free port of 127.0.0.1, driven by
Playwright in Debian's headless Chromium, with every request outside 127.0.0.1 blocked (the
dashboard must work without internet, DESIGN §9).

Screenshots go to test-artifacts/ (gitignored; a failed test's as FAILED-*.png), with the
server's log and the measured time from a click on Step to the updated page. Skipped, with
the reason, where Playwright or Chromium is missing; .ci/run installs Chromium so that they
run in CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.serve import RESULTS_ENV, stop_group

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1500, "height": 2200}
TIMEOUT_MS = 60_000
# A request the browser makes when a page or tab closes, aborted by the closing itself.
CLOSING = re.compile(r"/_solara/api/close/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sync_api():
    api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed "
                              "(pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it with 'apt-get install "
                    "chromium' (.ci/run does this when it runs as root)")
    return api


@contextlib.contextmanager
def serving(results: Path, scratch: Path, log_name: str = "dashboard-server.log"):
    """`run.py dashboard` on a free port of 127.0.0.1, saving its comparisons in `results`;
    its process group is stopped at the end, and its sessions' folders must be gone."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    log = open(ARTIFACTS / log_name, "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "run.py", "dashboard", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True,
                            env={**os.environ, "TMPDIR": str(scratch),
                                 RESULTS_ENV: str(results)})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("the dashboard server did not start:\n"
                            + (ARTIFACTS / log_name).read_text())
            time.sleep(0.5)
        yield url
    finally:
        stop_group(proc, grace=20)  # the process group started here: run.py and the server
        log.close()
    left = list(scratch.glob("sme-dashboard-*"))  # the sessions' folders go with the server
    assert left == [], left


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    """Where the servers of these tests save comparisons (not the project's results/)."""
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def server(sync_api, tmp_path_factory, results_dir):
    """The real server, started as a user would, stopped (its process group) at the end."""
    with serving(results_dir, tmp_path_factory.mktemp("server-tmp")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(sync_api):
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Session:
    """One browser context (one user): its page, blocked external requests, page errors."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.external: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.context.route(re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])"), self._block)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)
        self.url = url

    def _block(self, route):
        self.external.append(route.request.url)
        route.abort()

    def open(self, path: str, ready: str):
        self.page.goto(self.url + path)
        self.page.get_by_text(ready).first.wait_for()
        return self.page

    def check_offline_and_rendered(self):
        assert self.external == [], f"the page asked the internet for {self.external}"
        assert self.errors == [], self.errors  # no script error, none logged
        failed = [f for f in self.failed if not CLOSING.search(f)]
        assert failed == [], failed  # no request failed (Solara's KaTeX 404 used to)
        assert "solara is not defined" not in self.page.content()

    def shot(self, name: str):
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def session(browser, server, request):
    made = []

    def new():
        made.append(Session(browser, server))
        return made[-1]

    new.browser = browser
    yield new
    report = getattr(request.node, "report_call", None)
    for k, s in enumerate(made):
        if report is not None and report.failed:  # what the page showed when it failed
            s.shot(f"FAILED-{request.node.name}-{k}")
        s.close()


# --------------------------------------------------------------------------- Explore
def cards(page) -> list[str]:
    return page.locator(".headline-value").all_inner_texts()


def month(page) -> str:
    return cards(page)[0]


def identity(page) -> str:
    return page.locator(".model-identity").inner_text()


def number(text: str) -> float:
    return float(re.search(r"-?[\d,]+(\.\d+)?", text).group(0).replace(",", ""))


def pick(page, box, title: str):
    """Choose `title` in a drop-down list (a Vuetify select)."""
    box.locator(".v-select__slot").click()
    page.locator(".v-menu__content.menuable__content__active .v-list-item",
                 has_text=re.compile(f"^{re.escape(title)}$")).click()


def pick_scenario(page, title: str):
    pick(page, page.locator(".scenario-picker"), title)


def sidebar_select(page, label: str):
    return page.locator(".v-navigation-drawer .v-select", has_text=label)


def slider(page, label: str):
    return page.get_by_role("slider", name=re.compile("^" + re.escape(label)))


# Clicks Step in the page and resolves with the milliseconds until the month card changes
# (measured in the browser: Playwright's own click waits for the button to settle first).
CLICK_STEP_AND_TIME = """() => new Promise(resolve => {
  const card = document.querySelector('.headline-value');
  const before = card.textContent, started = performance.now();
  const seen = new MutationObserver(() => {
    if (card.textContent !== before) { seen.disconnect(); resolve(performance.now() - started); }
  });
  seen.observe(card, {childList: true, subtree: true, characterData: true});
  document.querySelector('.step-button').click();
})"""


def step(page, expect, to: int) -> float:
    expect(page.locator(".step-button")).to_be_enabled()
    milliseconds = page.evaluate(CLICK_STEP_AND_TIME)
    expect(page.locator(".headline-value").first).to_have_text(re.compile(f"^{to} of "))
    return milliseconds / 1000


GUARANTEE = "Recession + public credit guarantee"


def test_explore_renders_offline_picks_a_scenario_and_steps(session, sync_api):
    expect = sync_api.expect
    user = session()
    page = user.open("", "Firms in business")
    expect(page.get_by_text("Random draw (another number gives another possible history)")) \
        .to_be_visible()
    assert month(page) == "0 of 120"
    assert page.locator("img").count() >= 6  # five charts and the network view
    for jargon in ("Play Interval", "Render Interval", "Use Threads"):  # Mesa's own controls
        expect(page.get_by_text(jargon)).to_have_count(0)
    user.shot("explore-first-screen")

    pick_scenario(page, GUARANTEE)
    expect(page.get_by_text("public credit guarantee").first).to_be_visible()
    before = cards(page)
    times = [step(page, expect, k) for k in range(1, 6)]
    expect(page.get_by_text("Support running: Public credit guarantee")).to_be_visible()
    after = cards(page)
    assert after[0] == "5 of 120"
    assert after[1:4] != before[1:4], (before, after)  # firms, sales, partnerships moved
    user.shot("explore-after-five-months")

    page.locator(".play-button").click()  # play on from month 5 ...
    expect(page.locator(".headline-value").first).to_have_text(re.compile(r"^(9|\d\d) of "))
    page.locator(".play-button").click()  # ... and pause
    expect(page.locator(".step-button")).to_be_enabled()
    paused = month(page)
    time.sleep(1.0)
    assert month(page) == paused
    (ARTIFACTS / "browser-step-times.json").write_text(json.dumps(
        {"what": "seconds from a click on Step to the updated month card in the browser "
                 "(model step, redraw, transfer), 2,000 firms",
         "seconds": [round(t, 3) for t in times]}, indent=2))
    user.check_offline_and_rendered()


def test_explore_shows_the_model_the_user_chose_through_the_shock(session, sync_api):
    """Issue 22: after picking a scenario, Reset built a 3,000-firm baseline (no shock, no
    spending) while the screen showed the scenario. What a user checks: the model named on
    the screen, its firms, its shock and its spending, and the country they picked."""
    expect = sync_api.expect
    user = session()
    page = user.open("", "Firms in business")
    pick_scenario(page, GUARANTEE)
    expect(page.locator(".model-identity")).to_have_text(
        f"Model on screen: {GUARANTEE} · All five countries · 2,000 firms at the start · "
        "random draw 42")
    page.locator(".restart-button").click()  # start again: the same model, from month 0
    expect(page.locator(".headline-value").first).to_have_text("0 of 120")
    assert slider(page, "Number of firms at the start").get_attribute("aria-valuenow") \
        == "2000"
    firms_at_start = number(cards(page)[1])
    assert 1_900 <= firms_at_start <= 2_100, cards(page)  # 2,000 asked (not 3,000)
    # play into the shock (demand and credit fall from month 25), then pause
    page.locator(".play-button").click()
    expect(page.locator(".headline-value").first).to_have_text(
        re.compile(r"^(2[6-9]|3\d) of "), timeout=120_000)
    page.locator(".play-button").click()
    expect(page.locator(".step-button")).to_be_enabled()
    banner = page.locator(".situation")
    expect(banner).to_contain_text("Shock under way: credit crunch, fall in customer demand")
    expect(banner).to_contain_text("Support running: Public credit guarantee")
    spent = cards(page)[-1]
    assert number(spent) > 0, spent  # the guarantee has paid out
    assert 1_000 <= number(cards(page)[1]) <= 2_300, cards(page)
    user.shot("explore-in-the-shock")

    # the country: Kenya's firms only, the rest of the settings kept
    pick(page, sidebar_select(page, "Country"), "Kenya")
    expect(page.locator(".model-identity")).to_have_text(
        f"Model on screen: {GUARANTEE} · Kenya · 2,000 firms at the start · random draw 42")
    expect(page.locator(".headline-value").first).to_have_text("0 of 120")
    expect(sidebar_select(page, "Country")).to_contain_text("Kenya")
    # fewer firms: the model on screen follows the slider
    firms = slider(page, "Number of firms at the start")
    firms.focus()
    for _ in range(10):
        firms.press("ArrowLeft")  # 100 firms a press
    expect(page.locator(".model-identity")).to_contain_text("1,000 firms at the start")
    assert 900 <= number(cards(page)[1]) <= 1_100, cards(page)
    # another page and back: the same model, the same settings
    page.get_by_role("tab", name="Compare").click()
    expect(page.get_by_text("Run comparison")).to_be_visible()
    page.get_by_role("tab", name="Explore").click()
    expect(page.locator(".model-identity")).to_have_text(
        f"Model on screen: {GUARANTEE} · Kenya · 1,000 firms at the start · random draw 42")
    assert firms.get_attribute("aria-valuenow") == "1000"
    expect(sidebar_select(page, "Country")).to_contain_text("Kenya")
    user.shot("explore-kenya")
    user.check_offline_and_rendered()


RECESSION = "Recession: demand and credit fall (no support)"
BASELINE = "Ordinary times: no shock, no support (all five countries)"


def test_explore_prices_the_shock_against_the_same_economy_without_it(session, sync_api):
    """Issue 21: the resilience card leads with the sales lost to the shock against the
    model's no-shock twin (a number once the shock has begun) and says when there is no
    shock, with the firms' scores (mean, share at the top) below."""
    expect = sync_api.expect
    user = session()
    page = user.open("", "Firms in business")
    card = page.locator(".shock-cost")
    value = card.locator(".headline-value")
    expect(page.locator(".model-identity")).to_contain_text(BASELINE)
    step(page, expect, 1)
    expect(value).to_have_text("no shock")
    expect(card).to_contain_text("This scenario has no shock")
    expect(card).to_contain_text("at the top")

    pick_scenario(page, RECESSION)
    expect(page.locator(".model-identity")).to_contain_text(RECESSION)
    step(page, expect, 1)
    expect(value).to_have_text("none yet")
    expect(card).to_contain_text("The shock starts in month")
    page.locator(".play-button").click()  # play into the shock, then pause
    expect(page.locator(".headline-value").first).to_have_text(
        re.compile(r"^(2[6-9]|3\d) of "), timeout=120_000)
    page.locator(".play-button").click()
    expect(page.locator(".step-button")).to_be_enabled()
    lost = value.inner_text()
    assert re.fullmatch(r"\d+\.\d %", lost) and number(lost) > 0, lost
    expect(card).to_contain_text("of what the same economy sells without the shock")
    expect(card).to_contain_text("on average")
    user.shot("explore-shock-cost")
    user.check_offline_and_rendered()


# (scenario title, a phrase of its description, months stepped) for the users of one round
USERS = [("Recession: demand and credit fall (no support)", "banks cut credit lines", 2),
         ("Kenya: ordinary times", "Kenya: weaker institutions", 1),
         ("Ordinary times: no shock, no support (all five countries)",
          "No shock and no policy", 0)]
ROUNDS = 2


def test_browser_sessions_at_once_keep_separate_models(session, sync_api):
    """Three users at once, twice over (six browser sessions): each picks another scenario
    and steps another number of months, interleaved; none sees another's model."""
    expect = sync_api.expect
    for round_ in range(ROUNDS):
        users = USERS[round_:] + USERS[:round_]  # who steps how far changes each round
        pages = [session().open("", "Firms in business") for _ in users]
        for page, (name, phrase, _) in zip(pages, users):
            if not name.startswith("Ordinary times"):
                pick_scenario(page, name)
            expect(page.get_by_text(phrase).first).to_be_visible()
        for k in range(1, max(n for *_, n in users) + 1):  # one month each, in turn
            for page, (*_, months) in zip(pages, users):
                if k <= months:
                    step(page, expect, k)
        for page, (name, phrase, months) in zip(pages, users):
            assert month(page) == f"{months} of 120", (round_, name)
            expect(page.get_by_text(phrase).first).to_be_visible()
            for other, other_phrase, _ in users:
                if other != name:
                    expect(page.get_by_text(other_phrase)).to_have_count(0)


def test_impossible_settings_give_a_message_and_the_server_keeps_running(session, sync_api):
    expect = sync_api.expect
    user = session()
    page = user.open("", "Firms in business")
    small = slider(page, "Share of small firms")
    small.focus()
    small.press("End")  # 100 % small firms, with 55 % micro firms: impossible
    expect(page.get_by_text("These settings are not possible")).to_be_visible()
    expect(page.get_by_text(re.compile("Share of micro firms.*exceeds 1"))).to_be_visible()
    user.shot("explore-impossible-settings")
    small.focus()
    small.press("Home")
    expect(page.get_by_text("These settings are not possible")).to_be_hidden()
    step(page, expect, 1)

    page = user.open("results", "Results folder")
    box = page.get_by_label(re.compile("^Results folder"))
    box.fill("/no/such/folder")
    box.press("Enter")
    expect(page.get_by_text("There is no folder at '/no/such/folder'")).to_be_visible()
    box.fill(str(ROOT / "scenarios"))
    box.press("Enter")
    expect(page.get_by_text("is not a results folder written by")).to_be_visible()
    user.shot("results-not-a-results-folder")
    user.check_offline_and_rendered()


# --------------------------------------------------------------------------- Compare
def fill(page, label: str, value) -> None:
    """Type `value` into the text field labelled `label...` (in a page or a part of it)."""
    box = page.get_by_label(re.compile("^" + re.escape(label)))
    box.fill(str(value))
    box.press("Enter")


def test_compare_runs_a_kenya_comparison_that_stays_and_cancels_a_big_one(
        session, sync_api, results_dir, tmp_path):
    """The analyst's question for Kenya: a comparison of Kenya's firms in every scenario,
    found again on the Results page after a reload and after the server is restarted."""
    expect = sync_api.expect
    user = session()
    page = user.open("compare", "Run comparison")
    fill(page, "Number of firms", 0)
    page.get_by_role("button", name="Run comparison").click()
    expect(page.get_by_text("Number of firms: 0 is not possible")).to_be_visible()

    # a variant with a negative budget is refused in words; its shocks are named
    page.locator(".add-variant").click()
    variant = page.locator(".variant-form")
    expect(variant.get_by_text("Fall in customer demand (shock 1, from month 24): depth (%)")) \
        .to_be_visible()
    expect(variant.get_by_text("Credit crunch (shock 2, from month 24): depth (%)")) \
        .to_be_visible()
    pick(page, variant.locator(".v-select", has_text="Add a support programme"),
         "Trust brokering (vouched introductions)")
    budget = variant.get_by_label(re.compile("^Its monthly budget"))
    assert budget.input_value() == "25.0"  # what the shipped scenario gives it
    expect(variant.get_by_text("thousand USD-equivalent per 1,000 firms").first).to_be_visible()
    fill(variant, "Its monthly budget", -5)
    page.get_by_role("button", name="Run comparison").click()
    expect(page.get_by_text("Variant 1: Monthly budget of the added programme: -5.0 is out "
                            "of range")).to_be_visible()
    user.shot("compare-bad-input")
    variant.get_by_role("button", name="Remove this variant").click()
    expect(page.locator(".variant-form")).to_have_count(0)

    # a Kenya-only reference against all-country recession scenarios mixes like with
    # unlike: the page says so
    pick(page, page.locator(".reference-picker"), "Kenya: ordinary times")
    expect(page.locator(".like-with-unlike").first).to_contain_text(
        "differs from the reference (Kenya: ordinary times) in more than its support "
        "programmes: its shocks; country (All five countries against Kenya)")
    pick(page, page.locator(".reference-picker"),
         "Recession: demand and credit fall (no support)")
    expect(page.locator(".like-with-unlike")).to_have_count(0)
    # Kenya's firms in every scenario of the comparison
    pick(page, page.locator(".population-country"), "Kenya")
    fill(page, "Number of firms", 200)
    fill(page, "Runs per scenario", 2)
    fill(page, "Months after the warm-up", 36)
    page.get_by_role("button", name="Run comparison").click()
    expect(page.get_by_text("Number of firms: 0 is not possible")).to_be_hidden()
    # the comparison goes on while its user looks at another page
    page.get_by_role("tab", name="Explore").click()
    # the Explore page is drawn again while the comparison holds a core: on a loaded machine
    # that took over 5 s (CI, 2026-12-07), so this wait is longer than Playwright's default
    expect(page.get_by_text("Firms in business").first).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator(".compare-finished")).to_be_visible(timeout=180_000)
    expect(page.locator(".compare-finished")).to_contain_text("listed on the Results page")
    expect(page.get_by_text("only firms of Kenya, in every scenario").first).to_be_visible()
    table = page.locator(".outcome-table table")
    expect(table).to_be_visible()
    for row in ("Firms alive at end", "Output lost to the shock", "Public money spent"):
        expect(table.get_by_text(row).first).to_be_visible()
    expect(page.get_by_text("Download comparison.csv")).to_be_visible()
    expect(page.get_by_text("Download recession_with_credit_guarantee.toml")).to_be_visible()
    assert page.locator("img").count() >= 4  # the engine's fan charts and interval bars
    # value for money: one line per programme, money in a named unit, the outcome chosen
    value = page.locator(".value-table")
    expect(value).to_contain_text("Cost per bankruptcy avoided, thousand USD-equivalent")
    expect(value.locator("tbody tr")).to_have_count(2)
    pick(page, page.locator(".value-aim"), "Innovations gained")
    expect(value).to_contain_text("Cost per innovation gained")
    page.get_by_text("Compare at equal budgets").click()
    expect(value).to_contain_text("Innovations gained per million USD-equivalent")
    user.shot("compare-finished")
    folder = page.locator(".results-folder").inner_text().removeprefix("Folder: ").strip()
    assert Path(folder).parent == results_dir  # saved under results/, not in the session

    # a reload (a new browser session) finds it on the Results page, and opens it
    page.reload()
    page = user.open("results", "Saved results")
    listed = page.locator(".results-list-title", has_text="against Recession")
    expect(listed).to_have_count(1)
    row = page.locator(".results-row", has=listed)
    expect(row).to_contain_text("Kenya")
    row.get_by_role("button", name="Open").click()
    expect(page.locator(".outcome-table table").get_by_text("Firms alive at end")
           .first).to_be_visible()
    user.shot("results-after-reload")

    # another user starts a comparison of their own ...
    reader = session()
    other = reader.open("compare", "Run comparison")
    fill(other, "Number of firms", 1000)
    fill(other, "Runs per scenario", 2)
    fill(other, "Months after the warm-up", 24)
    other.get_by_role("button", name="Run comparison").click()
    # ... while a big comparison is cancelled in the first session, whose page keeps working
    page = user.open("compare", "Run comparison")
    fill(page, "Number of firms", 5000)
    fill(page, "Runs per scenario", 30)
    page.get_by_role("button", name="Run comparison").click()
    # (the first progress line waits for the worker processes to start: slow on a busy machine)
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ model runs done"))).to_be_visible(
        timeout=60_000)
    page.get_by_role("button", name="Cancel").click()
    cancelled = page.locator(".compare-cancelled")
    expect(cancelled).to_contain_text(re.compile(r"^Cancelled: \d+ of \d+ model runs had "
                                                 r"finished; they are kept in dashboard-"))
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    user.shot("compare-cancelled")
    # the other user's comparison was not touched: it runs to its table
    expect(other.locator(".compare-finished")).to_be_visible(timeout=180_000)
    expect(other.get_by_text("Cancelled")).to_have_count(0)
    expect(other.locator(".outcome-table table").get_by_text("Firms alive at end")
           .first).to_be_visible()
    reader.shot("compare-other-session-finished")
    user.check_offline_and_rendered()
    reader.check_offline_and_rendered()

    # a restarted server lists all three: two finished, the cancelled one unfinished
    with serving(results_dir, tmp_path, "dashboard-server-restarted.log") as url:
        again = Session(session.browser, url)
        try:
            page = again.open("results", "Saved results")
            expect(page.locator(".results-list-title")).to_have_count(3)
            expect(page.locator(".results-list")).to_contain_text("unfinished: ")
            expect(page.locator(".results-row", has_text="Kenya")).to_have_count(1)
            again.shot("results-after-restart")
            again.check_offline_and_rendered()
        finally:
            again.close()


# --------------------------------------------------------------------------- bind address
def _listening(port: int) -> list[str]:
    """Local addresses (hex, as the kernel shows them) listening on `port`, IPv4 and IPv6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_the_server_listens_on_127_0_0_1_only(server):
    port = int(server.rsplit(":", 1)[1].strip("/"))
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read the listening sockets from")
    assert _listening(port) == ["0100007F"]  # 127.0.0.1, and no IPv6 or wildcard socket
    others = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None,
                                                        socket.AF_INET)} - {"127.0.0.1"}
    for address in others:  # this computer's other addresses refuse the connection
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(5)
            s.connect((address, port))
