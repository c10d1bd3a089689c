"""``hedgekit hedge``: positions parsing, outputs, and one clear line for mistakes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError, InfeasibleError, UnknownIdentifierError
from hedgekit.cli import app
from hedgekit.cli._app import parse_positions

runner = CliRunner()


def _hedge(demo_store, *args):
    return runner.invoke(
        app, ["hedge", *args, "--home", str(demo_store.home), "--date", "2022-12-30"]
    )


def test_positions_parse():
    q = parse_positions(["AAPL=1,000", "MSFT=50"], "2022-12-30", None)
    assert [p.quantity for p in q.positions] == [1000.0, 50.0]
    w = parse_positions(["AAPL:60%", "MSFT:0.4"], "2022-12-30", 5e6)
    assert [p.weight for p in w.positions] == [0.6, 0.4]
    assert w.reference_notional == 5e6
    bare = parse_positions(["AAPL", "MSFT"], "2022-12-30", None)
    assert [p.weight for p in bare.positions] == [0.5, 0.5]
    assert bare.reference_notional == 10_000_000.0
    with pytest.raises(ConfigurationError, match="mix of quantities and weights"):
        parse_positions(["AAPL=10", "MSFT:0.5"], "2022-12-30", None)
    with pytest.raises(ConfigurationError, match="cannot read position 'AAPL=ten'"):
        parse_positions(["AAPL=ten"], "2022-12-30", None)


def test_table_output(demo_store):
    res = _hedge(demo_store, "KSTD=1000000", "--max-names", "5")
    assert res.exit_code == 0, res.output
    assert "Hedge basket (short)" in res.stdout
    assert "SYNTHETIC demo market" in res.stdout
    assert "Statistics" in res.stdout


def test_json_and_basket_files(demo_store, tmp_path):
    csv, js = tmp_path / "basket.csv", tmp_path / "basket.json"
    res = _hedge(
        demo_store, "KSTD:100%", "--notional", "25000000", "--json", "--csv", str(csv),
        "--basket-json", str(js), "--max-weight", "30",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["synthetic"] is True
    assert len(out["constituents"]) <= 10
    assert csv.read_text().startswith("identifier,side,shares,price,notional,weight_pct")
    assert json.loads(js.read_text())["positions"]


def test_grid_search_from_the_cli(demo_store):
    res = _hedge(demo_store, "KSTD=1000000", "--grid", "--json", "--max-names", "8")
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["grid"]) == 16


def test_mistakes_raise_user_errors(demo_store):
    bad = _hedge(demo_store, "NOPE=100")
    assert isinstance(bad.exception, UnknownIdentifierError)
    infeasible = _hedge(demo_store, "KSTD=100", "--max-weight", "5", "--max-names", "10")
    assert isinstance(infeasible.exception, InfeasibleError)
    assert "max_weight" in str(infeasible.exception)
