"""Phase 1: who looks for a partner, and which candidate each finds."""

from __future__ import annotations

import numpy as np

from ..params import COUNTRIES
from ..state import FirmState, take_rows
from .common import Month, _any_last, _argmax_last, _sum_last


class Search:
    """Phase 1: who looks for a partner, and which candidate each finds."""

    # ------------------------------------------------------------------ 1. search
    def search(self, state: FirmState, month: Month, brokered=None):
        """Phase 1. Who looks for a partner this month, and which candidate each finds.

        Inputs: firm need, capacity, digital adoption, memory; shock formation multiplier;
        `brokered` (searchers, candidates, trust boost) from a trust-brokering policy.
        Output: arrays (searcher, candidate, channel, inherited trust, trust boost).
        Channels: 0 local cluster, 1 platform, 2 referral / prior partner, 3 brokered.
        """
        self.memory_settled()
        p, rng = self.p, self.rng
        n = state.n
        cap = state.alive & (state.n_alliances < p["max_alliances"])
        prob = (
            p["search_prob"]
            * (1.0 + p["search_need_weight"] * state.need)
            * month.formation
            / month.coord_mult
        )
        u = rng.random(n)
        searchers = np.flatnonzero(cap & (u < np.clip(prob, 0, 1)))
        empty = np.zeros(0, dtype=np.int64)
        pool = np.flatnonzero(cap)
        month.pool = pool
        if searchers.size == 0 or pool.size < 2:
            if brokered is None:
                return empty, empty, empty, np.zeros(0), np.zeros(0)
        m = searchers.size
        has_memory = _any_last(take_rows(state.memory_partner, searchers) >= 0)
        r = rng.random(m)
        channel = np.zeros(m, dtype=np.int64)
        channel[state.digital[searchers] & (r < 0.5)] = 1
        channel[has_memory & (r >= 0.5) & (r < 0.8)] = 2
        candidate = np.full(m, -1, dtype=np.int64)
        inherited = np.zeros(m)

        plat_pool = np.flatnonzero(cap & state.digital)  # = pool[digital[pool]], one pass
        if plat_pool.size == 0:
            channel[channel == 1] = 0

        # local cluster: of two random firms with capacity in the same region, the one
        # with the closer capabilities (the cluster's related trades)
        loc = np.flatnonzero(channel == 0)
        if pool.size and loc.size:
            region = state.region[pool]
            order = pool[np.argsort(region, kind="stable")]
            counts = np.bincount(region, minlength=len(COUNTRIES))
            offsets = np.r_[0, np.cumsum(counts)[:-1]]
            reg = state.region[searchers[loc]]
            pick = offsets[reg][:, None] + (rng.random((loc.size, 2)) * counts[reg][:, None]
                                            ).astype(np.int64)
            two = order[np.minimum(pick, order.size - 1)]
            dist = _sum_last(np.abs(take_rows(state.capability, two)
                                    - take_rows(state.capability, searchers[loc])[:, None, :]))
            chosen = two[np.arange(loc.size), _argmax_last(-dist)]  # the first nearest
            candidate[loc] = np.where(counts[reg] > 0, chosen, -1)

        # platform: best visible reputation among three digital firms anywhere
        plat = np.flatnonzero(channel == 1)
        if plat.size:
            draws = plat_pool[rng.integers(0, plat_pool.size, (plat.size, 3))]
            best = _argmax_last(state.reputation[draws])
            candidate[plat] = draws[np.arange(plat.size), best]

        # referral: a prior partner again, or a partner of a prior partner
        ref = np.flatnonzero(channel == 2)
        if ref.size:
            f = searchers[ref]
            mem = take_rows(state.memory_partner, f)
            slot_ok = mem >= 0
            # pick a random remembered slot per firm
            score = np.where(slot_ok, rng.random(mem.shape), -1.0)
            col = _argmax_last(score)
            contact = mem[np.arange(ref.size), col]
            t_contact = state.memory_trust[f, col]
            second = rng.random(ref.size) < 0.5
            mem2 = take_rows(state.memory_partner, contact)
            score2 = np.where(mem2 >= 0, rng.random(mem2.shape), -1.0)
            col2 = _argmax_last(score2)
            friend = mem2[np.arange(ref.size), col2]
            t_friend = state.memory_trust[contact, col2]
            use_friend = second & (friend >= 0) & (friend != f)
            candidate[ref] = np.where(use_friend, friend, contact)
            inherited[ref] = np.where(
                use_friend, t_contact * t_friend * p["referral_trust_discount"], t_contact
            )

        boost = np.zeros(m)
        if brokered is not None and brokered[0].size:
            bs, bc, bb = brokered
            searchers = np.concatenate([searchers, bs])
            candidate = np.concatenate([candidate, bc])
            channel = np.concatenate([channel, np.full(bs.size, 3)])
            inherited = np.concatenate([inherited, np.zeros(bs.size)])
            boost = np.concatenate([boost, np.full(bs.size, bb)])
        ok = (candidate >= 0) & (candidate != searchers)
        ok[ok] &= cap[candidate[ok]]
        return searchers[ok], candidate[ok], channel[ok], inherited[ok], boost[ok]

