"""Running and reading models: one point (`evaluate`), experiments, results, validation.

`from analysis import evaluate` gives analysis.point.evaluate: the outcomes of one
parameter point, as `run.py sweep` reports them (docs/USER_GUIDE.md). The submodules load on
first use, so `from analysis import store` stays light.
"""

__all__ = ["evaluate", "evaluate_point"]


def __getattr__(name):
    if name in __all__:
        from . import point

        return getattr(point, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
