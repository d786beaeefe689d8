"""Phases 3-4: members honour or shirk; trust and reputation move."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import kernels
from ..state import MAX_MEMBERS, FirmState
from .common import _ROW_WORD, DETECTION, RENEWAL_TRUST, _row_sum, _uniforms

# reputation moves this share of the way to the month's record of honoured memberships
REPUTATION_RATE = np.float32(0.1)

# contribute_kernel's records: the book's fields it reads and writes, the members' firm
# fields, and the month's per-alliance terms and uniforms
BookRecord = namedtuple("BookRecord", ("members", "shirked", "detected", "effectiveness"))
MemberRecord = namedtuple("MemberRecord", ("institutions", "trustworthiness"))
TermsRecord = namedtuple("TermsRecord", ("per_alliance", "members", "formal", "u_shirk",
                                         "u_detect", "detection_prob", "detection",
                                         "shirk_base", "shirk_per_institution"))
# temptation to shirk x (SHIRK_BASE - SHIRK_PER_INSTITUTION x institutions): enforcement
SHIRK_BASE = np.float32(1.2)
SHIRK_PER_INSTITUTION = np.float32(0.08)


def contribute_kernel(book, firms, terms):
    """Contribution's shirking and its detection, one alliance row at a time: the numpy path's
    float32 operations in its order (the members' institutions summed slot by slot, empty
    slots adding 0). Writes the shirked and detected flags of every slot (False where empty)
    and each alliance's effectiveness."""
    members, shirked, detected, effectiveness = book
    institutions, trustworthiness = firms
    (per_alliance, members_f32, formal_f32, u_shirk, u_detect, detection_prob, detection,
     shirk_base, shirk_per_institution) = terms
    n, width = members.shape
    one = np.float32(1.0)
    base, per_institution, formal_share = detection  # DETECTION
    for r in range(n):
        total = np.float32(0.0)
        for s in range(width):
            f = members[r, s]
            value = institutions[f] if f >= 0 else np.float32(0.0)
            total = value if s == 0 else total + value
        mean_inst = total / members_f32[r]
        p_det = (detection_prob * (base + per_institution * mean_inst)
                 + formal_share * formal_f32[r])
        shirkers = 0
        for s in range(width):
            f = members[r, s]
            caught = False
            shirk = False
            if f >= 0:
                p_shirk = ((one - trustworthiness[f])
                           * (shirk_base - shirk_per_institution * institutions[f])
                           * per_alliance[r])
                shirk = u_shirk[r * width + s] < p_shirk
                caught = shirk and u_detect[r * width + s] < p_det
            shirked[r, s] = shirk
            detected[r, s] = caught
            shirkers += shirk
        effectiveness[r] = one - np.float32(shirkers) / members_f32[r]


def update_trust_kernel(trust, members, detected, build, erode, low_level, half_level):
    """trust[a, s, t] <- min(t (1 - erode) if t was caught else t (1 - build) + build, 1) on
    every partner pair (s != t, both slots taken), in float32 as the numpy path does; returns
    per alliance (some pair's trust < low_level, some pair's trust < half_level)."""
    n, width = members.shape
    low = np.zeros(n, np.bool_)
    below_half = np.zeros(n, np.bool_)
    one = np.float32(1.0)
    keep_seen, keep_unseen = one - erode, one - build
    for r in range(n):
        for s in range(width):
            if members[r, s] < 0:
                continue
            for t in range(width):
                if t == s or members[r, t] < 0:
                    continue
                if detected[r, t]:
                    v = trust[r, s, t] * keep_seen + np.float32(0.0)
                else:
                    v = trust[r, s, t] * keep_unseen + build
                v = min(v, one)
                trust[r, s, t] = v
                if v < low_level:
                    low[r] = True
                if v < half_level:
                    below_half[r] = True
    return low, below_half


def update_reputation_kernel(reputation, n_alliances, f, detected, rate):
    """_update_reputation: each firm's reputation moves REPUTATION_RATE towards the share of
    its memberships (n_alliances) in which it was not caught (detected, per membership of
    firm f), in numpy's dtypes."""
    caught = np.zeros(reputation.size, np.int64)
    for i in range(f.size):
        if detected[i]:
            caught[f[i]] += 1
    step = np.float64(rate)
    for r in range(reputation.size):
        count = np.int64(n_alliances[r])
        share = (count - caught[r]) / max(count, 1)
        move = step * (share - np.float64(reputation[r])) * (1.0 if count > 0 else 0.0)
        reputation[r] += np.float32(move)



def _update_reputation(state: FirmState, f: np.ndarray, detected: np.ndarray) -> None:
    """Reputation moves 10 % towards the share of the firm's memberships (f) in which it was
    not caught shirking this month (`detected`, per membership)."""
    if kernels.use(state.n):  # compiled: the same results
        kernels.compiled(update_reputation_kernel)(state.reputation, state.n_alliances, f,
                                                   detected, REPUTATION_RATE)
        return
    # n_alliances = np.bincount(f): the firm's memberships of active alliances; the few
    # detected shirkers are counted apart rather than summing a weight per membership
    cnt = state.n_alliances.astype(np.int64)
    share = (cnt - np.bincount(f[detected], minlength=state.n)) / np.maximum(cnt, 1)
    state.reputation += (REPUTATION_RATE * (share - state.reputation) * (cnt > 0)).astype(
        np.float32)



class Contribution:
    """Phases 3-4: members honour or shirk; trust and reputation move."""

    # ------------------------------------------------------------ 3-4. contribute, trust
    def contribute_and_update_trust(self, state: FirmState, step: int) -> None:
        """Phases 3 and 4 in line: contribute, then reputation and trust (the model's schedule
        runs the last two on the second core, simulation/schedule.py)."""
        self.contribute(state, step)
        self.update_reputation(state)
        self.update_trust()

    def contribute(self, state: FirmState, step: int) -> None:
        """Phase 3. Members honour or shirk; partners will see what was caught (for
        update_reputation and update_trust, which follow).

        p(shirk) = temptation x 2(1 - trustworthiness) x (1 - 0.4 formal)
                   x (1.2 - 0.08 institutions) x (1 - 0.3 shadow of the future)
                   x (1 + 0.25 (members - 2))  [one's shirking is diluted in a larger group];
        p(detect) = detection x (base + per_institution x mean institutions)
                    + formal_share x formal   (DETECTION: 0.6, 0.16, 0.2).
        Honoured (or undetected) months: t += build (1 - t); detected shirking: t -= erode t.
        Works on whole arrays of the book (inactive rows hold no members and stay as they are).
        """
        self._caught = None
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
        # the partner-pair cells are listed on the second core (if it is on) while the
        # memberships are listed here; the compiled trust update (simulation/kernels.py) needs
        # no list of cells
        threaded = self.cores.threaded
        shape = (b.n, MAX_MEMBERS)
        draws_job = self.cores.beside(_uniforms, rng, shape, 2)
        cells_job = None
        if not kernels.use(b.n):
            self._occupancy_code()  # (made here, before the worker reads it)
            cells_job = self.cores.beside(self.pair_cells)
        # per membership (ms: flat index of the member slot), on (alliances x members) arrays
        # whose empty slots hold 0 / False; one uniform per slot, empty or not (drawn on the
        # second core above, while the memberships are listed here); each membership's result
        # is its own, so the memberships are taken in two halves, one on each core
        a, _s, f = self.member_slots()
        ms = self.slot_index()
        u_shirk, u_detect = (u.reshape(-1) for u in draws_job.result())
        if cells_job is None:  # compiled: one pass over each alliance's member slots
            kernels.compiled(contribute_kernel)(
                BookRecord(b.members, b.shirked, b.detected, b.effectiveness),
                MemberRecord(state.institutions, state.trustworthiness),
                TermsRecord(per_alliance, members, formal, u_shirk, u_detect,
                            np.float32(p["detection_prob"]), DETECTION, SHIRK_BASE,
                            SHIRK_PER_INSTITUTION))
            self._after_contribution(state, f, b.detected.reshape(-1).take(ms), threaded)
            return
        inst = np.zeros(shape, dtype=np.float32)
        shirk_m = np.empty(f.size, dtype=bool)

        def shirk(rows):
            fr, mr = f[rows], ms[rows]
            inst_m = state.institutions.take(fr)
            inst.reshape(-1)[mr] = inst_m
            p_shirk = ((1.0 - state.trustworthiness.take(fr))
                       * (SHIRK_BASE - SHIRK_PER_INSTITUTION * inst_m)
                       * per_alliance.take(a[rows]))
            shirk_m[rows] = u_shirk.take(mr) < p_shirk

        self.cores.slices(f.size, shirk)
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

        self.cores.slices(f.size, detect)
        # shirkers per alliance: the bits of each row's four flags read as one word
        shirkers = np.bitwise_count(b.shirked.view(_ROW_WORD).reshape(-1))
        b.effectiveness[:] = 1.0 - shirkers.astype(np.float32) / members
        self._after_contribution(state, f, detected_m, threaded, cells_job)

    def _after_contribution(self, state: FirmState, f: np.ndarray, detected_m: np.ndarray,
                            threaded: bool, cells_job=None) -> None:
        """Keep who was caught (detected_m, per membership of firms f) for update_reputation
        and update_trust; hand the memory of this month's new partners to the second core."""
        self._caught = (f, detected_m, cells_job)
        self.start_memory(threaded)

    def update_reputation(self, state: FirmState) -> None:
        """Phase 4, reputation: each firm's moves towards the share of its memberships in
        which it was not caught shirking this month (reads only contribute's record)."""
        if self._caught is not None:
            f, detected_m, _cells = self._caught
            _update_reputation(state, f, detected_m)

    def update_trust(self) -> None:
        """Phase 4, trust: each member's trust in each partner moves with what it saw this
        month (see _update_trust), and the alliances' trust flags are set."""
        if self._caught is not None:
            cells_job = self._caught[2]
            self._caught = None  # contribute's record is used up (update_reputation first)
            self._update_trust(cells_job)

    def _update_trust(self, cells_job) -> None:
        """trust[a, s, t]: s's trust in t moves with what s sees of t this month (book.detected),
        on the partner-pair cells only: t <- t (1 - erode) if t's shirking was detected, else
        t (1 - build) + build. Cells that are not partner pairs are 0 and are left alone. Also
        sets the alliances' trust flags (trust_low, trust_below_half) that dissolution reads."""
        p, b = self.p, self.book
        build, erode = np.float32(p["trust_build_rate"]), np.float32(p["trust_erosion_rate"])
        if cells_job is None:  # compiled: one pass over each alliance's member slots
            self.trust_low, self.trust_below_half = kernels.compiled(update_trust_kernel)(
                b.trust, b.members, b.detected, build, erode,
                np.float32(p["trust_break_threshold"]), np.float32(RENEWAL_TRUST))
            return
        cells, alliance, target = cells_job.result()
        seen = b.detected.reshape(-1).take(target)
        mult = np.where(seen, np.float32(1.0) - erode, np.float32(1.0) - build)
        add = np.where(seen, np.float32(0.0), build)
        flat = b.trust.reshape(-1)
        values = np.minimum(flat.take(cells) * mult + add, np.float32(1.0))
        flat[cells] = values
        self.trust_low, self.trust_below_half = self._trust_flags(values, alliance)
