"""Re-pin the golden numbers (tests/golden.json) on purpose.

    .venv/bin/python scripts/pin_golden.py

Run it only when a change is meant to move the model's numbers, and say in the commit message
that it was run and why the numbers moved. It prints which scenarios and series changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import golden  # noqa: E402


def main() -> int:
    before = golden.pinned() if golden.PINNED.exists() else {}
    after = golden.pin()
    changed = 0
    for name, series in after.items():
        old = before.get(name, {})
        moved = sorted(k for k in series.keys() | old.keys() if series.get(k) != old.get(k))
        if not old:
            print(f"{name}: pinned for the first time ({len(series)} series)")
        elif moved:
            changed += 1
            print(f"{name}: {len(moved)} series moved: {', '.join(moved[:8])}"
                  + (" ..." if len(moved) > 8 else ""))
    print(f"pinned {len(after)} scenarios in {golden.PINNED}; {changed} changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
