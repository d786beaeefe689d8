"""Exit (bankruptcy, voluntary closure), forgetting exited partners, and entry
(ODD §7.16-7.17). `exits` and `forget_exited` have compiled twins (`exits_kernel`,
`forget_kernel`)."""

from __future__ import annotations

import numpy as np

from .. import kernels

DEBT_CLOSURE = 6.0  # a firm in debt closes this many times as often
# the liability of newness: a new firm closes 1 + YOUNG_CLOSURE times as often, the extra
# fading with age as exp(-age / YOUNG_MONTHS) (Stinchcombe 1965; Freeman, Carroll and Hannan
# 1983): about half of entrants survive five years while incumbents exit at 8-10 % a year
YOUNG_CLOSURE = 2.0
YOUNG_MONTHS = 24.0


def exits(state, p: dict, rng: np.random.Generator, u: np.ndarray | None = None,
          compiled: bool = False) -> tuple[np.ndarray, int]:
    """Firms leave: bankrupt (capital and credit exhausted) or closing voluntarily.

    Voluntary closure hazard = closure_rate / 12 x (1 + 2 exp(-age / 24 months)), six times
    higher for firms in debt.
    `u`: one uniform per firm row if drawn already (else drawn here, from `rng`).
    `compiled`: by exits_kernel (the same results).
    Output: the rows of all exits, and how many were bankruptcies.
    """
    if u is None:
        u = rng.random(state.n)
    if compiled:
        leaving = np.zeros(state.n, dtype=bool)
        bankrupt = kernels.compiled(exits_kernel)(state.alive, state.capital,
                                                  state.credit_limit, state.age, u,
                                                  p["closure_rate"] / 12.0, DEBT_CLOSURE,
                                                  YOUNG_CLOSURE, YOUNG_MONTHS, leaving)
        return np.flatnonzero(leaving), int(bankrupt)
    bankrupt = state.alive & (state.capital < -state.credit_limit)
    hazard = (p["closure_rate"] / 12.0 * np.where(state.capital < 0, DEBT_CLOSURE, 1.0)
              * (1.0 + YOUNG_CLOSURE * np.exp(-state.age / YOUNG_MONTHS)))
    close = state.alive & ~bankrupt & (u < hazard)
    gone = np.flatnonzero(bankrupt | close)
    state.alive[gone] = False
    return gone, int(bankrupt.sum())


def exits_kernel(alive, capital, credit_limit, age, u, hazard_solvent, debt_factor, young,
                 young_months, gone):
    """exits with one uniform per row (u): marks the rows that leave in `gone` and
    no longer alive; returns how many went bankrupt."""
    bankrupt = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        c = capital[i]
        broke = c < -credit_limit[i]
        # the hazard as numpy makes it: (closure rate / 12) x (debt factor in debt, else 1.0)
        # x (1 + young x exp(-age / young_months))
        hazard = (hazard_solvent * (debt_factor if c < 0 else 1.0)
                  * (1.0 + young * np.exp(-age[i] / young_months)))
        if broke or u[i] < hazard:
            gone[i] = True
            alive[i] = False
            bankrupt += broke
    return bankrupt


def exited_mask(state, gone: np.ndarray) -> np.ndarray:
    """A flag per firm row (and one more, never set, that an empty memory slot, -1, reads):
    the firms that exited this month."""
    dead = np.zeros(state.n + 1, dtype=bool)
    dead[gone] = True
    return dead


def forget_exited(state, dead: np.ndarray, rows: slice = slice(None),
                  compiled: bool = False) -> None:
    """Drop exited firms (`dead`, from exited_mask) from the memory of partners of the firm
    rows `rows`, so that their rows can be reused. Each row on its own: the schedule may
    cut the rows into slices. `compiled`: by forget_kernel (the same results)."""
    if compiled:
        kernels.compiled(forget_kernel)(state.memory_partner[rows], state.memory_trust[rows],
                                        dead)
        return
    mem = state.memory_partner[rows]
    stale = np.flatnonzero(dead[mem])
    mem.reshape(-1)[stale] = -1
    state.memory_trust[rows].reshape(-1)[stale] = 0.0


def forget_kernel(memory_partner, memory_trust, dead):
    """forget_exited: every memory slot naming a firm marked in `dead` is emptied
    (partner -1, trust 0)."""
    rows, slots = memory_partner.shape
    for r in range(rows):
        for c in range(slots):
            q = memory_partner[r, c]
            if q >= 0 and dead[q]:
                memory_partner[r, c] = -1
                memory_trust[r, c] = np.float32(0.0)


def entrant_count(state, p: dict, rng: np.random.Generator) -> int:
    """Entrants this month: Poisson with mean entry_rate / 12 x living firms."""
    return int(rng.poisson(p["entry_rate"] / 12.0 * state.alive.sum()))
