"""SMEEcosystem: the Mesa model. One step is one month; `step()` reads top to bottom."""

from __future__ import annotations

import time
from collections import deque
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from . import allocator, economy, kernels, policies, side
from .agents import SME
from .alliances import ALLIANCE_TYPES, BID, RD, Alliances, Month, type_value_table
from .errors import ParameterError
from .metrics import REPORTERS, TO_DATE_FLOWS, gini, network_stats
from .params import PARAMS, defaults, suggest, validate
from .population import populate
from .regions import region_array
from .scenario import Scenario, apply_settings, load_scenario
from .shocks import credit_multiplier, random_shocks, shock_effects
from .sizes import sizes_of
from .state import FirmState

# independent random streams, so that one phase's draws do not shift another's
STREAMS = ("population", "shocks", "alliances", "economy", "innovation", "entry", "policy")
POLICY_VALUE_BONUS = 0.01  # extra value share of R&D / joint-bid alliances when funded


def _report(model: SMEEcosystem, key: str):
    return model.report[key]


def _open_ledger_and_value_types(s: FirmState, p: dict, demand_index: np.ndarray):
    """The month's ledger set to zero (nothing writes it before formation, which waits for
    this), the month's table of type values (alliances.type_value_table), with the firms'
    (relative size, reach) it was made from, which the demand walk reuses, and each firm's
    fixed cost of the month (from its capacity revenue before the walk moves its scale)."""
    for name in ("flow_profit", "flow_aid", "flow_grants", "flow_invest"):
        getattr(s, name)[:] = 0.0
    fixed_cost = s.fixed_cost_ratio * economy.capacity_revenue(s, demand_index)
    sizes = sizes_of(s.trend, p)  # the trend moves only in production
    return type_value_table(s, slice(None), p, sizes[1]), sizes, fixed_cost


def _independent_draws(s: FirmState, p: dict, streams: dict, index: np.ndarray, shock,
                       values_job):
    """The month's work that no alliance phase reads or writes (see simulation/side.py): the
    demand walk, and the uniforms of innovation and exit, each from its own stream.
    `values_job`: the month's _open_ledger_and_value_types, handed over before this one (the
    worker takes its jobs in order), whose sizes the walk reuses."""
    sizes = values_job.result()[1]
    return (economy.demand_walk(s, p, streams["economy"], index, shock, sizes),
            economy.development_steps(streams["innovation"], s.n),
            streams["entry"].random(s.n))


class SMEEcosystem(mesa.Model):
    """SMEs forming, keeping and breaking alliances under shocks and policies.

    Args:
        n_firms: initial number of firms (registry default if None).
        rng: seed or numpy Generator (Mesa 3.5 convention).
        scenario: a shipped scenario name, a path to a TOML file, or a loaded Scenario.
        **params: any registry parameter (see `run.py params`); these override the
            scenario's values, which override the registry defaults.
    """

    def __init__(self, n_firms: int | None = None, rng=None, scenario=None, **params: Any):
        if isinstance(scenario, MesaScenario):
            # Mesa's own experiment scenario (e.g. passed back by SolaraViz's Reset, which
            # reads model.scenario): take its seed if none was given; it holds no SME scenario.
            if rng is None:
                rng = scenario.rng
            scenario = None
        super().__init__(rng=rng)
        spec = self._resolve_scenario(scenario)
        self.scenario_spec = spec
        chosen = dict(spec.params) if spec else {}
        if n_firms is not None:
            params["n_firms"] = n_firms
        for key in params:
            if key not in PARAMS:
                raise ParameterError(
                    f"{key}: unknown parameter{suggest(key, PARAMS)}; 'run.py params' lists them"
                )
        chosen.update(validate(params))
        self.p = {**defaults(), **validate(chosen)}
        p = self.p
        spec = apply_settings(spec, p)  # flat shock and policy settings
        allocator.tune()  # keep the month's large temporaries in the heap (glibc)
        side.mode()  # a bad SME_SIDE_THREAD is refused now, not in the first month
        kernels.mode()  # and a bad SME_NUMBA (or SME_NUMBA=on without numba)

        seeds = self.rng.integers(0, 2**63 - 1, size=len(STREAMS))
        self.streams = {name: np.random.default_rng(int(s)) for name, s in zip(STREAMS, seeds)}

        self.firms = FirmState(capacity=int(p["n_firms"] * 1.25) + 16)
        populate(self.firms, self.streams["population"], p["n_firms"], p, step=0)
        self.alliances = Alliances(p, self.streams["alliances"])
        self.policy = policies.PolicyBook(spec.policies if spec else [],
                                          p["policy_scale"] * p["n_firms"] / 1000.0)
        self.shocks = (list(spec.shocks) if spec else []) + random_shocks(
            self.streams["shocks"], p["random_shock_rate"], p["random_shock_depth"],
            p["months"], p["burn_in"],
        )
        self.demand_index = economy.new_demand_index()
        self.month = -p["burn_in"]  # month 1 is the first month of the horizon
        self.total_steps = p["burn_in"] + p["months"]
        self._revenue_history: deque = deque(maxlen=13)
        # (density, clustering, largest component, revenue Gini), refreshed every k months
        self._structure_cache = (0.0, 0.0, 0.0, 0.0)
        self.last_shock = None
        self.collect_seconds = 0.0  # time spent computing reporters (for the benchmark)

        # initial credit lines (no crunch at the start)
        economy.update_credit(self.firms, p, np.ones(self.firms.n))

        # SME agent objects are made on first use of model.agents (see `agents`), then kept
        # in step with entries and exits; until then firms are identified by `uid` alone.
        self._agents_by_row: list[SME | None] | None = None
        self._next_uid = 1
        self.firms.uid[:] = self._new_uids(self.firms.n)


        self.report: dict[str, float] = dict.fromkeys(REPORTERS, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={k: partial(_report, key=k) for k in REPORTERS}
        )
        self.running = self.total_steps > 0

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _resolve_scenario(scenario):
        if scenario is None:
            return None
        if isinstance(scenario, Scenario):
            return scenario
        return load_scenario(scenario)

    def _new_uids(self, k: int) -> np.ndarray:
        uids = np.arange(self._next_uid, self._next_uid + k, dtype=np.int64)
        self._next_uid += k
        return uids

    @property
    def agents(self):
        """Mesa's AgentSet of living firms (SME views), made on first use."""
        if self._agents_by_row is None:
            self._agents_by_row = []
            self._add_agents(np.flatnonzero(self.firms.alive))
        return mesa.Model.agents.fget(self)

    @property
    def agents_by_type(self):
        self.agents  # noqa: B018  (materialise)
        return mesa.Model.agents_by_type.fget(self)

    def _add_agents(self, rows: np.ndarray) -> None:
        """Mesa agent objects for firm rows (per-firm Python work, only once agents are used:
        O(entrants) a month)."""
        by_row = self._agents_by_row
        if by_row is None:
            return
        if rows.size and rows.max() >= len(by_row):
            by_row.extend([None] * (int(rows.max()) + 1 - len(by_row)))
        for r in rows.tolist():
            agent = SME(self, r)
            agent.unique_id = int(self.firms.uid[r])  # the firm's id, whenever it is made
            by_row[r] = agent

    def _remove_agents(self, rows: np.ndarray) -> None:
        by_row = self._agents_by_row
        if by_row is None:
            return
        for r in rows.tolist():
            by_row[r].remove()
            by_row[r] = None

    def partner_rows(self, row: int) -> list[int]:
        ids = self.firms.alliances[row]
        members = self.alliances.book.members[ids[ids >= 0]].ravel()
        return sorted({int(m) for m in members if m >= 0 and m != row})

    # ------------------------------------------------------------------ one month
    def step(self) -> None:
        """One month: shocks, policies, search, formation, contribution and trust, benefits and
        costs, production, credit, mutual aid, dissolution, innovation, exit and entry."""
        p, s, book = self.p, self.firms, self.policy
        self.month += 1
        t = self.month
        book.new_month()
        economy.advance_demand(self.demand_index, p, self.streams["economy"])

        # shocks and the policies that change firms before they act
        shock = shock_effects(self.shocks, t, s)
        self.last_shock = shock
        policies.platform_adoption(book, s, t, self.streams["policy"])
        policies.institution_building(book, s, t)

        # the month's table of type values and fixed costs are made on the second core
        # (simulation/side.py) while the month's context is set up and partners are searched for
        threaded = side.use(s.n)
        values_job = side.submit(threaded, _open_ledger_and_value_types, s, p,
                                 self.demand_index)
        bonus = np.zeros(5)
        if book.any_running("rd_grants", t):
            bonus[RD] = POLICY_VALUE_BONUS
        if book.any_running("procurement_access", t):
            bonus[BID] = POLICY_VALUE_BONUS
        month = Month(
            step=self.steps,
            coord_mult=region_array("coordination_mult")[s.region]
            * (1.0 + 0.1 * (3.0 - s.institutions)),
            formation=shock.formation,
            value_bonus=bonus,
            coord_subsidy=policies.subsidy_share(book, s, t),
        )
        self.last_month = month  # this month's context, for inspection and tests
        # the demand walk and the uniforms of innovation and exit depend on no alliance phase:
        # on the second core while alliances are formed, or in line
        independent = side.submit(threaded, _independent_draws, s, p, self.streams,
                                  self.demand_index, shock, values_job)

        # alliances: search, form, contribute, update trust, benefits and costs
        brokered = policies.trust_brokering(book, s, t, self.streams["policy"],
                                            p["max_alliances"])
        found = self.alliances.search(s, month, brokered)
        month.values, _sizes, month.fixed_cost = values_job.result()
        formed = self.alliances.form(s, month, found)
        self.alliances.contribute_and_update_trust(s, self.steps)
        effects = self.alliances.effects(s, month, shock.demand, shock.demand_hit)
        # this month's trust update on the second core, beside production (mutual aid reads it)
        self.alliances.start_trust(threaded)

        # public money tied to alliances, then production and profit
        subsidy = policies.coordination_subsidy(book, s, t, effects.coordination_cost)
        rd_grant, grant_boost = policies.research_grants(book, s, t, effects.rd_member)
        extra = (policies.public_contracts(book, s, t, self.alliances.largest_of_type(s, BID))
                 if book.any_running("procurement_access", t) else np.zeros(s.n))
        walk, development, exit_draws = independent.result()
        # element-wise from here: in two halves of the firm rows on large models (side.py),
        # or compiled (simulation/kernels.py) on this thread alone: the worker is busy with the
        # trust update then, which mutual aid waits for, and one compiled pass is short
        n = s.n
        compiled = kernels.use(n)
        side.halves(threaded and not compiled, n, lambda rows: economy.produce(
            side.Rows(s, rows, n), p, None, None, side.Rows(shock, rows, n),
            side.Rows(effects, rows, n), extra[rows], side.Rows(walk, rows, n), compiled))
        grants = subsidy + rd_grant
        s.capital += grants
        s.flow_grants += grants

        # credit (a crunch tightens it, a guarantee restores part), mutual aid, dissolution
        credit_mult = shock.credit
        if book.any_running("credit_guarantee", t):
            credit_mult = policies.credit_guarantee(book, s, t, credit_mult,
                                                    economy.credit_base(s, p))
        side.halves(threaded and not compiled, n, lambda rows: economy.update_credit(
            side.Rows(s, rows, n), p, credit_mult[rows], compiled))
        # which alliances end (after the trust update there), and innovation, which reads no
        # alliance: on the second core beside mutual aid
        dissolved_before = sum(self.alliances.dissolved.values())
        ending = side.submit(threaded, self.alliances.ending, self.steps)
        innovation_job = side.submit(threaded, economy.innovate, s, p,
                                     self.streams["innovation"], effects, grant_boost,
                                     development, compiled)
        self.alliances.mutual_aid(s, month.fixed_cost)
        self.alliances.dissolve(s, self.steps, ending)
        innovations = innovation_job.result()
        economy.gain_experience(s, compiled)  # while the second core keeps the dissolved partners

        # exit and entry
        gone, bankrupt = economy.exits(s, p, self.streams["entry"], exit_draws, compiled)
        self.alliances.remove_firms(s, gone, self.steps)
        self.alliances.memory_settled()  # exits and entry write the firms' memory of partners
        economy.forget_exited(s, gone, threaded)
        self._remove_agents(gone)
        k = economy.entrant_count(s, p, self.streams["entry"])
        new = populate(s, self.streams["entry"], k, p, step=self.steps, entrants=True)
        s.uid[new] = self._new_uids(new.size)
        s.credit_limit[new] = (economy.credit_base(s, p, new)
                               * credit_multiplier(self.shocks, t, s, new))
        self._add_agents(new)

        dissolved = sum(self.alliances.dissolved.values()) - dissolved_before
        self._collect(formed, dissolved, innovations, gone.size, bankrupt, k, shock)
        self.alliances.statics_settled()  # nothing runs on the second core between months
        if self.steps >= self.total_steps:
            self.running = False

    # ------------------------------------------------------------------ reporters
    def _collect(self, formed, dissolved, innovations, exits, bankrupt, entries, shock) -> None:
        started = time.perf_counter()
        s, a = self.firms, self.alliances
        threaded = side.use(s.n)
        # one pass over the whole trust tensor, on the second core beside the other reporters
        a.trust_settled()
        trust_job = side.submit(threaded, a.mean_trust)
        alive = s.alive
        n_alive = int(alive.sum())
        # the living firms' values (every row, in order, when no row is vacant: no gather)
        living = (lambda x: x) if n_alive == s.n else (lambda x: x[alive])
        revenue = living(s.revenue)
        total = float(revenue.sum())
        self._revenue_history.append(total)
        hist = self._revenue_history
        if len(hist) == hist.maxlen and hist[0] > 0:
            growth = (total / hist[0] - 1.0) * 100.0
        elif len(hist) > 1 and hist[0] > 0:
            growth = ((total / hist[0]) ** (12.0 / (len(hist) - 1)) - 1.0) * 100.0
        else:
            growth = 0.0
        book = a.book
        by_type = a.active_count_by_type()
        n_active = int(book.active.sum())
        every = self.p["structure_stats_every"]
        if self.steps % every == 0 or self.steps == 1 or self.steps >= self.total_steps:
            # the Gini sort on the second core, then the triangles (network_stats), beside the
            # edge list and the connected components here
            gini_job = side.submit(threaded, gini, revenue)
            self._structure_cache = (*network_stats(*a.edges(), alive, threaded),
                                     gini_job.result())
        density, trans, lcc, revenue_gini = self._structure_cache
        r = self.report
        r["month"] = self.month
        r["firms_alive"] = n_alive
        r["entries"] = entries
        r["exits"] = exits
        r["bankruptcies"] = bankrupt
        r["total_revenue"] = total
        r["mean_revenue"] = total / n_alive if n_alive else 0.0
        r["revenue_growth"] = float(growth)
        r["total_capital"] = float(living(s.capital).sum())
        r["credit_used"] = float(np.maximum(-living(s.capital), 0).sum())
        r["alliances_active"] = n_active
        for kind, count in zip(ALLIANCE_TYPES, by_type):
            r[f"alliances_{kind}"] = int(count)
        r["consortia_active"] = int((book.active & (book.n_members >= 3)).sum())
        r["formal_share"] = float(book.formal[book.active].mean()) if n_active else 0.0
        r["alliances_formed"] = formed
        r["alliances_dissolved"] = dissolved
        r["firms_in_alliances"] = float((living(s.n_alliances) > 0).mean()) if n_alive else 0.0
        r["mean_trust"] = trust_job.result()
        r["network_density"] = float(density)
        r["clustering"] = float(trans)
        r["largest_component_share"] = float(lcc)
        r["innovations"] = innovations
        r["policy_spend"] = self.policy.total
        for k, val in self.policy.spend.items():
            r[f"spend_{k}"] = val
        r["revenue_gini"] = revenue_gini
        r["mean_resilience"] = float(living(s.resilience).mean()) if n_alive else 0.0
        r["digital_share"] = float(living(s.digital).mean()) if n_alive else 0.0
        r["mean_institutions"] = float(living(s.institutions).mean()) if n_alive else 0.0
        r["shock_intensity"] = float(shock.intensity)
        if self.month >= 1:  # whole-run totals of the horizon (the burn-in not counted)
            for flow in TO_DATE_FLOWS:
                r[f"{flow}_to_date"] += r[flow]
        self.datacollector.collect(self)
        self.collect_seconds += time.perf_counter() - started

    def run(self, steps: int | None = None) -> None:
        """Run the burn-in and the horizon (or `steps` months)."""
        target = self.total_steps if steps is None else self.steps + steps
        while self.steps < target:
            self.step()
