"""ETFs as hedge instruments: with explode_universe=False, SPY and XLK are held as themselves."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

DATE = "2022-12-30"
UNIVERSE = ("XLK", "SPY", "MU", "STX")


@pytest.fixture(scope="module")
def etf_hedge(real_market):
    params = PerformanceHedgeParameters(
        PositionSet([Position("WDC", quantity=1_000_000)], DATE),
        universe=UNIVERSE,
        explode_universe=False,
        max_weight=50.0,
        out_of_sample_days=63,
    )
    return PerformanceHedge(params, real_market).calculate()


def test_the_hedge_holds_only_the_listed_names_within_caps(etf_hedge, real_market):
    c = etf_hedge.get_constituents()
    assert set(c.index) <= set(UNIVERSE)
    assert {"XLK", "SPY"} & set(c.index)  # the funds are held as themselves
    assert c["weight"].sum() == pytest.approx(100.0, abs=0.05)
    assert (c["weight"] <= 50.0 + 0.05).all()
    assert (c["shares"] > 0).all() and (c["shares"] == np.round(c["shares"])).all()
    assert (c["adv_pct"] <= 15.0 + 0.05).all()
    # a fund's shares are counted at its (adjusted) close on the date
    view = real_market.as_of(DATE)
    for etf in {"XLK", "SPY"} & set(c.index):
        px = float(view.benchmark_prices([etf]).iloc[-1, 0])
        assert c.loc[etf, "notional"] == pytest.approx(c.loc[etf, "shares"] * px, rel=1e-6)
    f = etf_hedge.diagnostics["universe_filters"]
    assert "no price history" not in f


def test_out_of_sample_includes_the_funds(etf_hedge):
    stats = etf_hedge.statistics
    assert np.isfinite(stats.loc["tracking_error", ("out_of_sample", "Hedged Portfolio")])


def test_exploding_the_same_universe_holds_members(real_market):
    params = PerformanceHedgeParameters(
        PositionSet([Position("WDC", quantity=1_000_000)], DATE),
        universe=("XLK",),
        out_of_sample_days=0,
    )
    c = PerformanceHedge(params, real_market).calculate().constituents
    assert "XLK" not in c.index and len(c) > 1


def test_the_cli_holds_funds_with_no_explode(real_store):
    import json

    from typer.testing import CliRunner

    from hedgekit.cli import app

    args = ["hedge", "WDC=1000000", "--date", DATE, "--universe", ",".join(UNIVERSE)]
    args += ["--no-explode", "--max-weight", "50", "--json", "--home", str(real_store.home)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    held = {c["identifier"] for c in json.loads(res.stdout)["constituents"]}
    assert held <= set(UNIVERSE) and {"XLK", "SPY"} & held
