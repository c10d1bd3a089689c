"""PerformanceHedge: every parameter's effect, the invariants, point in time, errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from hedgekit import (
    ConfigurationError,
    DataError,
    InfeasibleError,
    InsufficientHistoryError,
    UnknownIdentifierError,
)
from hedgekit.data import MarketData, Store, import_bundle, import_list
from hedgekit.hedge import (
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

DATE = "2022-12-30"
TARGET = "KSTD"


def _params(**kw) -> PerformanceHedgeParameters:
    positions = kw.pop("positions", PositionSet([Position(TARGET, quantity=1_000_000)], DATE))
    base = {"max_names": 10, "max_weight": 25.0}
    base.update(kw)
    return PerformanceHedgeParameters(positions, **base)


def _run(market, **kw):
    return PerformanceHedge(_params(**kw), market).calculate()


@pytest.fixture(scope="module")
def base(demo_market):
    return _run(demo_market)


def test_invariants(base, demo_market):
    c = base.get_constituents()
    d = base.diagnostics
    assert base.synthetic is True
    assert 1 <= len(c) <= 10
    assert TARGET not in c.index
    assert c["weight"].sum() == pytest.approx(100.0, abs=0.05)  # whole shares
    assert (c["weight"] <= 25.0 + 0.05).all()
    assert c["notional"].sum() == pytest.approx(d["hedge_notional"], rel=5e-4)
    assert (c["shares"] == np.round(c["shares"])).all()
    assert (c["adv_pct"] <= 15.0 + 0.05).all()
    # reported tracking error equals the one recomputed from the returns and the shares
    view = demo_market.as_of(DATE)
    rets = view.returns([TARGET, *c.index], start=d["observation_start"])
    w = c["notional"] / d["portfolio_notional"]
    hedged = rets[TARGET] - rets[list(c.index)] @ w
    te = hedged.std(ddof=1) * np.sqrt(252)
    assert base.statistics.loc[
        "tracking_error", ("in_sample", "Hedged Portfolio")
    ] == pytest.approx(te)
    assert base.statistics.loc["variance_reduction", ("in_sample", "Hedge")] > 0.3
    assert d["observations"] == len(rets)


def test_results_outputs(base, tmp_path):
    perf = base.get_backtest_performance()
    assert set(perf["sample"]) == {"in_sample", "out_of_sample"}
    assert perf.index.is_monotonic_increasing
    assert perf.loc[perf["sample"] == "out_of_sample"].index.min() > base.date
    corr = base.get_backtest_correlation(window=44)
    assert corr.iloc[:43].isna().all()
    assert corr.dropna().between(-1, 1).all()
    assert ("out_of_sample", "Hedged Portfolio") in base.statistics.columns
    ps = base.to_position_set()
    assert all(p.quantity < 0 for p in ps.positions)
    csv = base.to_basket_csv(tmp_path / "b.csv")
    assert csv.splitlines()[0] == "identifier,side,shares,price,notional,weight_pct"
    assert "e+" not in csv  # notionals in plain decimals, not scientific notation
    first = csv.splitlines()[1].split(",")
    assert float(first[4]) == pytest.approx(base.constituents["notional"].iloc[0], abs=0.01)
    payload = json.loads(base.to_basket_json(tmp_path / "b.json"))
    assert payload["synthetic"] is True
    assert len(payload["positions"]) == len(base.constituents)
    json.dumps(base.to_dict())
    png = base.plot(tmp_path / "hedge.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cols = {
        "name", "country", "sector", "industry", "currency", "shares", "price", "notional",
        "weight", "transaction_cost_bps", "marginal_cost_bps", "borrow_cost_bps", "adv_pct",
        "days_to_trade", "correlation", "tracking_error_contribution",
    }  # fmt: skip
    assert cols <= set(base.constituents.columns)


def test_tracking_error_contributions_add_up(base):
    """Euler split: hedge contributions plus the portfolio's own equal the tracking error."""
    c = base.constituents
    rets = base.returns[base.returns["sample"] == "in_sample"]
    active = rets["hedged"].to_numpy()
    te = np.std(active, ddof=1) * np.sqrt(252)
    own = np.cov(rets["portfolio"], active, ddof=1)[0, 1] / np.std(active, ddof=1) * np.sqrt(252)
    assert own + c["tracking_error_contribution"].sum() == pytest.approx(te, rel=1e-6)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_max_names(demo_market, k):
    res = _run(demo_market, max_names=k, max_weight=100, max_return_deviation=100)
    assert len(res.constituents) <= k


def test_max_and_min_weight(demo_market):
    res = _run(demo_market, max_names=None, max_weight=12.0, min_weight=4.0)
    w = res.constituents["weight"]
    assert (w <= 12.05).all()
    assert (w >= 3.95).all()
    # a name whose ADV cap (15% of its volume) is below the 4% floor cannot be held: it
    # leaves the universe, counted under its own reason, and only it
    dropped = res.diagnostics["universe_filters"]["weight cap below min_weight"]
    assert dropped >= 1
    no_floor = _run(demo_market, max_names=None, max_weight=12.0)
    assert "weight cap below min_weight" not in no_floor.diagnostics["universe_filters"]
    assert no_floor.diagnostics["candidates"] - res.diagnostics["candidates"] == dropped


def test_leverage_and_cash(demo_market):
    res = _run(demo_market, max_leverage=80.0, percentage_in_cash=25.0)
    d = res.diagnostics
    assert d["hedge_notional"] == pytest.approx(0.8 * d["portfolio_notional"])
    assert res.constituents["notional"].sum() == pytest.approx(0.75 * d["hedge_notional"], rel=1e-3)
    assert res.constituents["weight"].sum() == pytest.approx(75.0, abs=0.1)


def test_adv_cap_binds_on_a_huge_position(demo_market):
    big = PositionSet([Position(TARGET, weight=1.0)], DATE, reference_notional=2e10)
    with pytest.raises(InfeasibleError, match="max_adv_percentage"):
        _run(demo_market, positions=big, max_adv_percentage=1.0)
    res = _run(
        demo_market,
        positions=PositionSet([Position(TARGET, weight=1.0)], DATE, reference_notional=2e9),
        max_names=None,
        max_adv_percentage=5.0,
    )
    assert (res.constituents["adv_pct"] <= 5.0 + 0.05).all()


def test_return_deviation_band(demo_market):
    res = _run(demo_market, max_return_deviation=0.5)
    r = res.returns[res.returns["sample"] == "in_sample"]
    gap = 252 * (r["hedge"].mean() - r["portfolio"].mean())
    assert abs(gap) <= 0.005 + 1e-4  # whole-share rounding


def test_exclusions(demo_market):
    res = _run(
        demo_market,
        exclusions=HedgeExclusions(
            sectors=["information technology"], countries=["Ireland"], assets=["FRLX"]
        ),
    )
    c = res.constituents
    assert not (c["sector"] == "Information Technology").any()
    assert not (c["country"] == "Ireland").any()
    assert "FRLX" not in c.index
    assert res.diagnostics["universe_filters"]["excluded sectors"] > 0
    ind = _run(demo_market, exclusions=HedgeExclusions(industries=["Semiconductors"]))
    assert not (ind.constituents["sub_industry"] == "Semiconductors").any()


def test_sector_and_asset_constraints(demo_market):
    cons = HedgeConstraints(
        sectors=[Constraint("Information Technology", 0, 30), Constraint("Utilities", 10, 100)],
        assets=[Constraint("CLSD", 5, 8)],
    )
    res = _run(demo_market, constraints=cons)
    c = res.constituents
    assert c.loc[c["sector"] == "Information Technology", "weight"].sum() <= 30.05
    assert c.loc[c["sector"] == "Utilities", "weight"].sum() >= 9.95
    assert 4.95 <= c.loc["CLSD", "weight"] <= 8.05


def test_sampling_and_window(demo_market):
    weekly = _run(demo_market, sampling_period="Weekly")
    assert 50 <= weekly.diagnostics["observations"] <= 54
    assert weekly.diagnostics["sampling"] == "weekly"
    longer = _run(demo_market, observation_start_date="2020-12-31")
    assert longer.diagnostics["observation_start"] <= pd.Timestamp("2021-01-05")
    assert longer.diagnostics["observations"] > 490


def test_lasso_concentrates_and_ridge_diversifies(demo_market):
    free = _run(demo_market, max_names=None, max_weight=100)
    lasso = _run(demo_market, max_names=None, max_weight=100, lasso_weight=1.0)
    ridge = _run(demo_market, max_names=None, max_weight=100, ridge_weight=1.0)
    eff = lambda r: r.statistics.loc["effective_names", ("in_sample", "Hedge")]  # noqa: E731
    assert len(lasso.constituents) < len(free.constituents)
    assert eff(ridge) > eff(free)


def test_participation_rate_sets_days_to_trade(demo_market):
    slow = _run(demo_market, market_participation_rate=5.0)
    fast = _run(demo_market, market_participation_rate=20.0)
    common = slow.constituents.index.intersection(fast.constituents.index)
    ratio = (
        slow.constituents.loc[common, "days_to_trade"]
        / fast.constituents.loc[common, "days_to_trade"]
    )
    np.testing.assert_allclose(ratio, 4.0, rtol=1e-9)
    pd.testing.assert_index_equal(slow.constituents.index, fast.constituents.index)


def test_market_cap_bounds(demo_market):
    res = _run(demo_market, min_market_cap=2e10, max_market_cap=5e11)
    caps = demo_market.as_of(DATE).market_cap(list(res.constituents.index))["market_cap"]
    assert caps.between(2e10, 5e11).all()
    assert res.diagnostics["universe_filters"]["outside the market-cap bounds"] > 0


def test_universe_forms(demo_market):
    it = _run(demo_market, universe=["XLK"], max_names=5)
    assert (it.constituents["sector"] == "Information Technology").all()
    tickers = _run(
        demo_market, universe=["FRLX", "PLTN", "NBVX", "MXSG"], max_names=None, max_weight=100
    )
    assert set(tickers.constituents.index) <= {"FRLX", "PLTN", "NBVX", "MXSG"}
    with pytest.raises(UnknownIdentifierError, match="SPX"):
        _run(demo_market, universe=["SPX"], explode_universe=False)


def test_target_may_hedge_itself_when_allowed(demo_market):
    res = _run(demo_market, exclude_target_assets=False, max_names=3, max_weight=100)
    assert res.constituents.index[0] == TARGET
    assert res.statistics.loc["variance_reduction", ("in_sample", "Hedge")] > 0.99


@pytest.fixture
def listed_market(demo_store, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    store = Store(home)
    (tmp_path / "htb.csv").write_text("ticker,borrow_cost_bps\nFRLX,800\nNBVX,300\n")
    (tmp_path / "restricted.csv").write_text("ticker\nQLPR\n")
    (tmp_path / "ca.csv").write_text(
        "ticker,type,announce_date,effective_date\nMXSG,Merger,2022-11-01,2023-03-01\n"
    )
    (tmp_path / "esg.csv").write_text(
        "ticker,date,esg\n" + "".join(f"{t},2022-01-03,{i % 10}\n" for i, t in enumerate(
            MarketData(store).tickers
        ))
    )  # fmt: skip
    import_list(tmp_path / "htb.csv", "hard_to_borrow", store)
    import_list(tmp_path / "restricted.csv", "restricted", store)
    import_list(tmp_path / "ca.csv", "corporate_actions", store)
    import_list(tmp_path / "esg.csv", "scores", store)
    return MarketData(store)


def test_lists_and_corporate_actions(listed_market):
    kept = _run(listed_market, max_names=None)
    c = kept.constituents
    if "FRLX" in c.index:
        assert c.loc["FRLX", "borrow_cost_bps"] == 800
    assert (
        c.drop(index=[t for t in ("FRLX", "NBVX") if t in c.index])["borrow_cost_bps"] == 25
    ).all()
    res = _run(
        listed_market,
        exclude_hard_to_borrow_assets=True,
        exclude_restricted_assets=True,
        exclude_corporate_actions_types=["merger"],
    )
    assert not {"FRLX", "NBVX", "QLPR", "MXSG"} & set(res.constituents.index)
    f = res.diagnostics["universe_filters"]
    assert f["hard-to-borrow list"] == 2
    assert f["restricted list"] == 1
    assert f["pending corporate actions"] == 1


def test_esg_bounds(listed_market):
    res = _run(listed_market, constraints=HedgeConstraints(esg=[Constraint("esg", 6.0, 9.0)]))
    scores = listed_market.as_of(DATE).scores("esg")
    c = res.constituents
    avg = float((c["weight"] * scores.reindex(c.index)).sum() / c["weight"].sum())
    assert 5.95 <= avg <= 9.05


def test_grid_search(demo_market):
    calls = []
    found = PerformanceHedge(_params(max_names=None, max_weight=100), demo_market).grid_search(
        lasso_weights=[0.0, 1.0],
        ridge_weights=[0.0, 1.0],
        folds=3,
        progress=lambda i, n: calls.append((i, n)),
    )
    assert len(found.grid) == 4
    assert calls[-1] == (4, 4)
    best = found.grid.loc[found.grid["score"].idxmin()]
    assert found.parameters.lasso_weight == best["lasso_weight"]
    assert found.parameters.ridge_weight == best["ridge_weight"]
    assert len(found.best.constituents) >= 1
    corr = PerformanceHedge(_params(), demo_market).grid_search(
        [0.0], [0.0, 1.0], metric="correlation", folds=2
    )
    assert corr.metric.value == "correlation"
    # the walk-forward engine's fast path picks the same pair and the hedge of `weights()`
    engine = PerformanceHedge(_params(max_names=None, max_weight=100), demo_market)
    w, chosen = engine.grid_weights([0.0, 1.0], [0.0, 1.0], folds=3)
    assert (chosen.lasso_weight, chosen.ridge_weight) == (
        found.parameters.lasso_weight,
        found.parameters.ridge_weight,
    )
    again = PerformanceHedge(chosen, demo_market).weights()
    pd.testing.assert_series_equal(w, again)


def test_future_prices_do_not_move_the_hedge(demo_market, tmp_path):
    from hedgekit.data._demo import demo_bundle_path

    planted = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), planted)
    px = pd.read_parquet(planted / "prices.parquet")
    late = px["date"] > pd.Timestamp(DATE)
    px.loc[late, ["close", "adj_close"]] *= np.random.default_rng(1).uniform(0.3, 3.0, late.sum())[
        :, None
    ]
    px.to_parquet(planted / "prices.parquet")
    store = Store(tmp_path / "home")
    import_bundle(planted, store)
    a = _run(demo_market).constituents
    b = _run(MarketData(store)).constituents
    pd.testing.assert_frame_equal(a, b)


def test_user_errors(demo_market):
    with pytest.raises(UnknownIdentifierError, match="NOPE"):
        _run(demo_market, positions=PositionSet([Position("NOPE", quantity=1)], DATE))
    with pytest.raises(ConfigurationError, match="reference_notional"):
        _run(demo_market, positions=PositionSet([Position(TARGET, weight=1.0)], DATE))
    with pytest.raises(ConfigurationError, match="neither of quantity and weight"):
        _run(demo_market, positions=PositionSet([Position(TARGET)], DATE))
    with pytest.raises(ConfigurationError, match="position set is empty"):
        _run(demo_market, positions=PositionSet([], DATE))
    with pytest.raises(ConfigurationError, match="net notional is 0 USD; a hedge needs a net long"):
        flat = [Position(TARGET, quantity=100), Position(TARGET, quantity=-100)]
        _run(demo_market, positions=PositionSet(flat, DATE))
    with pytest.raises(
        ConfigurationError, match="raise max_weight to >= 10% or max_names to >= 20"
    ):
        _run(demo_market, max_weight=5.0, max_names=10)
    with pytest.raises(InfeasibleError, match="raise max_adv_percentage"):
        _run(demo_market, max_adv_percentage=1e-4)
    with pytest.raises(ConfigurationError, match="minimum 50 is above maximum 10"):
        _run(demo_market, constraints=HedgeConstraints(sectors=[Constraint("Energy", 50, 10)]))
    with pytest.raises(ConfigurationError, match="sampling_period='Hourly'"):
        _run(demo_market, sampling_period="Hourly")
    with pytest.raises(DataError, match="outside the data"):
        _run(demo_market, positions=PositionSet([Position(TARGET, quantity=1)], "2031-01-01"))
    with pytest.raises(InsufficientHistoryError, match="positions without returns"):
        _run(demo_market, positions=PositionSet([Position("TCVD", quantity=1)], "2022-06-30"))
    with pytest.raises(ConfigurationError, match="min_weight=30% is above max_weight=25%"):
        _run(demo_market, min_weight=30.0)
    with pytest.raises(ConfigurationError, match="universe"):
        _run(demo_market, universe=[])


@pytest.mark.realdata
@pytest.mark.parametrize("ticker", ["WDC", "MOS", "AAPL"])
def test_real_data_headline_cases(real_market, ticker):
    # speed is measured by benchmarks/bench_hedge.py, not asserted on a shared machine
    real_market.as_of("2023-12-29").returns("AAPL", window=5)  # panels warm
    params = PerformanceHedgeParameters(
        PositionSet([Position(ticker, quantity=100_000)], "2023-12-29"),
        universe=["SPX"],
        max_names=10,
        max_weight=25.0,
    )
    res = PerformanceHedge(params, real_market).calculate()
    c = res.constituents
    assert 1 <= len(c) <= 10
    assert ticker not in c.index
    assert res.statistics.loc["correlation_with_portfolio", ("in_sample", "Hedge")] > 0.5
    assert "out_of_sample" not in {s for s, _ in res.statistics.columns}  # data ends 2023-12-29
