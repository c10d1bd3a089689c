"""``hedgekit hedge``: positions parsing, outputs, and one clear line for mistakes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError, InfeasibleError, UnknownIdentifierError
from hedgekit.cli import app
from hedgekit.cli._hedge import parse_positions

runner = CliRunner()


def _hedge(demo_store, *args):
    return runner.invoke(
        app, ["hedge", *args, "--home", str(demo_store.home), "--date", "2022-12-30"]
    )


def test_positions_parse():
    q = parse_positions(["AAPL=1,000", "MSFT=50"])
    assert [p["quantity"] for p in q] == [1000.0, 50.0]
    w = parse_positions(["AAPL:60%", "MSFT:0.4"])
    assert [p["weight"] for p in w] == [0.6, 0.4]
    bare = parse_positions(["AAPL", "MSFT"])
    assert [p["weight"] for p in bare] == [0.5, 0.5]
    with pytest.raises(ConfigurationError, match="cannot read position 'AAPL=ten'"):
        parse_positions(["AAPL=ten"])


def test_weights_need_a_notional(demo_store):
    """No silent $10M: weights (or bare tickers) without --notional are a user error."""
    for args in (["KSTD:100%"], ["KSTD"]):
        res = _hedge(demo_store, *args)
        assert isinstance(res.exception, ConfigurationError)
        assert "set notional" in str(res.exception)
    res = _hedge(demo_store, "KSTD=10", "FRLX:0.5")
    assert "mix quantities and weights" in str(res.exception)


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
    caps = _hedge(demo_store, "KSTD=100", "--max-weight", "5", "--max-names", "10")
    assert isinstance(caps.exception, ConfigurationError)  # refused before the data is read
    assert "raise max_weight to >= 10% or max_names to >= 20" in str(caps.exception)
    infeasible = _hedge(demo_store, "KSTD=100000", "--max-adv", "0.0001")
    assert isinstance(infeasible.exception, InfeasibleError)
    assert "raise max_adv_percentage" in str(infeasible.exception)


def _main(monkeypatch, capsys, *args):
    """``hedgekit hedge ...`` through the console entry point: (exit code, stderr)."""
    from hedgekit.cli import main

    monkeypatch.setattr("sys.argv", ["hedgekit", "hedge", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return exit_.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--csv", "{tmp}/missing/basket.csv"], "--csv {tmp}/missing/basket.csv: folder"),
        (["--csv", "{tmp}/basket.txt"], "'.txt' is not a format it writes; use .csv"),
        (["--csv", "{tmp}"], "is a folder; give a file name"),
        (["--basket-json", "{tmp}/missing/b.json"], "does not exist; create it"),
        (["--basket-json", "{tmp}/b.csv"], "use .json"),
        (["--plot", "{tmp}/missing/p.png"], "--plot {tmp}/missing/p.png: folder"),
        (["--plot", "{tmp}/p.gif"], "use .png or .pdf or .svg"),
        (["--plot", "{tmp}/p"], "no extension is not a format"),
        (["--metric", "nope", "--grid"], "--metric 'nope' is not a grid-search metric"),
        (["--max-weight", "5", "--max-names", "10"], "raise max_weight to >= 10%"),
        (["--max-weight", "0"], "--max-weight: input should be greater than 0"),
        (["--start", "2024-06-30"], "is not before the hedge date"),
        (["--start", "soon"], "--start 'soon' is not a date"),
        (["--sampling", "Hourly"], "--sampling: input should be 'Daily', 'Weekly' or 'Monthly'"),
        (["--method", "magic"], "--method: input should be"),
    ],
)
def test_user_errors_are_one_line_before_any_work(
    demo_store, tmp_path, monkeypatch, capsys, args, text
):
    """Exit 2, one line, and nothing computed: the data home is never opened."""
    opened = []
    monkeypatch.setattr("hedgekit.cli._hedge._market", lambda home: opened.append(home))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, err = _main(
        monkeypatch, capsys, "KSTD=1000", "--date", "2022-12-30", "--home", str(demo_store.home),
        *args,
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert text.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err
    assert opened == []


@pytest.mark.parametrize(
    ("positions", "text"),
    [
        (["WDC:60%", "MU:60%", "--notional", "1e7"], "sum to 1.2 (120.0000%)"),
        (["WDC:150%", "--notional", "1e7"], "position 1: weight 1.5 is above 1"),
        (
            ["WDC=10", "--max-gross", "150"],
            "max_gross bounds a long/short hedge: set allow_long_short (--long-short",
        ),
        (["WDC=10", "--long-short", "--max-gross", "50"], "max_gross=50% is below the net 100%"),
        (["WDC=10", "--long-short", "--lasso", "1"], "does not combine with lasso_weight"),
        (["WDC=10", "MU:0.5", "--notional", "1e7"], "mix quantities and weights"),
        (["WDC:100%"], "set notional"),
        (["WDC=1", "--notional", "1e7"], "drop notional"),
        (["WDC=ten"], "cannot read position 'WDC=ten'"),
    ],
)
def test_position_mistakes_are_one_line(demo_store, monkeypatch, capsys, positions, text):
    code, err = _main(
        monkeypatch, capsys, *positions, "--date", "2022-12-30", "--home", str(demo_store.home)
    )
    assert code == 2
    assert err.count("\n") == 1 and text in err, err


def test_long_short_and_a_net_short_book(demo_store, tmp_path):
    """`hedgekit hedge KSTD=-1000000 --long-short --max-gross 150`: a net-short book's
    hedge is bought, with names sold on the other side within the gross bound."""
    csv = tmp_path / "basket.csv"
    res = _hedge(
        demo_store, "KSTD=-1000000", "--long-short", "--max-gross", "150", "--json",
        "--csv", str(csv),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    sides = out["diagnostics"]["sides"]
    assert sides["book"] == "net short" and sides["hedge_side"] == "long"
    assert sides["gross_pct"] <= 150 + 1e-2
    assert out["parameters"]["allow_long_short"] is True
    assert {c["side"] for c in out["constituents"]} <= {"long", "short"}
    assert "BUY" in csv.read_text()
    table = _hedge(demo_store, "KSTD=-1000000")
    assert table.exit_code == 0, table.output
    assert "Hedge basket (long)" in table.stdout
    assert "Net short portfolio, long hedge" in table.stdout
