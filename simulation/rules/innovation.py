"""Innovation (development projects, launches, competitors copying) and experience
(absorptive capacity grows with months in alliances): ODD §7.15-7.16. `gain_experience` has a
compiled twin, `gain_experience_kernel`."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..regions import SECTORS, sector_array

# absorptive capacity gains this share of its gap to 1 in each month spent in an alliance
EXPERIENCE_RATE = np.float32(0.01)


def innovate(state, p: dict, rng: np.random.Generator, effects, grant_boost: np.ndarray,
             steps: np.ndarray | None = None) -> int:
    """Innovations this month; each lowers the firm's variable cost ratio.

    hazard = rate x sector multiplier x (0.5 + absorptive capacity)
             x (1 + 0.5 partner diversity)
             x (1 + partner_knowledge x absorptive capacity x engagement)
             / (1 - R&D time cut) x (1 + grant boost)
    is the expected number of innovations a month (engagement: the firm's alliances at their
    participation, Effects.engagement: knowledge its own partners share, which it takes in
    as far as its absorptive capacity allows); each firm's development project advances
    towards its next launch at that speed (see `_develop`).
    Competitors copy: each sector's mean productivity gain is passed on to prices, so
    an innovation is a relative advantage (the ratio of the innovator falls, the
    sector's rises by the sector mean). It reads no alliance, so the model runs it beside
    mutual aid and dissolution (simulation/schedule.py); `gain_experience` follows them.
    `steps`: this month's development_steps if drawn already (else drawn here, from `rng`).
    Output: the number of innovations.
    """
    if steps is None:
        steps = development_steps(rng, state.n)
    n_sec = len(SECTORS)
    log_gain = np.log1p(-p["innovation_productivity_gain"])  # of one innovation
    alive = state.alive
    hazard = (
        p["innovation_rate"]
        * sector_array("innovation_mult")[state.sector]
        * (0.5 + state.absorptive)
        * (1.0 + 0.5 * effects.partner_diversity)
        * (1.0 + p["partner_knowledge"] * state.absorptive * effects.engagement)
        / (1.0 - np.minimum(effects.rd_speedup, 0.9))
        * (1.0 + grant_boost)
    )
    count = _develop(state.innovation_progress, steps, np.where(alive, hazard, 0.0))
    state.innovations += count.astype(np.int32)
    gain = -count * log_gain  # log productivity gain
    sector_alive = state.sector[alive]
    alive_per_sector = np.bincount(sector_alive, minlength=n_sec)
    mean_gain = np.bincount(sector_alive, weights=gain[alive], minlength=n_sec) / np.maximum(
        alive_per_sector, 1
    )
    _pass_on(state, gain, mean_gain)
    return int(count.sum())


def _pass_on(state, gain: np.ndarray, mean_gain: np.ndarray) -> None:
    """Each firm's variable cost ratio falls by its own log productivity gain (gain) and
    rises by its sector's mean gain (mean_gain, per sector), within [0.3, 1.5]."""
    state.var_cost_ratio *= np.exp(-gain + mean_gain[state.sector])
    np.clip(state.var_cost_ratio, 0.3, 1.5, out=state.var_cost_ratio)


def gain_experience(state, compiled: bool = False) -> None:
    """A month older; absorptive capacity grows with alliance experience (by 1 % of the gap
    to 1 in each month spent in at least one alliance, counted after this month's
    dissolutions). `compiled`: by gain_experience_kernel (the same results)."""
    if compiled:
        kernels.compiled(gain_experience_kernel)(state.alive, state.n_alliances,
                                                 state.absorptive, state.alliance_months,
                                                 state.age, EXPERIENCE_RATE)
        return
    alive = state.alive
    in_alliance = state.n_alliances > 0
    state.absorptive += np.where(alive & in_alliance,
                                 EXPERIENCE_RATE * (1.0 - state.absorptive), 0.0).astype(np.float32)
    state.alliance_months += (alive & in_alliance).astype(np.int32)
    state.age += alive.astype(np.int32)


def gain_experience_kernel(alive, n_alliances, absorptive, alliance_months, age, rate):
    """gain_experience, one firm row at a time (float32 as numpy computes it)."""
    zero = np.float32(0.0)
    for i in range(alive.size):
        taking_part = alive[i] and n_alliances[i] > 0
        absorptive[i] += rate * (np.float32(1.0) - absorptive[i]) if taking_part else zero
        alliance_months[i] += taking_part
        age[i] += alive[i]


def development_steps(rng: np.random.Generator, n: int) -> np.ndarray:
    """n Exponential(1) draws for _develop, from one float32 uniform each."""
    return -np.log1p(-rng.random(n, dtype=np.float32))


def _develop(progress: np.ndarray, steps: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Advance every firm's development project; return the innovations launched this month.

    Progress (in projects) grows by rate x an Exponential(1) draw a month (`steps`, from
    development_steps), and an innovation is launched each time it passes a whole project.
    The expected number a month is `rate`, but launches come more regularly than a Poisson
    process: yearly counts are under-dispersed (variance below the mean), as in the survey
    (TARGETS §1: mean 2.4, variance 1.7), which no Poisson process or mixture of them can give.
    """
    progress += rate.astype(np.float32) * steps
    count = np.floor(progress).astype(np.int32)
    progress -= count
    return count
