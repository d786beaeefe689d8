"""The optimised array code gives the same results as straightforward loops on small cases."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from simulation import SMEEcosystem
from simulation.alliances import common as al_mod
from simulation.alliances.common import (
    _TYPE_VALUE,
    ALLIANCE_TYPES,
    BID,
    INFRA,
    MARKETING,
    RD,
    SUPPLY,
    type_value_table,
)
from simulation.rules.innovation import _develop, development_steps
from simulation.sizes import alliance_reach, relative_size
from simulation.state import MAX_MEMBERS


@pytest.fixture(scope="module")
def model():
    m = SMEEcosystem(rng=21, n_firms=400, burn_in=0, months=30, consortium_prob=0.6)
    for _ in range(14):
        m.step()
    # the month's table of type values reads the firms as they were at its start; the
    # references below read them as they are now, so the table is brought up to date
    m.last_month = dataclasses.replace(m.last_month,
                                       values=type_value_table(m.firms, slice(None), m.p))
    return m


def _members(book, a):
    return [int(x) for x in book.members[a] if x >= 0]


def reference_effects(m, own_demand):
    """Per-firm alliance effects by looping over alliances and members one at a time."""
    s, b, p, month = m.firms, m.alliances.book, m.p, m.last_month
    n = s.n
    out = {k: np.zeros(n) for k in ("logistics", "rd", "infra", "premium", "contract",
                                    "coordination", "div_sum", "div_cnt")}
    out["in_supply"], out["in_rd"] = np.zeros(n, bool), np.zeros(n, bool)
    keep = {k: np.ones(n) for k in ("logistics", "rd", "infra")}  # prod(1 - e)
    net = np.zeros(b.n)
    magnitude = {SUPPLY: p["supply_chain_logistics_cut"],
                 MARKETING: p["co_marketing_price_premium"],
                 BID: p["joint_bid_contract_boost"], RD: p["rd_time_cut"],
                 INFRA: p["infra_cost_cut"]}
    name = {SUPPLY: "logistics", RD: "rd", INFRA: "infra"}
    for a in range(b.n):
        if not b.active[a]:
            continue
        members = _members(b, a)
        k = int(b.kind[a])
        e = float(b.effectiveness[a])
        for slot in range(MAX_MEMBERS):
            f = int(b.members[a, slot])
            if f < 0:
                continue
            out["in_supply"][f] |= k == SUPPLY
            out["in_rd"][f] |= k == RD
            if k in name:
                keep[name[k]][f] *= 1.0 - min(magnitude[k] * e, 0.999)
            elif k == MARKETING:
                out["premium"][f] += magnitude[k] * e
            else:
                out["contract"][f] += magnitude[k] * e
            coord = (p["coordination_cost"] * month.fixed_cost[f] * (len(members) - 1) ** 0.7
                     * month.coord_mult[f]) * (not b.shirked[a, slot])
            out["coordination"][f] += coord
            out["div_sum"][f] += b.diversity[a, slot]
            out["div_cnt"][f] += 1
            reach = alliance_reach(relative_size(s.trend[[f]]), p)[0]
            value = _TYPE_VALUE[k](s, np.array([f]), p)[0] * reach * e * s.trend[f]
            net[a] += value - coord * (1.0 - month.coord_subsidy[f])
    for key in keep:
        out[key] = 1.0 - keep[key]
    out["premium"] = np.minimum(out["premium"], 2 * magnitude[MARKETING])
    out["contract"] = np.minimum(out["contract"], 2 * magnitude[BID])
    out["diversity"] = out["div_sum"] / np.maximum(out["div_cnt"], 1)
    return out, net


def test_alliance_effects_equal_the_loop(model):
    s, al = model.firms, model.alliances
    demand = np.ones(s.n)
    ref, net = reference_effects(model, demand)
    eff = al.effects(s, model.last_month, demand, False)
    close = dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(eff.logistics_cut, ref["logistics"], **close)
    np.testing.assert_allclose(eff.rd_speedup, ref["rd"], **close)
    np.testing.assert_allclose(eff.infra_cut, ref["infra"], **close)
    np.testing.assert_allclose(eff.price_premium, ref["premium"], **close)
    np.testing.assert_allclose(eff.contract_boost, ref["contract"], **close)
    np.testing.assert_allclose(eff.coordination_cost, ref["coordination"], **close)
    np.testing.assert_allclose(eff.partner_diversity, ref["diversity"], rtol=1e-6)
    np.testing.assert_allclose(al.book.net_benefit, net, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(eff.in_supply_chain, ref["in_supply"])
    np.testing.assert_array_equal(eff.rd_member, ref["in_rd"])
    assert (eff.logistics_cut > 0).any() and (eff.coordination_cost > 0).any()
    assert eff.in_supply_chain.any() and eff.rd_member.any()


def test_member_slots_and_type_slices_list_every_membership_once(model):
    al = model.alliances
    b = al.book
    a, s, f = al.member_slots()
    expected = sorted((x, y, int(b.members[x, y])) for x in range(b.n) for y in range(MAX_MEMBERS)
                      if b.members[x, y] >= 0)
    assert sorted(zip(a.tolist(), s.tolist(), f.tolist())) == expected
    for k, sl in enumerate(al.type_slices()):
        assert (b.kind[a[sl]] == k).all()
    assert sum(sl.stop - sl.start for sl in al.type_slices()) == a.size
    # exactly in (type, alliance, slot) order: per-firm sums (bincount) depend on it
    ordered = sorted(expected, key=lambda m: (int(b.kind[m[0]]), m[0], m[1]))
    assert list(zip(a.tolist(), s.tolist(), f.tolist())) == ordered
    assert (al.slot_index() == a * MAX_MEMBERS + s).all()


def test_pair_cells_are_every_ordered_pair_of_members(model):
    al = model.alliances
    b = al.book
    cells, alliance, target = al.pair_cells()
    expected = [(x, i, j) for x in range(b.n) for i in range(MAX_MEMBERS)
                for j in range(MAX_MEMBERS)
                if i != j and b.members[x, i] >= 0 and b.members[x, j] >= 0]
    assert len(expected) > 2 * int(b.active.sum()), "no consortium: the test needs some"
    # each pair once, in any order (the trust update and the flags do not depend on it)
    got = sorted(zip(cells.tolist(), alliance.tolist(), target.tolist()))
    assert got == [(x * 16 + i * 4 + j, x, x * 4 + j) for x, i, j in expected]


def reference_mutual_aid(m):
    """Each firm's net aid, alliance by alliance and member by member."""
    s, b, p = m.firms, m.alliances.book, m.p
    fixed = m.last_month.fixed_cost
    net = np.zeros(s.n)
    for a in np.flatnonzero(b.active):
        slots = [k for k in range(MAX_MEMBERS) if b.members[a, k] >= 0]
        firms = [int(b.members[a, k]) for k in slots]
        bad = [k for k, f in zip(slots, firms) if s.capital[f] < 0]
        if not bad:
            continue
        need, offer = {}, {}
        for k, f in zip(slots, firms):
            n_all = max(int(s.n_alliances[f]), 1)
            need[k] = max(-s.capital[f], 0.0) / n_all
            if s.capital[f] < 0:
                offer[k] = 0.0
                continue
            trust = np.mean([b.trust[a, k, d] for d in bad])
            spare = max(s.capital[f] - 2.0 * fixed[f], 0.0)
            formal = 1.0 + p["formal_aid_bonus"] * bool(b.formal[a])
            offer[k] = p["mutual_aid_share"] * spare / n_all * formal * trust
        total_need, total_offer = sum(need.values()), sum(offer.values())
        transfer = min(total_need, total_offer)
        for k, f in zip(slots, firms):
            if total_need > 0:
                net[f] += transfer * need[k] / total_need
            if total_offer > 0:
                net[f] -= transfer * offer[k] / total_offer
    return net


def test_mutual_aid_equals_the_loop():
    m = SMEEcosystem(rng=4, n_firms=500, burn_in=0, months=30, consortium_prob=0.5,
                     scenario="credit_shock")
    for _ in range(12):
        m.step()
    s = m.firms
    s.capital[::7] = -np.abs(s.capital[::7]) - 1.0  # put one firm in seven in distress
    expected = reference_mutual_aid(m)
    before = s.capital.copy()
    m.alliances.mutual_aid(s, m.last_month.fixed_cost)
    assert (expected > 0).any() and (expected < 0).any(), "no aid flowed: nothing was tested"
    np.testing.assert_allclose(s.capital - before, expected, rtol=1e-9, atol=1e-9)


def reference_support(m):
    """Each firm's support: over its alliances and partners, the partner's offer (its share
    of spare capital over its alliances, more in a formal alliance) x its trust in the firm."""
    s, b, p = m.firms, m.alliances.book, m.p
    fixed = m.last_month.fixed_cost
    support = np.zeros(s.n)
    for a in np.flatnonzero(b.active):
        slots = [k for k in range(MAX_MEMBERS) if b.members[a, k] >= 0]
        for k in slots:
            g = int(b.members[a, k])
            spare = max(s.capital[g] - 2.0 * fixed[g], 0.0)
            offer = (p["mutual_aid_share"] * spare / max(int(s.n_alliances[g]), 1)
                     * (1.0 + p["formal_aid_bonus"] * bool(b.formal[a])))
            for t in slots:
                if t != k:
                    support[int(b.members[a, t])] += offer * float(b.trust[a, k, t])
    return support


def test_support_equals_the_loop():
    m = SMEEcosystem(rng=4, n_firms=500, burn_in=0, months=30, consortium_prob=0.5)
    for _ in range(12):
        m.step()
    s = m.firms
    expected = reference_support(m)
    m.alliances.support(s, m.alliances._offers(s, m.last_month.fixed_cost))
    assert (expected > 0).sum() > 100 and m.alliances.book.formal.any()
    np.testing.assert_allclose(s.support, expected, rtol=1e-9, atol=1e-9)


def test_trust_update_and_flags_equal_the_loop():
    m = SMEEcosystem(rng=5, n_firms=400, burn_in=0, months=30, consortium_prob=0.6,
                     trustworthiness_mean=0.5)
    for _ in range(10):
        m.step()
    al, s, p = m.alliances, m.firms, m.p
    b = al.book
    before = b.trust.copy()
    al.contribute_and_update_trust(s, m.steps + 1)
    assert b.detected.any(), "no detected shirking: the erosion branch was not exercised"
    build, erode = p["trust_build_rate"], p["trust_erosion_rate"]
    for a in range(b.n):
        low = below_half = False
        for i in range(MAX_MEMBERS):
            for j in range(MAX_MEMBERS):
                if i == j or b.members[a, i] < 0 or b.members[a, j] < 0:
                    assert b.trust[a, i, j] == 0.0
                    continue
                t = float(before[a, i, j])
                t = t * (1 - erode) if b.detected[a, j] else t + build * (1 - t)
                assert b.trust[a, i, j] == pytest.approx(t, rel=1e-5, abs=1e-6)
                low |= b.trust[a, i, j] < p["trust_break_threshold"]
                below_half |= b.trust[a, i, j] < 0.5
        assert al.trust_low[a] == low and al.trust_below_half[a] == below_half
        # effectiveness: the share of the members who honoured their commitment this month
        shirkers = sum(bool(b.shirked[a, i]) for i in range(MAX_MEMBERS))
        assert b.effectiveness[a] == np.float32(1.0) - np.float32(shirkers) / np.float32(
            max(int(b.n_members[a]), 1))
    assert b.shirked.any(axis=1).sum() > 1, "too few shirkers: effectiveness barely tested"
    pairs = [(a, i, j) for a in range(b.n) for i in range(MAX_MEMBERS) for j in range(MAX_MEMBERS)
             if i != j and b.members[a, i] >= 0 and b.members[a, j] >= 0]
    assert al.mean_trust() == pytest.approx(np.mean([b.trust[x] for x in pairs]), rel=1e-6)


def test_development_launches_at_the_hazard_rate_more_regularly_than_poisson():
    rng = np.random.default_rng(3)
    progress = np.zeros(200_000, dtype=np.float32)
    rate = np.full(progress.size, 0.2)
    yearly = np.zeros(progress.size, dtype=np.int64)
    for month in range(36):
        counts = _develop(progress, development_steps(rng, progress.size), rate)
        assert (counts >= 0).all()
        if month >= 24:
            yearly += counts
    assert ((progress >= 0) & (progress < 1)).all()
    assert yearly.mean() == pytest.approx(12 * 0.2, rel=0.01)
    # a Poisson process would give variance = mean; exponential steps give about
    # 12 x 0.2^2 plus the rounding of the phase
    assert yearly.var() < 0.5 * yearly.mean()
    # no progress without a hazard
    idle = np.zeros(10, dtype=np.float32)
    assert (_develop(idle, development_steps(rng, 10), np.zeros(10)) == 0).all()
    assert (idle == 0).all()


def test_lazy_mesa_agents_change_nothing():
    def frame(materialise: bool):
        m = SMEEcosystem(rng=8, n_firms=300, burn_in=2, months=18)
        if materialise:
            assert len(m.agents) == 300
        m.run()
        if materialise:
            assert len(m.agents) == int(m.firms.alive.sum())
            assert {a.unique_id for a in m.agents} == set(m.firms.uid[m.firms.alive].tolist())
        return m.datacollector.get_model_vars_dataframe()

    pd.testing.assert_frame_equal(frame(False), frame(True), check_exact=True)


def test_structure_stats_every_month_equal_the_yearly_ones_in_their_months():
    kw = dict(rng=4, n_firms=300, burn_in=0, months=24)
    a = SMEEcosystem(structure_stats_every=1, **kw)
    b = SMEEcosystem(structure_stats_every=12, **kw)
    a.run()
    b.run()
    fa = a.datacollector.get_model_vars_dataframe()
    fb = b.datacollector.get_model_vars_dataframe()
    cols = ["network_density", "clustering", "largest_component_share", "revenue_gini"]
    for step in (1, 12, 24):
        assert fa.iloc[step - 1][cols].tolist() == fb.iloc[step - 1][cols].tolist()
    others = [c for c in fa.columns if c not in cols]
    pd.testing.assert_frame_equal(fa[others], fb[others], check_exact=True)
    assert len(set(fa["clustering"])) > len(set(fb["clustering"]))


def test_type_values_are_the_rows_of_every_type_within_the_firms_reach():
    m = SMEEcosystem(rng=1, n_firms=50)
    m.run(3)
    f = np.arange(50)
    table = type_value_table(m.firms, f, m.p)
    assert table.shape == (len(ALLIANCE_TYPES), 50)
    rel = np.clip(m.firms.trend[f].astype(np.float32) / np.float32(20.0), 0.05, 1e6)
    reach = np.minimum(rel.astype(float) ** -m.p["alliance_size_elasticity"], 1.0)
    assert reach.min() < 1.0  # some firms are above the reference size
    for k, value in enumerate(_TYPE_VALUE):
        np.testing.assert_array_equal(table[k], value(m.firms, f, m.p) * reach)
    # the month's table (every row, as formation and effects read it) agrees with it
    np.testing.assert_array_equal(type_value_table(m.firms, slice(None), m.p)[:, f], table)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_axis_reductions_equal_numpys_bit_for_bit(dtype):
    """The column-by-column reductions of the alliance phases give exactly numpy's results,
    ties (first maximum) and sign of zero included, on the shapes the model uses."""
    rng = np.random.default_rng(5)
    for shape in [(1000, 2), (1000, 3), (1000, 4), (1000, 5)]:
        # coarse values make ties and exact zeros common; the wide ones make rounding matter
        x = (rng.integers(-3, 4, shape) * rng.choice([1.0, 1e-8, 3.3e7], shape)).astype(dtype)
        x[0] = -0.0
        got = al_mod._sum_last(x)
        assert got.dtype == x.sum(axis=1).dtype
        assert np.array_equal(got, x.sum(axis=1))
        assert np.array_equal(np.signbit(got), np.signbit(x.sum(axis=1)))
        assert np.array_equal(al_mod._cumsum_last(x), np.cumsum(x, axis=1))
        assert np.array_equal(al_mod._argmax_last(x), np.argmax(x, axis=1))
        mask = x > 0
        assert np.array_equal(al_mod._argmax_last(mask), np.argmax(mask, axis=1))
        assert np.array_equal(al_mod._any_last(mask), mask.any(axis=1))
        got_count = al_mod._count_last(mask)
        assert got_count.dtype == np.int64 and np.array_equal(got_count, mask.sum(axis=1))
    cube = rng.random((500, 4, 4)).astype(dtype) * rng.choice([1.0, 1e9], (500, 4, 4))
    assert np.array_equal(al_mod._sum_axis1(cube), cube.sum(axis=1))
    assert np.array_equal(al_mod._sum_last(cube), cube.sum(axis=2))
    assert np.array_equal(al_mod._count_last(cube > 0.5), (cube > 0.5).sum(axis=2))


def test_short_axis_helpers_refuse_what_they_would_not_match():
    # numpy sums 8 or more entries in pairs, and sums integers as int64
    with pytest.raises(AssertionError):
        al_mod._sum_last(np.ones((3, 8)))
    with pytest.raises(AssertionError):
        al_mod._sum_last(np.ones((3, 4), dtype=np.int32))


def test_partners_of_no_pairs_is_empty(model):
    s = model.firms
    empty = np.zeros(0, dtype=np.int64)
    assert model.alliances.partners_of(s, empty, empty).shape == (0,)


def _formed(seed=9):
    """A model after one month's search and formation by hand (as step() does)."""
    m = SMEEcosystem(rng=seed, n_firms=400, burn_in=0, months=30, search_prob=0.4,
                     consortium_prob=0.6, entry_rate=0.0)  # no entrants: last month's rows
    for _ in range(6):
        m.step()
    al, s = m.alliances, m.firms
    month = dataclasses.replace(m.last_month, values=type_value_table(s, slice(None), m.p))
    before = s.memory_partner.copy()
    formed = al.form(s, month, al.search(s, month, None))
    assert formed > 0, "nothing formed: nothing was tested"
    # formation leaves the remembering of the new partners for later ...
    np.testing.assert_array_equal(s.memory_partner, before)
    return m


def _memory(m):
    s = m.firms
    return s.memory_partner.copy(), s.memory_trust.copy(), s.memory_next.copy()


def test_new_partners_are_remembered_with_their_trust_at_formation():
    at_once = _formed()
    at_once.alliances.memory_settled()  # ... here at once
    later = _formed()
    # ... or later (on the second core, from contribution on large models), after the book's
    # trust has moved: the new partners are remembered with the trust they started with
    later.alliances.book.trust *= np.float32(0.5)
    later.alliances.memory_settled()
    for x, y in zip(_memory(at_once), _memory(later)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(at_once.firms.memory_partner, _formed().firms.memory_partner)
    # contribution hands the remembering over (here it runs in line: a small model)
    handed = _formed()
    handed.alliances.contribute_and_update_trust(handed.firms, handed.steps)
    for x, y in zip(_memory(at_once), _memory(handed)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("phase", ["dissolve", "remove_firms"])
def test_the_memory_is_written_in_order_formation_then_dissolution_and_exits(phase):
    settled, pending = _formed(), _formed()
    settled.alliances.memory_settled()
    for m in (settled, pending):
        if phase == "dissolve":
            m.alliances.dissolve(m.firms, m.steps + 120)  # every term is over: many end
        else:
            m.alliances.remove_firms(m.firms, np.arange(0, m.firms.n, 3), m.steps)
        m.alliances.memory_settled()
    for x, y in zip(_memory(settled), _memory(pending)):
        np.testing.assert_array_equal(x, y)


def test_shock_multipliers_no_shock_moves_are_shared_and_read_only(model):
    from simulation.shocks import Shock, shock_effects

    quiet = shock_effects([], 1, model.firms)
    assert quiet.demand is quiet.credit and not quiet.demand.flags.writeable
    assert (quiet.demand == 1.0).all() and (quiet.compliance == 0.0).all()
    supply = Shock(kind="supply", start=1, duration=6, depth=0.5, recovery=3)
    hit = shock_effects([supply], 2, model.firms)
    assert (hit.logistics > 1.0).any() and (hit.failure_prob > 0).any()
    assert hit.demand is hit.credit and (hit.demand == 1.0).all()  # untouched: still shared


@pytest.mark.parametrize("numba", ["off", "on"])
def test_network_stats_equal_networkx_with_repeated_and_self_pairs(monkeypatch, numba):
    """Scipy's sparse product and components (numba off) or the compiled triangle count
    and union-find (simulation/kernels.py) against networkx."""
    import networkx as nx

    from simulation import kernels
    from simulation.metrics import network_stats

    if numba == "on" and not kernels.installed:
        pytest.skip("numba is not installed")
    monkeypatch.setenv(kernels.ENV, numba)

    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(3, 80))
        u, v = rng.integers(0, n, (2, int(rng.integers(1, 160))))
        alive = rng.random(n) < 0.9
        alive[u] = alive[v] = True  # partners are alive
        g = nx.Graph()
        g.add_nodes_from(np.flatnonzero(alive).tolist())
        # repeated pairs count once, a firm paired with itself not at all
        g.add_edges_from((a, b) for a, b in zip(u.tolist(), v.tolist()) if a != b)
        for threaded in (False, True):  # the triangles on the second core or here
            density, transitivity, largest = network_stats(u, v, alive, threaded)
            assert density == pytest.approx(nx.density(g))
            assert transitivity == pytest.approx(nx.transitivity(g))
            assert largest == pytest.approx(max(len(c) for c in nx.connected_components(g))
                                            / g.number_of_nodes())


def _reuse_rows(kind: str, full_reset: bool):
    """A model's exited firms' (or dissolved alliances') rows filled with garbage, then reset
    in full or not (full_reset), then reused by entry (or formation): (store, new rows)."""
    from simulation.population import populate

    m = SMEEcosystem(rng=8, n_firms=400, burn_in=0, months=30, search_prob=0.4)
    for _ in range(4):
        m.step()
    for _ in range(12):  # entry may have added rows after the month's context was made:
        if m.last_month.coord_mult.size == m.firms.n:  # on to a month that fits the rows
            break
        m.step()
    assert m.last_month.coord_mult.size == m.firms.n
    if kind == "firms":
        store = m.firms
        rows = np.arange(0, store.n, 5)
    else:
        store = m.alliances.book
        m.alliances.dissolve(m.firms, m.steps + 120)  # every term is over: many end
        m.alliances.memory_settled()
        rows = np.flatnonzero(~store.active)
    for name, (dtype, _shape, _fill) in store.FIELDS.items():
        getattr(store, name)[rows] = True if dtype == np.bool_ else 77
    if full_reset:
        store.reset_rows(rows)
    (store.alive if kind == "firms" else store.active)[rows] = False  # free to reuse
    if kind == "firms":
        new = populate(store, np.random.default_rng(1), rows.size, m.p, step=m.steps,
                       entrants=True)
    else:
        month = dataclasses.replace(m.last_month,
                                    values=type_value_table(m.firms, slice(None), m.p))
        found = m.alliances.search(m.firms, month, None)
        before = set(np.flatnonzero(store.active).tolist())
        assert m.alliances.form(m.firms, month, found) > 0
        new = np.array(sorted(set(np.flatnonzero(store.active).tolist()) - before))
    assert np.isin(new, rows).sum() >= 5, "few rows were reused: little was tested"
    return store, new


@pytest.mark.parametrize("kind", ["firms", "alliances"])
def test_reused_rows_come_out_the_same_without_resetting_the_written_fields(kind):
    """new_rows does not reset the fields its caller writes for every new row
    (population.POPULATED, alliances._FORMED): the rows come out as after a full reset."""
    skipped, new = _reuse_rows(kind, full_reset=False)
    reset, new_too = _reuse_rows(kind, full_reset=True)
    np.testing.assert_array_equal(new, new_too)
    for name in skipped.FIELDS:
        np.testing.assert_array_equal(getattr(skipped, name)[new], getattr(reset, name)[new],
                                      err_msg=name)


def test_first_occurrence_equals_numpys_unique():
    rng = np.random.default_rng(12)
    for size, bound in ((0, 5), (1, 3), (50, 10), (2000, 300), (5000, 100000)):
        values = rng.integers(0, bound, size)
        _, first = np.unique(values, return_index=True)
        expected = np.zeros(size, dtype=bool)
        expected[first] = True
        np.testing.assert_array_equal(al_mod._first_occurrence(values, bound), expected)


def test_take_rows_equals_fancy_indexing():
    from simulation.state import take_rows

    rng = np.random.default_rng(4)
    for shape in ((50, 4), (50, 4, 4), (50, 5)):
        x = rng.random(shape).astype(np.float32)
        for index in (rng.integers(-50, 50, 30), rng.integers(0, 50, (7, 5)),
                      np.zeros(0, dtype=np.int64)):
            np.testing.assert_array_equal(take_rows(x, index), x[index])
    with pytest.raises(IndexError):
        take_rows(np.zeros((3, 4)), np.array([3]))
    with pytest.raises(TypeError, match="boolean mask"):  # np.take would read rows 0 and 1
        take_rows(np.zeros((3, 4)), np.array([True, False, True]))


def test_memory_writes_equal_the_loop():
    """_remember (sorted into rounds, one write per firm a round) equals writing the pairs
    one at a time in the order given, with firms repeated and partners known and new."""
    m = SMEEcosystem(rng=5, n_firms=300, burn_in=0, months=10)
    for _ in range(8):
        m.step()
    m.alliances.memory_settled()
    s = m.firms
    rng = np.random.default_rng(6)
    f = rng.integers(0, 40, 400)  # each firm about ten times
    known = s.memory_partner[f, rng.integers(0, s.memory_partner.shape[1], f.size)]
    partner = np.where((rng.random(f.size) < 0.5) & (known >= 0), known,
                       rng.integers(0, s.n, f.size)).astype(np.int32)
    trust = rng.random(f.size).astype(np.float32)
    expected = [s.memory_partner.copy(), s.memory_trust.copy(), s.memory_next.copy()]
    mp, mt, nxt = expected
    for firm, q, t in zip(f.tolist(), partner.tolist(), trust.tolist()):
        hit = np.flatnonzero(mp[firm] == q)
        if hit.size:
            col = hit[0]
        else:
            col = nxt[firm]
            nxt[firm] = (nxt[firm] + 1) % mp.shape[1]
        mp[firm, col], mt[firm, col] = q, t
    m.alliances._remember(s, f, partner, trust)
    for got, want in zip((s.memory_partner, s.memory_trust, s.memory_next), expected):
        np.testing.assert_array_equal(got, want)


def test_remembered_pairs_are_written_slot_pair_by_slot_pair():
    """_remember_pairs writes what the loop over the ordered slot pairs (s, t), s != t, each
    pair's alliances in turn, writes: the order decides which memory slot each partner takes
    (firms here sit in many alliances, with consortia of 3-4 and empty slots)."""
    m = SMEEcosystem(rng=5, n_firms=300, burn_in=0, months=10)
    for _ in range(8):
        m.step()
    m.alliances.memory_settled()
    rng = np.random.default_rng(7)
    mem = rng.integers(0, 30, (60, MAX_MEMBERS)).astype(np.int32)
    mem[rng.random(mem.shape) < 0.3] = -1
    trust = rng.random((60, MAX_MEMBERS, MAX_MEMBERS)).astype(np.float32)
    f, q, t = [], [], []
    for i in range(MAX_MEMBERS):
        for j in range(MAX_MEMBERS):
            for a in range(mem.shape[0]):
                if i != j and mem[a, i] >= 0 and mem[a, j] >= 0:
                    f.append(mem[a, i]), q.append(mem[a, j]), t.append(trust[a, i, j])
    before = _memory(m)
    # the writes in the loop's order, through _remember (itself checked against one write
    # at a time in test_memory_writes_equal_the_loop)
    m.alliances._remember(m.firms, np.array(f), np.array(q, dtype=np.int32),
                          np.array(t, dtype=np.float32))
    loop = _memory(m)
    s = m.firms
    s.memory_partner[:], s.memory_trust[:], s.memory_next[:] = before
    m.alliances._remember_pairs(s, mem, trust)
    for got, want in zip(_memory(m), loop):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(loop[0], before[0])  # the writes changed the memory


def test_edges_are_every_pair_of_members_once():
    m = SMEEcosystem(rng=8, n_firms=400, burn_in=0, months=20, consortium_prob=0.8)
    for _ in range(10):
        m.step()
    al, s = m.alliances, m.firms
    al.remove_firms(s, np.arange(0, s.n, 4), m.steps)  # holes in the first slots
    b = al.book
    assert (b.members[:, :2] < 0).any(axis=1)[b.n_members >= 2].any(), "no holes: untested"
    expected = sorted((mem[x], mem[y]) for mem in b.members.tolist()
                      for x in range(MAX_MEMBERS) for y in range(x + 1, MAX_MEMBERS)
                      if mem[x] >= 0 and mem[y] >= 0)
    u, v = al.edges()
    assert sorted(zip(u.tolist(), v.tolist())) == expected


def test_net_benefit_without_a_subsidy_equals_the_subsidised_formula(model):
    """With no programme paying, net benefit skips the x (1 - 0) of the subsidy: the same
    numbers, bit for bit, as the formula with a subsidy that reaches no member."""
    al, s = model.alliances, model.firms
    a, _s, f = al.member_slots()
    eff = al.book.effectiveness[a].astype(np.float64)
    coord = np.random.default_rng(2).random(a.size)
    outs = []
    for outsider_share in (0.0, 0.5):
        subsidy = np.zeros(s.n)
        outsider = np.setdiff1d(np.arange(s.n), f)[0]  # a firm in no alliance
        subsidy[outsider] = outsider_share
        month = dataclasses.replace(model.last_month, coord_subsidy=subsidy)
        al._net_benefit(s, month, eff, coord)
        outs.append(al.book.net_benefit.copy())
    np.testing.assert_array_equal(outs[0], outs[1])


def test_the_demand_walk_with_the_months_sizes_equals_the_walk_that_makes_them():
    from simulation.rules import demand
    from simulation.shocks import shock_effects

    walks = []
    for given in (False, True):
        m = SMEEcosystem(rng=13, n_firms=300, burn_in=0, months=10)
        for _ in range(3):
            m.step()
        s, p = m.firms, m.p
        rel = relative_size(s.trend)
        sizes = (rel, alliance_reach(rel, p)) if given else None
        shock = shock_effects(m.shocks, m.month, s)
        walk = demand.demand_walk(s, p, m.streams["economy"], m.demand_index, shock, sizes)
        walks.append((walk, s.level.copy(), s.scale.copy()))
    (w0, level0, scale0), (w1, level1, scale1) = walks
    for field in dataclasses.fields(w0):
        np.testing.assert_array_equal(getattr(w0, field.name), getattr(w1, field.name))
    np.testing.assert_array_equal(level0, level1)
    np.testing.assert_array_equal(scale0, scale1)
