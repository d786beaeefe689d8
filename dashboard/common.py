"""Plain-language labels and small pieces shared by the dashboard's pages.

The registry (simulation/params.py) owns every parameter's default, bounds, unit, plain
label and plain help. This module adds the words for the rest (alliance types,
programmes, shocks, the model's money).
"""

from __future__ import annotations

import functools
import html
from typing import Any

import markdown as _markdown
import solara

from simulation.alliances import ALLIANCE_TYPES
from simulation.errors import UserError
from simulation.params import PARAMS, Param
from simulation.policies import POLICY_KINDS
from simulation.regions import REGIONS
from simulation.scenario import load_scenario, scenario_titles
from simulation.shocks import SHOCK_KINDS

# The model's money (docs/ODD.md: "thousand" means thousand USD-equivalent; revenue levels
# are relative across countries): named on every figure of money the dashboard shows.
MONEY = "thousand USD-equivalent"
MONEY_MILLION = "million USD-equivalent"

GROUP_TITLES = {
    "run": "Time",
    "population": "Firms",
    "alliances": "Partnerships",
    "trust": "Trust",
    "economy": "Economy",
    "shocks": "Surprise shocks",
    "policy": "Public support",
}

ALLIANCE_LABELS = {
    "supply_chain": "Shared supply chain",
    "co_marketing": "Joint marketing",
    "joint_bid": "Joint bids for contracts",
    "rd_consortium": "Joint research (R&D)",
    "shared_infrastructure": "Shared infrastructure",
}

POLICY_LABELS = {
    "cluster_funding": "Cluster funding (pays part of the cost of working together)",
    "digital_platform": "Online matchmaking platform",
    "rd_grants": "Research grants for groups of firms",
    "procurement_access": "Public contracts reserved for groups of SMEs",
    "credit_guarantee": "Public credit guarantee",
    "institution_building": "Better business institutions (courts, associations)",
    "trust_brokering": "Trust brokering (vouched introductions)",
}

SHOCK_LABELS = {
    "demand": "fall in customer demand",
    "supply": "supply disruption",
    "credit": "credit crunch",
    "regulatory": "new regulation",
}

assert set(ALLIANCE_LABELS) == set(ALLIANCE_TYPES)
assert set(POLICY_LABELS) == set(POLICY_KINDS)
assert set(SHOCK_LABELS) == set(SHOCK_KINDS)


@functools.lru_cache(maxsize=1)
def shipped_titles() -> dict[str, str]:
    """{name: title} of the shipped scenarios (read once: they do not change while served)."""
    return scenario_titles()


def scenario_title(ref: str) -> str:
    """A scenario's title for people: a shipped name's, or a file's (its name in words)."""
    titles = shipped_titles()
    if ref in titles:
        return titles[ref]
    try:
        return load_scenario(ref).label
    except UserError:  # a name the engine saved, whose file is gone: the name in words
        return str(ref).replace("_", " ").capitalize()


def Markdown(text: str, style: dict | None = None, classes: list[str] | None = None):
    """Markdown as plain HTML. Solara's own Markdown loads KaTeX (for maths) and Mermaid
    with every text it shows, and solara-assets does not ship KaTeX's auto-render: every
    page logged a script error and a failed request. No text here holds maths or diagrams.
    Only the dashboard's own words and tables go through here (names from files are
    escaped with `escape`)."""
    body = _markdown.markdown(text, extensions=["tables"])
    return solara.HTML(tag="div", unsafe_innerHTML=body, style=style,
                       classes=["page-markdown", *(classes or [])])


def escape(text: str) -> str:
    """A name read from a file, safe inside Markdown or HTML."""
    return html.escape(str(text)).replace("|", "&#124;")


def country_label(code: str) -> str:
    return "All five countries" if code == "all" else REGIONS[code].label


def unit_text(unit: str) -> str:
    """A registry unit in words ('' for none)."""
    return {"share": "share, 0-1", "x": "", "": "", "log sd per month": "typical "
            "monthly change", "log change": "typical change"}.get(unit, unit)


def param_label(name: str, with_unit: bool = True) -> str:
    """The registry's plain label of a parameter, with its unit in brackets."""
    p = PARAMS[name]
    label = p.title
    unit = unit_text(p.unit)
    return f"{label} ({unit})" if with_unit and unit else label


def check_value(param: Param, value: Any, label: str) -> Any:
    """`value` converted by the registry (or a schema field), or UserError in plain words."""
    try:
        return param.check(value)
    except UserError as e:
        text, prefix = str(e), f"{param.name}: "
        raise UserError(f"{label}: {text.removeprefix(prefix)}") from None


