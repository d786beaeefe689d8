"""The alliance book: partner search, formation, contribution, trust, benefits,
dissolution and mutual aid. Every phase is an array operation over all firms
or all alliances; the only Python loops run over a handful of member slots or
alliance types, never over firms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import kernels, side
from .params import COUNTRIES
from .sizes import sizes_of
from .state import MAX_MEMBERS, MEMORY_SLOTS, AllianceBook, FirmState, take_rows

ALLIANCE_TYPES = (
    "supply_chain",
    "co_marketing",
    "joint_bid",
    "rd_consortium",
    "shared_infrastructure",
)
SUPPLY, MARKETING, BID, RD, INFRA = range(5)
CONSORTIUM_TYPES = np.array([BID, RD, INFRA])
# by alliance type (kind): may take in more firms; the bias of formal contracts. Tables, not
# np.isin, which costs about 20 us a call in a month of a few milliseconds at 2,000 firms
_GROWS = np.isin(np.arange(len(ALLIANCE_TYPES)), CONSORTIUM_TYPES)
_FORMAL_BIAS = np.where(np.isin(np.arange(len(ALLIANCE_TYPES)), [BID, RD]), 1.3, 1.0)
# every ordered pair of member slots (s, t), s != t, s major: who remembers whom (_remember_pairs)
_SLOT_PAIRS = tuple(np.array(x) for x in zip(*[(s, t) for s in range(MAX_MEMBERS)
                                               for t in range(MAX_MEMBERS) if s != t]))
INFORMAL_REVIEW = 12  # months between reviews of an informal alliance
DISSOLUTION_REASONS = ("low_trust", "sustained_loss", "term_end", "member_exit")
# the book's fields form() sets for every new alliance (the others start from their defaults)
_FORMED = frozenset(("active", "kind", "members", "n_members", "start", "end", "formal", "trust"))
# sort keys of (value, position) pairs: the position in the low bits (_remember)
_POSITION_BITS = 32
_POSITION_MASK = (1 << _POSITION_BITS) - 1


# detection of shirking: p = detection_prob x (base + per_institution x mean institutions of
# the members) + formal_share x formal (read by contribution and by kernels.contribute, which
# takes them as an argument so that its cache never holds old values)
DETECTION = (np.float32(0.6), np.float32(0.16), np.float32(0.2))

@dataclass
class Month:
    """What the alliance phases need to know about the current month."""

    step: int
    coord_mult: np.ndarray  # per-firm coordination / transaction cost multiplier
    formation: np.ndarray  # per-firm shock multiplier on search and acceptance
    value_bonus: np.ndarray  # per-type extra value share from running policies (5,)
    coord_subsidy: np.ndarray  # per-firm share of coordination cost a programme pays
    # (5, firms): type_value_table of every firm row (no bonus), computed once a month before
    # formation (the fields it reads do not change between formation and effects)
    values: np.ndarray | None = None
    # monthly fixed cost per firm (thousand), at the month's demand before the walk; made
    # with the type values (search does not read it)
    fixed_cost: np.ndarray | None = None
    # firms with room for another alliance when partners were searched for (set by search;
    # nothing changes it before formation's consortia, which draw from it)
    pool: np.ndarray | None = None


@dataclass
class Effects:
    """Per-firm effects of the alliances a firm belongs to, this month."""

    logistics_cut: np.ndarray
    price_premium: np.ndarray
    contract_boost: np.ndarray
    rd_speedup: np.ndarray
    infra_cut: np.ndarray
    demand: np.ndarray  # demand shock multiplier after diversification through partners
    # the mean capability diversity of the firm's alliances: read by innovation alone, so
    # effects() sums it on the second core and leaves a function here that waits for it,
    # called where it is first read
    _partner_diversity: np.ndarray | Callable[[], np.ndarray]
    in_supply_chain: np.ndarray
    coordination_cost: np.ndarray  # cost actually owed (shirkers skip theirs)
    rd_member: np.ndarray

    @property
    def partner_diversity(self) -> np.ndarray:
        if callable(self._partner_diversity):
            self._partner_diversity = self._partner_diversity()
        return self._partner_diversity


def _value_supply(state, f, p):
    return p["supply_chain_logistics_cut"] * state.logistics_share[f] * state.var_cost_ratio[f]


def _value_marketing(state, f, p):
    return p["co_marketing_price_premium"] * state.export_share[f].astype(np.float64)


def _value_bid(state, f, p):
    margin = np.maximum(1.0 - state.var_cost_ratio[f], 0.05)
    return p["joint_bid_contract_boost"] * state.contract_share[f] * margin


def _value_rd(state, f, p):
    # shared labs and prototypes cut R&D cost; faster innovation is worth ~3 years of gain
    cut = min(p["rd_time_cut"], 0.9)
    return cut * state.rd_share[f] * state.fixed_cost_ratio[f] + (cut / (1 - cut)) * p[
        "innovation_rate"] * p["innovation_productivity_gain"] * state.var_cost_ratio[f] * 36.0


def _value_infra(state, f, p):
    return p["infra_cost_cut"] * state.infra_share[f] * state.fixed_cost_ratio[f]


_TYPE_VALUE = (_value_supply, _value_marketing, _value_bid, _value_rd, _value_infra)


def type_value_table(state: FirmState, f, p: dict, reach: np.ndarray | None = None
                     ) -> np.ndarray:
    """Monthly value of each alliance type to firms f, as a share of their revenue.

    Inputs: firm rows f (an index array, or slice(None) for every row), registry values p,
    and the firms' reach (sizes.alliance_reach) if it is known already.
    Output: array (5, firms), row k the gain from type k at full participation, within the
    firm's reach. Type-major, so that a gather by type reads one row.
    """
    if reach is None:
        reach = sizes_of(state.trend[f], p)[1]
    out = np.empty((len(ALLIANCE_TYPES), reach.size))
    if isinstance(f, slice) and f == slice(None) and kernels.use(reach.size):  # one pass
        cut, f32 = min(p["rd_time_cut"], 0.9), np.float32
        kernels.compiled(kernels.value_table)(
            out, reach, state.logistics_share, state.var_cost_ratio, state.export_share,
            state.contract_share, state.rd_share, state.fixed_cost_ratio, state.infra_share,
            f32(p["supply_chain_logistics_cut"]), float(p["co_marketing_price_premium"]),
            f32(p["joint_bid_contract_boost"]), f32(cut),
            (cut / (1 - cut)) * p["innovation_rate"] * p["innovation_productivity_gain"],
            f32(p["infra_cost_cut"]))
        return out
    for k, value in enumerate(_TYPE_VALUE):
        np.multiply(value(state, f, p), reach, out=out[k])
    return out


def complementarity(state: FirmState, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """How much two firms' capabilities differ, in [0, 1]."""
    gap = np.abs(take_rows(state.capability, i) - take_rows(state.capability, j))
    return np.clip(_sum_last(gap) / gap.shape[1] * 2.5, 0, 1)  # the mean gap


def _pair_patterns():
    """For each occupancy code (bit k set: member slot k is taken): the partner-pair cells
    4 s + t (s != t, both taken), in order, as one flat table, each code's start in it and
    each code's count."""
    codes = 1 << MAX_MEMBERS
    table, start, count = [], np.zeros(codes, dtype=np.int64), np.zeros(codes, dtype=np.int64)
    for code in range(codes):
        taken = [k for k in range(MAX_MEMBERS) if code >> k & 1]
        entries = [MAX_MEMBERS * s + t for s in taken for t in taken if s != t]
        start[code], count[code] = len(table), len(entries)
        table += entries
    return np.array(table, dtype=np.int64), start, count


_CELLS = _pair_patterns()
# one unsigned word holds a row's MAX_MEMBERS "slot taken" flags (gathered as one element);
# flat indices of (alliances x members) arrays split into row and slot by shift and mask
_ROW_WORD = np.dtype(f"u{MAX_MEMBERS}")
_SLOT_BITS = MAX_MEMBERS.bit_length() - 1
assert 1 << _SLOT_BITS == MAX_MEMBERS, "member slots: a power of two"


def _occupancy(members: np.ndarray) -> np.ndarray:
    """Occupancy code of each alliance row: bit k set when member slot k is taken."""
    taken = (members >= 0).view(np.uint8)
    code = taken[:, 0].copy()
    for k in range(1, MAX_MEMBERS):
        code |= taken[:, k] << k
    return code


# (members - 1)^0.7 for 0..MAX_MEMBERS members: coordination cost grows with group size
_GROUP_COST = np.maximum(np.arange(MAX_MEMBERS + 1) - 1.0, 0.0) ** 0.7


def _row_sum(x: np.ndarray) -> np.ndarray:
    """Sum of each row of a short 2-D array (column by column)."""
    out = x[:, 0].astype(np.float32)
    for k in range(1, x.shape[1]):
        out += x[:, k]
    return out


# Reductions along a short axis (member slots, memory slots, alliance types: 2-5 entries),
# one pass per entry. numpy reduces a short axis with one inner-loop call per row, 1-2 ms
# per 100,000 rows; these add in the same left-to-right order, so they give bit-identical
# results to .sum, .any, .argmax and np.cumsum along that axis (tests/test_equivalence.py)
# for float sums of 1 to 7 entries: from 8 entries numpy sums in pairs (SHORT_AXIS_MAX).
SHORT_AXIS_MAX = 7


def _short(x: np.ndarray, axis: int) -> None:
    assert 1 <= x.shape[axis] <= SHORT_AXIS_MAX and x.dtype.kind == "f", (x.shape, x.dtype)


def _sum_last(x: np.ndarray) -> np.ndarray:
    """x.sum(axis=-1) of a float array, in its dtype."""
    _short(x, -1)
    out = x[..., 0] + 0.0  # numpy's sum starts from +0.0: a row of -0.0 sums to +0.0
    for k in range(1, x.shape[-1]):
        out += x[..., k]
    return out


def _sum_axis1(x: np.ndarray) -> np.ndarray:
    """x.sum(axis=1) of a 3-D float array."""
    _short(x, 1)
    out = x[:, 0] + 0.0
    for k in range(1, x.shape[1]):
        out += x[:, k]
    return out


def _count_last(mask: np.ndarray) -> np.ndarray:
    """mask.sum(axis=-1) of a boolean array, as int64."""
    out = mask[..., 0].astype(np.int64)
    for k in range(1, mask.shape[-1]):
        out += mask[..., k]
    return out


def _any_last(mask: np.ndarray) -> np.ndarray:
    """mask.any(axis=-1)."""
    out = mask[..., 0].copy()
    for k in range(1, mask.shape[-1]):
        out |= mask[..., k]
    return out


def _argmax_last(x: np.ndarray) -> np.ndarray:
    """np.argmax(x, axis=-1) of a 2-D array without NaN: the first maximum of each row (for
    a boolean array, the first True, or 0 if none)."""
    best = x[:, 0]
    idx = np.zeros(x.shape[0], dtype=np.intp)
    for k in range(1, x.shape[1]):
        col = x[:, k]
        better = col > best
        idx[better] = k
        best = np.where(better, col, best)
    return idx


def _cumsum_last(x: np.ndarray) -> np.ndarray:
    """np.cumsum(x, axis=1) of a 2-D float array."""
    assert x.dtype.kind == "f" and x.shape[1] >= 1, (x.shape, x.dtype)
    out = np.empty_like(x)
    out[:, 0] = x[:, 0]
    for k in range(1, x.shape[1]):
        np.add(out[:, k - 1], x[:, k], out=out[:, k])
    return out


def _uniforms(rng: np.random.Generator, shape: tuple, count: int) -> list[np.ndarray]:
    """`count` arrays of float32 uniforms of `shape`, drawn one after the other."""
    return [rng.random(shape, dtype=np.float32) for _ in range(count)]


def _first_occurrence(values: np.ndarray, bound: int) -> np.ndarray:
    """True at the first occurrence of each value in `values` (integers in [0, bound)): the
    mask np.unique(values, return_index=True) gives, from one scatter of the lowest position
    per value instead of a sort (compiled where the kernels run: np.minimum.at is slow and
    keeps Python's lock)."""
    if kernels.use(bound):
        return kernels.compiled(kernels.first_occurrence)(values, bound)
    position = np.arange(values.size)
    first = np.full(bound, values.size, dtype=np.intp)
    np.minimum.at(first, values, position)
    return first[values] == position


def _hand_over(jobs: list) -> None:
    """Hand the jobs not handed over yet (partials) to the second core, in order."""
    for k, job in enumerate(jobs):
        if isinstance(job, partial):
            jobs[k] = side.submit(True, job)


def _settle(jobs: list) -> None:
    """Run or wait for each job in order (a partial not handed over runs here; a Future is
    waited for), each one even if one before it failed; then raise the first error."""
    failed = None
    for job in jobs:
        try:
            job() if isinstance(job, partial) else job.result()
        except BaseException as error:  # noqa: BLE001  (raised below, after the rest)
            failed = failed or error
    if failed is not None:
        raise failed


def _update_reputation(state: FirmState, f: np.ndarray, detected: np.ndarray) -> None:
    """Reputation moves 10 % towards the share of the firm's memberships (f) in which it was
    not caught shirking this month (`detected`, per membership)."""
    if kernels.use(state.n):  # compiled: the same results
        kernels.compiled(kernels.update_reputation)(state.reputation, state.n_alliances, f,
                                                    detected)
        return
    # n_alliances = np.bincount(f): the firm's memberships of active alliances; the few
    # detected shirkers are counted apart rather than summing a weight per membership
    cnt = state.n_alliances.astype(np.int64)
    share = (cnt - np.bincount(f[detected], minlength=state.n)) / np.maximum(cnt, 1)
    state.reputation += (np.float32(0.1) * (share - state.reputation) * (cnt > 0)).astype(
        np.float32)


def _partner_diversity(diversity: np.ndarray, ms: np.ndarray, f: np.ndarray,
                       n_alliances: np.ndarray) -> np.ndarray:
    """Per firm: the mean capability diversity of its alliances, from the (alliances x members)
    diversity of each membership (flat index ms, firm f; n_alliances = np.bincount(f))."""
    return (kernels.bincount(f, diversity.reshape(-1).take(ms), n_alliances.size)
            / np.maximum(n_alliances, 1))


class Alliances:
    """The alliance book and the monthly alliance phases."""

    def __init__(self, params: dict, rng: np.random.Generator):
        self.p = params
        self.rng = rng
        self.book = AllianceBook()
        self.formed = 0
        self.dissolved = dict.fromkeys(DISSOLUTION_REASONS, 0)
        self.ended_early = 0  # dissolved before the end of their term (cumulative)
        self.ended_total = 0
        self._slots = None  # cached (alliance, slot, firm) of all memberships
        self._cells = None  # cached partner-pair cells of the trust tensor (pair_cells)
        self._code = None  # cached occupancy code of every alliance row (_occupancy)
        # per alliance, after this month's trust update: some member's trust in a partner is
        # below the break threshold / below the renewal level (0.5)
        self.trust_low = self.trust_below_half = np.zeros(0, dtype=bool)
        self.aid_paid = self.aid_received = 0.0  # this month's mutual aid, both sides
        self._memory_jobs: list = []  # the memory of partners being written (start_memory)
        self._statics_job = None  # formation's statics of the new alliances (statics_settled)
        self._trust_jobs: list = []  # this month's trust and reputation updates (trust_settled)

    # ------------------------------------------------------------------ helpers
    def member_slots(self):
        """(alliance, slot, firm) of every valid member slot of active alliances, grouped by
        alliance type, then by alliance and slot.

        Cached until membership changes (formation, dissolution, exits).
        """
        if self._slots is None and kernels.use(self.book.n):  # one compiled pass
            a, s, self._slot_index, firm, self._type_bounds = kernels.compiled(
                kernels.member_slots)(self.book.kind, self.book.members, len(ALLIANCE_TYPES))
            self._slots = (a, s, firm)
        if self._slots is None:
            b = self.book
            # alliances in type order (inactive rows hold no members), each one's taken slots
            # in slot order: the flat index of the gathered (rows x slots) flags is
            # MAX_MEMBERS x (position in `order`) + slot
            order = np.argsort(b.kind, kind="stable")
            taken = (b.members >= 0).view(_ROW_WORD).reshape(-1)
            flat = np.flatnonzero(taken[order].view(np.bool_))
            position = flat >> _SLOT_BITS  # of the alliance in `order`, ascending
            a, s = order[position], flat & (MAX_MEMBERS - 1)
            self._slot_index = a * MAX_MEMBERS + s
            # the firms as intp: an index of int32 is converted again by every gather,
            # scatter and bincount that uses it (about 40 % more time each at 100,000 firms)
            firm = b.members.reshape(-1).take(self._slot_index).astype(np.intp)
            self._slots = (a, s, firm)
            # each type's rows are a run of `order`: its memberships, a run of positions
            rows_before = np.zeros(len(ALLIANCE_TYPES) + 1, dtype=np.int64)
            np.cumsum(np.bincount(b.kind, minlength=len(ALLIANCE_TYPES)), out=rows_before[1:])
            self._type_bounds = np.searchsorted(position, rows_before)
        return self._slots

    def slot_index(self) -> np.ndarray:
        """4 a + s of every membership of member_slots(): its index into the flattened
        (alliances x members) arrays (a 1-D gather is several times faster than [a, s])."""
        self.member_slots()
        return self._slot_index

    def type_slices(self) -> list[slice]:
        """For each alliance type, the slice of member_slots() holding its memberships."""
        self.member_slots()
        tb = self._type_bounds
        return [slice(int(tb[k]), int(tb[k + 1])) for k in range(len(ALLIANCE_TYPES))]

    def pair_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every partner pair of active alliances: (cell, alliance, target).

        `cell` = a * 16 + 4 s + t indexes `book.trust.reshape(-1)` (slot s's trust in slot t,
        s != t, both members), each once, grouped by occupancy (no use depends on the order);
        `target` = 4 a + t indexes the (alliances x members) arrays of the trusted member.
        About 2.3 cells an alliance instead of 16 (most alliances are bilateral). Cached until
        membership changes.
        """
        if self._cells is None:
            # the alliances of each occupancy code together, each code's cells from its pattern
            code = self._occupancy_code()
            table, start, count = _CELLS
            order = np.argsort(code, kind="stable")
            bounds = np.searchsorted(code[order], np.arange(count.size + 1))
            cells = np.concatenate([np.zeros(0, dtype=np.int64)] + [
                (order[bounds[c]:bounds[c + 1], None] * (MAX_MEMBERS * MAX_MEMBERS)
                 + table[start[c]:start[c] + count[c]]).reshape(-1)
                for c in range(count.size) if count[c] and bounds[c] < bounds[c + 1]])
            alliance = cells >> 2 * _SLOT_BITS
            target = (alliance << _SLOT_BITS) | (cells & (MAX_MEMBERS - 1))
            self._cells = (cells, alliance, target)
        return self._cells

    def _trust_flags(self, values: np.ndarray, alliance: np.ndarray):
        """Per alliance: is any partner-pair trust below the break threshold, below 0.5?

        `values` are the trust of the pair cells, `alliance` their alliances (pair_cells()).
        """
        flags = []
        for level in (self.p["trust_break_threshold"], 0.5):
            flag = np.zeros(self.book.n, dtype=bool)
            flag[alliance[values < np.float32(level)]] = True
            flags.append(flag)
        return flags[0], flags[1]

    def _occupancy_code(self) -> np.ndarray:
        """Occupancy code of every alliance row, shared by member_slots() and pair_cells()."""
        if self._code is None:
            self._code = _occupancy(self.book.members)
        return self._code

    def _forget_membership(self) -> None:
        """Drop the caches that depend on who is a member of which alliance."""
        self._slots = None
        self._cells = None
        self._code = None

    def _membership_changed(self, ids: np.ndarray, state: FirmState) -> None:
        """Recompute per-membership statics of alliances `ids` (on the second core, like
        formation's: from their members now, whose firm rows entry does not reuse); drop the
        membership caches."""
        self.statics_settled()  # in order after formation's
        self._forget_membership()
        if ids.size:
            self._statics_job = side.submit(side.use(state.n), self._statics, ids,
                                            take_rows(self.book.members, ids), state)

    def statics_settled(self) -> None:
        """The statics of new alliances (form) and of those that members left (exits) are
        written: called before the statics are read (effects) or written again (formation,
        exits), and at the end of the month."""
        job, self._statics_job = self._statics_job, None
        if job is not None:
            job.result()

    def _statics(self, ids: np.ndarray, mem: np.ndarray, state: FirmState) -> None:
        """Each member's capability distance to the mean of alliance (partner diversity) and
        its share of partners in another sector, for alliances `ids` with members `mem`."""
        b = self.book
        valid = mem >= 0
        safe = np.maximum(mem, 0)
        cap = take_rows(state.capability, safe)
        mean = _sum_axis1(cap * valid[:, :, None]) / np.maximum(_count_last(valid), 1)[:, None]
        spread = _sum_last(np.abs(cap - mean[:, None, :])) / cap.shape[2] * 4.0
        b.diversity[ids] = np.where(valid, np.clip(spread, 0, 1), 0.0)
        sec = state.sector[safe]
        differs = valid[:, :, None] & valid[:, None, :] & (sec[:, :, None] != sec[:, None, :])
        b.other_sector[ids] = _count_last(differs) / np.maximum(_count_last(valid) - 1, 1)[:, None]

    def active_count_by_type(self) -> np.ndarray:
        b = self.book
        # a count per type (a quarter of the time of np.bincount(b.kind[b.active]))
        return np.array([np.count_nonzero(b.active & (b.kind == k))
                         for k in range(len(ALLIANCE_TYPES))], dtype=np.int64)

    def largest_of_type(self, state: FirmState, kind: int) -> np.ndarray:
        """Per firm, the size of its largest active alliance of this type (0 if none)."""
        a, _s, f = self.member_slots()
        sel = self.book.kind[a] == kind
        out = np.zeros(state.n, dtype=np.int64)
        np.maximum.at(out, f[sel], self.book.n_members[a[sel]].astype(np.int64))
        return out

    def partners_of(self, state: FirmState, f: np.ndarray, q: np.ndarray) -> np.ndarray:
        """True where firm q is already an alliance partner of firm f."""
        if self.book.n == 0:
            return np.zeros(f.size, dtype=bool)
        ids = take_rows(state.alliances, f)  # (m, slots)
        members = take_rows(self.book.members, np.maximum(ids, 0))  # (m, slots, MAX_MEMBERS)
        hit = (members == q[:, None, None]) & (ids[:, :, None] >= 0)
        return _any_last(hit.reshape(f.size, ids.shape[1] * MAX_MEMBERS))

    def _remember(self, state: FirmState, f: np.ndarray, partner: np.ndarray, trust: np.ndarray):
        """Write (partner, trust) into each firm's memory of prior partners.

        A partner already remembered is updated; a new one takes the oldest slot.
        Firms that occur several times are written in rounds, so no write is lost.
        """
        if f.size == 0:
            return
        if kernels.use(state.n):  # each write in turn, compiled
            kernels.compiled(kernels.remember)(
                state.memory_partner, state.memory_trust, state.memory_next,
                f.astype(np.intp, copy=False), partner.astype(np.intp, copy=False),
                trust.astype(state.memory_trust.dtype, copy=False))
            return
        # the writes in firm order, each firm's in the order given (the position in the low
        # bits makes every key unique: numpy's plain sort of them is several times faster than
        # a stable argsort of the firms)
        position = np.arange(f.size, dtype=np.int64)
        key = np.sort((f.astype(np.int64) << _POSITION_BITS) | position)
        f, order = key >> _POSITION_BITS, key & _POSITION_MASK
        first = np.r_[True, f[1:] != f[:-1]]
        start = np.maximum.accumulate(np.where(first, position, 0))
        rank = position - start  # the firm's how-manieth write this is
        # round r writes each firm's r-th pair: the rounds in turn, each a run of the writes
        key = np.sort((rank << _POSITION_BITS) | position)
        by_round = key & _POSITION_MASK
        f, order = f[by_round], order[by_round]
        partner, trust = partner[order], trust[order]
        bounds = np.r_[0, np.cumsum(np.bincount(rank))]
        for r in range(bounds.size - 1):
            run = slice(bounds[r], bounds[r + 1])
            ff, pp, tt = f[run], partner[run], trust[run]
            match = take_rows(state.memory_partner, ff) == pp[:, None]
            known = _any_last(match)
            col = np.where(known, _argmax_last(match), state.memory_next[ff])
            state.memory_partner[ff, col] = pp
            state.memory_trust[ff, col] = tt
            adv = ff[~known]
            state.memory_next[adv] = (state.memory_next[adv] + 1) % MEMORY_SLOTS

    def _memory_trust(self, state: FirmState, f: np.ndarray, q: np.ndarray):
        """(known, trust) of firm f in firm q from f's memory of prior partners."""
        match = take_rows(state.memory_partner, f) == q[:, None]
        known = _any_last(match)
        t = np.where(known, _sum_last(take_rows(state.memory_trust, f) * match), 0.0)
        return known, t

    def _memory_both_ways(self, state: FirmState, i: np.ndarray, j: np.ndarray):
        """((known, trust) of i in j, (known, trust) of j in i) from their memories."""
        return self._memory_trust(state, i, j), self._memory_trust(state, j, i)

    # ------------------------------------------------------------------ 1. search
    def search(self, state: FirmState, month: Month, brokered=None):
        """Phase 1. Who looks for a partner this month, and which candidate each finds.

        Inputs: firm need, capacity, digital adoption, memory; shock formation multiplier;
        `brokered` (searchers, candidates, trust boost) from a trust-brokering policy.
        Output: arrays (searcher, candidate, channel, inherited trust, trust boost).
        Channels: 0 local cluster, 1 platform, 2 referral / prior partner, 3 brokered.
        """
        self.memory_settled()
        self.trust_settled()
        p, rng = self.p, self.rng
        n = state.n
        cap = state.alive & (state.n_alliances < p["max_alliances"])
        prob = (
            p["search_prob"]
            * (1.0 + p["search_need_weight"] * state.need)
            * month.formation
            / month.coord_mult
        )
        u = rng.random(n)
        searchers = np.flatnonzero(cap & (u < np.clip(prob, 0, 1)))
        empty = np.zeros(0, dtype=np.int64)
        pool = np.flatnonzero(cap)
        month.pool = pool
        if searchers.size == 0 or pool.size < 2:
            if brokered is None:
                return empty, empty, empty, np.zeros(0), np.zeros(0)
        m = searchers.size
        has_memory = _any_last(take_rows(state.memory_partner, searchers) >= 0)
        r = rng.random(m)
        channel = np.zeros(m, dtype=np.int64)
        channel[state.digital[searchers] & (r < 0.5)] = 1
        channel[has_memory & (r >= 0.5) & (r < 0.8)] = 2
        candidate = np.full(m, -1, dtype=np.int64)
        inherited = np.zeros(m)

        plat_pool = np.flatnonzero(cap & state.digital)  # = pool[digital[pool]], one pass
        if plat_pool.size == 0:
            channel[channel == 1] = 0

        # local cluster: of two random firms with capacity in the same region, the one
        # with the closer capabilities (the cluster's related trades)
        loc = np.flatnonzero(channel == 0)
        if pool.size and loc.size:
            region = state.region[pool]
            order = pool[np.argsort(region, kind="stable")]
            counts = np.bincount(region, minlength=len(COUNTRIES))
            offsets = np.r_[0, np.cumsum(counts)[:-1]]
            reg = state.region[searchers[loc]]
            pick = offsets[reg][:, None] + (rng.random((loc.size, 2)) * counts[reg][:, None]
                                            ).astype(np.int64)
            two = order[np.minimum(pick, order.size - 1)]
            dist = _sum_last(np.abs(take_rows(state.capability, two)
                                    - take_rows(state.capability, searchers[loc])[:, None, :]))
            chosen = two[np.arange(loc.size), _argmax_last(-dist)]  # the first nearest
            candidate[loc] = np.where(counts[reg] > 0, chosen, -1)

        # platform: best visible reputation among three digital firms anywhere
        plat = np.flatnonzero(channel == 1)
        if plat.size:
            draws = plat_pool[rng.integers(0, plat_pool.size, (plat.size, 3))]
            best = _argmax_last(state.reputation[draws])
            candidate[plat] = draws[np.arange(plat.size), best]

        # referral: a prior partner again, or a partner of a prior partner
        ref = np.flatnonzero(channel == 2)
        if ref.size:
            f = searchers[ref]
            mem = take_rows(state.memory_partner, f)
            slot_ok = mem >= 0
            # pick a random remembered slot per firm
            score = np.where(slot_ok, rng.random(mem.shape), -1.0)
            col = _argmax_last(score)
            contact = mem[np.arange(ref.size), col]
            t_contact = state.memory_trust[f, col]
            second = rng.random(ref.size) < 0.5
            mem2 = take_rows(state.memory_partner, contact)
            score2 = np.where(mem2 >= 0, rng.random(mem2.shape), -1.0)
            col2 = _argmax_last(score2)
            friend = mem2[np.arange(ref.size), col2]
            t_friend = state.memory_trust[contact, col2]
            use_friend = second & (friend >= 0) & (friend != f)
            candidate[ref] = np.where(use_friend, friend, contact)
            inherited[ref] = np.where(
                use_friend, t_contact * t_friend * p["referral_trust_discount"], t_contact
            )

        boost = np.zeros(m)
        if brokered is not None and brokered[0].size:
            bs, bc, bb = brokered
            searchers = np.concatenate([searchers, bs])
            candidate = np.concatenate([candidate, bc])
            channel = np.concatenate([channel, np.full(bs.size, 3)])
            inherited = np.concatenate([inherited, np.zeros(bs.size)])
            boost = np.concatenate([boost, np.full(bs.size, bb)])
        ok = (candidate >= 0) & (candidate != searchers)
        ok[ok] &= cap[candidate[ok]]
        return searchers[ok], candidate[ok], channel[ok], inherited[ok], boost[ok]

    # ------------------------------------------------------------------ 2. form
    def form(self, state: FirmState, month: Month, found) -> int:
        """Phase 2. Score candidates, let both sides accept, and record the new alliances.

        Score = gain^a * trust^(1-a) (Klos and Nooteboom); gain from the best alliance
        type for the pair, complementarity and coordination cost; trust from memory,
        referral, platform reputation or propensity. Transaction costs are paid from
        capital (booked in the firm's profit). Output: number of alliances formed.
        """
        self.memory_settled()
        self.trust_settled()
        p, rng = self.p, self.rng
        i, j, channel, inherited, boost = found
        pool, month.pool = month.pool, None  # search's pool, for this formation only
        if i.size == 0:
            return 0
        not_partners = ~self.partners_of(state, i, j)
        i, j, channel, inherited, boost = (x[not_partners] for x in (i, j, channel, inherited,
                                                                    boost))
        if i.size == 0:
            return 0
        comp = complementarity(state, i, j)
        # (firms, 5) with the bonus; np.take: see state.take_rows
        vi = np.take(month.values, i, axis=1).T + month.value_bonus[None, :]
        vj = np.take(month.values, j, axis=1).T + month.value_bonus[None, :]
        # the type: drawn with weights = value to the partner who gains less
        w = np.minimum(vi, vj).clip(1e-9)
        cum = _cumsum_last(w)
        u = rng.random(i.size)[:, None] * cum[:, -1:]
        kind = np.minimum(_count_last(cum < u), len(ALLIANCE_TYPES) - 1)
        rows = np.arange(i.size)
        own_i = month.coord_mult[i] * (1.0 - month.coord_subsidy[i])
        own_j = month.coord_mult[j] * (1.0 - month.coord_subsidy[j])
        coord_i = p["coordination_cost"] * state.fixed_cost_ratio[i] * own_i
        coord_j = p["coordination_cost"] * state.fixed_cost_ratio[j] * own_j
        gi = vi[rows, kind] * (0.5 + comp)
        gj = vj[rows, kind] * (0.5 + comp)
        gain_i = gi / (gi + coord_i + 0.01)
        gain_j = gj / (gj + coord_j + 0.01)

        # what each side remembers of the other (here: the second core is busy with the demand
        # walk at this point of the month)
        (known_i, mem_i), (known_j, mem_j) = self._memory_both_ways(state, i, j)
        stranger_i = np.where(
            channel == 2,
            inherited,
            np.where(
                channel == 1,
                0.5 * state.trust_propensity[i] + 0.5 * state.reputation[j],
                state.trust_propensity[i],
            ),
        )
        stranger_j = np.where(
            channel == 1,
            0.5 * state.trust_propensity[j] + 0.5 * state.reputation[i],
            np.where(channel == 2, inherited, state.trust_propensity[j]),
        )
        t_ij = np.clip(np.where(known_i, mem_i, stranger_i) + boost, 0.0, 1.0)
        t_ji = np.clip(np.where(known_j, mem_j, stranger_j) + boost, 0.0, 1.0)
        a = p["gain_weight"]
        score_i = gain_i**a * t_ij ** (1 - a)
        score_j = gain_j**a * t_ji ** (1 - a)
        gate = rng.random(i.size) < np.minimum(month.formation[i], month.formation[j])
        accept = (score_i >= p["accept_threshold"]) & (score_j >= p["accept_threshold"]) & gate
        sel = np.flatnonzero(accept)
        if sel.size == 0:
            return 0
        # each firm joins at most one new alliance a month: keep first claims in random order
        sel = sel[rng.permutation(sel.size)]
        flat = np.stack([i[sel], j[sel]], axis=1).ravel()
        is_first = _first_occurrence(flat, state.n)
        sel = sel[is_first[0::2] & is_first[1::2]]
        sel.sort()
        i, j, kind, t_ij, t_ji = i[sel], j[sel], kind[sel], t_ij[sel], t_ji[sel]
        known = known_i[sel] | known_j[sel]
        on_platform = channel[sel] == 1
        k = i.size

        members = np.full((k, MAX_MEMBERS), -1, dtype=np.int64)
        members[:, 0], members[:, 1] = i, j
        trust = np.zeros((k, MAX_MEMBERS, MAX_MEMBERS), dtype=np.float32)
        trust[:, 0, 1], trust[:, 1, 0] = t_ij, t_ji

        # consortia: joint bids, R&D and infrastructure alliances may take in more firms
        taken = np.zeros(state.n, dtype=bool)
        taken[i] = True
        taken[j] = True
        if pool is None:  # (formation without a search first)
            pool = np.flatnonzero(state.alive & (state.n_alliances < p["max_alliances"]))
        pool = pool[~taken[pool]]
        grow = _GROWS[kind]
        for slot in range(2, MAX_MEMBERS):
            want = np.flatnonzero(grow & (rng.random(k) < p["consortium_prob"]))
            if want.size == 0 or pool.size == 0:
                break
            cand = pool[rng.integers(0, pool.size, want.size)]
            comp_k = complementarity(state, i[want], cand)
            vk = month.values[kind[want], cand] + month.value_bonus[kind[want]]
            ck = p["coordination_cost"] * state.fixed_cost_ratio[cand] * month.coord_mult[cand]
            gk = vk * (0.5 + comp_k) * (slot / 2.0) ** -0.3
            tk = state.trust_propensity[cand]
            score_k = (gk / (gk + ck * slot + 0.01)) ** a * tk ** (1 - a)
            ok = (score_k >= p["accept_threshold"]) & ~taken[cand]
            ok &= rng.random(cand.size) < month.formation[cand]
            ok &= _first_occurrence(cand, state.n)
            want, cand = want[ok], cand[ok]
            members[want, slot] = cand
            taken[cand] = True
            pool = pool[~taken[pool]]
            # trust with the newcomer: each side's propensity to trust strangers
            for s in range(slot):
                trust[want, slot, s] = state.trust_propensity[cand]
                trust[want, s, slot] = state.trust_propensity[members[want, s]]
            grown = np.zeros(k, dtype=bool)
            grown[want] = True
            grow &= grown  # only alliances that took a member this round may take another

        n_members = _count_last(members >= 0)
        present = members >= 0
        inst = _sum_last(np.where(present, state.institutions[np.maximum(members, 0)], 0)
                         ) / n_members
        formal_p = p["formal_contract_bias"] * (0.5 + inst / 5.0)
        formal_p *= _FORMAL_BIAS[kind] * np.where(known, 0.7, 1.2)
        formal = rng.random(k) < np.clip(formal_p, 0, 1)

        self.statics_settled()  # exits' statics are written before the book may grow
        ids = self.book.new_rows(k, written=_FORMED)
        b = self.book
        b.active[ids] = True
        b.kind[ids] = kind
        b.members[ids] = members
        b.n_members[ids] = n_members
        b.start[ids] = month.step
        b.end[ids] = month.step + np.where(formal, p["contract_term"], INFORMAL_REVIEW)
        b.formal[ids] = formal
        b.trust[ids] = trust
        # the new alliances' statics on the second core (simulation/side.py), from `members`
        # (the book's rows move when members exit), while the members take their slots and pay
        # here and contribution follows; effects and exits wait for them (statics_settled)
        self._forget_membership()
        self._statics_job = side.submit(side.use(state.n), self._statics, ids, members, state)

        # firm side: alliance slots, counts, memory, transaction costs
        aid, slot = np.nonzero(present)
        firm = members[aid, slot]
        alliance = ids[aid]
        free_col = _argmax_last(take_rows(state.alliances, firm) < 0)
        state.alliances[firm, free_col] = alliance
        state.n_alliances[firm] += 1
        search_cost = p["search_cost"] * np.where(on_platform, 0.5, 1.0)[aid]
        setup = p["formal_setup_cost"] * formal[aid]
        cost = (search_cost + setup) * month.fixed_cost[firm] * month.coord_mult[firm]
        state.flow_profit[firm] -= cost
        state.capital[firm] -= cost
        # the members remember each other later, on the second core (start_memory), from
        # this month's `members` and `trust` (the book's trust moves in contribution)
        self._memory_jobs.append(partial(self._remember_pairs, state, members, trust))
        self.formed += k
        return k

    # The firms' memory of partners is written in order by a queue of jobs: formation's
    # (handed to the second core by contribution), then dissolution's and exits' (handed over
    # at once). Only search and formation read the memory, and only exits and entry
    # (economy.forget_exited, population.populate) write it otherwise: each of them waits for
    # the queue first (memory_settled).
    def start_memory(self, threaded: bool) -> None:
        """Hand the waiting memory jobs to the second core (threaded), or run them here (after
        any still on the second core, so that the order holds whatever the setting)."""
        if not threaded:
            self.memory_settled()
            return
        _hand_over(self._memory_jobs)

    def memory_settled(self) -> None:
        """Every memory job is done (those not handed over yet run here and now): call before
        anything else reads or writes the firms' memory of partners."""
        jobs, self._memory_jobs = self._memory_jobs, []
        _settle(jobs)

    def _remember_pairs(self, state: FirmState, mem: np.ndarray, trust: np.ndarray):
        """Each member of alliances with members `mem` (alliances x slots) and trust `trust`
        (alliances x slots x slots) remembers each partner with that trust."""
        # the writes pair by pair of slots (s, t), s != t, each pair's alliances in order:
        # (pairs x alliances) arrays read row by row, in a few passes instead of a loop of 12
        s, t = _SLOT_PAIRS
        firm, partner = mem[:, s].T, mem[:, t].T
        ok = (firm >= 0) & (partner >= 0)
        self._remember(state, firm[ok], partner[ok], trust[:, s, t].T[ok])

    # ------------------------------------------------------------ 3-4. contribute, trust
    def contribute_and_update_trust(self, state: FirmState, step: int) -> None:
        """Phases 3 and 4. Members honour or shirk; partners update trust and reputation.

        p(shirk) = temptation x 2(1 - trustworthiness) x (1 - 0.4 formal)
                   x (1.2 - 0.08 institutions) x (1 - 0.3 shadow of the future)
                   x (1 + 0.25 (members - 2))  [one's shirking is diluted in a larger group];
        p(detect) = detection x (base + per_institution x mean institutions)
                    + formal_share x formal   (DETECTION: 0.6, 0.16, 0.2).
        Honoured (or undetected) months: t += build (1 - t); detected shirking: t -= erode t.
        Works on whole arrays of the book (inactive rows hold no members and stay as they are).
        With the second core (side.use), trust and reputation are written later: read them
        after trust_settled().
        """
        self.trust_settled()
        p, rng, b = self.p, self.rng, self.book
        if b.n == 0:
            return
        # per alliance
        formal = b.formal.astype(np.float32)
        remaining = np.clip((b.end - step) / np.float32(24.0), 0, 1).astype(np.float32)
        members = np.maximum(b.n_members, 1).astype(np.float32)
        group = (1.0 + 0.25 * (members - 2.0))
        per_alliance = ((1.0 - 0.4 * formal) * (1.0 - 0.3 * remaining) * group
                        * np.float32(2.0 * p["shirk_temptation"]))
        # the partner-pair cells are listed on the second core (simulation/side.py) while the
        # memberships are listed here; the compiled trust update (simulation/kernels.py) needs
        # no list of cells
        threaded = side.use(state.n)
        shape = (b.n, MAX_MEMBERS)
        draws_job = side.submit(threaded, _uniforms, rng, shape, 2)
        cells_job = None
        if not kernels.use(b.n):
            self._occupancy_code()  # (made here, before the worker reads it)
            cells_job = side.submit(threaded, self.pair_cells)
        # per membership (ms: flat index of the member slot), on (alliances x members) arrays
        # whose empty slots hold 0 / False; one uniform per slot, empty or not (drawn on the
        # second core above, while the memberships are listed here); each membership's result
        # is its own, so the memberships are taken in two halves, one on each core
        a, _s, f = self.member_slots()
        ms = self.slot_index()
        u_shirk, u_detect = (u.reshape(-1) for u in draws_job.result())
        if cells_job is None:  # compiled: one pass over each alliance's member slots
            kernels.compiled(kernels.contribute)(
                b.members, state.institutions, state.trustworthiness, per_alliance, members,
                formal, u_shirk, u_detect, np.float32(p["detection_prob"]), DETECTION, b.shirked,
                b.detected, b.effectiveness)
            self._after_contribution(state, f, b.detected.reshape(-1).take(ms), threaded)
            return
        inst = np.zeros(shape, dtype=np.float32)
        shirk_m = np.empty(f.size, dtype=bool)

        def shirk(rows):
            fr, mr = f[rows], ms[rows]
            inst_m = state.institutions.take(fr)
            inst.reshape(-1)[mr] = inst_m
            p_shirk = ((1.0 - state.trustworthiness.take(fr)) * (1.2 - 0.08 * inst_m)
                       * per_alliance.take(a[rows]))
            shirk_m[rows] = u_shirk.take(mr) < p_shirk

        side.halves(threaded, f.size, shirk)
        mean_inst = _row_sum(inst) / members
        base, per_institution, formal_share = DETECTION
        p_det = p["detection_prob"] * (base + per_institution * mean_inst) + formal_share * formal
        detected_m = np.empty(f.size, dtype=bool)
        b.shirked[:] = False
        b.detected[:] = False

        def detect(rows):
            mr = ms[rows]
            caught = shirk_m[rows] & (u_detect.take(mr) < p_det.take(a[rows]))
            detected_m[rows] = caught
            b.shirked.reshape(-1)[mr] = shirk_m[rows]
            b.detected.reshape(-1)[mr] = caught

        side.halves(threaded, f.size, detect)
        # shirkers per alliance: the bits of each row's four flags read as one word
        shirkers = np.bitwise_count(b.shirked.view(_ROW_WORD).reshape(-1))
        b.effectiveness[:] = 1.0 - shirkers.astype(np.float32) / members
        self._after_contribution(state, f, detected_m, threaded, cells_job)

    def _after_contribution(self, state: FirmState, f: np.ndarray, detected_m: np.ndarray,
                            threaded: bool, cells_job=None) -> None:
        """Reputation (which reads only who was caught: detected_m, per membership of firms
        f) and the memory of this month's new partners, on the second core; the trust of
        partner pairs is updated later, there too when the model hands it over (start_trust,
        after the effects, beside production): nothing reads trust, reputation or the trust
        flags before mutual aid (trust_settled)."""
        reputation_job = side.submit(threaded, _update_reputation, state, f, detected_m)
        self.start_memory(threaded)
        self._trust_jobs = [reputation_job, partial(self._update_trust, cells_job)]
        if not threaded:
            self.trust_settled()

    def start_trust(self, threaded: bool) -> None:
        """Hand this month's trust update to the second core (threaded), or make it here."""
        if threaded:
            _hand_over(self._trust_jobs)
        else:
            self.trust_settled()

    def _update_trust(self, cells_job) -> None:
        """trust[a, s, t]: s's trust in t moves with what s sees of t this month (book.detected),
        on the partner-pair cells only: t <- t (1 - erode) if t's shirking was detected, else
        t (1 - build) + build. Cells that are not partner pairs are 0 and are left alone. Also
        sets the alliances' trust flags (trust_low, trust_below_half) that dissolution reads."""
        p, b = self.p, self.book
        build, erode = np.float32(p["trust_build_rate"]), np.float32(p["trust_erosion_rate"])
        if cells_job is None:  # compiled: one pass over each alliance's member slots
            self.trust_low, self.trust_below_half = kernels.compiled(kernels.update_trust)(
                b.trust, b.members, b.detected, build, erode,
                np.float32(p["trust_break_threshold"]), np.float32(0.5))
            return
        cells, alliance, target = cells_job.result()
        seen = b.detected.reshape(-1).take(target)
        mult = np.where(seen, np.float32(1.0) - erode, np.float32(1.0) - build)
        add = np.where(seen, np.float32(0.0), build)
        flat = b.trust.reshape(-1)
        values = np.minimum(flat.take(cells) * mult + add, np.float32(1.0))
        flat[cells] = values
        self.trust_low, self.trust_below_half = self._trust_flags(values, alliance)

    def trust_settled(self) -> None:
        """This month's trust and reputation updates are written (those not handed over by
        start_trust are made here and now): call before anything reads or writes trust,
        reputation or the trust flags."""
        jobs, self._trust_jobs = self._trust_jobs, []
        _settle(jobs)

    # ------------------------------------------------------------ 5. benefit and cost
    def effects(self, state: FirmState, month: Month, own_demand: np.ndarray,
                demand_shock: bool = True) -> Effects:
        """Phase 5. Per-firm alliance effects (weighted by participation) and coordination cost.

        Overlapping supply-chain, R&D and infrastructure alliances combine as
        1 - prod(1 - effect); co-marketing premiums and joint-bid boosts add up, capped at
        twice one alliance's. Shared infrastructure with firms of other sectors diversifies
        demand: a weight w = 0.3 x participation x other-sector share (at most 0.6 in all)
        of the firm's demand shock multiplier is replaced by its other-sector partners'.
        Coordination cost per member = coordination_cost x fixed cost x (members - 1)^0.7
        x the firm's coordination multiplier; members who shirk this month skip theirs.
        Also records each alliance's net benefit and its months of loss.
        """
        self.statics_settled()
        p, b = self.p, self.book
        n = state.n
        a, _s, f = self.member_slots()
        ms = self.slot_index()
        z = np.zeros(n)
        if a.size == 0:
            return Effects(z, z, z, z, z, own_demand, z, np.zeros(n, bool), z,
                           np.zeros(n, bool))
        # per membership, in two halves of the memberships (one on each core)
        eff = np.empty(a.size)
        coord = np.empty(a.size)

        def participation_and_cost(rows):
            ar, fr = a[rows], f[rows]
            eff[rows] = b.effectiveness.take(ar)
            coord[rows] = (p["coordination_cost"] * _GROUP_COST.take(b.n_members.take(ar))
                           * month.fixed_cost.take(fr) * month.coord_mult.take(fr)
                           ) * ~b.shirked.reshape(-1).take(ms[rows])

        side.halves(side.use(n), a.size, participation_and_cost)
        slices = self.type_slices()
        # each alliance's net benefit on the second core (simulation/side.py) while the
        # firms' effects are summed here
        net_job = side.submit(side.use(n), self._net_benefit, state, month, eff, coord)
        # then partner diversity, which only innovation reads (the alliance counts as they
        # are now: dissolution may change them before it is summed)
        diversity = side.submit(side.use(n), _partner_diversity, b.diversity, ms, f,
                                state.n_alliances.copy()).result

        def cut(k, magnitude):  # overlapping cuts combine as 1 - prod(1 - e)
            sl = slices[k]
            logs = kernels.bincount(f[sl], np.log1p(-np.minimum(magnitude * eff[sl], 0.999)), n)
            return -np.expm1(logs)

        def boost(k, magnitude):  # premiums and boosts add up, capped at twice one's
            sl = slices[k]
            return np.minimum(kernels.bincount(f[sl], magnitude * eff[sl], n),
                              2 * magnitude)

        logistics = cut(SUPPLY, p["supply_chain_logistics_cut"])
        premium = boost(MARKETING, p["co_marketing_price_premium"])
        contract = boost(BID, p["joint_bid_contract_boost"])
        rd = cut(RD, p["rd_time_cut"])
        infra = cut(INFRA, p["infra_cost_cut"])
        demand = own_demand
        sel = slices[INFRA]
        if demand_shock and sel.stop > sel.start:
            # diversification: shared infrastructure with firms of other sectors
            partner_demand = self._other_sector_demand(state, a[sel], f[sel], own_demand)
            w = b.other_sector.reshape(-1).take(ms[sel]) * 0.3 * eff[sel]
            w_sum = kernels.bincount(f[sel], w, n)
            w_dem = kernels.bincount(f[sel], w * partner_demand, n)
            shrink = np.where(w_sum > 0.6, 0.6 / np.maximum(w_sum, 1e-12), 1.0)
            demand = own_demand * (1.0 - w_sum * shrink) + w_dem * shrink
        coordination = kernels.bincount(f, coord, n)
        in_supply_chain = np.zeros(n, dtype=bool)  # a scatter: a third of a bincount's time
        in_supply_chain[f[slices[SUPPLY]]] = True
        rd_member = np.zeros(n, dtype=bool)
        rd_member[f[slices[RD]]] = True
        net_job.result()
        return Effects(
            logistics_cut=logistics,
            price_premium=premium,
            contract_boost=contract,
            rd_speedup=rd,
            infra_cut=infra,
            demand=demand,
            _partner_diversity=diversity,
            in_supply_chain=in_supply_chain,
            coordination_cost=coordination,
            rd_member=rd_member,
        )

    def _net_benefit(self, state: FirmState, month: Month, eff: np.ndarray,
                     coord: np.ndarray) -> None:
        """Each alliance's net benefit: the value to its members at this participation (eff,
        per membership of member_slots()) minus their coordination cost (coord) less what a
        programme pays of it; and its months of loss in a row. Expected policy support
        counts when choosing partners, not here."""
        b = self.book
        a, _s, f = self.member_slots()
        value = np.empty(f.size)
        for k, sl in enumerate(self.type_slices()):
            value[sl] = month.values[k].take(f[sl])
        value *= eff * state.trend.take(f)
        if month.coord_subsidy.any():
            value -= coord * (1.0 - month.coord_subsidy.take(f))
        else:  # no programme pays: x (1 - 0) changes nothing, and the gather is saved
            value -= coord
        b.net_benefit[:] = kernels.bincount(a, value, b.n)
        act = b.active
        loss = act & (b.net_benefit < 0)
        b.loss_months[loss] += 1
        b.loss_months[act & ~loss] = 0

    def _other_sector_demand(self, state, a, f, own_demand):
        """For each membership: the mean demand shock multiplier of its partners in another
        sector (1 where there are none)."""
        mem = take_rows(self.book.members, a)
        valid = mem >= 0
        safe = np.maximum(mem, 0)
        differs = valid & (state.sector[safe] != state.sector[f][:, None])
        count = _count_last(differs)
        return np.where(count > 0, _sum_last(own_demand[safe] * differs) / np.maximum(count, 1),
                        1.0)

    # ------------------------------------------------------------------ 6. break
    def dissolve(self, state: FirmState, step: int, ending=None) -> np.ndarray:
        """Phase 6. End alliances with low trust, sustained loss, or a term not renewed.

        At the end of a term (formal) or review (informal) an alliance is renewed when its
        net benefit is positive and every member's trust is at least 0.5.
        `ending`: the Future of ending(step) if handed to the second core already.
        Output: the ids of dissolved alliances.
        """
        self.trust_settled()
        ids = self.ending(step) if ending is None else ending.result()
        self._close(state, ids)
        return ids

    def ending(self, step: int) -> np.ndarray:
        """The alliances that end this month (ids), counted by reason; the others due are
        renewed. Reads this month's trust flags, net benefit and months of loss: call after
        trust_settled(), or on the second core after the trust update (the model hands it
        there beside mutual aid, which reads none of these)."""
        p, b = self.p, self.book
        act = b.active
        low, below_half = self.trust_low, self.trust_below_half  # from this month's update
        if low.size != b.n:
            cells, alliance, _ = self.pair_cells()
            low, below_half = self._trust_flags(b.trust.reshape(-1)[cells], alliance)
        low_trust = act & low
        loss = act & ~low_trust & (b.loss_months >= p["loss_months_to_break"])
        due = act & ~low_trust & ~loss & (step >= b.end)
        renew = due & (b.net_benefit > 0) & ~below_half
        b.end[renew] = step + np.where(b.formal[renew], p["contract_term"], INFORMAL_REVIEW)
        ended = due & ~renew
        self.dissolved["low_trust"] += int(low_trust.sum())
        self.dissolved["sustained_loss"] += int(loss.sum())
        self.dissolved["term_end"] += int(ended.sum())
        early = low_trust | loss
        self.ended_early += int(early.sum())
        ids = np.flatnonzero(low_trust | loss | ended)
        self.ended_total += ids.size
        return ids

    def _close(self, state: FirmState, ids: np.ndarray) -> None:
        """Free the members' slots of alliances `ids`, keep their trust in memory, deactivate."""
        if ids.size == 0:
            return
        b = self.book
        mem = take_rows(b.members, ids)
        # the members remember each other with their last trust, on the second core
        self._memory_jobs.append(partial(self._remember_pairs, state, mem, take_rows(b.trust, ids)))
        self.start_memory(side.use(state.n))
        valid = mem >= 0
        firm = mem[valid]
        alliance = np.broadcast_to(ids[:, None], mem.shape)[valid]
        col = _argmax_last(take_rows(state.alliances, firm) == alliance[:, None])
        state.alliances[firm, col] = -1
        # each member's count of its slots still taken (a firm may leave two alliances here;
        # np.subtract.at took four times as long)
        state.n_alliances[firm] = _count_last(take_rows(state.alliances, firm) >= 0)
        b.active[ids] = False
        b.members[ids] = -1
        b.n_members[ids] = 0
        b.trust[ids] = 0.0
        self._forget_membership()

    # ------------------------------------------------------------------ exits
    def remove_firms(self, state: FirmState, gone: np.ndarray, step: int) -> int:
        """Take exited firms out of their alliances; dissolve those left with < 2 members.

        Output: the number of alliances dissolved because members exited.
        """
        self.trust_settled()
        b = self.book
        if gone.size == 0:
            return 0
        # the alliances of the exited firms, and the slots they hold there
        held = take_rows(state.alliances, gone)
        touched = np.unique(held[held >= 0])
        if touched.size == 0:
            return 0
        dead = np.zeros(state.n + 1, dtype=bool)  # the last row, never dead, for -1
        dead[gone] = True
        mem = take_rows(b.members, touched)
        hit = dead[mem]
        i, s = np.nonzero(hit)
        a = touched[i]
        b.members[a, s] = -1
        b.trust[a, s, :] = 0.0
        b.trust[a, :, s] = 0.0
        b.n_members[touched] = _count_last((mem >= 0) & ~hit)  # their members left now
        state.alliances[gone] = -1
        state.n_alliances[gone] = 0
        self._membership_changed(touched, state)
        broken = touched[b.n_members[touched] < 2]
        self.dissolved["member_exit"] += broken.size
        self.ended_early += int((b.end[broken] > step).sum())
        self.ended_total += broken.size
        self._close(state, broken)
        return broken.size

    # ------------------------------------------------------------------ 7. mutual aid
    def mutual_aid(self, state: FirmState, fixed_cost: np.ndarray) -> None:
        """Phase 7 (run after production, before dissolution and exits, so that aid can
        keep a member in business). Members in distress (negative capital) draw on
        partners' buffers.

        A partner offers mutual_aid_share x its capital above two months of fixed cost,
        split over its alliances and weighted by its trust in the distressed members.
        Transfers sum to zero and are booked in flow_aid.
        """
        p, b = self.p, self.book
        self.aid_paid = self.aid_received = 0.0
        a, _s, f = self.member_slots()
        if a.size == 0 or p["mutual_aid_share"] <= 0:
            return
        # only alliances with a distressed member take part (found from the few firms in
        # distress, not from every membership)
        in_distress = np.flatnonzero((state.capital < 0) & (state.n_alliances > 0))
        if in_distress.size == 0:
            return
        involved = np.zeros(b.n + 1, dtype=bool)
        # free slots (-1) hit the spare
        involved[take_rows(state.alliances, in_distress).ravel()] = True
        sel = np.flatnonzero(involved[a])
        a, f, ms = a[sel], f[sel], self.slot_index()[sel]
        cap = state.capital.take(f)
        distressed = cap < 0
        n_all = np.maximum(state.n_alliances.take(f), 1)
        need = np.maximum(-cap, 0.0) / n_all
        # trust of each slot in the distressed members of its alliance
        dmask = np.zeros(b.members.shape, dtype=bool)
        dmask.reshape(-1)[ms[distressed]] = True
        self.trust_settled()  # this month's trust (start_trust), read first here
        tr = take_rows(b.trust.reshape(-1, MAX_MEMBERS), ms)
        dm = take_rows(dmask, a)
        trust_in_distressed = _sum_last(tr * dm) / np.maximum(_count_last(dm), 1)
        spare = np.maximum(cap - 2.0 * fixed_cost.take(f), 0.0)
        offer = p["mutual_aid_share"] * spare / n_all * trust_in_distressed * ~distressed
        total_need = kernels.bincount(a, need, b.n)
        total_offer = kernels.bincount(a, offer, b.n)
        transfer = np.minimum(total_need, total_offer)
        need_a, offer_a, transfer_a = total_need.take(a), total_offer.take(a), transfer.take(a)
        recv = np.where(need_a > 0, transfer_a * need / np.maximum(need_a, 1e-300), 0.0)
        pay = np.where(offer_a > 0, transfer_a * offer / np.maximum(offer_a, 1e-300), 0.0)
        net = kernels.bincount(f, recv - pay, state.n)
        state.capital += net
        state.flow_aid += net
        self.aid_paid, self.aid_received = float(pay.sum()), float(recv.sum())

    # ------------------------------------------------------------------ measures
    def mean_trust(self) -> float:
        """Mean trust over ordered pairs of members of active alliances."""
        self.trust_settled()  # (the model settles it before handing this to the second core)
        b = self.book
        pairs = int((b.n_members.astype(np.int64) * (b.n_members - 1)).sum())
        if pairs == 0:
            return 0.0
        # trust outside member pairs (diagonal, empty slots, closed alliances) is zero; one
        # pass over the tensor is cheaper than rebuilding pair_cells() after dissolutions
        return float(b.trust.sum(dtype=np.float64) / pairs)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Undirected firm-firm edges of active alliances (one per member pair), in no
        particular order."""
        mem = self.book.members
        # slots 0 and 1 over every row; the pairs with a later slot only over the few rows
        # that hold one (consortia, and alliances whose first members exited)
        ok = (mem[:, 0] >= 0) & (mem[:, 1] >= 0)
        us, vs = [mem[ok, 0]], [mem[ok, 1]]
        later = mem[np.flatnonzero(_any_last(mem[:, 2:] >= 0))]
        for s in range(MAX_MEMBERS):
            for t in range(max(s + 1, 2), MAX_MEMBERS):
                ok = (later[:, s] >= 0) & (later[:, t] >= 0)
                us.append(later[ok, s])
                vs.append(later[ok, t])
        return np.concatenate(us), np.concatenate(vs)
