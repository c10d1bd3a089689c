"""User baskets held as one hedge instrument (issue 16): fixed-weight returns of their
members, point in time, picked by the hedger when they track better; library, CLI, REST."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hedgekit import ConfigurationError, UnknownIdentifierError
from hedgekit.hedge import (
    Basket,
    HedgeExclusions,
    HedgeRequest,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.hedge._instruments import instrument_adv, instrument_prices, instrument_returns

DATE = "2022-12-30"
SEMIS = Basket("MYSEMIS", {"NVDA": 0.5, "AMD": 0.5})
#: eight chip makers, equal weight, held as one instrument beside the S&P 500
CHIPS = ("AMD", "AVGO", "QCOM", "TXN", "MU", "AMAT", "LRCX", "KLAC")
BASKET = Basket("CHIPS", dict.fromkeys(CHIPS, 1.0))


def _params(universe, target="NVDA", **kw):
    ps = PositionSet([Position(target, quantity=100_000)], DATE)
    kw.setdefault("exclusions", HedgeExclusions(assets=CHIPS))
    return PerformanceHedgeParameters(
        ps, universe=universe, estimator="sample", max_names=3, max_weight=60.0,
        out_of_sample_days=63, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def with_basket(real_market):
    return PerformanceHedge(_params(("SPX", BASKET)), real_market).calculate()


def test_basket_returns_are_the_weighted_member_returns_exactly(real_market):
    view = real_market.as_of(DATE)
    b = Basket("MIX", {"NVDA": 3, "AMD": 1})  # weights scaled to 0.75 / 0.25
    rets = instrument_returns(view, ["MIX", "NVDA", "AMD"], window=252, baskets={"MIX": b})
    assert len(rets) == 252 and rets["MIX"].notna().all()
    expected = 0.75 * rets["NVDA"] + 0.25 * rets["AMD"]
    np.testing.assert_allclose(rets["MIX"], expected, rtol=0, atol=1e-12)
    # weekly returns are those of the basket's level, compounding the daily ones
    weekly = instrument_returns(view, ["MIX"], window=10, sampling="weekly", baskets={"MIX": b})
    daily = instrument_returns(view, ["MIX"], window=80, baskets={"MIX": b})["MIX"]
    last = weekly.index[-1]
    prev = weekly.index[-2]
    chunk = daily[(daily.index > prev) & (daily.index <= last)]
    assert weekly["MIX"].iloc[-1] == pytest.approx(float(np.prod(1 + chunk) - 1), abs=1e-12)


def test_a_member_without_data_drops_out_and_the_others_are_rescaled(real_market):
    # ABNB's first return is 2020-12-11: before it the basket is MSFT alone
    b = Basket("NEWCO", {"ABNB": 0.5, "MSFT": 0.5})
    view = real_market.as_of("2021-03-31")
    rets = instrument_returns(
        view, ["NEWCO", "ABNB", "MSFT"], start="2020-11-02", baskets={"NEWCO": b}
    )
    before = rets.index < "2020-12-11"
    np.testing.assert_allclose(rets.loc[before, "NEWCO"], rets.loc[before, "MSFT"], atol=1e-12)
    after = rets["ABNB"].notna()
    mean = 0.5 * rets.loc[after, "ABNB"] + 0.5 * rets.loc[after, "MSFT"]
    np.testing.assert_allclose(rets.loc[after, "NEWCO"], mean, atol=1e-12)
    # point in time: the level up to a date does not change when the data goes on
    early = instrument_prices(real_market.as_of("2021-01-29"), ["NEWCO"], {"NEWCO": b})
    later = instrument_returns(
        real_market.as_of("2021-06-30"), ["NEWCO"], start="2020-11-02", baskets={"NEWCO": b}
    )
    level = instrument_prices(view, ["NEWCO"], {"NEWCO": b})["NEWCO"]
    assert np.isfinite(early["NEWCO"]) and np.isfinite(level)
    np.testing.assert_allclose(later["NEWCO"].loc[rets.index], rets["NEWCO"], atol=1e-12)


def test_basket_adv_is_the_binding_members_adv_over_its_weight(real_market):
    view = real_market.as_of(DATE)
    adv = instrument_adv(view, ["MYSEMIS"], 20, {"MYSEMIS": SEMIS})["MYSEMIS"]
    members = view.adv(["NVDA", "AMD"], window=20)
    assert adv == pytest.approx(float((members / 0.5).min()))


def test_the_basket_is_picked_when_its_members_are_excluded(with_basket, real_market):
    c = with_basket.get_constituents()
    assert "CHIPS" in c.index
    assert not set(CHIPS) & set(c.index)
    row = c.loc["CHIPS"]
    assert row["name"] == BASKET.describe() and row["name"].startswith("basket: AMAT 12%")
    # one unit is the basket's level on the date, and the ADV cap holds
    level = instrument_prices(real_market.as_of(DATE), ["CHIPS"], {"CHIPS": BASKET})
    assert row["price"] == pytest.approx(float(level["CHIPS"]))
    assert row["notional"] == pytest.approx(row["shares"] * row["price"])
    assert row["adv_pct"] <= 15.0 + 1e-6
    # it tracks better: the same hedge without the basket has a higher tracking error
    without = PerformanceHedge(_params(("SPX",)), real_market).calculate()
    te = ("in_sample", "Hedge")
    assert (
        with_basket.statistics.loc["tracking_error", te]
        < without.statistics.loc["tracking_error", te]
    )
    # the result keeps the basket, and its monitor reads it back
    universe = with_basket.parameters["universe"]
    assert BASKET.to_dict() in universe
    mon = with_basket.monitor("2023-03-31", real_market, rebalance_trades=False)
    assert "CHIPS" in mon.names.index and mon.names.loc["CHIPS", "status"] == "ok"


def test_bad_baskets_are_named(real_market):
    with pytest.raises(ConfigurationError, match="positive"):
        Basket("X", {"NVDA": -1})
    with pytest.raises(ConfigurationError, match="no members"):
        Basket("X", {})
    clash = Basket("MSFT", {"NVDA": 1.0})
    with pytest.raises(ConfigurationError, match="is a security of the data"):
        PerformanceHedge(_params(("SPX", clash)), real_market).calculate()
    unknown = Basket("ODD", {"NOPE_XYZ": 1.0})
    with pytest.raises(UnknownIdentifierError, match="ODD"):
        PerformanceHedge(_params(("MU", "INTC", unknown)), real_market).calculate()
    with pytest.raises(ConfigurationError, match="named 'A'"):
        _params(("SPX", Basket("A", {"NVDA": 1}), Basket("A", {"AMD": 1})))


def test_a_basket_holding_the_target_is_not_a_candidate(real_market):
    mine = Basket("WITHMU", {"MU": 0.5, "NVDA": 0.5})
    universe = ("INTC", "TXN", "QCOM", mine)
    res = PerformanceHedge(_params(universe, target="MU", exclusions=None), real_market).calculate()
    assert "WITHMU" not in res.constituents.index
    assert res.diagnostics["universe_filters"]["baskets holding a target asset"] == 1


def test_the_request_and_the_cli_take_baskets(real_store, tmp_path):
    from typer.testing import CliRunner

    from hedgekit.cli import app

    req = HedgeRequest.model_validate(
        {
            "positions": [{"identifier": "MU", "quantity": 1_000_000}],
            "date": DATE,
            "universe": ["SPX"],
            "basket_instruments": [{"name": "MYSEMIS", "weights": {"NVDA": 0.5, "AMD": 0.5}}],
        }
    )
    params = req.to_parameters()
    assert params.universe == ("SPX", SEMIS)
    assert HedgeRequest.from_parameters(params).basket_instruments[0].name == "MYSEMIS"
    csv = tmp_path / "semis.csv"
    csv.write_text("identifier,weight\nNVDA,0.5\nAMD,0.5\n")
    args = ["hedge", "MU=1000000", "--date", DATE, "--exclude", "NVDA", "--exclude", "AMD"]
    args += ["--basket-instrument", f"MYSEMIS={csv}", "--json", "--home", str(real_store.home)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    held = {c["identifier"] for c in json.loads(res.stdout)["constituents"]}
    assert "MYSEMIS" in held
    bad = CliRunner().invoke(app, ["hedge", "MU=1000", "--basket-instrument", "MYSEMIS"])
    assert isinstance(bad.exception, ConfigurationError)
    assert "NAME=FILE.csv" in str(bad.exception)
