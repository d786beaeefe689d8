"""The parameter registry: every model parameter declared once.

Defaults, bounds, units, groups, labels and help text live here and nowhere
else. The model, the scenario loader, the CLI (`run.py params`, `--set`), sweeps,
the dashboard and the parameter table in docs/ODD.md all read this registry.

`label` is a short name in plain words and `help` a sentence or two for people who
do not read code (the dashboard shows both). The technical notes (formulas,
sources, which values are calibrated and against what, which are assumptions) are
in docs/ODD.md, "Parameter notes"; "TARGETS" there is
../shared/calibration/TARGETS.md (survey of 500 SMEs and five case studies).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError

GROUPS = ("run", "population", "alliances", "trust", "economy", "shocks", "policy")


@dataclass(frozen=True)
class Param:
    """One declared parameter (also used for the fields of shock and policy schemas)."""

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    unit: str = ""
    group: str = ""
    help: str = ""
    kind: type = float
    choices: tuple[str, ...] | None = None
    label: str = ""  # a short name in plain words (the name in words where empty)

    @property
    def title(self) -> str:
        """The label, or the name in words."""
        return self.label or self.name.replace("_", " ").capitalize()

    def check(self, value: Any, where: str = "") -> Any:
        """Return `value` converted to this parameter's kind, or raise ParameterError."""
        place = f"{where}{self.name}"
        if self.kind is list:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ParameterError(f"{place}: expected a list of names, got {value!r}")
            bad = [v for v in value if self.choices is not None and v not in self.choices]
            if bad:
                raise ParameterError(
                    f"{place}: {bad[0]!r} is not a valid choice "
                    f"(valid: {', '.join(self.choices or ())})"
                )
            return list(value)
        if self.choices is not None:
            if not isinstance(value, str) or value not in self.choices:
                raise ParameterError(
                    f"{place}: {value!r} is not a valid choice (valid: {', '.join(self.choices)})"
                )
            return value
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            raise ParameterError(f"{place}: expected true or false, got {value!r}")
        if isinstance(value, bool):
            raise ParameterError(f"{place}: expected a number, got {value!r}")
        if isinstance(value, str):
            try:
                value = float(value) if self.kind is float else int(value)
            except ValueError:
                raise ParameterError(
                    f"{place}: expected {'an integer' if self.kind is int else 'a number'}, "
                    f"got {value!r}"
                ) from None
        if self.kind is int:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ParameterError(f"{place}: expected an integer, got {value!r}")
                value = int(value)
            if not isinstance(value, int):
                raise ParameterError(f"{place}: expected an integer, got {value!r}")
        else:
            if not isinstance(value, int | float):
                raise ParameterError(f"{place}: expected a number, got {value!r}")
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise ParameterError(f"{place}: expected a finite number, got {value!r}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ParameterError(
                f"{place}: {value!r} is out of range (valid: {self.low} to {self.high}"
                f"{' ' + self.unit if self.unit else ''})"
            )
        return value

    @property
    def bounds_text(self) -> str:
        if self.kind is list:
            return "list of: " + ", ".join(self.choices or ())
        if self.choices is not None:
            return " | ".join(self.choices)
        if self.kind is bool:
            return "true | false"
        return f"{self.low} to {self.high}"


COUNTRIES = ("vietnam", "kenya", "uk", "canada", "india")
# The policy instruments, as simulation/policies.py's POLICY_KINDS (simulation/scenario.py
# checks they are the same): each has a flat budget parameter `<instrument>_budget`.
INSTRUMENTS = ("cluster_funding", "digital_platform", "rd_grants", "procurement_access",
               "credit_guarantee", "institution_building", "trust_brokering")
# Sentinels of the flat shock and policy settings: "as the scenario says" (a start or
# duration of 0, any negative budget). Inside the bounds, so that every in-range value is
# a valid setting (simulation/scenario.py, apply_settings).
AS_SCENARIO = 0
SCENARIO_BUDGET = -1.0

_P = Param
PARAMS_LIST: list[Param] = [
    # --- run ---------------------------------------------------------------
    _P("months", 120, 1, 1200, "months", "run",
       "How many months the story runs after the warm-up.", int,
       label="Months to simulate"),
    _P("burn_in", 24, 0, 240, "months", "run",
       "Months the model runs before the story starts, so that partnerships and trust exist by "
       "month 1. They are not counted in any result.", int,
       label="Warm-up months before month 1 (not counted)"),
    _P("structure_stats_every", 12, 1, 120, "months", "run",
       "How often the network figures (how connected firms are, how unequal their sales) are "
       "measured. Measuring every month is slower in large models.", int,
       label="Months between network measurements"),
    # --- population ----------------------------------------------------------
    _P("n_firms", 3000, 1, 5_000_000, "firms", "population",
       "How many small and medium-sized firms the model starts with. More firms give steadier "
       "results and take longer.", int,
       label="Number of firms at the start"),
    _P("country", "all", group="population", unit="",
       help="Which country's firms the model holds: one of the five survey countries, or all five "
            "in equal shares. Countries differ in institutions, costs and habits.",
       kind=str, choices=("all",) + COUNTRIES,
       label="Country"),
    _P("share_micro", 0.915, 0.0, 1.0, "share", "population",
       "The share of firms with fewer than 10 staff at the start. About nine in ten SMEs are "
       "micro firms.", float,
       label="Share of micro firms (under 10 staff)"),
    _P("share_small", 0.06, 0.0, 1.0, "share", "population",
       "The share of firms with 10 to 49 staff at the start; the rest are medium-sized (50-249 "
       "staff). Micro and small shares together cannot exceed 1.", float,
       label="Share of small firms (10-49 staff)"),
    _P("institution_sd", 0.75, 0.0, 2.0, "0-5 scale", "population",
       "How far firms in the same country differ in how well they think contracts, courts and "
       "business associations work for them.", float,
       label="How much firms differ in their trust in rules and courts"),
    _P("digital_adoption", 0.35, 0.0, 1.0, "share", "population",
       "The share of firms that use an online platform to find partners at the start; it differs "
       "by country around this value.", float,
       label="Share of firms on the online matchmaking platform"),
    _P("entry_rate", 0.09, 0.0, 0.5, "per year", "population",
       "How many new firms start each year for every existing firm (8-10 % is typical).",
       float,
       label="New firms each year, as a share of existing firms"),
    # --- alliances ---------------------------------------------------------
    _P("search_prob", 0.09, 0.0, 1.0, "per month", "alliances",
       "The chance, each month, that a firm with room for another partnership looks for one.",
       float,
       label="Chance a firm looks for a partner"),
    _P("search_need_weight", 2.0, 0.0, 10.0, "", "alliances",
       "How much more often firms whose sales fall, or that a shock hits, look for a partner (0: "
       "no more often than others).",
       float,
       label="How much harder firms in trouble look for partners"),
    _P("max_alliances", 3, 0, 5, "alliances", "alliances",
       "The most partnerships a firm can be in at the same time (0: firms never team up).", int,
       label="Most partnerships one firm can hold"),
    _P("gain_weight", 0.5, 0.0, 1.0, "", "alliances",
       "When a firm weighs a possible partner, how much it counts what the partnership would "
       "bring (1) against how far it trusts the partner (0).", float,
       label="Weight on expected gain rather than trust when choosing a partner"),
    _P("accept_threshold", 0.30, 0.0, 1.0, "score", "alliances",
       "How good a partner must look (gain and trust together, 0 to 1) before a firm agrees to "
       "team up.", float,
       label="Lowest partner score a firm says yes to"),
    _P("consortium_prob", 0.25, 0.0, 1.0, "share", "alliances",
       "The chance that a joint bid, joint research or shared infrastructure partnership takes in "
       "a third or fourth firm.", float,
       label="Chance a partnership grows to 3-4 firms"),
    _P("formal_contract_bias", 0.29, 0.0, 1.0, "share", "alliances",
       "How readily partners sign a written contract rather than agree informally; firms sign "
       "more where courts and rules work well.", float,
       label="Tendency to sign a formal contract"),
    _P("formal_setup_cost", 0.25, 0.0, 5.0, "months of fixed cost", "alliances",
       "What lawyers and negotiation cost each partner when a written contract is signed, in "
       "months of the firm's fixed costs.",
       float,
       label="Cost of setting up a formal contract"),
    _P("search_cost", 0.05, 0.0, 2.0, "months of fixed cost", "alliances",
       "What it costs a firm to find and agree a partnership, in months of its fixed costs. The "
       "online platform halves it.",
       float,
       label="Cost of finding and negotiating with a partner"),
    _P("contract_term", 36, 6, 240, "months", "alliances",
       "How long a written contract runs before partners decide whether to renew it. Informal "
       "partnerships are looked at again every year.", int,
       label="Length of a formal contract"),
    _P("coordination_cost", 0.04, 0.0, 0.5, "share of fixed cost", "alliances",
       "What working together costs each partner every month (meetings, shared staff, "
       "administration), as a share of its fixed costs; more partners cost more.", float,
       label="Monthly cost of working together"),
    _P("supply_chain_logistics_cut", 0.18, 0.0, 0.9, "share", "alliances",
       "How much a shared supply chain cuts a firm's shipping and logistics costs when the "
       "partnership runs fully (Kenya case study: 18 %).", float,
       label="Shipping cost saved by a shared supply chain"),
    _P("co_marketing_price_premium", 0.135, 0.0, 0.5, "share", "alliances",
       "How much more firms get for their exports when they market them together under one brand "
       "(Vietnam case study: 12-15 %).", float,
       label="Export price gain from joint marketing"),
    _P("joint_bid_contract_boost", 0.35, 0.0, 1.0, "share", "alliances",
       "How much more contract income firms win by bidding together for large contracts (UK case "
       "study: up to 35 %).", float,
       label="Extra contract income from bidding jointly"),
    _P("rd_time_cut", 0.20, 0.0, 0.9, "share", "alliances",
       "How much faster firms that research together bring out new products (Canada case study: "
       "20 %).",
       float,
       label="Time saved on new products by joint research"),
    _P("infra_cost_cut", 0.30, 0.0, 0.9, "share", "alliances",
       "How much firms that share infrastructure (cloud, equipment, specialists) save on it "
       "(India case study: 30 %).", float,
       label="Infrastructure cost saved by sharing it"),
    _P("loss_months_to_break", 6, 1, 60, "months", "alliances",
       "How many months in a row a partnership may cost its members more than it brings before "
       "they end it.", int,
       label="Months of losses before a partnership ends"),
    _P("mutual_aid_share", 0.2, 0.0, 1.0, "share", "alliances",
       "When a partner runs short of cash, the share of their spare cash the others give it (more "
       "when they trust it more). It is not paid back.", float,
       label="Share of spare cash partners give a partner in trouble"),
    _P("formal_aid_bonus", 0.5, 0.0, 5.0, "share", "alliances",
       "How much more partners give a partner in trouble when their partnership is written down "
       "(a risk-sharing clause): 0.5 means half as much again as an informal partner gives.",
       float,
       label="Extra help from partners with a written agreement"),
    _P("market_access_growth", 0.05, 0.0, 0.5, "per year", "alliances",
       "How much faster a firm's sales grow each year for each joint-marketing or joint-bidding "
       "partnership that works fully, where contracts are fully enforced: new customers, "
       "export markets and larger contracts reached together. Weaker institutions keep less "
       "of it.", float,
       label="Extra sales growth from markets reached with partners"),
    _P("order_sharing", 0.15, 0.0, 1.0, "share per alliance", "alliances",
       "In a fall in demand, the share of its lost orders a firm keeps for each partnership "
       "with fully trusting, long-standing partners: orders passed on, contracts bid together, "
       "customers shared (half as much after a year together, at most half of the loss in "
       "all).", float,
       label="Orders partners keep for a firm in a downturn"),
    _P("partner_knowledge", 0.3, 0.0, 3.0, "", "alliances",
       "How much faster a firm develops new products for each working partnership, at full "
       "ability to learn from partners (knowledge shared by partners).", float,
       label="Faster new products from partners' knowledge"),
    _P("alliance_size_elasticity", 0.2, 0.0, 1.0, "", "alliances",
       "How quickly the benefits of a partnership shrink, relative to the firm's business, as "
       "firms grow: a partner matters more to a small firm (0: the same for every firm).", float,
       label="How much less partnerships matter to bigger firms"),
    # --- trust -------------------------------------------------------------
    _P("trust_build_rate", 0.10, 0.0, 1.0, "per month", "trust",
       "How much of the remaining way to full trust partners cover each month in which they keep "
       "their commitments.", float,
       label="How fast trust grows when partners keep their word"),
    _P("trust_erosion_rate", 0.30, 0.0, 1.0, "per event", "trust",
       "The share of its trust a firm loses in a partner it catches cutting corners.", float,
       label="Trust lost when a partner is caught cutting corners"),
    _P("trust_break_threshold", 0.25, 0.0, 1.0, "trust", "trust",
       "A partnership ends when a member's trust in a partner falls below this level (0 = none, 1 "
       "= full).",
       float,
       label="Trust below which a partnership breaks up"),
    _P("trust_propensity_mean", 0.48, 0.0, 1.0, "trust", "trust",
       "How far firms trust a firm they have never worked with, on average (0 = not at all, 1 = "
       "fully).", float,
       label="Trust in strangers at first"),
    _P("trustworthiness_mean", 0.65, 0.0, 1.0, "share", "trust",
       "How strongly firms, on average, lean towards keeping their word in a partnership.",
       float,
       label="How reliably firms keep their commitments"),
    _P("shirk_temptation", 0.44, 0.0, 1.0, "", "trust",
       "How tempting it is, before contracts, courts and the value of future business hold firms "
       "back, to do less than agreed.", float,
       label="Temptation to cut corners in a partnership"),
    _P("detection_prob", 0.3, 0.0, 1.0, "probability", "trust",
       "The chance that a partner notices when a firm does less than agreed; higher with written "
       "contracts and working institutions.",
       float,
       label="Chance that cutting corners is noticed"),
    _P("referral_trust_discount", 0.8, 0.0, 1.0, "share", "trust",
       "When a trusted partner introduces another firm, the share of the trust in the partner "
       "that the newcomer starts with.", float,
       label="Share of trust passed on when a partner recommends someone"),
    # --- economy -----------------------------------------------------------
    _P("demand_growth", 0.058, -0.2, 0.3, "per year", "economy",
       "How fast customers' demand grows each year in ordinary times, in every sector and country.",
       float,
       label="Growth of customer demand"),
    _P("revenue_volatility", 0.01, 0.0, 0.5, "log sd per month", "economy",
       "How much a firm's sales move up and down from month to month by chance; less for bigger "
       "firms.", float,
       label="Month-to-month ups and downs of a firm's sales"),
    _P("demand_jump_rate", 0.25, 0.0, 12.0, "per year", "economy",
       "How many times a year, on average, a firm wins or loses a large customer or contract.",
       float,
       label="How often a firm wins or loses a major customer"),
    _P("demand_jump_size", 0.08, 0.0, 0.5, "log change", "economy",
       "How much a typical large customer or contract won or lost changes a firm's sales.", float,
       label="How much a major customer or contract changes sales"),
    _P("demand_jump_cap", 3.0, 0.5, 10.0, "mean jump sizes", "economy",
       "The largest change one customer or contract can make, as a multiple of the typical one: "
       "no single customer is the whole market.",
       float,
       label="Largest change from one customer or contract (x the typical one)"),
    _P("demand_jump_up_share", 0.75, 0.0, 1.0, "share", "economy",
       "Of the large customers or contracts that change a firm's sales, the share that are won "
       "rather than lost.", float,
       label="Share of those changes that are wins"),
    _P("variable_cost_ratio", 0.76, 0.3, 1.2, "share of revenue", "economy",
       "What a firm spends on materials, inputs and shipping for each unit it sells, as a share "
       "of the sale.",
       float,
       label="Running costs per unit of sales"),
    _P("fixed_cost_ratio", 0.18, 0.0, 0.5, "share of revenue", "economy",
       "Costs a firm pays every month whatever it sells (rent, permanent staff), as a share of "
       "the sales it is built for.", float,
       label="Fixed monthly costs (rent, staff)"),
    _P("closure_rate", 0.06, 0.0, 0.5, "per year", "economy",
       "The share of healthy, established firms that close each year for other reasons than "
       "bankruptcy (retirement, better options); new firms close up to three times as often, "
       "and firms living on credit more often still.", float,
       label="Firms closing voluntarily"),
    _P("initial_buffer", 1.0, 0.0, 24.0, "months of revenue", "economy",
       "The cash a firm holds at the start, in months of its sales (the median US small business "
       "holds about one month).", float,
       label="Cash reserves at the start"),
    _P("credit_months", 1.5, 0.0, 12.0, "months of revenue", "economy",
       "The credit line banks give a firm, in months of its expected sales, for a firm of the "
       "country's usual standing: more where the firm sees strong institutional support and "
       "for each partnership it holds, less where it sees weak support.", float,
       label="Bank credit available"),
    _P("working_capital_months", 2.5, 0.0, 12.0, "months of costs", "economy",
       "The months of its costs a firm must finance between paying for inputs and staff and "
       "being paid by its customers (its cash conversion cycle; about 76 days for Spanish "
       "SMEs): a firm whose cash and unused credit cover less cannot run at full capacity.",
       float, label="Working capital a firm must finance"),
    _P("cash_squeeze_cut", 0.05, 0.0, 1.0, "share per month", "economy",
       "A firm whose cash and unused credit no longer cover the working capital it must "
       "finance cannot pay for all its staff and inputs: it cuts this share of its capacity "
       "each month (and loses the customers it can no longer serve), in proportion to how "
       "short it is.", float,
       label="Capacity cut by a firm short of cash and credit"),
    _P("alliance_credit_bonus", 0.1, 0.0, 1.0, "share per alliance", "economy",
       "How much larger a firm's credit line is for each partnership it holds: joint loan and "
       "grant applications, partners who vouch for it.", float,
       label="Extra credit for each partnership"),
    _P("interest_rate", 0.10, 0.0, 1.0, "per year", "economy",
       "The yearly interest firms pay on the credit they use.", float,
       label="Interest on borrowed money"),
    _P("invest_share", 0.017, 0.0, 1.0, "per month", "economy",
       "The share of its cash above a safe reserve that a firm invests each month to sell more.",
       float,
       label="Share of spare cash invested in growth"),
    _P("innovation_rate", 0.105, 0.0, 2.0, "per month", "economy",
       "How fast firms develop new products or processes each month before partnerships, grants "
       "and size change it (the survey's firms report about 2.4 a year).", float,
       label="Base chance of a new product or process"),
    _P("innovation_productivity_gain", 0.01, 0.0, 0.2, "share", "economy",
       "How much each new product or process cuts a firm's running costs.", float,
       label="Cost saving from each innovation"),
    # --- shocks ------------------------------------------------------------
    _P("random_shock_rate", 0.0, 0.0, 5.0, "per year", "shocks",
       "How many unplanned shocks hit in an average year, on top of the scenario's own; their "
       "kind, timing and the sectors they hit are drawn at random (0: none).", float,
       label="Surprise shocks"),
    _P("random_shock_depth", 0.15, 0.0, 0.9, "share", "shocks",
       "How deep the unplanned shocks are: 0.15 means a 15 % fall in what is hit.", float,
       label="Size of surprise shocks"),
    # flat settings of the scenario's scheduled shocks (simulation/scenario.py,
    # apply_settings); their defaults leave every scenario as its file says
    _P("shock_depth_scale", 1.0, 0.0, 5.0, "x", "shocks",
       "Makes every planned shock of the scenario deeper or milder: 2 doubles it, 0 removes "
       "it (1: as the scenario says).", float,
       label="Strength of the scenario's shocks (x as planned)"),
    _P("shock_start", AS_SCENARIO, 0, 1200, "month", "shocks",
       "The month the scenario's first planned shock begins; the others move with it "
       "(0: as the scenario says).", int,
       label="Month the shocks begin"),
    _P("shock_duration", AS_SCENARIO, 0, 1200, "months", "shocks",
       "How many months each planned shock lasts at its worst (0: as the scenario says).", int,
       label="How long each shock lasts"),
    # --- policy ------------------------------------------------------------
    _P("policy_scale", 1.0, 0.0, 100.0, "x", "policy",
       "Multiplies the budget of every support programme of the scenario: 2 doubles them, 0 "
       "switches them off.", float,
       label="Size of support programmes (x the scenario's budgets)"),
    *[_P(f"{kind}_budget", SCENARIO_BUDGET, SCENARIO_BUDGET, 1e6,
         "thousand/month per 1,000 firms", "policy",
         f"The monthly budget of the scenario's {kind.replace('_', ' ')} programme, per 1,000 "
         "firms, before the size of support programmes (a negative value: as the scenario "
         "says).", float,
         label=f"Budget: {kind.replace('_', ' ')} (per 1,000 firms a month)")
      for kind in INSTRUMENTS],
]

PARAMS: dict[str, Param] = {p.name: p for p in PARAMS_LIST}
assert all(p.group in GROUPS for p in PARAMS_LIST)


def defaults() -> dict[str, Any]:
    """Every parameter's default."""
    return {p.name: p.default for p in PARAMS_LIST}


def suggest(name: str, valid) -> str:
    """' (did you mean X?)' for the closest valid name, or ''."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate(values: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Check names, types and bounds; return converted values. Raise ParameterError."""
    out = {}
    for name, value in values.items():
        if name not in PARAMS:
            raise ParameterError(
                f"{where}{name}: unknown parameter{suggest(name, PARAMS)}; "
                f"'run.py params' lists them"
            )
        out[name] = PARAMS[name].check(value, where)
    shares = {**{k: PARAMS[k].default for k in ("share_micro", "share_small")}, **out}
    if shares["share_micro"] + shares["share_small"] > 1.0 + 1e-9:
        raise ParameterError(
            f"{where}share_micro + share_small: {shares['share_micro'] + shares['share_small']:g}"
            " exceeds 1 (valid: sum from 0 to 1)"
        )
    return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a CLI `key=value` into (key, converted value)."""
    if "=" not in text:
        raise ParameterError(f"--set {text!r}: expected key=value, e.g. --set search_prob=0.1")
    key, raw = text.split("=", 1)
    key = key.strip()
    if key not in PARAMS:
        raise ParameterError(
            f"--set {key}: unknown parameter{suggest(key, PARAMS)}; 'run.py params' lists them"
        )
    return key, PARAMS[key].check(raw.strip(), "--set ")
