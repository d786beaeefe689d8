import pytest

from simulation import SMEEcosystem, kernels


@pytest.fixture(autouse=True)
def _one_model_per_process_by_default(monkeypatch):
    """A test that runs an experiment's tasks in this process (analysis.runner.run_task) sets
    kernels.for_many_models; undo it, so that the tests after it still run small models on
    the numpy path, as a single run does."""
    monkeypatch.setattr(kernels, "_many_models", False)


def run_model(scenario=None, seed=1, **params):
    """Build and run a model to the end; return it and its monthly frame."""
    model = SMEEcosystem(rng=seed, scenario=scenario, **params)
    model.run()
    return model, model.datacollector.get_model_vars_dataframe()


@pytest.fixture
def small():
    """Keyword arguments of a small, fast model."""
    return dict(n_firms=400, burn_in=6, months=24)


# Property-based tests (tests/test_reliability_*.py): reproducible in CI. derandomize draws
# the same examples on every run (from each test's name), no example database is kept
# between runs, and no per-example deadline (a model run's time varies with the machine).
import os  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
# SME_HYPOTHESIS_PROFILE=hunt draws new random cases on every run (to look for bugs; pair it
# with SME_MODEL_EXAMPLES / SME_FUZZ_EXAMPLES for more of them).
settings.register_profile("hunt", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("SME_HYPOTHESIS_PROFILE", "ci"))
