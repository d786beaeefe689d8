"""SME: a Mesa agent that is a thin view over one row of the model's FirmState.

The state lives in arrays owned by the model, so that every phase of a month
is one array operation; an SME object gives Mesa users `model.agents`,
AgentSet selection and agent reporters over the same numbers
(`agent.capital`, `agent.trust_propensity`, ...).
"""

from __future__ import annotations

import mesa

from .params import COUNTRIES
from .regions import SECTORS, SIZE_CLASSES
from .state import FirmState


class SME(mesa.Agent):
    """One small or medium-sized enterprise. Attributes read and write the model's arrays."""

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = int(row)

    @property
    def country(self) -> str:
        return COUNTRIES[self.model.firms.region[self.row]]

    @property
    def sector_name(self) -> str:
        return SECTORS[self.model.firms.sector[self.row]]

    @property
    def size_class_name(self) -> str:
        return SIZE_CLASSES[self.model.firms.size_class[self.row]]

    @property
    def partners(self) -> list[int]:
        """Rows of the firms this firm is allied with now."""
        return self.model.partner_rows(self.row)

    def __repr__(self) -> str:
        return (f"SME(id={self.unique_id}, {self.country}, {self.sector_name}, "
                f"{self.size_class_name})")


def _field_property(name: str):
    def get(self):
        v = getattr(self.model.firms, name)[self.row]
        return v.item() if hasattr(v, "item") and v.ndim == 0 else v

    def set_(self, value):
        getattr(self.model.firms, name)[self.row] = value

    return property(get, set_, doc=f"The firm's `{name}` (a view of FirmState.{name}).")


for _name in FirmState.FIELDS:
    if not hasattr(SME, _name):
        setattr(SME, _name, _field_property(_name))
