"""Structure-of-arrays storage for firms and alliances.

`ArrayStore` keeps one numpy buffer per field with spare capacity, and exposes
each field as an attribute that is a view of the rows in use. Adding rows
(entrants, new alliances) is amortised O(1) per row; no field is ever copied
row by row in Python.
"""

from __future__ import annotations

import numpy as np

N_CAPABILITIES = 4  # dimensions of the capability vector
MAX_ALLIANCE_SLOTS = 5  # registry upper bound of max_alliances
MEMORY_SLOTS = 4  # prior partners a firm remembers (with the trust it ended on)
MAX_MEMBERS = 4  # largest consortium


def take_rows(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """x[index] for an integer index (any shape) into the first axis of a field whose rows
    hold several values: the same values, by np.take, which copies whole rows. numpy's fancy
    indexing goes value by value there and is several times slower (1.5M random rows of four
    float32: 80 against 15 ms; (300k x 5) rows of four int32: 44 against 8 ms). A boolean
    mask is refused: np.take would read it as the rows 0 and 1."""
    if index.dtype.kind == "b":
        raise TypeError("take_rows: a boolean mask is not a row index (use x[mask])")
    return np.take(x, index, axis=0)


class ArrayStore:
    """Growable structure of arrays. Subclasses declare FIELDS: name -> (dtype, shape, fill)."""

    FIELDS: dict[str, tuple[np.dtype, tuple[int, ...], object]] = {}

    def __init__(self, capacity: int = 16):
        self.n = 0
        self._capacity = max(int(capacity), 16)
        self._buf = {
            name: np.full((self._capacity, *shape), fill, dtype=dtype)
            for name, (dtype, shape, fill) in self.FIELDS.items()
        }
        self._refresh()

    def _refresh(self) -> None:
        for name, buf in self._buf.items():
            setattr(self, name, buf[: self.n])

    def __getstate__(self):
        # the fields are views of the buffers: pickle the buffers, make the views again on
        # loading (a pickled view would come back as a copy, and later writes would miss it)
        return {k: v for k, v in self.__dict__.items() if k not in self.FIELDS}

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._refresh()

    def add(self, k: int) -> slice:
        """Append k rows filled with each field's default; return their slice."""
        need = self.n + k
        if need > self._capacity:
            cap = max(need, int(self._capacity * 1.5) + 16)
            for name, (dtype, shape, fill) in self.FIELDS.items():
                new = np.full((cap, *shape), fill, dtype=dtype)
                new[: self.n] = self._buf[name][: self.n]
                self._buf[name] = new
            self._capacity = cap
        start = self.n
        self.n = need
        self._refresh()
        return slice(start, need)

    def free_rows(self) -> np.ndarray:
        """Rows that may be reused (subclasses say which)."""
        return np.zeros(0, dtype=np.int64)

    def new_rows(self, k: int, written: frozenset[str] = frozenset()) -> np.ndarray:
        """Row ids for k new entries: free rows first, reset to defaults, then appended ones
        (which hold the defaults already). `written`: fields the caller sets for every new
        row at once, which are not reset (each is a scattered write over a large array)."""
        free = self.free_rows()[:k]
        self.reset_rows(free, skip=written)
        if free.size < k:
            extra = self.add(k - free.size)
            free = np.concatenate([free, np.arange(extra.start, extra.stop)])
        return free

    def reset_rows(self, rows: np.ndarray, skip: frozenset[str] = frozenset()) -> None:
        """Set the given rows back to every field's default (for reuse), but the fields in
        `skip`."""
        for name, (_dtype, _shape, fill) in self.FIELDS.items():
            if name not in skip:
                getattr(self, name)[rows] = fill

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self._buf.values())


f8, f4, i4, i2, i1, b1 = (np.dtype(t) for t in ("f8", "f4", "i4", "i2", "i1", "?"))


class FirmState(ArrayStore):
    """All firm state, one row per firm. An exited firm's row (alive=False) is reused by a
    later entrant, so the arrays stay about as long as the living population; `uid`
    tells firms apart across reuse."""

    FIELDS = {
        # identity and structure
        "alive": (b1, (), False),
        "uid": (np.dtype("i8"), (), -1),  # the firm's Mesa unique_id
        "born": (i4, (), 0),  # model step of birth
        "region": (i1, (), 0),
        "sector": (i1, (), 0),
        "size_class": (i1, (), 0),
        "market": (i2, (), 0),  # sector x countries + country: index into the demand index
        "revenue_per_employee": (f4, (), 10.0),  # thousand/month, by sector and country
        "employees": (f4, (), 1.0),
        "key": (f8, (), 0.0),  # uniform draw fixing membership of shock scopes
        # economy
        "scale": (f8, (), 1.0),  # capacity: monthly revenue it is built for, at demand index 1
        "level": (f8, (), 1.0),  # firm-specific demand relative to capacity (random walk)
        "revenue": (f8, (), 0.0),
        "revenue_prev": (f8, (), 0.0),
        "trend": (f8, (), 0.0),  # 12-month EMA of revenue (pre-shock trend)
        "var_cost_ratio": (f8, (), 0.8),
        "fixed_cost_ratio": (f8, (), 0.1),
        "logistics_share": (f4, (), 0.1),
        "infra_share": (f4, (), 0.2),
        "rd_share": (f4, (), 0.1),
        "export_share": (f4, (), 0.1),
        "contract_share": (f4, (), 0.2),
        "capital": (f8, (), 0.0),
        "credit_limit": (f8, (), 0.0),
        # capabilities and behaviour
        "capability": (f4, (N_CAPABILITIES,), 0.0),
        "absorptive": (f4, (), 0.3),
        "trustworthiness": (f4, (), 0.75),
        "trust_propensity": (f4, (), 0.5),
        "reputation": (f4, (), 0.5),
        "digital": (b1, (), False),
        "institutions": (f4, (), 3.0),  # perceived institutional context, 0-5
        "age": (i4, (), 0),
        "innovations": (i4, (), 0),  # cumulative
        "innovation_progress": (f4, (), 0.0),  # share of the next innovation developed, 0-1
        "alliance_months": (i4, (), 0),  # months spent in at least one alliance
        "need": (f4, (), 0.0),  # last month's pressure to collaborate, 0-1
        # alliances
        "alliances": (i4, (MAX_ALLIANCE_SLOTS,), -1),  # alliance ids, -1 = free slot
        "n_alliances": (i1, (), 0),
        "memory_partner": (i4, (MEMORY_SLOTS,), -1),
        "memory_trust": (f4, (MEMORY_SLOTS,), 0.0),
        "memory_next": (i1, (), 0),
        # resilience episode tracking
        "episode_depth": (f4, (), 0.0),
        "episode_months": (i2, (), 0),
        "last_depth": (f4, (), 0.0),
        "last_recovery": (f4, (), 0.0),
        "resilience": (f4, (), 3.0),  # firm resilience score 1-5
        "support": (f8, (), 0.0),  # what partners would give it in distress (mutual aid)
        # this month's ledger (capital change = profit + aid + grants - investment)
        "flow_profit": (f8, (), 0.0),
        "flow_aid": (f8, (), 0.0),
        "flow_grants": (f8, (), 0.0),
        "flow_invest": (f8, (), 0.0),
    }


    def free_rows(self) -> np.ndarray:
        return np.flatnonzero(~self.alive)  # exited firms' rows


class AllianceBook(ArrayStore):
    """All alliances. Inactive rows are reused by new alliances."""

    FIELDS = {
        "active": (b1, (), False),
        "kind": (i1, (), 0),
        "members": (i4, (MAX_MEMBERS,), -1),
        "n_members": (i1, (), 0),
        "start": (i4, (), 0),
        "end": (i4, (), 0),  # step at which the term (or informal review) ends
        "formal": (b1, (), False),
        "loss_months": (i2, (), 0),
        # trust[a, i, j]: member slot i's trust in member slot j (asymmetric)
        "trust": (f4, (MAX_MEMBERS, MAX_MEMBERS), 0.0),
        "shirked": (b1, (MAX_MEMBERS,), False),
        "detected": (b1, (MAX_MEMBERS,), False),
        "effectiveness": (f4, (), 1.0),
        # per member slot, fixed while membership is: capability distance to the
        # alliance mean (partner diversity) and share of partners in another sector
        "diversity": (f4, (MAX_MEMBERS,), 0.0),
        "other_sector": (f4, (MAX_MEMBERS,), 0.0),
        "net_benefit": (f8, (), 0.0),
    }

    def free_rows(self) -> np.ndarray:
        return np.flatnonzero(~self.active)  # dissolved alliances' rows
