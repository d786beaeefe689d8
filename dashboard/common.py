"""Plain-language labels and small pieces shared by the dashboard's pages.

The registry (simulation/params.py) owns every parameter's default, bounds, unit and
technical help; this module only adds the words a reader who has never seen an agent-based
model understands. tests/test_dashboard.py checks that every registry parameter has one.
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

# One short label per registry parameter; the unit is added from the registry.
PARAM_LABELS = {
    # run
    "months": "Months to simulate",
    "burn_in": "Warm-up months before month 1 (not counted)",
    "structure_stats_every": "Months between network measurements",
    # population
    "n_firms": "Number of firms at the start",
    "country": "Country",
    "share_micro": "Share of micro firms (under 10 staff)",
    "share_small": "Share of small firms (10-49 staff)",
    "institution_sd": "How much firms differ in their trust in rules and courts",
    "digital_adoption": "Share of firms on the online matchmaking platform",
    "entry_rate": "New firms each year, as a share of existing firms",
    # alliances
    "search_prob": "Chance a firm looks for a partner",
    "search_need_weight": "How much harder firms in trouble look for partners",
    "max_alliances": "Most partnerships one firm can hold",
    "gain_weight": "Weight on expected gain rather than trust when choosing a partner",
    "accept_threshold": "Lowest partner score a firm says yes to",
    "consortium_prob": "Chance a partnership grows to 3-4 firms",
    "formal_contract_bias": "Tendency to sign a formal contract",
    "formal_setup_cost": "Cost of setting up a formal contract",
    "search_cost": "Cost of finding and negotiating with a partner",
    "contract_term": "Length of a formal contract",
    "coordination_cost": "Monthly cost of working together",
    "supply_chain_logistics_cut": "Shipping cost saved by a shared supply chain",
    "co_marketing_price_premium": "Export price gain from joint marketing",
    "joint_bid_contract_boost": "Extra contract income from bidding jointly",
    "rd_time_cut": "Time saved on new products by joint research",
    "infra_cost_cut": "Infrastructure cost saved by sharing it",
    "loss_months_to_break": "Months of losses before a partnership ends",
    "mutual_aid_share": "Share of spare cash partners give a partner in trouble",
    "alliance_size_elasticity": "How much less partnerships matter to bigger firms",
    # trust
    "trust_build_rate": "How fast trust grows when partners keep their word",
    "trust_erosion_rate": "Trust lost when a partner is caught cutting corners",
    "trust_break_threshold": "Trust below which a partnership breaks up",
    "trust_propensity_mean": "Trust in strangers at first",
    "trustworthiness_mean": "How reliably firms keep their commitments",
    "shirk_temptation": "Temptation to cut corners in a partnership",
    "detection_prob": "Chance that cutting corners is noticed",
    "referral_trust_discount": "Share of trust passed on when a partner recommends someone",
    # economy
    "demand_growth": "Growth of customer demand",
    "revenue_volatility": "Month-to-month ups and downs of a firm's sales",
    "demand_jump_rate": "How often a firm wins or loses a major customer",
    "demand_jump_size": "How much a major customer or contract changes sales",
    "demand_jump_cap": "Largest change from one customer or contract (x the typical one)",
    "demand_jump_up_share": "Share of those changes that are wins",
    "variable_cost_ratio": "Running costs per unit of sales",
    "fixed_cost_ratio": "Fixed monthly costs (rent, staff)",
    "closure_rate": "Firms closing voluntarily",
    "initial_buffer": "Cash reserves at the start",
    "credit_months": "Bank credit available",
    "interest_rate": "Interest on borrowed money",
    "invest_share": "Share of spare cash invested in growth",
    "innovation_rate": "Base chance of a new product or process",
    "innovation_productivity_gain": "Cost saving from each innovation",
    # shocks
    "random_shock_rate": "Surprise shocks",
    "random_shock_depth": "Size of surprise shocks",
    # policy
    "policy_scale": "Size of support programmes (x the scenario's budgets)",
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
    return {"share": "share, 0-1", "x": "times", "": ""}.get(unit, unit)


def param_label(name: str, with_unit: bool = True) -> str:
    """The plain label of a registry parameter, with its unit in brackets."""
    p = PARAMS[name]
    label = PARAM_LABELS.get(name, name.replace("_", " ").capitalize())
    unit = unit_text(p.unit)
    return f"{label} ({unit})" if with_unit and unit else label


def check_value(param: Param, value: Any, label: str) -> Any:
    """`value` converted by the registry (or a schema field), or UserError in plain words."""
    try:
        return param.check(value)
    except UserError as e:
        text, prefix = str(e), f"{param.name}: "
        raise UserError(f"{label}: {text.removeprefix(prefix)}") from None


def fmt_number(value: float, digits: int = 3) -> str:
    """A number for a card: thousands separated, about `digits` significant figures."""
    if value != value:  # NaN
        return "n/a"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    return f"{value:.{max(digits - 1, 1)}f}"
