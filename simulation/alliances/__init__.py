"""The alliances: the book of alliances and the monthly alliance phases, one module each.

`Alliances` owns the alliance data (simulation/alliances/common.py: the book, its caches,
the jobs of the month that touch it) and takes each phase from its module, in the ODD's
order: search (1), formation (2), contribution and trust (3-4), effects (5), dissolution (6),
mutual aid (7), and the firms' memory of partners. Every phase is an array operation over
all firms or all alliances; the only Python loops run over a handful of member slots or
alliance types, never over firms. A phase with a compiled twin has it beside it, in its
module.
"""

from __future__ import annotations

from .common import (
    ALLIANCE_TYPES,
    BID,
    CONSORTIUM_TYPES,
    DETECTION,
    DISSOLUTION_REASONS,
    INFRA,
    MARKETING,
    RD,
    SUPPLY,
    AllianceData,
    Effects,
    Month,
    complementarity,
    coordination_multiplier,
    type_value_table,
)
from .contribution import Contribution
from .dissolution import Dissolution
from .effects import AllianceEffects
from .formation import Formation
from .memory import Memory
from .mutual_aid import MutualAid
from .search import Search

__all__ = ["ALLIANCE_TYPES", "BID", "CONSORTIUM_TYPES", "DETECTION", "DISSOLUTION_REASONS",
           "INFRA", "MARKETING", "RD", "SUPPLY", "Alliances", "Effects", "Month",
           "complementarity", "coordination_multiplier", "type_value_table"]


class Alliances(Search, Formation, Contribution, AllianceEffects, Dissolution, MutualAid,
                Memory, AllianceData):
    """The alliance book and the monthly alliance phases."""
