"""Watch which firm fields and alliance-book fields each rule of a month really reads and
writes (for tests/test_rules.py). With the second core off every job runs in line, in order,
so each access can be put down to the rule running it: reads are noted as the rule asks the
firm state or the alliance book for a field, writes by comparing every field (and the
alliances' trust flags) before and after each stretch of work. Book fields are named
`book.<field>`, the flags `alliances.<flag>`."""

from __future__ import annotations

import contextlib
from collections import defaultdict

import numpy as np

from simulation import schedule
from simulation.alliances import effects as alliance_effects
from simulation.alliances.common import AllianceData
from simulation.alliances.dissolution import Dissolution
from simulation.alliances.memory import Memory
from simulation.rules import innovation
from simulation.schedule import MonthSchedule
from simulation.state import AllianceBook, FirmState

FIELDS = frozenset(FirmState.FIELDS)
BOOK_FIELDS = frozenset(AllianceBook.FIELDS)
FLAGS = ("trust_low", "trust_below_half")  # the alliances' trust flags (update_trust)
# functions handed to the worker: each is a rule of its own (simulation/rules/__init__.py)
JOBS = {"value_types": (schedule, "_open_ledger_and_value_types"),
        "independent_draws": (schedule, "_independent_draws"),
        "innovation": (innovation, "innovate"),
        "ending": (Dissolution, "ending"),
        "memory": (Memory, "_remember_pairs"),
        "statics": (AllianceData, "_statics"),
        "partner_diversity": (alliance_effects, "_partner_diversity")}


class _Recording:
    """A store (firm state, alliance book), noting each field asked for (read or written in
    place) under its name with `prefix`."""

    def __init__(self, state, watcher, fields=FIELDS, prefix=""):
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_watcher", watcher)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        if name in self._fields:
            self._watcher.touch(self._prefix + name)
        return getattr(self._state, name)

    def __setattr__(self, name, value):
        if name in self._fields:
            self._watcher.touch(self._prefix + name)
        setattr(self._state, name, value)


class Watcher:
    def __init__(self, state, alliances):
        self.state = state
        self.alliances = alliances
        self.stack: list[str] = []
        self.reads = defaultdict(set)
        self.writes = defaultdict(set)
        self.last = self._snapshot()

    def _snapshot(self):
        book = self.alliances.book
        book = getattr(book, "_state", book)
        return ({f: getattr(self.state, f).copy() for f in FIELDS}
                | {"book." + f: getattr(book, f).copy() for f in BOOK_FIELDS}
                | {"alliances." + f: getattr(self.alliances, f).copy() for f in FLAGS})

    def _account(self):
        now = self._snapshot()
        if self.stack:
            rule = self.stack[-1]
            for f in now:
                a, b = self.last[f], now[f]
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                    self.writes[rule].add(f)
        self.last = now

    def touch(self, name):
        if self.stack:
            self.reads[self.stack[-1]].add(name)

    @contextlib.contextmanager
    def rule(self, name):
        self._account()
        self.stack.append(name)
        try:
            yield
        finally:
            self._account()
            self.stack.pop()


def _wrapped(watcher, name, fn):
    def run(*args, **kwargs):
        with watcher.rule(name):
            return fn(*args, **kwargs)
    return run


def watch(model, months: int) -> dict[str, tuple[set, set]]:
    """Run `months` months of `model` (second core off) and return, per rule, the firm
    fields it read (asked for) and those it changed."""
    watcher = Watcher(model.firms, model.alliances)
    saved = []
    rules = [n for n in vars(MonthSchedule) if not n.startswith("_") and n != "close_month"]
    try:
        for name in rules:
            saved.append((MonthSchedule, name, vars(MonthSchedule)[name]))
            setattr(MonthSchedule, name, _wrapped(watcher, name, vars(MonthSchedule)[name]))
        for name, (owner, attr) in JOBS.items():
            original = vars(owner)[attr]
            saved.append((owner, attr, original))
            setattr(owner, attr, _wrapped(watcher, name, original))
        real, book = model.firms, model.alliances.book
        model.firms = _Recording(real, watcher)
        model.alliances.book = _Recording(book, watcher, BOOK_FIELDS, "book.")
        try:
            for _ in range(months):
                model.step()
        finally:
            model.firms, model.alliances.book = real, book
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)
    return {rule: (watcher.reads[rule], watcher.writes[rule])
            for rule in list(dict.fromkeys(rules + list(JOBS)))}
