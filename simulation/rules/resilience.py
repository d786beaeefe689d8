"""The firm's resilience score (1-5), updated each month in production (ODD §7.19)."""

from __future__ import annotations

import numpy as np

# the resilience score's constants, read by update_resilience and by its compiled twin
# (production.produce_kernel, which takes them as arguments so that its cache never holds
# old values)
EPISODE_BELOW = np.float32(0.95)  # an episode runs while revenue < this share of the trend
EPISODE_FADE = np.float32(0.97)  # monthly fading of finished episodes (half-life ~2 years)
# score = TOP - DEPTH_WEIGHT min(depth / 0.4, 1) - LENGTH_WEIGHT min(months / 12, 1), in [1, TOP]
SCORE_TOP = np.float32(5.0)
DEPTH_WEIGHT = np.float32(2.5)
PER_DEPTH = np.float32(2.5)  # 1 / 0.4: a loss of 40 % of the trend is the deepest counted
LENGTH_WEIGHT = np.float32(1.5)
PER_MONTH = np.float32(1 / 12)  # a year below the trend is the longest counted
RESILIENCE_CONSTANTS = (EPISODE_BELOW, EPISODE_FADE, SCORE_TOP, DEPTH_WEIGHT, PER_DEPTH,
                        LENGTH_WEIGHT, PER_MONTH)


def update_resilience(state) -> None:
    """Track each firm's revenue-loss episodes against its own trend; score 1-5.

    An episode runs while revenue < 95 % of the trend of the month before; its depth
    is the largest shortfall and its length the months until revenue is back at 95 %.
    The score weighs the worse of the ongoing episode and the remembered finished ones (a
    finished episode's depth and length replace the memory only where larger):
    5 - 2.5 min(depth / 0.4, 1) - 1.5 min(months / 12, 1), in [1, 5].
    Call before the trend is updated with this month's revenue.
    """
    alive = state.alive
    ratio = (state.revenue / np.maximum(state.trend, 1e-9)).astype(np.float32)
    below = alive & (ratio < EPISODE_BELOW)
    ended = alive & ~below & (state.episode_months > 0)
    np.maximum(state.episode_depth, (1.0 - ratio) * below, out=state.episode_depth)
    state.episode_months += below
    if ended.any():
        # a small later dip must not overwrite the (fading) memory of a deep one
        state.last_depth[ended] = np.maximum(state.last_depth[ended], state.episode_depth[ended])
        state.last_recovery[ended] = np.maximum(state.last_recovery[ended],
                                                state.episode_months[ended])
        state.episode_depth[ended] = 0.0
        state.episode_months[ended] = 0
    # old episodes fade from memory (half-life about two years)
    state.last_depth *= EPISODE_FADE
    state.last_recovery *= EPISODE_FADE
    depth = np.maximum(state.last_depth, state.episode_depth)
    months = np.maximum(state.last_recovery, state.episode_months)
    score = (SCORE_TOP - DEPTH_WEIGHT * np.minimum(depth * PER_DEPTH, 1.0)
             - LENGTH_WEIGHT * np.minimum(months * PER_MONTH, 1.0))
    np.clip(score, 1.0, SCORE_TOP, out=state.resilience)
