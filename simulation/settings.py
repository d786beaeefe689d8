"""The speed settings read from the environment (SME_SIDE_THREAD, SME_NUMBA): auto, on, off.

Neither changes a number the model produces (tests/test_golden.py); they choose how the
month runs: on a second core (simulation/side.py) and with compiled kernels
(simulation/kernels.py).
"""

from __future__ import annotations

import os

from .errors import ParameterError

MODES = ("auto", "on", "off")
AUTO_MIN_ROWS = 50_000  # `auto` switches a speed-up on from this many rows


def setting(env: str) -> str:
    """An auto / on / off setting from the environment variable `env` (auto when unset);
    anything else is refused in one line."""
    value = os.environ.get(env, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ParameterError(f"{env}={value!r}: use one of {', '.join(MODES)} "
                             "(or leave it unset)")
    return value


def on_for(value: str, n_rows: int) -> bool:
    """Does the auto / on / off setting `value` switch a speed-up on for arrays of n_rows
    rows? `auto` does from AUTO_MIN_ROWS rows, where the arrays are large enough to gain."""
    return value == "on" or (value == "auto" and n_rows >= AUTO_MIN_ROWS)
