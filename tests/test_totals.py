"""Whole-run totals as reporters (`<flow>_to_date`): the sums of the monthly flows from
month 1, so that the last row of a run (mesa.batch_run's default) is meaningful."""

from __future__ import annotations

import mesa
import numpy as np

from simulation import SMEEcosystem
from simulation.metrics import REPORTERS, TO_DATE_FLOWS

SMALL = dict(n_firms=300, burn_in=6, months=30)


def test_totals_are_the_sums_of_the_monthly_flows_after_the_burn_in():
    assert set(TO_DATE_FLOWS) == {"bankruptcies", "exits", "entries", "alliances_formed",
                                  "alliances_dissolved", "innovations"}
    assert all(f"{f}_to_date" in REPORTERS and f in REPORTERS for f in TO_DATE_FLOWS)
    model = SMEEcosystem(rng=5, scenario="recession", shock_start=4, **SMALL)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    burn, horizon = frame[frame["month"] < 1], frame[frame["month"] >= 1]
    assert len(horizon) == 30 and len(burn) == 6
    for flow in TO_DATE_FLOWS:
        total = f"{flow}_to_date"
        assert (burn[total] == 0).all(), flow
        assert np.array_equal(horizon[total].to_numpy(), horizon[flow].cumsum().to_numpy()), flow
    # the burn-in had flows that the totals leave out
    assert burn["alliances_formed"].sum() > 0
    assert frame["alliances_formed_to_date"].iloc[-1] > frame["alliances_formed"].iloc[-1]


def test_batch_runs_last_row_holds_the_run_totals():
    rows = mesa.batch_run(SMEEcosystem, parameters={"scenario": ["recession"], **{
        k: [v] for k, v in SMALL.items()}, "shock_start": [4]},
        rng=[5], max_steps=36, number_processes=1, data_collection_period=-1,
        display_progress=False)
    assert len(rows) == 1
    model = SMEEcosystem(rng=5, scenario="recession", shock_start=4, **SMALL)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    horizon = frame[frame["month"] >= 1]
    assert rows[0]["bankruptcies_to_date"] == horizon["bankruptcies"].sum()
    assert rows[0]["alliances_formed_to_date"] == horizon["alliances_formed"].sum()
