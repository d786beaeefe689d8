"""SME Alliance Ecosystem Simulator: the model (no file I/O, plotting or CLI here).

`SMEEcosystem` and `SME` are imported on first use (PEP 562), so that the registry, the
errors and the scenario loader load without Mesa: the command line answers bad input in a
fraction of a second.
"""

from .errors import ParameterError, ScenarioError, UserError
from .params import PARAMS, Param, defaults

__all__ = ["SME", "SMEEcosystem", "PARAMS", "Param", "defaults", "UserError",
           "ParameterError", "ScenarioError"]


def __getattr__(name: str):
    if name == "SMEEcosystem":
        from .model import SMEEcosystem

        return SMEEcosystem
    if name == "SME":
        from .agents import SME

        return SME
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
