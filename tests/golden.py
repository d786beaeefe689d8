"""Golden numbers: fingerprints of shipped scenarios' whole output at a small size.

`fingerprint(scenario)` runs one shipped scenario at GOLDEN_SIZE and returns a sha256 (first 16
hex digits) of every reporter's monthly series and of a few firm arrays at the end, taken
from the raw float64 bytes (so a signed zero or the last bit of a float counts). The pinned
values live in tests/golden.json; tests/test_golden.py checks them with the second core and
the compiled kernels on and off. A change meant to keep the numbers leaves them alone; a
change meant to move them re-pins with `python scripts/pin_golden.py` and says so, and why,
in its commit message.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

PINNED = Path(__file__).with_name("golden.json")
# every shipped scenario, and variants ("name?param=value&...") for what none of them has:
# random shocks, heavy entry and exit with consortia
SCENARIOS = tuple(sorted(p.stem for p in Path(__file__).resolve().parent.parent.joinpath(
    "scenarios").glob("*.toml"))) + (
    "baseline?random_shock_rate=3.0&random_shock_depth=0.3",
    "recession?entry_rate=0.4&closure_rate=0.4&consortium_prob=0.8",
)
GOLDEN_SIZE = dict(n_firms=300, burn_in=6, months=30, structure_stats_every=3)
SEED = 11
# firm arrays whose final values are pinned too (living and dead rows alike)
FIRM_FIELDS = ("capital", "revenue", "resilience", "alive", "n_alliances", "trust_propensity")
# (SME_SIDE_THREAD, SME_NUMBA): every combination must give the pinned numbers
MODES = (("off", "off"), ("on", "off"), ("off", "on"), ("on", "on"))


def _digest(values) -> str:
    array = np.ascontiguousarray(np.asarray(values))
    if array.dtype == object:
        array = array.astype(np.float64)
    return hashlib.sha256(array.dtype.str.encode() + array.tobytes()).hexdigest()[:16]


@contextmanager
def mode(side_thread: str, numba: str):
    """Run with the second core and the compiled kernels set as given (environment
    variables the model reads each month)."""
    saved = {k: os.environ.get(k) for k in ("SME_SIDE_THREAD", "SME_NUMBA")}
    os.environ["SME_SIDE_THREAD"], os.environ["SME_NUMBA"] = side_thread, numba
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fingerprint(scenario: str) -> dict[str, str]:
    """{reporter or firms.<field>: digest} of one scenario's run at GOLDEN_SIZE."""
    from simulation import SMEEcosystem

    name, _, query = scenario.partition("?")
    extra = {k: float(v) for k, v in (x.split("=") for x in query.split("&") if x)}
    model = SMEEcosystem(rng=SEED, scenario=name, **GOLDEN_SIZE, **extra)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    out = {column: _digest(frame[column].to_numpy()) for column in frame.columns}
    n = model.firms.n
    for field in FIRM_FIELDS:
        out[f"firms.{field}"] = _digest(getattr(model.firms, field)[:n])
    return out


def pinned() -> dict[str, dict[str, str]]:
    return json.loads(PINNED.read_text())


def pin() -> dict[str, dict[str, str]]:
    """Compute every scenario's fingerprint (second core and kernels off) and write them."""
    with mode("off", "off"):
        table = {name: fingerprint(name) for name in SCENARIOS}
    PINNED.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    return table
