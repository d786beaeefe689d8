"""SMEEcosystem: the Mesa model. One step is one month; `step()` reads top to bottom."""

from __future__ import annotations

import time
from collections import deque
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from . import allocator, kernels, policies, side
from .agents import SME
from .alliances import ALLIANCE_TYPES, Alliances
from .errors import ParameterError
from .metrics import REPORTERS, TO_DATE_FLOWS, gini, network_stats
from .params import PARAMS, defaults, suggest, validate
from .population import populate
from .rules import credit, demand
from .scenario import Scenario, apply_settings, load_scenario
from .schedule import MonthSchedule
from .shocks import random_shocks
from .state import FirmState
from .streams import seed_streams


def _report(model: SMEEcosystem, key: str):
    return model.report[key]


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

        self.streams, self.row_seeds = seed_streams(self.rng)

        self.firms = FirmState(capacity=int(p["n_firms"] * 1.25) + 16)
        populate(self.firms, self.streams["population"], p["n_firms"], p, step=0)
        self.alliances = Alliances(p, self.streams["alliances"], side.Cores())
        self.policy = policies.PolicyBook(spec.policies if spec else [],
                                          p["policy_scale"] * p["n_firms"] / 1000.0)
        self.shocks = (list(spec.shocks) if spec else []) + random_shocks(
            self.streams["shocks"], p["random_shock_rate"], p["random_shock_depth"],
            p["months"], p["burn_in"],
        )
        self.demand_index = demand.new_demand_index()
        self.month = -p["burn_in"]  # month 1 is the first month of the horizon
        self.total_steps = p["burn_in"] + p["months"]
        self._revenue_history: deque = deque(maxlen=13)
        # (density, clustering, largest component, revenue Gini), refreshed every k months
        self._structure_cache = (0.0, 0.0, 0.0, 0.0)
        self.last_shock = None
        self.collect_seconds = 0.0  # time spent computing reporters (for the benchmark)

        # initial credit lines (no crunch at the start)
        credit.update_credit(self.firms, p, np.ones(self.firms.n))

        # SME agent objects are made on first use of model.agents (see `agents`), then kept
        # in step with entries and exits; until then firms are identified by `uid` alone.
        self._agents_by_row: list[SME | None] | None = None
        self._next_uid = 1
        self.firms.uid[:] = self._new_uids(self.firms.n)


        self.report: dict[str, float] = dict.fromkeys(REPORTERS, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={k: partial(_report, key=k) for k in REPORTERS}
        )
        self.schedule = MonthSchedule(self)
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
        """One month: the rules in the ODD's order (docs/ODD.md §3). Where each runs, on this
        core or the second, whole or in slices, is MonthSchedule's business
        (simulation/schedule.py); the numbers are the same either way."""
        month_of = self.schedule
        t = month_of.open_month()
        shock = month_of.shocks(t)
        month_of.policies_before_firms_act(t)
        month = month_of.month_context(t, shock)

        brokered = month_of.introductions(t)
        found = month_of.search(month, brokered)
        formed = month_of.form(month, found)
        month_of.contribute()
        month_of.update_reputation()
        effects = month_of.effects(month, shock)
        month_of.update_trust()
        grants, grant_boost, extra = month_of.public_money(t, effects)

        month_of.produce(shock, effects, extra, grants)
        month_of.grow_markets(effects)
        month_of.credit(t, shock)
        month_of.mutual_aid(month, effects, grant_boost)
        month_of.squeeze()
        dissolved = month_of.dissolve()
        innovations = month_of.innovate()

        gone, bankrupt, broken = month_of.exits()
        entries = month_of.entry(t)
        month_of.rate_resilience()

        self._collect(formed, dissolved + broken, innovations, gone.size, bankrupt, entries,
                      shock)
        month_of.close_month()
        if self.steps >= self.total_steps:
            self.running = False

    # ------------------------------------------------------------------ reporters
    def _collect(self, formed, dissolved, innovations, exits, bankrupt, entries, shock) -> None:
        started = time.perf_counter()
        s, a = self.firms, self.alliances
        threaded = side.use(s.n)
        # one pass over the whole trust tensor, on the second core beside the other reporters
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
