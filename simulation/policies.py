"""Policy instruments: schemas, eligibility, effects and monthly spend.

Every instrument has a monthly budget (thousand USD-equivalent per 1,000 firms
of the initial population, so that a scenario means the same at any model
size: the money available is budget x n_firms / 1000), a period
(start and end month, counted from the end of the burn-in) and eligibility by
country, sector and size class. Spend is accounted every month and never
exceeds the budget; unspent budget lapses.

| instrument | effect | spend |
|---|---|---|
| cluster_funding | pays `subsidy_share` of eligible members' coordination cost | subsidy paid |
| digital_platform | `adoption_rate` of eligible non-adopters join the platform | adopters x cost |
| rd_grants | `grant_per_firm` a month to R&D consortium members; hazard x (1 + boost) | grants |
| procurement_access | reserved public contracts shared by joint-bid consortia | contract value |
| credit_guarantee | restores `coverage` of credit withdrawn in a crunch | fee on guarantees |
| institution_building | perceived institutions rise by `gain_per_year` (toward 5) | reach x cost |
| trust_brokering | mediated introductions with `trust_boost` extra initial trust | intros x cost |
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import COUNTRIES, Param
from .regions import SECTORS, SIZE_CLASSES

POLICY_KINDS = (
    "cluster_funding",
    "digital_platform",
    "rd_grants",
    "procurement_access",
    "credit_guarantee",
    "institution_building",
    "trust_brokering",
)

COMMON_FIELDS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("kind", None, group="policy", help="Instrument.", kind=str, choices=POLICY_KINDS),
        Param("budget", 100.0, 0.0, 1e9, "thousand/month per 1,000 firms", "policy",
              "Monthly budget per 1,000 firms of the initial population (so a scenario means "
              "the same at any model size); unspent budget lapses.", float),
        Param("start", 1, -240, 1200, "month", "policy",
              "First month the instrument runs (from the end of the burn-in).", int),
        Param("end", 1200, -240, 100000, "month", "policy", "Last month it runs.", int),
        Param("regions", [], group="policy", help="Eligible countries (empty: all).",
              kind=list, choices=COUNTRIES),
        Param("sectors", [], group="policy", help="Eligible sectors (empty: all).",
              kind=list, choices=SECTORS),
        Param("size_classes", [], group="policy", help="Eligible size classes (empty: all).",
              kind=list, choices=SIZE_CLASSES),
    ]
}

KIND_FIELDS: dict[str, dict[str, Param]] = {
    "cluster_funding": {
        "subsidy_share": Param("subsidy_share", 0.5, 0.0, 1.0, "share", "policy",
                               "Share of coordination cost paid by the programme.")},
    "digital_platform": {
        "adoption_rate": Param("adoption_rate", 0.05, 0.0, 1.0, "per month", "policy",
                               "Share of eligible non-adopters who join each month."),
        "cost_per_adopter": Param("cost_per_adopter", 2.0, 0.0, 1e6, "thousand", "policy",
                                  "Onboarding cost per firm.")},
    "rd_grants": {
        "grant_per_firm": Param("grant_per_firm", 5.0, 0.0, 1e6, "thousand/month", "policy",
                                "Grant per member of an R&D consortium (TARGETS §2, Canada)."),
        "innovation_boost": Param("innovation_boost", 0.5, 0.0, 5.0, "share", "policy",
                                  "Rise in a funded firm's innovation hazard.")},
    "procurement_access": {
        "min_members": Param("min_members", 2, 2, 4, "firms", "policy",
                             "Smallest joint-bid alliance that may bid for reserved contracts.",
                             int)},
    "credit_guarantee": {
        "coverage": Param("coverage", 0.8, 0.0, 1.0, "share", "policy",
                          "Share of credit withdrawn in a crunch that the guarantee restores."),
        "fee_rate": Param("fee_rate", 0.01, 0.0, 1.0, "per month", "policy",
                          "Cost to the public purse per unit of guaranteed credit.")},
    "institution_building": {
        "gain_per_year": Param("gain_per_year", 0.3, 0.0, 5.0, "points/year", "policy",
                               "Rise in perceived institutional context at full reach."),
        "cost_per_firm": Param("cost_per_firm", 0.1, 0.0, 1e6, "thousand/month", "policy",
                               "Programme cost per firm reached.")},
    "trust_brokering": {
        "cost_per_intro": Param("cost_per_intro", 0.5, 0.0, 1e6, "thousand", "policy",
                                "Cost of one mediated introduction."),
        "trust_boost": Param("trust_boost", 0.2, 0.0, 1.0, "trust", "policy",
                             "Extra initial trust between introduced firms.")},
}


def policy_fields(kind: str) -> dict[str, Param]:
    """Every field a policy of this kind accepts."""
    return {**COMMON_FIELDS, **KIND_FIELDS[kind]}


@dataclass
class Policy:
    kind: str
    budget: float = 100.0
    start: int = 1
    end: int = 1200
    regions: list = field(default_factory=list)
    sectors: list = field(default_factory=list)
    size_classes: list = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def opt(self, name: str):
        return self.options.get(name, KIND_FIELDS[self.kind][name].default)

    def running(self, month: int) -> bool:
        return self.start <= month <= self.end and self.budget > 0

    def eligible(self, state) -> np.ndarray:
        mask = state.alive.copy()
        if self.regions:
            mask &= np.isin(state.region, [COUNTRIES.index(r) for r in self.regions])
        if self.sectors:
            mask &= np.isin(state.sector, [SECTORS.index(s) for s in self.sectors])
        if self.size_classes:
            mask &= np.isin(state.size_class, [SIZE_CLASSES.index(c) for c in self.size_classes])
        return mask

    @classmethod
    def from_dict(cls, d: dict) -> Policy:
        common = {k: v for k, v in d.items() if k in COMMON_FIELDS}
        options = {k: v for k, v in d.items() if k not in COMMON_FIELDS}
        return cls(**common, options=options)


def capped(amounts: np.ndarray, budget: float) -> tuple[np.ndarray, float]:
    """Scale payments down pro rata so that they fit the budget; return them and the total."""
    total = float(amounts.sum())
    if total > budget > 0:
        amounts = amounts * (budget / total)
        total = float(amounts.sum())
    elif budget <= 0:
        return np.zeros_like(amounts), 0.0
    return amounts, total


class PolicyBook:
    """The policies of a scenario and this month's spend per instrument."""

    def __init__(self, policies: list[Policy], scale: float = 1.0):
        self.policies = [p for p in policies]
        self.scale = scale
        self.spend = dict.fromkeys(POLICY_KINDS, 0.0)

    def running(self, kind: str, month: int):
        """The policies of this kind that run this month (budget already scaled)."""
        for p in self.policies:
            if p.kind == kind and p.running(month) and self.scale > 0:
                yield p, p.budget * self.scale

    def any_running(self, kind: str, month: int) -> bool:
        return any(True for _ in self.running(kind, month))

    def new_month(self) -> None:
        self.spend = dict.fromkeys(POLICY_KINDS, 0.0)

    def book(self, kind: str, amount: float) -> None:
        self.spend[kind] += float(amount)

    @property
    def total(self) -> float:
        return float(sum(self.spend.values()))


# --------------------------------------------------------------------- instruments
# Each returns what it changes and books what it spends. `month` counts from the
# end of the burn-in; `state` is the FirmState.


def platform_adoption(book: PolicyBook, state, month: int, rng: np.random.Generator) -> None:
    """digital_platform: eligible non-adopters join the matchmaking platform."""
    for pol, budget in book.running("digital_platform", month):
        cand = np.flatnonzero(pol.eligible(state) & ~state.digital)
        cost = pol.opt("cost_per_adopter")
        want = cand[rng.random(cand.size) < pol.opt("adoption_rate")]
        if cost > 0 and want.size > budget // cost:
            want = np.sort(rng.choice(want, size=int(budget // cost), replace=False))
        state.digital[want] = True
        book.book("digital_platform", want.size * cost)


def institution_building(book: PolicyBook, state, month: int) -> None:
    """institution_building: perceived institutions rise toward 5 with the programme's reach."""
    for pol, budget in book.running("institution_building", month):
        elig = pol.eligible(state)
        n = int(elig.sum())
        if n == 0:
            continue
        cost = pol.opt("cost_per_firm") * n
        reach = 1.0 if cost <= budget else budget / cost
        rise = pol.opt("gain_per_year") / 12.0 * reach
        state.institutions[elig] = np.minimum(5.0, state.institutions[elig] + rise).astype(
            np.float32
        )
        book.book("institution_building", min(cost, budget))


def credit_guarantee(book: PolicyBook, state, month: int, credit_mult: np.ndarray,
                     base_limit: np.ndarray) -> np.ndarray:
    """credit_guarantee: restore `coverage` of credit withdrawn in a crunch; pay a fee on it."""
    out = credit_mult.copy()
    for pol, budget in book.running("credit_guarantee", month):
        elig = pol.eligible(state) & (credit_mult < 1.0)
        if not elig.any():
            continue
        restored = (1.0 - credit_mult[elig]) * pol.opt("coverage")
        guaranteed = restored * base_limit[elig]
        fee = pol.opt("fee_rate")
        total = float(guaranteed.sum()) * fee
        if total > budget:
            restored *= budget / total
            total = budget
        out[elig] = np.maximum(out[elig], credit_mult[elig] + restored)
        book.book("credit_guarantee", total)
    return out


def trust_brokering(book: PolicyBook, state, month: int, rng: np.random.Generator,
                    max_alliances: int):
    """trust_brokering: mediated introductions between eligible firms of one country.

    Output: (firms, introduced partners, trust boost) for the formation phase.
    """
    empty = np.zeros(0, dtype=np.int64)
    out_i, out_j, boost = [empty], [empty], 0.0
    for pol, budget in book.running("trust_brokering", month):
        cost = pol.opt("cost_per_intro")
        elig = np.flatnonzero(pol.eligible(state) & (state.n_alliances < max_alliances))
        if elig.size < 2:
            continue
        k = elig.size // 2 if cost <= 0 else min(elig.size // 2, int(budget // cost))
        if k <= 0:
            continue
        i = rng.choice(elig, size=k, replace=False)
        # a partner from the same country among eligible firms
        order = elig[np.argsort(state.region[elig], kind="stable")]
        counts = np.bincount(state.region[order], minlength=len(COUNTRIES))
        offs = np.r_[0, np.cumsum(counts)[:-1]]
        r = state.region[i]
        j = order[offs[r] + (rng.random(k) * counts[r]).astype(np.int64)]
        ok = j != i
        out_i.append(i[ok])
        out_j.append(j[ok])
        boost = max(boost, pol.opt("trust_boost"))
        book.book("trust_brokering", ok.sum() * cost)
    return np.concatenate(out_i), np.concatenate(out_j), boost


def subsidy_share(book: PolicyBook, state, month: int) -> np.ndarray:
    """cluster_funding: the share of its coordination cost each firm expects to be paid."""
    share = np.zeros(state.n)
    for pol, _budget in book.running("cluster_funding", month):
        share = np.maximum(share, np.where(pol.eligible(state), pol.opt("subsidy_share"), 0.0))
    return share


def coordination_subsidy(book: PolicyBook, state, month: int,
                         coordination_cost: np.ndarray) -> np.ndarray:
    """cluster_funding: pay a share of eligible firms' coordination cost. Output: grants."""
    grants = np.zeros(state.n)
    for pol, budget in book.running("cluster_funding", month):
        elig = pol.eligible(state)
        # overlapping programmes never pay more than the whole cost
        want = np.where(elig, np.minimum(coordination_cost * pol.opt("subsidy_share"),
                                         coordination_cost - grants), 0.0)
        paid, total = capped(want, budget)
        grants += paid
        book.book("cluster_funding", total)
    return grants


def research_grants(book: PolicyBook, state, month: int, rd_member: np.ndarray):
    """rd_grants: grants to members of R&D consortia. Output: (grants, innovation boost)."""
    grants = np.zeros(state.n)
    boost = np.zeros(state.n)
    for pol, budget in book.running("rd_grants", month):
        elig = pol.eligible(state) & rd_member
        want = np.where(elig, pol.opt("grant_per_firm"), 0.0)
        paid, total = capped(want, budget)
        grants += paid
        frac = np.divide(paid, want, out=np.zeros_like(paid), where=want > 0)
        boost += pol.opt("innovation_boost") * frac
        book.book("rd_grants", total)
    return grants, boost


def public_contracts(book: PolicyBook, state, month: int, bid_members: np.ndarray) -> np.ndarray:
    """procurement_access: reserved contracts shared by joint-bid members (by trend revenue).

    `bid_members`: per firm, the size of its largest active joint-bid alliance (0 if none);
    firms in one of at least `min_members` firms may bid. Output: extra revenue per firm.
    """
    extra = np.zeros(state.n)
    for pol, budget in book.running("procurement_access", month):
        elig = pol.eligible(state) & (bid_members >= pol.opt("min_members"))
        weight = np.where(elig, state.trend, 0.0)
        total = weight.sum()
        if total <= 0:
            continue
        # a consortium takes at most a tenth of its members' revenue in reserved contracts
        share = np.minimum(budget * weight / total, 0.1 * state.trend)
        extra += share
        book.book("procurement_access", float(share.sum()))
    return extra
