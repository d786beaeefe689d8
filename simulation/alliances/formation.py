"""Phase 2: score candidates (gain^a x trust^(1-a)), mutual acceptance, new alliances."""

from __future__ import annotations

from functools import partial

import numpy as np

from ..state import MAX_MEMBERS, FirmState, take_rows
from .common import (
    _FORMAL_BIAS,
    _FORMED,
    _GROWS,
    ALLIANCE_TYPES,
    INFORMAL_REVIEW,
    Month,
    _argmax_last,
    _count_last,
    _cumsum_last,
    _first_occurrence,
    _sum_last,
    complementarity,
)


class Formation:
    """Phase 2: score candidates (gain^a x trust^(1-a)), mutual acceptance, new alliances."""

    # ------------------------------------------------------------------ 2. form
    def form(self, state: FirmState, month: Month, found) -> int:
        """Phase 2. Score candidates, let both sides accept, and record the new alliances.

        Score = gain^a * trust^(1-a) (Klos and Nooteboom); gain from the best alliance
        type for the pair, complementarity and coordination cost; trust from memory,
        referral, platform reputation or propensity. Transaction costs are paid from
        capital (booked in the firm's profit). Output: number of alliances formed.
        """
        self.memory_settled()
        p, rng = self.p, self.rng
        i, j, channel, inherited, boost = found
        pool, month.pool = month.pool, None  # search's pool, for this formation only
        if i.size == 0:
            return 0
        not_partners = ~self.partners_of(state, i, j)
        i, j, channel, inherited, boost = (x[not_partners] for x in (i, j, channel, inherited,
                                                                    boost))
        if i.size == 0:
            return 0
        comp = complementarity(state, i, j)
        # (firms, 5) with the bonus; np.take: see state.take_rows
        vi = np.take(month.values, i, axis=1).T + month.value_bonus[None, :]
        vj = np.take(month.values, j, axis=1).T + month.value_bonus[None, :]
        # the type: drawn with weights = value to the partner who gains less
        w = np.minimum(vi, vj).clip(1e-9)
        cum = _cumsum_last(w)
        u = rng.random(i.size)[:, None] * cum[:, -1:]
        kind = np.minimum(_count_last(cum < u), len(ALLIANCE_TYPES) - 1)
        rows = np.arange(i.size)
        own_i = month.coord_mult[i] * (1.0 - month.coord_subsidy[i])
        own_j = month.coord_mult[j] * (1.0 - month.coord_subsidy[j])
        coord_i = p["coordination_cost"] * state.fixed_cost_ratio[i] * own_i
        coord_j = p["coordination_cost"] * state.fixed_cost_ratio[j] * own_j
        gi = vi[rows, kind] * (0.5 + comp)
        gj = vj[rows, kind] * (0.5 + comp)
        gain_i = gi / (gi + coord_i + 0.01)
        gain_j = gj / (gj + coord_j + 0.01)

        # what each side remembers of the other (here: the second core is busy with the demand
        # walk at this point of the month)
        (known_i, mem_i), (known_j, mem_j) = self._memory_both_ways(state, i, j)
        stranger_i = np.where(
            channel == 2,
            inherited,
            np.where(
                channel == 1,
                0.5 * state.trust_propensity[i] + 0.5 * state.reputation[j],
                state.trust_propensity[i],
            ),
        )
        stranger_j = np.where(
            channel == 1,
            0.5 * state.trust_propensity[j] + 0.5 * state.reputation[i],
            np.where(channel == 2, inherited, state.trust_propensity[j]),
        )
        t_ij = np.clip(np.where(known_i, mem_i, stranger_i) + boost, 0.0, 1.0)
        t_ji = np.clip(np.where(known_j, mem_j, stranger_j) + boost, 0.0, 1.0)
        a = p["gain_weight"]
        score_i = gain_i**a * t_ij ** (1 - a)
        score_j = gain_j**a * t_ji ** (1 - a)
        gate = rng.random(i.size) < np.minimum(month.formation[i], month.formation[j])
        accept = (score_i >= p["accept_threshold"]) & (score_j >= p["accept_threshold"]) & gate
        sel = np.flatnonzero(accept)
        if sel.size == 0:
            return 0
        # each firm joins at most one new alliance a month: keep first claims in random order
        sel = sel[rng.permutation(sel.size)]
        flat = np.stack([i[sel], j[sel]], axis=1).ravel()
        is_first = _first_occurrence(flat, state.n)
        sel = sel[is_first[0::2] & is_first[1::2]]
        sel.sort()
        i, j, kind, t_ij, t_ji = i[sel], j[sel], kind[sel], t_ij[sel], t_ji[sel]
        known = known_i[sel] | known_j[sel]
        on_platform = channel[sel] == 1
        k = i.size

        members = np.full((k, MAX_MEMBERS), -1, dtype=np.int64)
        members[:, 0], members[:, 1] = i, j
        trust = np.zeros((k, MAX_MEMBERS, MAX_MEMBERS), dtype=np.float32)
        trust[:, 0, 1], trust[:, 1, 0] = t_ij, t_ji

        # consortia: joint bids, R&D and infrastructure alliances may take in more firms
        taken = np.zeros(state.n, dtype=bool)
        taken[i] = True
        taken[j] = True
        if pool is None:  # (formation without a search first)
            pool = np.flatnonzero(state.alive & (state.n_alliances < p["max_alliances"]))
        pool = pool[~taken[pool]]
        grow = _GROWS[kind]
        for slot in range(2, MAX_MEMBERS):
            want = np.flatnonzero(grow & (rng.random(k) < p["consortium_prob"]))
            if want.size == 0 or pool.size == 0:
                break
            cand = pool[rng.integers(0, pool.size, want.size)]
            comp_k = complementarity(state, i[want], cand)
            vk = month.values[kind[want], cand] + month.value_bonus[kind[want]]
            ck = p["coordination_cost"] * state.fixed_cost_ratio[cand] * month.coord_mult[cand]
            gk = vk * (0.5 + comp_k) * (slot / 2.0) ** -0.3
            tk = state.trust_propensity[cand]
            score_k = (gk / (gk + ck * slot + 0.01)) ** a * tk ** (1 - a)
            ok = (score_k >= p["accept_threshold"]) & ~taken[cand]
            ok &= rng.random(cand.size) < month.formation[cand]
            ok &= _first_occurrence(cand, state.n)
            want, cand = want[ok], cand[ok]
            members[want, slot] = cand
            taken[cand] = True
            pool = pool[~taken[pool]]
            # trust with the newcomer: each side's propensity to trust strangers
            for s in range(slot):
                trust[want, slot, s] = state.trust_propensity[cand]
                trust[want, s, slot] = state.trust_propensity[members[want, s]]
            grown = np.zeros(k, dtype=bool)
            grown[want] = True
            grow &= grown  # only alliances that took a member this round may take another

        n_members = _count_last(members >= 0)
        present = members >= 0
        inst = _sum_last(np.where(present, state.institutions[np.maximum(members, 0)], 0)
                         ) / n_members
        formal_p = p["formal_contract_bias"] * (0.5 + inst / 5.0)
        formal_p *= _FORMAL_BIAS[kind] * np.where(known, 0.7, 1.2)
        formal = rng.random(k) < np.clip(formal_p, 0, 1)

        self.statics_settled()  # exits' statics are written before the book may grow
        ids = self.book.new_rows(k, written=_FORMED)
        b = self.book
        b.active[ids] = True
        b.kind[ids] = kind
        b.members[ids] = members
        b.n_members[ids] = n_members
        b.start[ids] = month.step
        b.end[ids] = month.step + np.where(formal, p["contract_term"], INFORMAL_REVIEW)
        b.formal[ids] = formal
        b.trust[ids] = trust
        # the new alliances' statics on the second core (if it is on), from `members`
        # (the book's rows move when members exit), while the members take their slots and pay
        # here and contribution follows; effects and exits wait for them (statics_settled)
        self._forget_membership()
        self._statics_job = self.cores.beside(self._statics, ids, members, state)

        # firm side: alliance slots, counts, memory, transaction costs
        aid, slot = np.nonzero(present)
        firm = members[aid, slot]
        alliance = ids[aid]
        free_col = _argmax_last(take_rows(state.alliances, firm) < 0)
        state.alliances[firm, free_col] = alliance
        state.n_alliances[firm] += 1
        search_cost = p["search_cost"] * np.where(on_platform, 0.5, 1.0)[aid]
        setup = p["formal_setup_cost"] * formal[aid]
        cost = (search_cost + setup) * month.fixed_cost[firm] * month.coord_mult[firm]
        state.flow_profit[firm] -= cost
        state.capital[firm] -= cost
        # the members remember each other later, on the second core (start_memory), from
        # this month's `members` and `trust` (the book's trust moves in contribution)
        self._memory_jobs.append(partial(self._remember_pairs, state, members, trust))
        self.formed += k
        return k

