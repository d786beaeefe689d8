"""Text generated from the registry and schemas (the parameter table of docs/ODD.md)."""

from __future__ import annotations

from .params import PARAMS_LIST, Param
from .policies import COMMON_FIELDS, KIND_FIELDS
from .shocks import SHOCK_FIELDS


def _row(p: Param) -> str:
    default = p.default if not isinstance(p.default, list) else "[]"
    bounds = p.bounds_text.replace("|", "/")
    return f"| `{p.name}` | {default} | {bounds} | {p.unit} | {p.group} | {p.help} |"


HEADER = "| name | default | bounds | unit | group | meaning (source) |\n|---|---|---|---|---|---|"


def params_markdown(rows: list[Param] | None = None) -> str:
    """The registry as a Markdown table."""
    return "\n".join([HEADER] + [_row(p) for p in (rows or PARAMS_LIST)])


def schemas_markdown() -> str:
    """Shock and policy fields as Markdown tables."""
    parts = ["Shock fields (`[[shocks]]`):", "", HEADER]
    parts += [_row(p) for k, p in SHOCK_FIELDS.items()]
    parts += ["", "Policy fields common to every instrument (`[[policies]]`):", "", HEADER]
    parts += [_row(p) for p in COMMON_FIELDS.values()]
    for kind, fields in KIND_FIELDS.items():
        parts += ["", f"`{kind}`:", "", HEADER]
        parts += [_row(p) for p in fields.values()]
    return "\n".join(parts)


def rules_markdown() -> str:
    """The rules of the month (simulation/rules.RULES) as a Markdown table."""
    from .rules import RULES

    def names(xs):
        return ", ".join(f"`{x}`" for x in xs) or "-"

    rows = ["| rule | what | reads (firm fields) | writes | streams |", "|---|---|---|---|---|"]
    rows += [f"| `{name}` | {r.what} | {names(r.reads)} | {names(r.writes)} | {names(r.streams)} |"
             for name, r in RULES.items()]
    return "\n".join(rows)


def beside_markdown() -> str:
    """What runs on the second core beside what (simulation/schedule.BESIDE)."""
    from .schedule import BESIDE

    rows = ["| job on the second core | runs beside (this thread) |", "|---|---|"]
    rows += [f"| `{job}` | {', '.join(f'`{r}`' for r in beside)} |"
             for job, beside in BESIDE.items()]
    return "\n".join(rows)
