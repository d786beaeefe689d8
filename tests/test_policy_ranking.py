"""analysis/policy_ranking.py: the Morris screening of the policy ranking (issue 21).

The helpers on hand-made numbers; the whole command end to end at toy size (40 firms, a
short horizon with the shock moved early, two of the seven parameters varied, two
trajectories); bad input in one line with exit 2.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import run as cli
from analysis import policy_ranking as pr
from simulation.params import PARAMS

TOY = {"burn_in": 2, "shock_start": 3, "shock_duration": 4}


def test_ranking_and_tau_known_answers():
    effects = {"a": -2.0, "b": 0.5, "c": -3.0, "d": float("nan"), "e": 0.5}
    assert pr.ranking(effects) == ["c", "a", "b", "e", "d"]  # ties keep order, NaN last
    same = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}
    assert pr.kendall_tau(same, same) == 1.0
    assert pr.kendall_tau(same, {k: -v for k, v in same.items()}) == -1.0
    # one swapped pair of four: 5 concordant, 1 discordant -> (5 - 1) / 6
    swapped = {"a": 2.0, "b": 1.0, "c": 3.0, "d": 4.0}
    assert pr.kendall_tau(same, swapped) == pytest.approx(4 / 6)
    assert math.isnan(pr.kendall_tau(same, {k: 0.0 for k in same}))  # no ranking at all
    assert math.isnan(pr.kendall_tau({"a": 1.0}, {"a": 2.0}))


def test_paired_effects_from_a_summary():
    rows = []
    for point in (0, 1):
        for rep in (0, 1):
            rows.append({"scenario": "recession", "point": point, "replication": rep,
                         "output_lost": 10.0 + rep})
            for k, p in enumerate(pr.PROGRAMMES):
                rows.append({"scenario": f"recession_with_{p}", "point": point,
                             "replication": rep, "output_lost": 10.0 + rep - k - point})
    eff = pr.effects(pd.DataFrame(rows), "output_lost")
    assert list(eff.columns) == list(pr.PROGRAMMES)
    assert eff.loc[1].tolist() == [-k - 1.0 for k in range(len(pr.PROGRAMMES))]
    assert pr.ranking(eff.loc[0])[0] == pr.PROGRAMMES[-1]
    assert (pr.effect_se(pd.DataFrame(rows), "output_lost") == 0).all().all()  # same diffs
    assert (pr.split_tau(pd.DataFrame(rows)) == 1.0).all()  # both seeds rank alike


def test_ranges_inside_the_registry_and_around_the_default():
    for name, (low, high, why) in pr.RANGES.items():
        p = PARAMS[name]
        assert p.low <= low < p.default < high <= p.high, name
        assert why
    assert len(pr.factors()) == len(pr.RANGES)


def test_end_to_end_toy(tmp_path, monkeypatch):
    keep = ("order_sharing", "mutual_aid_share")
    monkeypatch.setattr(pr, "RANGES", {k: pr.RANGES[k] for k in keep})
    out = tmp_path / "rk"
    res = pr.ranking_sensitivity(firms=40, reps=1, trajectories=2, seed=3, months=12,
                                 params=TOY, out=str(out), quiet=True)
    n_points = 2 * (len(keep) + 1)
    assert res["settings"]["points"] == n_points == len(res["points"])
    assert sorted(res["defaults"]["ranking"]) == sorted(pr.PROGRAMMES)
    assert set(res["defaults"]["se_output_lost"]) == set(pr.PROGRAMMES)
    for o in pr.OUTCOMES:
        assert set(res["morris"][o]) == set(pr.PROGRAMMES)
        for rows in res["morris"][o].values():
            assert [r["parameter"] for r in rows] == list(keep)
    assert [r["parameter"] for r in res["morris_tau"]] == list(keep)
    taus = [p["tau"] for p in res["points"]]
    assert all(-1 <= t <= 1 for t in taus if np.isfinite(t))
    assert 0 <= res["top"]["share_same"] <= 1
    assert math.isnan(res["tau_seeds"]["mean"])  # one seed: no noise benchmark
    assert sorted(res["bankruptcies_ranking"]["defaults"]) == sorted(pr.PROGRAMMES)
    assert 0 <= res["bankruptcies_ranking"]["top_share_same"] <= 1
    assert set(res["effect_mean"]["output_lost"]) == set(pr.PROGRAMMES)
    # the defaults' ranking against itself
    base = res["defaults"]["effect_output_lost"]
    assert pr.kendall_tau(base, base) == 1.0
    assert any(v != 0 for v in base.values())  # the shock falls inside the toy horizon
    saved = json.loads((out / "ranking.json").read_text())
    assert saved["defaults"]["ranking"] == res["defaults"]["ranking"]
    md = (out / "ranking.md").read_text()
    assert "Kendall's tau" in md and "mu*" in md and "order_sharing" in md
    assert (out / "ranking.png").stat().st_size > 0


@pytest.mark.parametrize("args, needle", [
    (["--trajectories", "1"], "--trajectories 1"),
    (["--reps", "0"], "--reps 0"),
    (["--set", "order_sharing=0.2"], "varies"),
    (["--resume", "--force"], "choose one"),
    (["--seed", "-1"], "--seed"),
])
def test_cli_bad_input(args, needle, capsys, tmp_path):
    code = cli.main(["ranking-sensitivity", "--firms", "30", "--quiet",
                     "--out", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and needle in err, err
