"""The cash squeeze: a firm short of cash and credit cuts capacity (ODD §7.13).

A firm whose cash and unused credit no longer cover a month of its costs cannot pay for all
its staff and inputs. It cuts its capacity, and with it the customers it can serve:

    cover = (capital + credit line) / this month's costs          (months)
    short = min(max(1 - cover, 0), 1)
    capacity x (1 - cash_squeeze_cut x short)

The lost capacity is not given back when the shock passes: the firm regrows only by
investing what it earns above its reserve (production), so its recovery depends on its own
buffers, on its credit (a crunch shortens the line, a guarantee restores a part) and on its
partners (mutual aid, before the squeeze, refills its cash).
"""

from __future__ import annotations

import numpy as np


def cash_squeeze(state, p: dict) -> None:
    """Cut the capacity of the firms short of cash and credit."""
    cut = p["cash_squeeze_cut"]
    if cut <= 0.0:
        return
    cost = np.maximum(state.revenue - state.flow_profit, 1e-9)
    short = np.clip(1.0 - (state.capital + state.credit_limit) / cost, 0.0, 1.0)
    state.scale *= 1.0 - cut * np.where(state.alive, short, 0.0)
