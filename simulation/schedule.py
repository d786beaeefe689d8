"""The month's rules, scheduled: which rule runs on the second core, and where it is joined.

`SMEEcosystem.step()` calls one method of `MonthSchedule` per rule of the month, in the
ODD's order (docs/ODD.md §3). Each method calls its rule (simulation/rules/,
simulation/alliances/, the policy book) and decides here what runs on the worker thread
(simulation/side.py), what is cut into slices of rows, whether the compiled kernels run
(simulation/kernels.py), and where a job handed to the worker is joined: in the method of
the first rule that reads what it writes. BESIDE lists each job and the rules this thread
runs while it runs; tests/test_rules.py checks the pairs against the rules' declarations
(simulation/rules/__init__.py). The alliance phases may cut their own work finer through
the side.Cores the model gives them, whose worker flag is set here each month
(docs/ARCHITECTURE.md). Whatever runs where, the numbers are the same
(tests/test_golden.py).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from . import kernels, side
from .alliances import Month, coordination_multiplier, type_value_table
from .population import populate
from .rules import credit, demand, exit_entry, innovation, markets, production, resilience, squeeze
from .shocks import credit_multiplier, shock_effects
from .sizes import sizes_of
from .state import FirmState
from .streams import month_draws

# What runs on the second core beside what, on models where side.use() is on: each job
# handed to the worker (simulation/rules names) and the rules this thread runs until the
# job is joined. Checked against the rules' declarations by tests/test_rules.py.
BESIDE = {
    "value_types": ("month_context", "introductions", "search"),
    "independent_draws": ("month_context", "introductions", "search", "form", "contribute",
                          "effects", "public_money"),
    "update_reputation": ("effects", "public_money", "produce", "grow_markets", "credit"),
    "memory": ("effects", "public_money", "produce", "grow_markets", "credit", "mutual_aid",
               "squeeze", "dissolve", "innovate"),
    "update_trust": ("public_money", "produce", "grow_markets", "credit"),
    "ending": ("mutual_aid", "squeeze"),
    # handed over by alliance phases: statics at the end of formation (joined by effects; by
    # exits, the statics of the alliances firms left), partner diversity by the effects
    # (joined by innovation, behind it on the worker)
    "statics": ("contribute",),
    "partner_diversity": ("public_money", "produce", "grow_markets", "credit"),
    "innovation": ("mutual_aid", "squeeze", "dissolve"),
}


def _open_ledger_and_value_types(s: FirmState, p: dict, demand_index: np.ndarray):
    """The month's ledger set to zero (nothing writes it before formation, which waits for
    this), the month's table of type values (alliances.type_value_table), with the firms'
    (relative size, reach) it was made from, which the demand walk reuses, and each firm's
    fixed cost of the month (from its capacity revenue before the walk moves its scale)."""
    for name in ("flow_profit", "flow_aid", "flow_grants", "flow_invest"):
        getattr(s, name)[:] = 0.0
    fixed_cost = s.fixed_cost_ratio * demand.capacity_revenue(s, demand_index)
    sizes = sizes_of(s.trend, p)  # the trend moves only in production
    return type_value_table(s, slice(None), p, sizes[1]), sizes, fixed_cost


def _independent_draws(s: FirmState, p: dict, draws: dict, index: np.ndarray, shock,
                       values_job):
    """The month's work that no alliance phase reads or writes: the demand walk, and the
    steps of innovation and uniforms of exit, each from its own row stream (`draws`, the
    month's streams.month_draws). `values_job`: the month's
    _open_ledger_and_value_types, handed over before this one (the worker takes its jobs in
    order), whose sizes the walk reuses."""
    sizes = values_job.result()[1]
    return (demand.demand_walk(s, p, draws["walk"], index, shock, sizes),
            innovation.development_steps(draws["development"], s.n),
            draws["exit"].random(s.n))


class MonthSchedule:
    """One month of one model, rule by rule (see the module's docstring)."""

    def __init__(self, model):
        self.model = model

    def __getstate__(self):
        return {"model": self.model}  # the month's jobs and draws live within a month only

    # -------------------------------------------------------------- context
    def open_month(self) -> int:
        """Clock, this month's spend set to zero, the demand index moved. Output: the month."""
        m = self.model
        m.month += 1
        m.policy.new_month()
        demand.advance_demand(m.demand_index, m.p, m.streams["economy"])
        self.threaded = side.use(m.firms.n)
        m.alliances.cores.threaded = self.threaded  # where the alliance phases' parts run
        self.compiled = kernels.use(m.firms.n)
        return m.month

    def shocks(self, t: int):
        """Every shock's per-firm multipliers for this month."""
        m = self.model
        m.last_shock = shock_effects(m.shocks, t, m.firms)
        return m.last_shock

    def policies_before_firms_act(self, t: int) -> None:
        m = self.model
        m.policy.before_firms_act(m.firms, t, m.streams["policy"])

    def month_context(self, t: int, shock) -> Month:
        """The month's record for the alliance phases: coordination multipliers, the shock's
        formation multiplier, the policy context; its type values and fixed costs (and the
        ledger reset) are made on the second core and joined before formation."""
        m, s, p = self.model, self.model.firms, self.model.p
        self._values = side.submit(self.threaded, _open_ledger_and_value_types, s, p,
                                   m.demand_index)
        context = m.policy.month_context(s, t)
        month = Month(
            step=m.steps,
            coord_mult=coordination_multiplier(s),
            formation=shock.formation,
            value_bonus=context.value_bonus,
            coord_subsidy=context.coord_subsidy,
        )
        m.last_month = month  # this month's context, for inspection and tests
        self._independent = side.submit(self.threaded, _independent_draws, s, p,
                                        month_draws(m.row_seeds, m.steps),
                                        m.demand_index, shock, self._values)
        return month

    # -------------------------------------------------------------- alliances
    def introductions(self, t: int):
        m = self.model
        return m.policy.introductions(m.firms, t, m.streams["policy"], m.p["max_alliances"])

    def search(self, month: Month, brokered):
        m = self.model
        return m.alliances.search(m.firms, month, brokered)

    def form(self, month: Month, found) -> int:
        m = self.model
        month.values, _sizes, month.fixed_cost = self._values.result()
        return m.alliances.form(m.firms, month, found)

    def contribute(self) -> None:
        """Members honour or shirk (phase 3)."""
        m = self.model
        m.alliances.contribute(m.firms, m.steps)

    def update_reputation(self) -> None:
        """Reputation (phase 4): on the second core beside the effects, public money and
        production, joined before mutual aid."""
        m = self.model
        self._reputation = side.submit(self.threaded, m.alliances.update_reputation, m.firms)

    def effects(self, month: Month, shock):
        """The alliances' effects on their members (phase 5)."""
        m = self.model
        return m.alliances.effects(m.firms, month, shock.demand, shock.demand_hit)

    def update_trust(self) -> None:
        """Trust (phase 4): on the second core beside public money and production, joined
        before mutual aid."""
        self._trust = side.submit(self.threaded, self.model.alliances.update_trust)

    def public_money(self, t: int, effects):
        """Grants, the R&D innovation boost and reserved contracts (PolicyBook.after_effects)."""
        m = self.model
        return m.policy.after_effects(m.firms, t, effects, m.alliances)

    # -------------------------------------------------------------- economy
    def produce(self, shock, effects, extra: np.ndarray, grants: np.ndarray) -> None:
        """Production and profit, then the grants into capital. Element-wise: in slices of
        the firm rows on both cores (side.halves), or one compiled pass on this thread
        alone (the worker holds the trust update then, which mutual aid waits for)."""
        s, p = self.model.firms, self.model.p
        walk, self._development, self._exit_draws = self._independent.result()
        n, compiled = s.n, self.compiled
        side.halves(self.threaded and not compiled, n, lambda rows: production.produce(
            side.Rows(s, rows, n), p, None, None, side.Rows(shock, rows, n),
            side.Rows(effects, rows, n), extra[rows], side.Rows(walk, rows, n), compiled))
        s.capital += grants
        s.flow_grants += grants
        self._reach = walk.reach

    def grow_markets(self, effects) -> None:
        """Markets reached with partners: the demand level's growth (rules/markets.py)."""
        m = self.model
        markets.grow_markets(m.firms, m.p, effects.market_access, self._reach)

    def credit(self, t: int, shock) -> None:
        """Credit lines: a crunch tightens them, the policy book may restore a part."""
        m, s, p = self.model, self.model.firms, self.model.p
        credit_mult = m.policy.credit(s, t, shock.credit, partial(credit.credit_base, s, p))
        n = s.n
        side.halves(self.threaded and not self.compiled, n, lambda rows: credit.update_credit(
            side.Rows(s, rows, n), p, credit_mult[rows]))

    def mutual_aid(self, month: Month, effects, grant_boost: np.ndarray) -> None:
        """Mutual aid, once trust and reputation are updated; which alliances end (queued
        behind the trust update) and innovation (which reads no alliance) go to the second
        core beside it."""
        m, s = self.model, self.model.firms
        self._reputation.result()  # trust and reputation: read by mutual aid and ending
        self._trust.result()
        self._dissolved_before = sum(m.alliances.dissolved.values())
        self._ending = side.submit(self.threaded, m.alliances.ending, m.steps)
        self._innovation = side.submit(self.threaded, innovation.innovate, s, m.p,
                                       m.streams["innovation"], effects, grant_boost,
                                       self._development)
        m.alliances.mutual_aid(s, month.fixed_cost)

    def squeeze(self) -> None:
        """Firms short of cash and credit, after mutual aid, cut capacity (rules/squeeze.py)."""
        m = self.model
        squeeze.cash_squeeze(m.firms, m.p)

    def dissolve(self) -> int:
        """Alliances end (low trust, sustained loss, term not renewed). Output: how many."""
        m = self.model
        m.alliances.dissolve(m.firms, m.steps, self._ending)
        return sum(m.alliances.dissolved.values()) - self._dissolved_before

    def innovate(self) -> int:
        """Innovations of the month (computed beside mutual aid); then experience."""
        innovations = self._innovation.result()
        innovation.gain_experience(self.model.firms, self.compiled)
        return innovations

    # -------------------------------------------------------------- exit and entry
    def exits(self):
        """Firms out of capital and credit, and closures, leave; alliances left with fewer
        than two members end. Output: (rows, how many bankrupt, alliances ended)."""
        m, s = self.model, self.model.firms
        gone, bankrupt = exit_entry.exits(s, m.p, m.streams["entry"], self._exit_draws,
                                       self.compiled)
        broken = m.alliances.remove_firms(s, gone, m.steps)
        m.alliances.memory_settled()  # exits and entry write the firms' memory of partners
        m.alliances.statics_settled()  # (queued before the memory jobs: no wait) entry writes
        # the rows of exited firms, which the statics of their old alliances may read
        if gone.size:  # each row on its own: in slices on both cores on large models
            dead = exit_entry.exited_mask(s, gone)
            side.halves(self.threaded, s.n, lambda rows: exit_entry.forget_exited(
                s, dead, rows, self.compiled))
        m._remove_agents(gone)
        return gone, bankrupt, broken

    def entry(self, t: int) -> int:
        """Entrants in exited firms' rows first. Output: how many."""
        m, s, p = self.model, self.model.firms, self.model.p
        k = exit_entry.entrant_count(s, p, m.streams["entry"])
        new = populate(s, m.streams["entry"], k, p, step=m.steps, entrants=True)
        s.uid[new] = m._new_uids(new.size)
        s.credit_limit[new] = (credit.credit_base(s, p, new)
                               * credit_multiplier(m.shocks, t, s, new))
        m._add_agents(new)
        return k

    def rate_resilience(self) -> None:
        """Every living firm, entrants too, rates its resilience (rules/resilience.py)."""
        resilience.rate_resilience(self.model.firms)

    def close_month(self) -> None:
        """Nothing runs on the second core between months, and no draw is kept."""
        self.model.alliances.statics_settled()
        self.__dict__ = self.__getstate__()
