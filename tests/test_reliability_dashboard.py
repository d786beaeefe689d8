"""The dashboard's share of the reliability rules (docs/RELIABILITY.md), without a browser:
it listens on 127.0.0.1 unless told otherwise, and a model or comparison too big for this
machine's memory is refused on the page in words, before anything runs. (In a browser:
tests/browser/test_browser.py: concurrent sessions, cancel isolation, the bound address.)
"""

from __future__ import annotations

import pytest

import run as cli
from dashboard import compare as cmp
from dashboard import explore, serve


def test_the_dashboard_listens_on_127_0_0_1_by_default():
    args = cli.build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1" == serve.DEFAULT_HOST
    assert "--host" in serve.server_command(args.host, args.port)
    assert serve.server_command(args.host, args.port)[
        serve.server_command(args.host, args.port).index("--host") + 1] == "127.0.0.1"


def test_a_comparison_too_big_for_memory_is_refused_on_the_page(monkeypatch):
    monkeypatch.setenv("SME_MEMORY_LIMIT", "300M")
    form = cmp.Form(reference="recession", others=("recession_with_rd_grants",), reps=2,
                    firms=50_000, months=60, seed=1)
    errors, _ = cmp.check_form(form)
    assert len(errors) == 1
    assert errors[0].startswith("Number of firms 50,000:") and "needs about" in errors[0]
    assert "300.0 MB is available" in errors[0] and "--workers" not in errors[0]
    monkeypatch.setenv("SME_MEMORY_LIMIT", "off")
    assert cmp.check_form(form)[0] == []


def test_an_explore_model_too_big_for_memory_is_a_message_not_a_crash(monkeypatch):
    monkeypatch.setenv("SME_MEMORY_LIMIT", "260M")
    model = explore.ExploreModel("baseline", rng=1, n_firms=20_000, burn_in=2, months=12)
    assert model.input_error is not None and "needs about" in model.input_error
    assert "Number of firms at the start" in model.input_error
    model.step()  # does nothing, raises nothing
    assert model.firms.n == 1


@pytest.mark.parametrize("limit", ["lots", "-1G", "1.5.2G"])
def test_a_malformed_memory_limit_is_named(monkeypatch, limit):
    monkeypatch.setenv("SME_MEMORY_LIMIT", limit)
    model = explore.ExploreModel("baseline", rng=1, n_firms=100, burn_in=0, months=2)
    assert f"SME_MEMORY_LIMIT={limit}" in model.input_error
