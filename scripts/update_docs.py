#!/usr/bin/env python3
"""Regenerate the generated blocks of docs/ODD.md from the registry and schemas.

    .venv/bin/python scripts/update_docs.py
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.docs import params_markdown, schemas_markdown  # noqa: E402

BLOCKS = {"params": params_markdown, "schemas": schemas_markdown}


def main() -> int:
    path = ROOT / "docs" / "ODD.md"
    text = path.read_text(encoding="utf-8")
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            print(f"error: {path}: markers <!-- {name}:start/end --> missing", file=sys.stderr)
            return 2
        text = pattern.sub(lambda m, make=make: m.group(1) + make().strip() + m.group(2), text)
    path.write_text(text, encoding="utf-8")
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
