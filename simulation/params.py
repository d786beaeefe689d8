"""The parameter registry: every model parameter declared once.

Defaults, bounds, units, groups and help text live here and nowhere else. The
model, the scenario loader, the CLI (`run.py params`, `--set`), sweeps, the
dashboard and the parameter table in docs/ODD.md all read this registry.

Sources: "TARGETS" is ../shared/calibration/TARGETS.md (survey of 500 SMEs
and five case studies); other sources are named in the help text. Values marked
"calibrated" come from the documented search of docs/ODD.md, Section 10.2; values
marked "assumption" are modelling choices not calibrated against data.
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
CAL = "calibrated (docs/ODD.md, Section 10.2)"
PARAMS_LIST: list[Param] = [
    # --- run ---------------------------------------------------------------
    _P("months", 120, 1, 1200, "months", "run",
       "Simulated horizon after the burn-in (DESIGN §3).", int),
    _P("burn_in", 24, 0, 240, "months", "run",
       "Months run before the horizon and excluded from outcome statistics.", int),
    _P("structure_stats_every", 12, 1, 120, "months", "run",
       "Compute the structural statistics (network density, clustering, largest component, "
       "revenue Gini) every k months and in the last month; they cost O(n log n) and more, "
       "and the series repeats the last values in between. Set 1 for monthly values.", int),
    # --- population ----------------------------------------------------------
    _P("n_firms", 3000, 1, 5_000_000, "firms", "population",
       "Initial number of SMEs.", int),
    _P("country", "all", group="population", unit="",
       help="Country preset of the population, or 'all' for equal shares of the five "
            "survey countries (TARGETS: ~100 firms per country).",
       kind=str, choices=("all",) + COUNTRIES),
    _P("share_micro", 0.915, 0.0, 1.0, "share", "population",
       f"Share of micro firms (<10 employees) at start; {CAL}: with share_small, a Zipf-like "
       "upper tail of firm size (TARGETS §4), as in OECD SME demography (about nine in ten "
       "SMEs are micro); 0.915 since the reach of alliances (Section 10.2).", float),
    _P("share_small", 0.06, 0.0, 1.0, "share", "population",
       f"Share of small firms (10-49 employees) at start; medium firms take the rest; {CAL}: "
       "size tail (TARGETS §4).", float),
    _P("institution_sd", 0.75, 0.0, 2.0, "0-5 scale", "population",
       "Within-country sd of perceived institutional context; with the spread of country "
       "means the overall sd is ~0.9 (TARGETS §1, §3).", float),
    _P("digital_adoption", 0.35, 0.0, 1.0, "share", "population",
       "Mean share of firms using the matchmaking platform at start (scaled by country "
       "preset); assumption.", float),
    _P("entry_rate", 0.09, 0.0, 0.5, "per year", "population",
       "New firms per year as a share of living firms (TARGETS §4: birth rates 8-10 %).",
       float),
    # --- alliances ---------------------------------------------------------
    _P("search_prob", 0.07, 0.0, 1.0, "per month", "alliances",
       "Base monthly probability that a firm with spare capacity looks for a partner; "
       f"{CAL}: collaboration frequency (TARGETS §1).", float),
    _P("search_need_weight", 2.0, 0.0, 10.0, "", "alliances",
       "How strongly need (falling revenue, shock exposure) raises search probability.",
       float),
    _P("max_alliances", 3, 0, 5, "alliances", "alliances",
       "Most alliances one firm can hold at once (0 switches collaboration off).", int),
    _P("gain_weight", 0.5, 0.0, 1.0, "", "alliances",
       "Exponent a in score = gain^a * trust^(1-a) (Klos and Nooteboom 2001).", float),
    _P("accept_threshold", 0.30, 0.0, 1.0, "score", "alliances",
       "Minimum partner score a firm accepts; assumption.", float),
    _P("consortium_prob", 0.25, 0.0, 1.0, "share", "alliances",
       "Chance that a joint-bid, R&D or infrastructure alliance grows into a multi-firm "
       "consortium (3-4 members); assumption.", float),
    _P("formal_contract_bias", 0.29, 0.0, 1.0, "share", "alliances",
       "Base propensity to sign a formal contract (rises with institutional quality); "
       f"{CAL}: alliances ending early (TARGETS §4).", float),
    _P("formal_setup_cost", 0.25, 0.0, 5.0, "months of fixed cost", "alliances",
       "Set-up cost of a formal contract (legal, negotiation), per member; assumption.",
       float),
    _P("search_cost", 0.05, 0.0, 2.0, "months of fixed cost", "alliances",
       "Transaction cost of searching and negotiating one alliance; the platform halves it.",
       float),
    _P("contract_term", 36, 6, 240, "months", "alliances",
       "Term of a formal contract; informal alliances are reviewed every 12 months.", int),
    _P("coordination_cost", 0.04, 0.0, 0.5, "share of fixed cost", "alliances",
       "Monthly coordination cost per member, x (members - 1)^0.7 and the region's "
       "coordination multiplier (TARGETS §2 frictions).", float),
    _P("supply_chain_logistics_cut", 0.18, 0.0, 0.9, "share", "alliances",
       "Cut in logistics cost from a supply-chain alliance at full participation "
       "(TARGETS §2, Kenya: -18 %).", float),
    _P("co_marketing_price_premium", 0.135, 0.0, 0.5, "share", "alliances",
       "Export price premium from co-branding at full participation "
       "(TARGETS §2, Vietnam: +12-15 %).", float),
    _P("joint_bid_contract_boost", 0.35, 0.0, 1.0, "share", "alliances",
       "Extra contract revenue from joint bids at full participation "
       "(TARGETS §2, UK: up to +35 %).", float),
    _P("rd_time_cut", 0.20, 0.0, 0.9, "share", "alliances",
       "Cut in time to innovation from an R&D consortium (TARGETS §2, Canada: -20 %).",
       float),
    _P("infra_cost_cut", 0.30, 0.0, 0.9, "share", "alliances",
       "Cut in infrastructure cost and deploy time from shared infrastructure "
       "(TARGETS §2, India: -30 %).", float),
    _P("loss_months_to_break", 6, 1, 60, "months", "alliances",
       "Months of negative net benefit after which an alliance dissolves.", int),
    _P("mutual_aid_share", 0.2, 0.0, 1.0, "share", "alliances",
       "Share of its spare capital a partner gives to distressed members (not repaid), "
       "scaled by trust (TARGETS §2: shared risk buffers).", float),
    _P("alliance_size_elasticity", 0.2, 0.0, 1.0, "", "alliances",
       "Elasticity e with which alliance effects on revenue and cost (co-marketing premium, "
       "joint-bid boost, logistics, infrastructure and R&D cost cuts) fall with firm size "
       "above 20 thousand revenue a month: there they reach a share (size/20)^-e of the "
       "firm's business (a partner matters more to a small firm; Stuart 2000); 0 = every "
       f"firm alike; {CAL}: volatility-size slope (TARGETS §4); 0.2, the exponent of the "
       "demand walk's volatility.", float),
    # --- trust -------------------------------------------------------------
    _P("trust_build_rate", 0.10, 0.0, 1.0, "per month", "trust",
       "Trust gained per honoured month: t += rate*(1-t) (DESIGN §3 default).", float),
    _P("trust_erosion_rate", 0.30, 0.0, 1.0, "per event", "trust",
       "Trust lost on detected shirking: t -= rate*t (DESIGN §3 default).", float),
    _P("trust_break_threshold", 0.25, 0.0, 1.0, "trust", "trust",
       "An alliance dissolves when any member's trust in a partner falls below this.",
       float),
    _P("trust_propensity_mean", 0.48, 0.0, 1.0, "trust", "trust",
       f"Mean initial trust in strangers; {CAL}: alliances ending early (TARGETS §4).", float),
    _P("trustworthiness_mean", 0.65, 0.0, 1.0, "share", "trust",
       f"Mean propensity to honour commitments; {CAL}: alliances ending early (TARGETS §4).",
       float),
    _P("shirk_temptation", 0.44, 0.0, 1.0, "", "trust",
       "Base temptation to shirk before shadow of the future, contracts and enforcement; "
       f"{CAL}: alliances ending early (TARGETS §4).", float),
    _P("detection_prob", 0.3, 0.0, 1.0, "probability", "trust",
       "Base chance that shirking is detected; rises with institutions and formality.",
       float),
    _P("referral_trust_discount", 0.8, 0.0, 1.0, "share", "trust",
       "Share of a referrer's trust inherited by a referred stranger.", float),
    # --- economy -----------------------------------------------------------
    _P("demand_growth", 0.095, -0.2, 0.3, "per year", "economy",
       f"Trend growth of market demand (all sectors); {CAL}: mean revenue growth "
       "(TARGETS §1), over seeds 42-71 (Section 10.2, reach of alliances).", float),
    _P("revenue_volatility", 0.01, 0.0, 0.5, "log sd per month", "economy",
       "Monthly firm-specific demand volatility at 20 thousand revenue a month; "
       f"Laplace-distributed, scaled by size^-0.2 (TARGETS §4); {CAL}: spread of revenue "
       "growth (TARGETS §1).", float),
    _P("demand_jump_rate", 0.25, 0.0, 12.0, "per year", "economy",
       "Rate of large jumps in a firm's demand (a major customer or contract won or lost); "
       "lumpy opportunities make growth rates tent-shaped (Bottazzi and Secchi 2006); "
       f"{CAL}: growth-rate kurtosis and volatility-size slope (TARGETS §4).", float),
    _P("demand_jump_size", 0.08, 0.0, 0.5, "log change", "economy",
       "Mean size of a demand jump at 20 thousand revenue a month (exponential), scaled by "
       "size^-0.2 (Stanley et al. 1996; Amaral et al. 1997); "
       f"{CAL}: growth-rate kurtosis and volatility-size slope (TARGETS §4).", float),
    _P("demand_jump_cap", 3.0, 0.5, 10.0, "mean jump sizes", "economy",
       "Largest demand jump, in mean jump sizes: one customer or contract is a bounded share "
       f"of a firm's demand; {CAL}: the survey's growth range, -5 % to +45 % (TARGETS §1).",
       float),
    _P("demand_jump_up_share", 0.75, 0.0, 1.0, "share", "economy",
       "Share of demand jumps that are gains (the rest are losses); "
       f"{CAL}: the survey's growth range is skewed up, -5 % to +45 % (TARGETS §1).", float),
    _P("variable_cost_ratio", 0.76, 0.3, 1.2, "share of revenue", "economy",
       "Mean variable cost per unit of revenue (incl. logistics and inputs); assumption.",
       float),
    _P("fixed_cost_ratio", 0.18, 0.0, 0.5, "share of revenue", "economy",
       "Monthly fixed cost as a share of capacity revenue (capacity x demand index); "
       "assumption.", float),
    _P("closure_rate", 0.068, 0.0, 0.5, "per year", "economy",
       "Voluntary closures (retirement, better options) of firms in good standing; six times "
       f"higher for firms drawing on credit; {CAL}: with bankruptcies, exits of 8-10 % a "
       "year and half of entrants surviving five years (TARGETS §4).", float),
    _P("initial_buffer", 1.0, 0.0, 24.0, "months of revenue", "economy",
       "Initial cash buffer (JPMorgan Chase Institute 2016: the median US small business "
       "holds 27 days of cash).", float),
    _P("credit_months", 1.5, 0.0, 12.0, "months of revenue", "economy",
       "Credit line as months of expected revenue.", float),
    _P("interest_rate", 0.10, 0.0, 1.0, "per year", "economy",
       "Interest on drawn credit.", float),
    _P("invest_share", 0.017, 0.0, 1.0, "per month", "economy",
       "Share of capital above the target buffer invested in capacity each month; "
       f"{CAL}: mean and spread of revenue growth (TARGETS §1).", float),
    _P("innovation_rate", 0.135, 0.0, 2.0, "per month", "economy",
       "Base monthly innovation rate (development speed, docs/ODD.md Section 7.15); "
       f"{CAL}: survey mean and sd of 2.4 and 1.3 innovations a year (TARGETS §1), over "
       "seeds 42-71 (Section 10.2, seeds robustness).", float),
    _P("innovation_productivity_gain", 0.01, 0.0, 0.2, "share", "economy",
       "Productivity gain per innovation (cut in variable cost ratio); assumption.", float),
    # --- shocks ------------------------------------------------------------
    _P("random_shock_rate", 0.0, 0.0, 5.0, "per year", "shocks",
       "Rate of unscheduled shocks (Poisson); kind, sector, timing drawn at random.", float),
    _P("random_shock_depth", 0.15, 0.0, 0.9, "share", "shocks",
       "Depth of unscheduled shocks.", float),
    # flat settings of the scenario's scheduled shocks (simulation/scenario.py,
    # apply_settings); their defaults leave every scenario as its file says
    _P("shock_depth_scale", 1.0, 0.0, 5.0, "x", "shocks",
       "Multiplies the depth of every scheduled shock in the scenario (a depth is at most 1); "
       "1 = as the scenario says, 0 = no shock. No effect on a scenario without scheduled "
       "shocks.", float),
    _P("shock_start", AS_SCENARIO, 0, 1200, "month", "shocks",
       "Month at which the scenario's first scheduled shock starts; the others move with it, "
       "keeping their timing. 0 = as the scenario says. No effect on a scenario without "
       "scheduled shocks.", int),
    _P("shock_duration", AS_SCENARIO, 0, 1200, "months", "shocks",
       "Months at full depth of every scheduled shock in the scenario. 0 = as the scenario "
       "says. No effect on a scenario without scheduled shocks.", int),
    # --- policy ------------------------------------------------------------
    _P("policy_scale", 1.0, 0.0, 100.0, "x", "policy",
       "Multiplies every policy budget in the scenario (0 switches policies off).", float),
    *[_P(f"{kind}_budget", SCENARIO_BUDGET, SCENARIO_BUDGET, 1e6,
         "thousand/month per 1,000 firms", "policy",
         f"Monthly budget of every {kind.replace('_', ' ')} policy in the scenario, before "
         "policy_scale. Negative (default -1) = as the scenario says. No effect on a "
         "scenario without this instrument.", float)
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
