#!/usr/bin/env python3
"""Regenerate the generated blocks of docs/ODD.md (registry, schemas) and
docs/ARCHITECTURE.md (the rules of the month, what runs beside what).

    .venv/bin/python scripts/update_docs.py
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.docs import (  # noqa: E402
    beside_markdown,
    params_markdown,
    rules_markdown,
    schemas_markdown,
)

BLOCKS = {
    "ODD.md": {"params": params_markdown, "schemas": schemas_markdown},
    "ARCHITECTURE.md": {"rules": rules_markdown, "beside": beside_markdown},
}


def main() -> int:
    for doc, blocks in BLOCKS.items():
        path = ROOT / "docs" / doc
        text = path.read_text(encoding="utf-8")
        for name, make in blocks.items():
            pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", re.S)
            if not pattern.search(text):
                print(f"error: {path}: markers <!-- {name}:start/end --> missing", file=sys.stderr)
                return 2
            text = pattern.sub(lambda m, make=make: m.group(1) + make().strip() + m.group(2),
                               text)
        path.write_text(text, encoding="utf-8")
        print(f"updated {path}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
