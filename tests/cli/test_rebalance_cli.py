"""``hedgekit hedge --current-hedge``: a rebalance from a saved basket, within its limits."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def basket(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rebalance")
    js, csv = folder / "b.json", folder / "b.csv"
    res = runner.invoke(
        app,
        ["hedge", "KSTD=1000000", "--date", "2022-06-30", "--home", str(demo_store.home),
         "--basket-json", str(js), "--csv", str(csv)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return js, csv


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_rebalance_within_the_limits(demo_store, basket, kind):
    path = basket[0] if kind == "json" else basket[1]
    res = runner.invoke(
        app,
        ["hedge", "KSTD=1000000", "--date", "2022-12-30", "--home", str(demo_store.home),
         "--current-hedge", str(path), "--max-turnover", "20", "--max-trades", "5", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    info = out["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 20.0 and info["trades"] <= 5
    assert len(out["trades"]) == info["trades"]
    held = json.loads(basket[0].read_text())["positions"]
    assert info["current_hedge"] == {p["identifier"]: float(p["shares"]) for p in held}
    assert out["parameters"]["max_turnover"] == 20.0 and out["parameters"]["max_trades"] == 5


def test_zero_turnover_table(demo_store, basket):
    res = runner.invoke(
        app,
        ["hedge", "KSTD=1000000", "--date", "2022-12-30", "--home", str(demo_store.home),
         "--current-hedge", str(basket[0]), "--max-turnover", "0"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Rebalance: 0 trades, turnover 0.0% of the hedge notional (max 0%)" in res.stdout
