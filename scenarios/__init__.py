"""The shipped scenarios: TOML data only (loaded by simulation.scenario)."""
