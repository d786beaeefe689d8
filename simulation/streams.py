"""The model's random streams (docs/ODD.md, Stochasticity).

Two kinds, both seeded from the model's seed:

- *Sequential streams* (`STREAMS`): one numpy Generator each, drawn from in order all run
  long, so that one phase's draws do not shift another's.
- *Row streams* (`ROW_STREAMS`): the draws that belong to one firm row each month (its
  demand step, jump, supplier failure and order noise; the step of its development
  project; its closure uniform). Draw k of model step t (Mesa's counter: 1, 2, ...,
  counting the burn-in) comes from its own generator, child k of SeedSequence(stream seed,
  spawn_key=(t,)), and element i of a draw is row i's. So a row's draws depend only on the
  stream, the step, the draw and the row: not on how many rows the model has, nor on what
  other firms did. Two runs with the same seed, one with a shock or a policy and one
  without, give every firm present in both the same luck (common random numbers firm by
  firm), so their paired difference measures the shock or the policy and not a reshuffle
  of who was lucky. With a sequential stream, one more entrant in one run (a longer draw)
  shifted every firm's later draws. The entrants themselves still come from the sequential
  `entry` stream (how many, and their attributes), as do the alliances' and policies' draws.
"""

from __future__ import annotations

import numpy as np

STREAMS = ("population", "shocks", "alliances", "economy", "innovation", "entry", "policy")
ROW_STREAMS = ("walk", "development", "exit")


def seed_streams(rng: np.random.Generator) -> tuple[dict, dict]:
    """The sequential streams ({name: Generator}) and the row streams' seeds ({name: int}),
    drawn from the model's generator (the sequential streams' seeds first, as they always
    were)."""
    seeds = rng.integers(0, 2**63 - 1, size=len(STREAMS) + len(ROW_STREAMS))
    streams = {name: np.random.default_rng(int(s)) for name, s in zip(STREAMS, seeds)}
    row_seeds = {name: int(s) for name, s in zip(ROW_STREAMS, seeds[len(STREAMS):])}
    return streams, row_seeds


class RowDraws:
    """One row stream's draws in one model step: each call draws from a fresh generator
    (the next child of SeedSequence(seed, spawn_key=(step,))), whose element i is row i's.

    A generator fills an array element by element, so the first n values of a draw of any
    length >= n are the same (tests/test_streams.py)."""

    def __init__(self, seed: int, step: int):
        self._seq = np.random.SeedSequence(seed, spawn_key=(step,))

    def _next(self) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(self._seq.spawn(1)[0]))

    def random(self, n: int, dtype=np.float64) -> np.ndarray:
        return self._next().random(n, dtype=dtype)

    def standard_normal(self, n: int, dtype=np.float64) -> np.ndarray:
        return self._next().standard_normal(n, dtype=dtype)


def month_draws(row_seeds: dict, step: int) -> dict[str, RowDraws]:
    """Every row stream's draws for model step `step` (1, 2, ...)."""
    return {name: RowDraws(seed, step) for name, seed in row_seeds.items()}
