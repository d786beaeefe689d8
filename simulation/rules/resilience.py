"""The firm's resilience: its loss episodes against its own level (tracked in production,
ODD §7.10), and the score a respondent would give its ability to withstand a disruption
(rated after mutual aid and the cash squeeze, ODD §7.19)."""

from __future__ import annotations

import numpy as np

# the episode tracking's constants, read by track_episodes and by its compiled twin
# (production.produce_kernel, which takes them as arguments so that its cache never holds
# old values)
EPISODE_BELOW = np.float32(0.95)  # an episode runs while revenue < this share of the trend
EPISODE_FADE = np.float32(0.97)  # monthly fading of finished episodes (half-life ~2 years)
EPISODE_CONSTANTS = (EPISODE_BELOW, EPISODE_FADE)

# the score: 1 + 4 x (SAFETY_WEIGHT x safety + (1 - SAFETY_WEIGHT) x (1 - harm)), where
# safety = min(months of costs covered by cash, unused credit and partners' support
# / SAFE_MONTHS, 1): a year without sales is what a respondent would call safe
SCORE_TOP = 5.0
SAFE_MONTHS = 12.0
SAFETY_WEIGHT = 0.85
DEPTH_SHARE = 0.6  # of harm: the deepest shortfall, counted up to 40 % of the trend
PER_DEPTH = 2.5
PER_MONTH = 1.0 / 12.0  # and the longest episode, counted up to a year


def track_episodes(state) -> None:
    """Track each firm's revenue-loss episodes against its own trend.

    An episode runs while revenue < 95 % of the trend of the month before; its depth
    is the largest shortfall and its length the months until revenue is back at 95 %. A
    finished episode's depth and length replace the remembered ones where larger, and the
    memory fades (half-life about two years). Call before the trend is updated with this
    month's revenue.
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
    state.last_depth *= EPISODE_FADE
    state.last_recovery *= EPISODE_FADE


def rate_resilience(state) -> None:
    """Each firm's resilience score, 1-5: how a respondent would rate its ability to
    withstand a disruption.

    cost   = this month's costs (revenue - profit), at least 1 % of the trend
    cover  = (capital + credit line + support) / cost: the months it could pay its costs
             with no sales, from its cash, its unused credit and what its partners would
             give it in distress (support, alliances/mutual_aid.py)
    safety = min(cover / 12, 1)
    harm   = 0.6 min(depth / 0.4, 1) + 0.4 min(months / 12, 1) of the worse of its ongoing
             episode and its (fading) memory of finished ones, against its own trend
    score  = 1 + 4 (0.85 safety + 0.15 (1 - harm))
    A firm with nothing in hand and a deep, long loss rates 1; one with a year of costs
    covered and no loss rates 5. Buffers come from profits and credit, support from
    partners' spare cash and their trust in the firm, and diversified supply and demand
    (supply chains, partners in other sectors) soften the episodes.
    """
    cost = np.maximum(np.maximum(state.revenue - state.flow_profit, 0.01 * state.trend), 1e-9)
    cover = (state.capital + state.credit_limit + state.support) / cost
    safety = np.clip(cover / SAFE_MONTHS, 0.0, 1.0)
    depth = np.maximum(state.last_depth, state.episode_depth)
    months = np.maximum(state.last_recovery, state.episode_months)
    harm = (DEPTH_SHARE * np.minimum(depth * PER_DEPTH, 1.0)
            + (1.0 - DEPTH_SHARE) * np.minimum(months * PER_MONTH, 1.0))
    score = 1.0 + (SCORE_TOP - 1.0) * (SAFETY_WEIGHT * safety
                                       + (1.0 - SAFETY_WEIGHT) * (1.0 - harm))
    state.resilience[:] = np.where(state.alive, score, state.resilience)
