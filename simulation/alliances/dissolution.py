"""Phase 6: alliances end (low trust, sustained loss, term not renewed, members gone)."""

from __future__ import annotations

from functools import partial

import numpy as np

from ..state import FirmState, take_rows
from .common import INFORMAL_REVIEW, _argmax_last, _count_last


class Dissolution:
    """Phase 6: alliances end (low trust, sustained loss, term not renewed, members gone)."""

    # ------------------------------------------------------------------ 6. break
    def dissolve(self, state: FirmState, step: int, ending=None) -> np.ndarray:
        """Phase 6. End alliances with low trust, sustained loss, or a term not renewed.

        At the end of a term (formal) or review (informal) an alliance is renewed when its
        net benefit is positive and every member's trust is at least 0.5.
        `ending`: the Future of ending(step) if handed to the second core already.
        Output: the ids of dissolved alliances.
        """
        ids = self.ending(step) if ending is None else ending.result()
        self._close(state, ids)
        return ids

    def ending(self, step: int) -> np.ndarray:
        """The alliances that end this month (ids), counted by reason; the others due are
        renewed. Reads this month's trust flags, net benefit and months of loss: after the
        trust update (the model's schedule runs it beside mutual aid, which reads none of
        these)."""
        p, b = self.p, self.book
        act = b.active
        low, below_half = self.trust_low, self.trust_below_half  # from this month's update
        if low.size != b.n:
            cells, alliance, _ = self.pair_cells()
            low, below_half = self._trust_flags(b.trust.reshape(-1)[cells], alliance)
        low_trust = act & low
        loss = act & ~low_trust & (b.loss_months >= p["loss_months_to_break"])
        due = act & ~low_trust & ~loss & (step >= b.end)
        renew = due & (b.net_benefit > 0) & ~below_half
        b.end[renew] = step + np.where(b.formal[renew], p["contract_term"], INFORMAL_REVIEW)
        ended = due & ~renew
        self.dissolved["low_trust"] += int(low_trust.sum())
        self.dissolved["sustained_loss"] += int(loss.sum())
        self.dissolved["term_end"] += int(ended.sum())
        early = low_trust | loss
        self.ended_early += int(early.sum())
        ids = np.flatnonzero(low_trust | loss | ended)
        self.ended_total += ids.size
        return ids

    def _close(self, state: FirmState, ids: np.ndarray) -> None:
        """Free the members' slots of alliances `ids`, keep their trust in memory, deactivate."""
        if ids.size == 0:
            return
        b = self.book
        mem = take_rows(b.members, ids)
        # the members remember each other with their last trust, on the second core
        self._memory_jobs.append(partial(self._remember_pairs, state, mem, take_rows(b.trust, ids)))
        self.start_memory()
        valid = mem >= 0
        firm = mem[valid]
        alliance = np.broadcast_to(ids[:, None], mem.shape)[valid]
        col = _argmax_last(take_rows(state.alliances, firm) == alliance[:, None])
        state.alliances[firm, col] = -1
        # each member's count of its slots still taken (a firm may leave two alliances here;
        # np.subtract.at took four times as long)
        state.n_alliances[firm] = _count_last(take_rows(state.alliances, firm) >= 0)
        b.active[ids] = False
        b.members[ids] = -1
        b.n_members[ids] = 0
        b.trust[ids] = 0.0
        self._forget_membership()

    # ------------------------------------------------------------------ exits
    def remove_firms(self, state: FirmState, gone: np.ndarray, step: int) -> int:
        """Take exited firms out of their alliances; dissolve those left with < 2 members.

        Output: the number of alliances dissolved because members exited.
        """
        b = self.book
        if gone.size == 0:
            return 0
        # the alliances of the exited firms, and the slots they hold there
        held = take_rows(state.alliances, gone)
        touched = np.unique(held[held >= 0])
        if touched.size == 0:
            return 0
        dead = np.zeros(state.n + 1, dtype=bool)  # the last row, never dead, for -1
        dead[gone] = True
        mem = take_rows(b.members, touched)
        hit = dead[mem]
        i, s = np.nonzero(hit)
        a = touched[i]
        b.members[a, s] = -1
        b.trust[a, s, :] = 0.0
        b.trust[a, :, s] = 0.0
        b.n_members[touched] = _count_last((mem >= 0) & ~hit)  # their members left now
        state.alliances[gone] = -1
        state.n_alliances[gone] = 0
        self._membership_changed(touched, state)
        broken = touched[b.n_members[touched] < 2]
        self.dissolved["member_exit"] += broken.size
        self.ended_early += int((b.end[broken] > step).sum())
        self.ended_total += broken.size
        self._close(state, broken)
        return broken.size

