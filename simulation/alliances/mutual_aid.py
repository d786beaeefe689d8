"""Phase 7: members in distress draw on partners' buffers; and what each firm could count on
from its partners (its support, which its resilience score reads)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..state import MAX_MEMBERS, FirmState, take_rows
from .common import _SLOT_BITS, _count_last, _sum_last

SPARE_MONTHS = 2.0  # a partner keeps two months of fixed cost before it gives


class MutualAid:
    """Phase 7: members in distress draw on partners' buffers."""

    def _offers(self, state: FirmState, fixed_cost: np.ndarray) -> np.ndarray:
        """Per firm: what it offers each of its alliances' members in distress, before trust
        and the alliance's formality: mutual_aid_share x its capital above two months of
        fixed cost / its alliances."""
        spare = np.maximum(state.capital - SPARE_MONTHS * fixed_cost, 0.0)
        return self.p["mutual_aid_share"] * spare / np.maximum(state.n_alliances, 1)

    def _formality(self, a: np.ndarray):
        """Per alliance a: 1 + formal_aid_bonus if it is formal (a written risk-sharing
        clause), else 1."""
        return 1.0 + self.p["formal_aid_bonus"] * self.book.formal.take(a)

    # ------------------------------------------------------------------ 7. mutual aid
    def mutual_aid(self, state: FirmState, fixed_cost: np.ndarray) -> None:
        """Phase 7 (run after production, before dissolution and exits, so that aid can
        keep a member in business). Members in distress (negative capital) draw on
        partners' buffers.

        First each firm's support (`support`): what its partners would offer it now. Then a
        partner offers its share (_offers) x the alliance's formality (_formality), weighted
        by its trust in the distressed members. Transfers sum to zero and are booked in
        flow_aid.
        """
        p, b = self.p, self.book
        self.aid_paid = self.aid_received = 0.0
        state.support[:] = 0.0
        a, _s, f = self.member_slots()
        if a.size == 0 or p["mutual_aid_share"] <= 0:
            return
        offers = self._offers(state, fixed_cost)
        self.support(state, offers)
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
        need = np.maximum(-cap, 0.0) / np.maximum(state.n_alliances.take(f), 1)
        offer = offers.take(f) * self._formality(a)
        # trust of each slot in the distressed members of its alliance
        dmask = np.zeros(b.members.shape, dtype=bool)
        dmask.reshape(-1)[ms[distressed]] = True
        tr = take_rows(b.trust.reshape(-1, MAX_MEMBERS), ms)
        dm = take_rows(dmask, a)
        trust_in_distressed = _sum_last(tr * dm) / np.maximum(_count_last(dm), 1)
        offer = offer * trust_in_distressed * ~distressed
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

    def support(self, state: FirmState, offers: np.ndarray) -> None:
        """Each firm's support: what its partners would offer it if it were in distress now,
        summed over its alliances, partner by partner: the partner's offer (`offers`, from
        _offers, its capital before this month's aid) x the alliance's formality x the
        partner's trust in the firm. Trust grows with months of kept commitments, so support
        grows with the alliance's age."""
        b = self.book
        # over the partner pairs (slot s trusts slot t): the offer of s's firm x trust[a, s, t],
        # to t's firm
        cells, alliance, target = self.pair_cells()
        members = b.members.reshape(-1)
        giver = members.take((alliance << _SLOT_BITS)
                             | ((cells >> _SLOT_BITS) & (MAX_MEMBERS - 1)))
        given = (offers.take(giver) * b.trust.reshape(-1).take(cells)
                 * self._formality(alliance))
        state.support[:] = kernels.bincount(members.take(target), given, state.n)
