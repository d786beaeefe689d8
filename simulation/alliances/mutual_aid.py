"""Phase 7: members in distress draw on partners' buffers."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..state import MAX_MEMBERS, FirmState, take_rows
from .common import _count_last, _sum_last


class MutualAid:
    """Phase 7: members in distress draw on partners' buffers."""

    # ------------------------------------------------------------------ 7. mutual aid
    def mutual_aid(self, state: FirmState, fixed_cost: np.ndarray) -> None:
        """Phase 7 (run after production, before dissolution and exits, so that aid can
        keep a member in business). Members in distress (negative capital) draw on
        partners' buffers.

        A partner offers mutual_aid_share x its capital above two months of fixed cost,
        split over its alliances and weighted by its trust in the distressed members.
        Transfers sum to zero and are booked in flow_aid.
        """
        p, b = self.p, self.book
        self.aid_paid = self.aid_received = 0.0
        a, _s, f = self.member_slots()
        if a.size == 0 or p["mutual_aid_share"] <= 0:
            return
        # only alliances with a distressed member take part (found from the few firms in
        # distress, not from every membership)
        in_distress = np.flatnonzero((state.capital < 0) & (state.n_alliances > 0))
        if in_distress.size == 0:
            return
        involved = np.zeros(b.n + 1, dtype=bool)
        # free slots (-1) hit the spare
        involved[take_rows(state.alliances, in_distress).ravel()] = True
        sel = np.flatnonzero(involved[a])
        a, f, ms = a[sel], f[sel], self.slot_index()[sel]
        cap = state.capital.take(f)
        distressed = cap < 0
        n_all = np.maximum(state.n_alliances.take(f), 1)
        need = np.maximum(-cap, 0.0) / n_all
        # trust of each slot in the distressed members of its alliance
        dmask = np.zeros(b.members.shape, dtype=bool)
        dmask.reshape(-1)[ms[distressed]] = True
        tr = take_rows(b.trust.reshape(-1, MAX_MEMBERS), ms)
        dm = take_rows(dmask, a)
        trust_in_distressed = _sum_last(tr * dm) / np.maximum(_count_last(dm), 1)
        spare = np.maximum(cap - 2.0 * fixed_cost.take(f), 0.0)
        offer = p["mutual_aid_share"] * spare / n_all * trust_in_distressed * ~distressed
        total_need = kernels.bincount(a, need, b.n)
        total_offer = kernels.bincount(a, offer, b.n)
        transfer = np.minimum(total_need, total_offer)
        need_a, offer_a, transfer_a = total_need.take(a), total_offer.take(a), transfer.take(a)
        recv = np.where(need_a > 0, transfer_a * need / np.maximum(need_a, 1e-300), 0.0)
        pay = np.where(offer_a > 0, transfer_a * offer / np.maximum(offer_a, 1e-300), 0.0)
        net = kernels.bincount(f, recv - pay, state.n)
        state.capital += net
        state.flow_aid += net
        self.aid_paid, self.aid_received = float(pay.sum()), float(recv.sum())

