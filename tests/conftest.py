import pytest

from simulation import SMEEcosystem


def run_model(scenario=None, seed=1, **params):
    """Build and run a model to the end; return it and its monthly frame."""
    model = SMEEcosystem(rng=seed, scenario=scenario, **params)
    model.run()
    return model, model.datacollector.get_model_vars_dataframe()


@pytest.fixture
def small():
    """Keyword arguments of a small, fast model."""
    return dict(n_firms=400, burn_in=6, months=24)
