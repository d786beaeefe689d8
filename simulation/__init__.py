"""SME Alliance Ecosystem Simulator: the model (no file I/O, plotting or CLI here)."""

from .agents import SME
from .errors import ParameterError, ScenarioError, UserError
from .model import SMEEcosystem
from .params import PARAMS, Param, defaults

__all__ = ["SME", "SMEEcosystem", "PARAMS", "Param", "defaults", "UserError",
           "ParameterError", "ScenarioError"]
