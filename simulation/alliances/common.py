"""What the alliance phases share: alliance types, the month's record (Month) and the
alliances' effects (Effects), the type values, the reductions over member slots, and
AllianceData (the book, its caches and the jobs of the month that touch it)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import kernels
from ..kernels import scalar_max
from ..regions import INSTITUTIONS_MID, region_array
from ..sizes import sizes_of
from ..state import MAX_MEMBERS, AllianceBook, FirmState, take_rows

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
RENEWAL_TRUST = 0.5  # an alliance is renewed only if no member's trust in a partner is below
DISSOLUTION_REASONS = ("low_trust", "sustained_loss", "term_end", "member_exit")
# the book's fields form() sets for every new alliance (the others start from their defaults)
_FORMED = frozenset(("active", "kind", "members", "n_members", "start", "end", "formal", "trust"))
# sort keys of (value, position) pairs: the position in the low bits (_remember)
_POSITION_BITS = 32
_POSITION_MASK = (1 << _POSITION_BITS) - 1


# detection of shirking: p = detection_prob x (base + per_institution x mean institutions of
# the members) + formal_share x formal (read by contribution and by contribute_kernel, which
# takes them as an argument so that its cache never holds old values)
DETECTION = (np.float32(0.6), np.float32(0.16), np.float32(0.2))

# coordination and transaction costs rise this much per point of perceived institutional
# context below the survey's mid-point (INSTITUTIONS_MID), and fall above it
COORDINATION_PER_INSTITUTION = 0.1


def coordination_multiplier(state: FirmState) -> np.ndarray:
    """Per firm: its country's coordination-cost multiplier, raised where institutions are
    weaker (TARGETS §2: coordination costs are higher where institutions are weaker)."""
    return region_array("coordination_mult")[state.region] * (
        1.0 + COORDINATION_PER_INSTITUTION * (INSTITUTIONS_MID - state.institutions))


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
    # joint-marketing and joint-bidding alliances at their participation (markets reached
    # with partners, at most 2), and every alliance at its participation (knowledge shared)
    market_access: np.ndarray
    engagement: np.ndarray

    @property
    def partner_diversity(self) -> np.ndarray:
        if callable(self._partner_diversity):
            self._partner_diversity = self._partner_diversity()
        return self._partner_diversity


# the type values' constants (the numpy functions below and value_table_kernel)
BID_MIN_MARGIN = 0.05  # a joint bid is worth at least this margin on its contract revenue
RD_GAIN_MONTHS = 36.0  # faster innovation is worth about three years of its gain


def _value_supply(state, f, p):
    return p["supply_chain_logistics_cut"] * state.logistics_share[f] * state.var_cost_ratio[f]


def _value_marketing(state, f, p):
    return p["co_marketing_price_premium"] * state.export_share[f].astype(np.float64)


def _value_bid(state, f, p):
    margin = np.maximum(1.0 - state.var_cost_ratio[f], BID_MIN_MARGIN)
    return p["joint_bid_contract_boost"] * state.contract_share[f] * margin


def _value_rd(state, f, p):
    # shared labs and prototypes cut R&D cost; faster innovation is worth ~3 years of gain
    cut = min(p["rd_time_cut"], 0.9)
    return cut * state.rd_share[f] * state.fixed_cost_ratio[f] + (cut / (1 - cut)) * p[
        "innovation_rate"] * p["innovation_productivity_gain"] * state.var_cost_ratio[f] * (
        RD_GAIN_MONTHS)


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
        kernels.compiled(value_table_kernel)(
            out, reach, ValueFirms(*(getattr(state, name) for name in ValueFirms._fields)),
            ValueTerms(f32(p["supply_chain_logistics_cut"]), float(p["co_marketing_price_premium"]),
                       f32(p["joint_bid_contract_boost"]), f32(cut),
                       (cut / (1 - cut)) * p["innovation_rate"] * p["innovation_productivity_gain"],
                       f32(p["infra_cost_cut"]), BID_MIN_MARGIN, RD_GAIN_MONTHS))
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


def _partner_diversity(diversity: np.ndarray, ms: np.ndarray, f: np.ndarray,
                       n_alliances: np.ndarray) -> np.ndarray:
    """Per firm: the mean capability diversity of its alliances, from the (alliances x members)
    diversity of each membership (flat index ms, firm f; n_alliances = np.bincount(f))."""
    return (kernels.bincount(f, diversity.reshape(-1).take(ms), n_alliances.size)
            / np.maximum(n_alliances, 1))


# value_table_kernel's records: the firm fields the type values read, and their terms
ValueFirms = namedtuple("ValueFirms", ("logistics_share", "var_cost_ratio", "export_share",
                                       "contract_share", "rd_share", "fixed_cost_ratio",
                                       "infra_share"))
ValueTerms = namedtuple("ValueTerms", ("supply_cut", "marketing_premium", "bid_boost", "rd_cut",
                                       "rd_innovation", "infra_cut", "min_margin",
                                       "gain_months"))


def value_table_kernel(out, reach, firms, terms):
    """alliances.type_value_table of every firm row: row k of `out` the value of type k,
    within the firm's reach, in the numpy path's dtypes (a Python float times a float32
    array is float32 there). rd_innovation: the R&D value's innovation term without the
    variable cost ratio, (cut / (1 - cut)) x rate x gain, as Python computes it."""
    (logistics_share, var_cost_ratio, export_share, contract_share, rd_share, fixed_cost_ratio,
     infra_share) = firms
    (supply_cut, marketing_premium, bid_boost, rd_cut, rd_innovation, infra_cut, min_margin,
     gain_months) = terms
    for i in range(reach.size):
        r, vcr, fcr = reach[i], var_cost_ratio[i], fixed_cost_ratio[i]
        out[0, i] = (supply_cut * logistics_share[i]) * vcr * r
        out[1, i] = marketing_premium * np.float64(export_share[i]) * r
        out[2, i] = (bid_boost * contract_share[i]) * scalar_max(1.0 - vcr, min_margin) * r
        out[3, i] = ((rd_cut * rd_share[i]) * fcr + rd_innovation * vcr * gain_months) * r
        out[4, i] = (infra_cut * infra_share[i]) * fcr * r



class AllianceData:
    """The alliance book, its caches and the jobs of the month that touch it; the phases
    are the other bases of Alliances (one module each)."""

    def __init__(self, params: dict, rng: np.random.Generator, cores):
        self.p = params
        self.rng = rng
        self.cores = cores  # side.Cores: where the parts a phase hands over run
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
        self._caught = None  # contribute's record of who was caught, until update_trust

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
        s != t, both members), each once, grouped by occupancy code, then by row, s major
        (support sums each firm's terms in this order, so it is part of the numbers);
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
        """Per alliance: is any partner-pair trust below the break threshold, below
        RENEWAL_TRUST?

        `values` are the trust of the pair cells, `alliance` their alliances (pair_cells()).
        """
        flags = []
        for level in (self.p["trust_break_threshold"], RENEWAL_TRUST):
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
            self._statics_job = self.cores.beside(self._statics, ids,
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

    def _memory_trust(self, state: FirmState, f: np.ndarray, q: np.ndarray):
        """(known, trust) of firm f in firm q from f's memory of prior partners."""
        match = take_rows(state.memory_partner, f) == q[:, None]
        known = _any_last(match)
        t = np.where(known, _sum_last(take_rows(state.memory_trust, f) * match), 0.0)
        return known, t

    def _memory_both_ways(self, state: FirmState, i: np.ndarray, j: np.ndarray):
        """((known, trust) of i in j, (known, trust) of j in i) from their memories."""
        return self._memory_trust(state, i, j), self._memory_trust(state, j, i)

    # ------------------------------------------------------------------ measures
    def mean_trust(self) -> float:
        """Mean trust over ordered pairs of members of active alliances."""
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

