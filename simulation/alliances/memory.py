"""The firms' memory of prior partners, written in order by a queue of jobs."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..state import MEMORY_SLOTS, FirmState, take_rows
from .common import (
    _POSITION_BITS,
    _POSITION_MASK,
    _SLOT_PAIRS,
    _any_last,
    _argmax_last,
    _settle,
)


def remember_kernel(memory_partner, memory_trust, memory_next, f, partner, trust):
    """Each (firm, partner, trust) write in turn: a partner already remembered is updated in
    its slot, a new one takes the firm's oldest slot (which then moves on)."""
    slots = memory_partner.shape[1]
    for i in range(f.size):
        firm, q = f[i], partner[i]
        col = -1
        for c in range(slots):
            if memory_partner[firm, c] == q:
                col = c
                break
        if col < 0:
            col = memory_next[firm]
            memory_next[firm] = (col + 1) % slots
        memory_partner[firm, col] = q
        memory_trust[firm, col] = trust[i]



class Memory:
    """The firms' memory of prior partners, written in order by a queue of jobs."""

    def _remember(self, state: FirmState, f: np.ndarray, partner: np.ndarray, trust: np.ndarray):
        """Write (partner, trust) into each firm's memory of prior partners.

        A partner already remembered is updated; a new one takes the oldest slot.
        Firms that occur several times are written in rounds, so no write is lost.
        """
        if f.size == 0:
            return
        if kernels.use(state.n):  # each write in turn, compiled
            kernels.compiled(remember_kernel)(
                state.memory_partner, state.memory_trust, state.memory_next,
                f.astype(np.intp, copy=False), partner.astype(np.intp, copy=False),
                trust.astype(state.memory_trust.dtype, copy=False))
            return
        # the writes in firm order, each firm's in the order given (the position in the low
        # bits makes every key unique: numpy's plain sort of them is several times faster than
        # a stable argsort of the firms)
        position = np.arange(f.size, dtype=np.int64)
        key = np.sort((f.astype(np.int64) << _POSITION_BITS) | position)
        f, order = key >> _POSITION_BITS, key & _POSITION_MASK
        first = np.r_[True, f[1:] != f[:-1]]
        start = np.maximum.accumulate(np.where(first, position, 0))
        rank = position - start  # the firm's how-manieth write this is
        # round r writes each firm's r-th pair: the rounds in turn, each a run of the writes
        key = np.sort((rank << _POSITION_BITS) | position)
        by_round = key & _POSITION_MASK
        f, order = f[by_round], order[by_round]
        partner, trust = partner[order], trust[order]
        bounds = np.r_[0, np.cumsum(np.bincount(rank))]
        for r in range(bounds.size - 1):
            run = slice(bounds[r], bounds[r + 1])
            ff, pp, tt = f[run], partner[run], trust[run]
            match = take_rows(state.memory_partner, ff) == pp[:, None]
            known = _any_last(match)
            col = np.where(known, _argmax_last(match), state.memory_next[ff])
            state.memory_partner[ff, col] = pp
            state.memory_trust[ff, col] = tt
            adv = ff[~known]
            state.memory_next[adv] = (state.memory_next[adv] + 1) % MEMORY_SLOTS

    # The firms' memory of partners is written in order by a queue of jobs: formation's
    # (handed to the second core by contribution), then dissolution's and exits' (handed over
    # at once). Only search and formation read the memory, and only exits and entry
    # (exit_entry.forget_exited, population.populate) write it otherwise: each of them waits for
    # the queue first (memory_settled).
    def start_memory(self, threaded: bool | None = None) -> None:
        """Hand the waiting memory jobs to the second core (threaded; default: if it is on),
        or run them here (after any still on the second core, so that the order holds
        whatever the setting)."""
        if not (self.cores.threaded if threaded is None else threaded):
            self.memory_settled()
            return
        self.cores.hand_over(self._memory_jobs)

    def memory_settled(self) -> None:
        """Every memory job is done (those not handed over yet run here and now): call before
        anything else reads or writes the firms' memory of partners."""
        jobs, self._memory_jobs = self._memory_jobs, []
        _settle(jobs)

    def _remember_pairs(self, state: FirmState, mem: np.ndarray, trust: np.ndarray):
        """Each member of alliances with members `mem` (alliances x slots) and trust `trust`
        (alliances x slots x slots) remembers each partner with that trust."""
        # the writes pair by pair of slots (s, t), s != t, each pair's alliances in order:
        # (pairs x alliances) arrays read row by row, in a few passes instead of a loop of 12
        s, t = _SLOT_PAIRS
        firm, partner = mem[:, s].T, mem[:, t].T
        ok = (firm >= 0) & (partner >= 0)
        self._remember(state, firm[ok], partner[ok], trust[:, s, t].T[ok])

