"""The cash squeeze: a firm short of cash and credit cuts capacity (ODD §7.13).

A firm pays for its inputs and staff before its customers pay it: it must finance
`working_capital_months` of its costs (its cash conversion cycle: receivables plus inventories
less payables, about 76 days on average for Spanish SMEs, García-Teruel and Martínez-Solano
2007). A firm whose cash and unused credit no longer cover that cannot pay for all its staff
and inputs. It cuts its capacity, and with it the customers it can serve:

    need  = working_capital_months x this month's costs
    cover = (capital + credit line) / need
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
    cut, months = p["cash_squeeze_cut"], p["working_capital_months"]
    if cut <= 0.0 or months <= 0.0:
        return
    need = months * np.maximum(state.revenue - state.flow_profit, 1e-9)
    rows = np.flatnonzero((state.capital + state.credit_limit < need) & state.alive)
    cover = (state.capital[rows] + state.credit_limit[rows]) / need[rows]
    state.scale[rows] *= 1.0 - cut * np.minimum(1.0 - cover, 1.0)
