"""The model: invariants every month, determinism, and the direction of every mechanism."""

import math

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation import SME, SMEEcosystem, side
from simulation.alliances import ALLIANCE_TYPES, Alliances
from simulation.errors import ParameterError, ScenarioError
from simulation.metrics import REPORTERS
from simulation.params import defaults
from simulation.policies import KIND_FIELDS, POLICY_KINDS, Policy
from simulation.scenario import Scenario, load_scenario
from simulation.shocks import SHOCK_KINDS, Shock
from simulation.state import MAX_MEMBERS, AllianceBook, FirmState
from tests.conftest import run_model

FLOWS = ("flow_profit", "flow_aid", "flow_grants", "flow_invest")


def everything_scenario() -> Scenario:
    """All four shocks (overlapping) and all seven instruments at once."""
    shocks = [
        Shock("demand", start=3, duration=8, depth=0.3, recovery=4),
        Shock("supply", start=5, duration=6, depth=0.5, recovery=3, profile="exponential",
              sectors=["manufacturing"]),
        Shock("credit", start=4, duration=10, depth=0.6, recovery=6, share=0.7),
        Shock("regulatory", start=1, duration=12, depth=0.5, recovery=0, regions=["kenya", "uk"]),
    ]
    policies = [Policy(kind, budget=400.0, start=1, end=30) for kind in POLICY_KINDS]
    return Scenario("everything", "every shock and policy", shocks=shocks, policies=policies)


def check_invariants(model: SMEEcosystem, before: dict) -> None:
    s, b = model.firms, model.alliances.book
    # no NaN or inf anywhere in firm or alliance state, or in the reporters
    for name in FirmState.FIELDS:
        arr = getattr(s, name)
        if arr.dtype.kind == "f":
            assert np.isfinite(arr).all(), f"non-finite values in firms.{name}"
    for name in AllianceBook.FIELDS:
        arr = getattr(b, name)
        if arr.dtype.kind == "f":
            assert np.isfinite(arr).all(), f"non-finite values in alliances.{name}"
    for key, value in model.report.items():
        assert math.isfinite(value), f"reporter {key} = {value}"
    # trust in [0, 1]
    assert (b.trust >= 0).all() and (b.trust <= 1).all()
    assert (s.reputation >= 0).all() and (s.reputation <= 1).all()
    assert (s.employees >= 1).all()
    # alliance membership consistent both ways
    act = np.flatnonzero(b.active)
    for a in act:
        members = b.members[a][b.members[a] >= 0]
        assert len(members) == b.n_members[a] >= 2
        assert len(set(members.tolist())) == len(members), "a firm twice in one alliance"
        for f in members:
            assert a in s.alliances[f], f"alliance {a} lists firm {f}, the firm does not list it"
            assert s.alive[f], f"exited firm {f} in active alliance {a}"
    slots = s.alliances
    held = slots[slots >= 0]
    assert b.active[held].all(), "a firm holds a dissolved alliance"
    for f in np.flatnonzero((slots >= 0).any(axis=1)):
        for a in slots[f][slots[f] >= 0]:
            assert f in b.members[a]
    assert (s.n_alliances == (slots >= 0).sum(axis=1)).all()
    assert (slots[~s.alive] == -1).all(), "exited firms hold no alliance"
    # nobody remembers an exited firm (its row may be reused); uids are unique
    mem = s.memory_partner
    assert s.alive[mem[mem >= 0]].all()
    assert len(np.unique(s.uid[s.alive])) == int(s.alive.sum())
    assert len(model.agents) == int(s.alive.sum())
    assert (b.members[~b.active] == -1).all()
    # money accounted: capital change = profit + aid + grants - investment
    n0 = before["alive"].size
    same_firm = before["uid"] == s.uid[:n0]  # rows of exited firms are reused by entrants
    alive_both = before["alive"] & s.alive[:n0] & same_firm
    rows = np.flatnonzero(alive_both)
    change = s.capital[rows] - before["capital"][rows]
    booked = (s.flow_profit + s.flow_aid + s.flow_grants - s.flow_invest)[rows]
    np.testing.assert_allclose(change, booked, rtol=1e-9, atol=1e-6)
    # mutual aid moves money between firms, creates none
    al = model.alliances
    assert al.aid_paid == pytest.approx(al.aid_received, rel=1e-9, abs=1e-9)
    still = s.alive[:n0] & same_firm
    assert abs(s.flow_aid[:n0][still].sum()) <= al.aid_paid + 1e-9


def test_invariants_hold_every_month_with_every_shock_and_policy():
    model = SMEEcosystem(rng=3, scenario=everything_scenario(), n_firms=600, burn_in=2,
                         months=30)
    scale = model.policy.scale
    spent = dict.fromkeys(POLICY_KINDS, 0.0)
    aid = 0.0
    while model.running:
        before = {"alive": model.firms.alive.copy(), "capital": model.firms.capital.copy(),
                  "uid": model.firms.uid.copy()}
        model.step()
        check_invariants(model, before)
        aid += model.alliances.aid_paid
        for kind in POLICY_KINDS:
            assert 0.0 <= model.policy.spend[kind] <= 400.0 * scale * (1 + 1e-9), kind
            spent[kind] += model.policy.spend[kind]
        assert model.report["policy_spend"] == pytest.approx(sum(model.policy.spend.values()))
    assert all(v > 0 for v in spent.values()), spent
    assert aid > 0, "mutual aid never happened: its conservation check was vacuous"
    assert model.report["exits"] >= 0 and model.firms.alive.sum() > 0


def test_same_seed_same_output_and_different_seed_differs(small):
    m1, d1 = run_model("recession", seed=11, **small)
    m2, d2 = run_model("recession", seed=11, **small)
    pd.testing.assert_frame_equal(d1, d2, check_exact=True)
    for name in FirmState.FIELDS:
        np.testing.assert_array_equal(getattr(m1.firms, name), getattr(m2.firms, name))
    _, d3 = run_model("recession", seed=12, **small)
    assert not d1["total_revenue"].equals(d3["total_revenue"])


def test_reporters_one_row_per_month(small):
    model, frame = run_model(None, **small)
    assert len(frame) == small["burn_in"] + small["months"]
    assert list(frame.columns) == list(REPORTERS)
    assert frame["month"].tolist() == list(range(1 - small["burn_in"], small["months"] + 1))
    assert not model.running


def test_scenario_params_are_used_and_keywords_override():
    model = SMEEcosystem(rng=1, scenario="kenya", n_firms=50, months=2, burn_in=0)
    assert model.p["country"] == "kenya"
    assert set(model.firms.region.tolist()) == {1}
    model = SMEEcosystem(rng=1, scenario="kenya", country="uk", n_firms=50)
    assert model.p["country"] == "uk"


def test_bad_parameters_are_refused_with_a_suggestion():
    with pytest.raises(ParameterError, match="did you mean 'search_prob'"):
        SMEEcosystem(serch_prob=0.1)
    with pytest.raises(ParameterError, match="out of range"):
        SMEEcosystem(search_prob=1.5)
    with pytest.raises(ParameterError, match="expected an integer"):
        SMEEcosystem(n_firms=10.5)
    with pytest.raises(ParameterError, match="valid: all, vietnam"):
        SMEEcosystem(country="mars")
    with pytest.raises(ScenarioError, match="valid: .*baseline"):
        SMEEcosystem(scenario="no_such_scenario")


# ---------------------------------------------------------------- shocks
SHOCK_WINDOW = (12, 30)  # months compared: the shock (start 12, 12 months) and recovery


def _window(frame):
    lo, hi = SHOCK_WINDOW
    return frame[(frame["month"] >= lo) & (frame["month"] < hi)]


@pytest.fixture(scope="module")
def shock_runs():
    kw = dict(n_firms=1500, burn_in=12, months=36)
    base = run_model(None, seed=7, **kw)[1]
    runs = {}
    for kind in SHOCK_KINDS:
        scen = Scenario(kind, kind, shocks=[Shock(kind, start=12, duration=12, depth=0.5,
                                                  recovery=6)])
        runs[kind] = run_model(scen, seed=7, **kw)[1]
    return base, runs


def test_demand_shock_lowers_revenue(shock_runs):
    base, runs = shock_runs
    assert _window(runs["demand"])["total_revenue"].mean() < 0.8 * _window(base)[
        "total_revenue"].mean()


def test_supply_shock_raises_costs_and_bankruptcies(shock_runs):
    base, runs = shock_runs
    shocked, ref = _window(runs["supply"]), _window(base)
    assert shocked["total_capital"].iloc[-1] < ref["total_capital"].iloc[-1]
    assert shocked["bankruptcies"].sum() > ref["bankruptcies"].sum()


def test_credit_shock_cuts_output_and_raises_bankruptcies(shock_runs):
    # the crunch leaves firms short of the working capital they must finance (squeeze.py):
    # they cut capacity, and those over their cut credit lines fail
    base, runs = shock_runs

    def window(frame):
        return frame[(frame["month"] >= 12) & (frame["month"] < 30)]

    crunch, calm = window(runs["credit"]), window(base)
    assert crunch["total_revenue"].mean() < 0.99 * calm["total_revenue"].mean()
    assert crunch["bankruptcies"].sum() > calm["bankruptcies"].sum()


def test_regulatory_shock_slows_alliance_formation(shock_runs):
    base, runs = shock_runs
    assert _window(runs["regulatory"])["alliances_formed"].sum() < 0.8 * _window(base)[
        "alliances_formed"].sum()


def test_shock_intensity_follows_its_profile():
    s = Shock("demand", start=10, duration=3, depth=0.2, recovery=4, profile="linear")
    assert [s.intensity(m) for m in (9, 10, 12)] == [0.0, 1.0, 1.0]
    assert s.intensity(13) == pytest.approx(0.8) and s.intensity(17) == 0.0
    perm = Shock("demand", start=1, duration=1, profile="permanent")
    assert perm.intensity(500) == 1.0


# ---------------------------------------------------------------- policies
POLICY_TARGETS = {
    # instrument: (reporter, direction), compared with the same shock and seed, no policy
    "cluster_funding": ("alliances_active", +1),
    "digital_platform": ("digital_share", +1),
    "rd_grants": ("innovations", +1),
    "procurement_access": ("total_revenue", +1),
    "credit_guarantee": ("bankruptcies", -1),
    "institution_building": ("mean_institutions", +1),
    "trust_brokering": ("alliances_formed", +1),
}
CRUNCH = [Shock("demand", start=6, duration=12, depth=0.2, recovery=6),
          Shock("credit", start=6, duration=12, depth=0.7, recovery=6)]
POLICY_KW = dict(n_firms=1500, burn_in=12, months=30)
BUDGETS = {"credit_guarantee": 5000.0, "procurement_access": 20000.0, "rd_grants": 1000.0,
           "cluster_funding": 300.0, "digital_platform": 100.0, "institution_building": 100.0,
           "trust_brokering": 25.0}


@pytest.fixture(scope="module")
def crunch_baseline():
    return run_model(Scenario("crunch", "c", shocks=CRUNCH), seed=5, **POLICY_KW)[1]


@pytest.mark.parametrize("kind", POLICY_KINDS)
def test_each_policy_spends_within_budget_and_moves_its_target(kind, crunch_baseline):
    assert set(POLICY_TARGETS) == set(POLICY_KINDS) == set(KIND_FIELDS)
    options = {"coverage": 1.0} if kind == "credit_guarantee" else {}
    scen = Scenario(kind, kind, shocks=CRUNCH,
                    policies=[Policy(kind, budget=BUDGETS[kind], start=1, options=options)])
    model, frame = run_model(scen, seed=5, **POLICY_KW)
    horizon = frame[frame["month"] >= 1]
    spend = horizon[f"spend_{kind}"]
    cap = BUDGETS[kind] * POLICY_KW["n_firms"] / 1000
    assert (spend <= cap * (1 + 1e-9)).all()
    assert (spend > 0).mean() > 0.5, f"{kind} spent in too few months"
    others = [k for k in POLICY_KINDS if k != kind]
    assert (horizon[[f"spend_{k}" for k in others]] == 0).all().all()
    reporter, direction = POLICY_TARGETS[kind]
    base = crunch_baseline[crunch_baseline["month"] >= 1][reporter]
    if reporter in ("innovations", "alliances_formed", "bankruptcies"):
        with_policy, without = horizon[reporter].sum(), base.sum()
    else:
        with_policy, without = horizon[reporter].mean(), base.mean()
    assert direction * (with_policy - without) > 0, (kind, with_policy, without)


def test_policy_scale_zero_switches_policies_off(small):
    _, frame = run_model("recession_with_rd_grants", policy_scale=0.0, **small)
    assert (frame["policy_spend"] == 0).all()


# ---------------------------------------------------------------- alliances and trust
def test_alliances_form_and_break_for_each_reason():
    model, frame = run_model(None, seed=2, n_firms=1500, burn_in=12, months=48)
    assert frame["alliances_formed"].sum() > 100
    assert frame["alliances_dissolved"].sum() > 50
    reasons = model.alliances.dissolved
    for reason in ("low_trust", "term_end", "member_exit", "sustained_loss"):
        assert reasons[reason] > 0, reasons
    assert frame["consortia_active"].iloc[-1] > 0
    assert 0 < frame["formal_share"].iloc[-1] < 1
    last = frame.iloc[-1]
    assert sum(last[f"alliances_{t}"] for t in ALLIANCE_TYPES) == last["alliances_active"]
    assert all(last[f"alliances_{t}"] > 0 for t in ALLIANCE_TYPES)


def test_no_collaboration_when_max_alliances_is_zero(small):
    _, frame = run_model(None, max_alliances=0, **small)
    assert frame["alliances_formed"].sum() == 0
    assert (frame["alliances_active"] == 0).all()


def _two_firm_alliance(trustworthiness: float, detection: float):
    p = {**defaults(), "detection_prob": detection}
    state = FirmState()
    state.add(2)
    state.alive[:] = True
    state.trustworthiness[:] = trustworthiness
    state.institutions[:] = 5.0
    al = Alliances(p, np.random.default_rng(0), side.Cores())
    a = al.book.new_rows(1)
    al.book.active[a] = True
    al.book.members[a, :2] = [0, 1]
    al.book.n_members[a] = 2
    al.book.end[a] = 100
    al.book.trust[a, 0, 1] = 0.5
    al.book.trust[a, 1, 0] = 0.5
    state.alliances[0, 0] = a[0]
    state.alliances[1, 0] = a[0]
    state.n_alliances[:] = 1
    return p, state, al, a[0]


def test_trust_grows_while_commitments_are_honoured():
    p, state, al, a = _two_firm_alliance(trustworthiness=1.0, detection=0.5)
    expected = 0.5
    for step in range(1, 6):
        al.contribute_and_update_trust(state, step)
        expected += p["trust_build_rate"] * (1 - expected)
        assert al.book.trust[a, 0, 1] == pytest.approx(expected, rel=1e-6)
        assert not al.book.shirked[a].any()


def test_trust_falls_fast_after_detected_shirking():
    p, state, al, a = _two_firm_alliance(trustworthiness=0.0, detection=1.0)
    p["shirk_temptation"] = 1.0
    al.contribute_and_update_trust(state, 1)
    assert al.book.detected[a, :2].all()
    assert al.book.trust[a, 0, 1] == pytest.approx(0.5 * (1 - p["trust_erosion_rate"]))
    before = al.book.trust[a, 0, 1]
    ids = al.dissolve(state, 2)
    assert before < p["trust_break_threshold"] or ids.size == 0
    for _ in range(3):
        al.contribute_and_update_trust(state, 3)
    assert al.book.trust[a, 0, 1] < p["trust_break_threshold"]
    ids = al.dissolve(state, 4)
    assert a in ids and not al.book.active[a]
    assert (state.alliances == -1).all() and (state.n_alliances == 0).all()
    # the partner is remembered with the trust the alliance ended on
    assert state.memory_partner[0, 0] == 1 and state.memory_trust[0, 0] < 0.25


def test_alliance_members_never_exceed_the_consortium_limit():
    model, _ = run_model(None, seed=4, n_firms=800, burn_in=6, months=18, consortium_prob=1.0)
    b = model.alliances.book
    assert (b.n_members[b.active] <= MAX_MEMBERS).all()
    assert (b.n_members[b.active] >= 3).any()


# ---------------------------------------------------------------- Mesa integration
def test_sme_agents_are_views_of_the_arrays(small):
    model, _ = run_model(None, **small)
    alive = int(model.firms.alive.sum())
    assert len(model.agents) == alive
    agent = model.agents.select(lambda a: a.capital > 0).to_list()[0]
    assert isinstance(agent, SME)
    assert agent.capital == model.firms.capital[agent.row]
    assert agent.country in ("vietnam", "kenya", "uk", "canada", "india")
    agent.capital = 123.0
    assert model.firms.capital[agent.row] == 123.0
    for partner in agent.partners:
        assert agent.row in model.partner_rows(partner)


def test_mesa_batch_run_over_two_scenarios_and_two_seeds():
    results = mesa.batch_run(
        SMEEcosystem,
        parameters={"scenario": ["baseline", "demand_shock"], "n_firms": 80, "months": 3,
                    "burn_in": 1},
        rng=[1, 2],
        max_steps=10,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert len(frame) == 4
    assert set(frame["scenario"]) == {"baseline", "demand_shock"}
    assert (frame["Step"] == 4).all() or (frame["month"] == 3).all()
    assert {"firms_alive", "alliances_active", "mean_trust"} <= set(frame.columns)


def test_every_shipped_scenario_runs():
    from simulation.scenario import shipped

    for name in shipped():
        model = SMEEcosystem(rng=1, scenario=name, n_firms=60, burn_in=1, months=2)
        model.run()
        assert model.report["firms_alive"] > 0
        assert load_scenario(name).name == name


def test_a_mesa_scenario_object_is_accepted_as_solaraviz_reset_passes_it():
    # SolaraViz's Reset rebuilds the model with scenario=model.scenario (Mesa's own object)
    from mesa.experimental.scenarios import Scenario as MesaScenario

    first = SMEEcosystem(rng=3, n_firms=60, burn_in=1, months=3)
    again = SMEEcosystem(scenario=first.scenario, n_firms=60, burn_in=1, months=3)
    assert isinstance(first.scenario, MesaScenario) and again.scenario_spec is None
    first.run()
    again.run()
    pd.testing.assert_frame_equal(first.datacollector.get_model_vars_dataframe(),
                                  again.datacollector.get_model_vars_dataframe())


def test_a_model_pickled_mid_run_goes_on_with_the_same_numbers():
    """A model saved and loaded (pickle: process pools, dashboard sessions) between months
    gives the numbers of the run that was never interrupted: its firm and alliance fields are
    views of their buffers again after loading, so entry and new alliances reach them."""
    import pickle

    kw = dict(rng=8, n_firms=300, burn_in=2, months=24, scenario="vietnam")
    straight = SMEEcosystem(**kw)
    straight.run()
    resumed = SMEEcosystem(**kw)
    resumed.run(12)
    resumed = pickle.loads(pickle.dumps(resumed))
    assert np.shares_memory(resumed.firms.capital, resumed.firms._buf["capital"])
    resumed.run()
    pd.testing.assert_frame_equal(straight.datacollector.get_model_vars_dataframe(),
                                  resumed.datacollector.get_model_vars_dataframe())
