"""Policy instruments: one module per instrument, and the book that runs them.

Every instrument has a monthly budget (thousand USD-equivalent per 1,000 firms of the
initial population, so that a scenario means the same at any model size: the money
available is budget x n_firms / 1000), a period (start and end month, counted from the end
of the burn-in) and eligibility by country, sector and size class. Spend is accounted every
month and never exceeds the budget; unspent budget lapses.

Each instrument module declares its NAME, its FIELDS (the options a `[[policies]]` entry
of its kind accepts, beside COMMON_FIELDS) and one function per point of the month where it
acts, named after the point (POINTS, in the order the month reaches them):

| point | called with | the instrument ... |
|---|---|---|
| before_firms_act | state, month, rng (the policy stream) | changes firms before they act |
| month_context | state, month, context | sets `context.value_bonus` / `coord_subsidy` |
| introductions | state, month, rng, max_alliances, out | appends introduced pairs; trust boost |
| after_effects | state, month, effects, alliances | returns grants, innovation_boost, |
|  |  | extra_revenue (arrays per firm) |
| credit | state, month, credit multiplier, base limit | returns the credit multiplier |

Each function also takes the book (to book its spend) and `running`: the instrument's
policies that run this month with their scaled budgets; it is called only in months where
one of them runs. The model calls the book's method for each point
(`PolicyBook.before_firms_act`, ...) and names no instrument. A new instrument is one new
module listed in INSTRUMENTS, with its labels and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from ..alliances import ALLIANCE_TYPES
from ..params import COUNTRIES, Param
from ..regions import SECTORS, SIZE_CLASSES
from . import (
    cluster_funding,
    credit_guarantee,
    digital_platform,
    institution_building,
    procurement_access,
    rd_grants,
    trust_brokering,
)
from .base import COMMON_FIELDS as _COMMON
from .base import capped

# every instrument, in the order its spend is reported and, at each point, it acts
INSTRUMENTS = (cluster_funding, digital_platform, rd_grants, procurement_access,
               credit_guarantee, institution_building, trust_brokering)
POINTS = ("before_firms_act", "month_context", "introductions", "after_effects", "credit")
POLICY_KINDS = tuple(m.NAME for m in INSTRUMENTS)
KIND_FIELDS = {m.NAME: m.FIELDS for m in INSTRUMENTS}
COMMON_FIELDS = {**_COMMON, "kind": replace(_COMMON["kind"], choices=POLICY_KINDS)}

__all__ = ["INSTRUMENTS", "POINTS", "POLICY_KINDS", "KIND_FIELDS", "COMMON_FIELDS", "Policy",
           "PolicyBook", "capped", "policy_fields"]


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

    def new_month(self) -> None:
        self.spend = dict.fromkeys(POLICY_KINDS, 0.0)

    def book(self, kind: str, amount: float) -> None:
        self.spend[kind] += float(amount)

    @property
    def total(self) -> float:
        return float(sum(self.spend.values()))

    # ------------------------------------------------------------ the points of a month
    def _acting(self, point: str, month: int):
        """(instrument module, its running policies) for each instrument that acts at
        `point` and runs this month, in INSTRUMENTS order."""
        for module in INSTRUMENTS:
            if hasattr(module, point):
                running = list(self.running(module.NAME, month))
                if running:
                    yield module, running

    def before_firms_act(self, state, month: int, rng: np.random.Generator) -> None:
        """Instruments that change firms before they act (platform adoption, institutions)."""
        for module, running in self._acting("before_firms_act", month):
            module.before_firms_act(self, running, state, month, rng)

    def month_context(self, state, month: int) -> SimpleNamespace:
        """The month's policy context of alliances: `value_bonus` (extra value share per
        alliance type) and `coord_subsidy` (share of coordination cost each firm expects
        to be paid)."""
        context = SimpleNamespace(value_bonus=np.zeros(len(ALLIANCE_TYPES)),
                                  coord_subsidy=np.zeros(state.n))
        for module, running in self._acting("month_context", month):
            module.month_context(self, running, state, month, context)
        return context

    def introductions(self, state, month: int, rng: np.random.Generator, max_alliances: int):
        """Mediated introductions: (firms, introduced partners, trust boost)."""
        pairs: list = []
        boost = 0.0
        for module, running in self._acting("introductions", month):
            boost = max(boost, module.introductions(self, running, state, month, rng,
                                                    max_alliances, pairs))
        empty = np.zeros(0, dtype=np.int64)
        return (np.concatenate([empty] + [i for i, _ in pairs]),
                np.concatenate([empty] + [j for _, j in pairs]), boost)

    def after_effects(self, state, month: int, effects, alliances):
        """Public money tied to alliances: (grants, innovation boost, extra revenue) per
        firm, each summed over the instruments in INSTRUMENTS order (zeros where none)."""
        totals: dict[str, np.ndarray] = {}
        for module, running in self._acting("after_effects", month):
            for key, value in module.after_effects(self, running, state, month, effects,
                                                   alliances).items():
                totals[key] = totals[key] + value if key in totals else value
        zeros = np.zeros(state.n)
        return (totals.get("grants", zeros), totals.get("innovation_boost", zeros),
                totals.get("extra_revenue", zeros))

    def credit(self, state, month: int, credit_mult: np.ndarray, base_limit) -> np.ndarray:
        """The month's credit multiplier per firm after the instruments that act on credit.
        `base_limit()`: each firm's credit line before any crunch (made only if needed)."""
        for module, running in self._acting("credit", month):
            credit_mult = module.credit(self, running, state, month, credit_mult, base_limit)
        return credit_mult

