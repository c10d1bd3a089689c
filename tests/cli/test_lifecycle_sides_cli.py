"""``hedgekit monitor`` and ``hedgekit hedge --current-hedge`` with baskets that buy names
(issue 16), on the demo market: a net-short book's long hedge and a long/short hedge."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError
from hedgekit.cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def baskets(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sides")
    home = str(demo_store.home)
    out = {}
    for key, extra in (("short", ["KSTD=-1000000"]), ("ls", ["KSTD=1000000", "--long-short"])):
        js, csv = folder / f"{key}.json", folder / f"{key}.csv"
        res = _run("hedge", *extra, "--date", "2022-06-30", "--home", home,
                   "--basket-json", str(js), "--csv", str(csv))  # fmt: skip
        assert res.exit_code == 0, res.output
        out[key] = (js, csv)
    return out


def test_monitor_a_long_hedge(baskets, demo_store):
    js = baskets["short"][0]
    assert {p["side"] for p in json.loads(js.read_text())["positions"]} == {"BUY"}
    home = str(demo_store.home)
    res = _run("monitor", str(js), "--date", "2022-12-30", "--home", home)
    assert res.exit_code == 0, res.output
    assert "Hedge names" in res.stdout and "long" in res.stdout
    res = _run("monitor", str(js), "--date", "2022-12-30", "--home", home, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {n["side"] for n in out["names"]} == {"long"}
    assert all(t["side"] in ("BUY", "SELL") for t in out["trades"])
    assert out["correlation"]["since_inception"] < 0  # the book's own P&L against the basket


@pytest.fixture(scope="module")
def both_sides(baskets, tmp_path_factory):
    """The long/short basket with its smallest name bought (the demo's fit sells all)."""
    payload = json.loads(baskets["ls"][0].read_text())
    payload["positions"][-1]["side"] = "BUY"
    folder = tmp_path_factory.mktemp("both")
    js, csv = folder / "both.json", folder / "both.csv"
    js.write_text(json.dumps(payload))
    rows = ["identifier,side,shares"] + [
        f"{p['identifier']},{p['side']},{p['shares']}" for p in payload["positions"]
    ]
    csv.write_text("\n".join(rows) + "\n")
    return js, csv


def test_monitor_a_long_short_hedge(both_sides, demo_store):
    js = both_sides[0]
    res = _run("monitor", str(js), "--date", "2022-12-30", "--home", str(demo_store.home),
               "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    saved = {p["identifier"]: p["side"] for p in json.loads(js.read_text())["positions"]}
    sides = {n["ticker"]: n["side"] for n in out["names"]}
    assert sides == {t: ("long" if s == "BUY" else "short") for t, s in saved.items()}
    assert set(sides.values()) == {"long", "short"}
    weights = {n["ticker"]: n["weight_inception"] for n in out["names"]}
    assert all((weights[t] < 0) == (s == "long") for t, s in sides.items())


@pytest.mark.parametrize("kind", [0, 1])
def test_rebalance_a_long_hedge_from_its_file(baskets, demo_store, kind):
    path = baskets["short"][kind]
    res = _run("hedge", "KSTD=-1000000", "--date", "2022-12-30", "--home",
               str(demo_store.home), "--current-hedge", str(path), "--max-turnover", "20",
               "--max-trades", "4", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    info = out["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 20.0 and info["trades"] <= 4
    held = json.loads(baskets["short"][0].read_text())["positions"]
    assert info["current_hedge"] == {p["identifier"]: float(p["shares"]) for p in held}
    assert {t["side"] for t in out["trades"]} <= {"BUY", "SELL"}
    assert {c["side"] for c in out["constituents"]} == {"long"}


def test_a_long_short_current_hedge_is_a_clear_error(both_sides, demo_store):
    res = _run("hedge", "KSTD=1000000", "--date", "2022-12-30", "--home",
               str(demo_store.home), "--current-hedge", str(both_sides[1]),
               "--max-turnover", "20")  # fmt: skip
    assert isinstance(res.exception, ConfigurationError), res.output
    assert "holds names on both sides" in str(res.exception)


def test_rebalance_a_long_short_hedge_from_its_file(baskets, demo_store):
    js = baskets["ls"][0]
    res = _run("hedge", "KSTD=1000000", "--date", "2022-12-30", "--home",
               str(demo_store.home), "--long-short", "--current-hedge", str(js),
               "--max-turnover", "20", "--max-trades", "4", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 20.0 + 1e-6 and info["trades"] <= 4
