"""Phase 5: alliances' effects on their members' economy, coordination costs, net benefit."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..state import FirmState, take_rows
from .common import (
    _GROUP_COST,
    BID,
    INFRA,
    MARKETING,
    RD,
    SUPPLY,
    Effects,
    Month,
    _count_last,
    _partner_diversity,
    _sum_last,
)

MAX_MARKET_ACCESS = 2.0  # markets reached with partners: at most two alliances' worth
MAX_HOLD = 0.5  # partners' orders spare a firm at most half of a demand shock's loss
MATURITY_MONTHS = 12.0  # an alliance this many months old holds half of what an old one does


class AllianceEffects:
    """Phase 5: alliances' effects on their members' economy, coordination costs, net benefit."""

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
        In a demand shock, orders through trusted, long-standing partners are held up
        (_partner_orders) before the diversification below.
        Market access: the participation summed over the firm's joint-marketing and
        joint-bidding alliances, at most 2 (rules/markets.py turns it into growth);
        engagement: the participation summed over all its alliances (innovation reads it).
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
                           np.zeros(n, bool), z, z)
        # per membership, in two halves of the memberships (one on each core)
        eff = np.empty(a.size)
        coord = np.empty(a.size)

        def participation_and_cost(rows):
            ar, fr = a[rows], f[rows]
            eff[rows] = b.effectiveness.take(ar)
            coord[rows] = (p["coordination_cost"] * _GROUP_COST.take(b.n_members.take(ar))
                           * month.fixed_cost.take(fr) * month.coord_mult.take(fr)
                           ) * ~b.shirked.reshape(-1).take(ms[rows])

        self.cores.slices(a.size, participation_and_cost)
        slices = self.type_slices()
        # each alliance's net benefit on the second core (if it is on) while the
        # firms' effects are summed here
        net_job = self.cores.beside(self._net_benefit, state, month, eff, coord)
        # then partner diversity, which only innovation reads (the alliance counts as they
        # are now: dissolution may change them before it is summed)
        diversity = self.cores.beside(_partner_diversity, b.diversity, ms, f,
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
        if demand_shock:
            demand = self._partner_orders(state, month, a, f, ms, eff, own_demand)
        sel = slices[INFRA]
        if demand_shock and sel.stop > sel.start:
            # diversification: shared infrastructure with firms of other sectors
            partner_demand = self._other_sector_demand(state, a[sel], f[sel], demand)
            w = b.other_sector.reshape(-1).take(ms[sel]) * 0.3 * eff[sel]
            w_sum = kernels.bincount(f[sel], w, n)
            w_dem = kernels.bincount(f[sel], w * partner_demand, n)
            shrink = np.where(w_sum > 0.6, 0.6 / np.maximum(w_sum, 1e-12), 1.0)
            demand = demand * (1.0 - w_sum * shrink) + w_dem * shrink
        coordination = kernels.bincount(f, coord, n)
        engagement = kernels.bincount(f, eff, n)
        access = np.minimum(kernels.bincount(f[slices[MARKETING]], eff[slices[MARKETING]], n)
                            + kernels.bincount(f[slices[BID]], eff[slices[BID]], n),
                            MAX_MARKET_ACCESS)
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
            market_access=access,
            engagement=engagement,
        )

    def _partner_orders(self, state: FirmState, month: Month, a: np.ndarray, f: np.ndarray,
                        ms: np.ndarray, eff: np.ndarray, own_demand: np.ndarray) -> np.ndarray:
        """Orders through partners in a demand shock: each firm's demand shock multiplier
        after its partners' orders and shared contracts held up.

        In a downturn, business that runs through trusted, long-standing partners (orders
        they pass on, contracts bid together, customers shared) is kept more than spot
        business (Uzzi 1996: embedded ties keep firms alive; TARGETS §2: firms in cooperative
        networks recover faster). Per membership, its hold is
            order_sharing x participation x partners' trust in the firm x age / (age + 12)
        (age in months since the alliance formed); summed over the firm's alliances, at most
        MAX_HOLD, it is the share of the shock's loss of demand the firm is spared:
            demand = 1 - (1 - own demand) x (1 - hold)
        """
        b = self.book
        rate = self.p["order_sharing"]
        if rate <= 0.0:
            return own_demand
        partners = np.maximum(b.n_members.take(a).astype(np.float64) - 1.0, 1.0)
        trusted = b.trust.sum(axis=1).reshape(-1).take(ms) / partners  # partners' trust in f
        age = (month.step - b.start.take(a)).astype(np.float64)
        hold = rate * eff * trusted * age / (age + MATURITY_MONTHS)
        spared = np.minimum(kernels.bincount(f, hold, state.n), MAX_HOLD)
        return 1.0 - (1.0 - own_demand) * (1.0 - spared)

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

