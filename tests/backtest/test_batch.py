"""The batched date (shared inputs) records exactly what per-target computation records."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hedgekit.backtest._batch import DateBatch, DateForecasts
from hedgekit.backtest._config import BacktestConfig, hold_schedule
from hedgekit.backtest._engine import run_date
from hedgekit.backtest._methods import METHODS, BacktestSettings, Hedge
from hedgekit.backtest._period import Period
from hedgekit.backtest._summary import record_moments

pytestmark = pytest.mark.realdata

#: a member, one with another share class in the index, an energy name, and a stock that
#: joined the index only in 2023 (its factor forecast leaves the date's cross-section)
TARGETS = ("AAPL", "GOOGL", "XOM", "LULU")


def _key(record: dict[str, Any]) -> str:
    """A record without its timing, as exact text (floats by repr, NaN as NaN)."""
    return json.dumps({k: v for k, v in record.items() if k != "seconds"}, sort_keys=True)


def test_batched_records_equal_per_target_records(real_store, real_market, real_risk_model):
    """Every method (the semantic ones on TF-IDF), two dates: the batched date's records
    equal those of each target run alone, each (target, method) from a context of its own,
    on a market of its own (cold caches), to the last bit."""
    from hedgekit.data import MarketData

    settings = BacktestSettings(embedder="tfidf")
    config = BacktestConfig.create(
        TARGETS, "2022-06-30", "2022-08-31", list(METHODS), settings=settings
    )
    extras = {"study_model": real_risk_model}
    alone_market = MarketData(real_store)
    for date, nxt in hold_schedule(real_market, config):
        batched = run_date(real_market, date, nxt, TARGETS, config, real_risk_model, extras)
        alone = [
            rec
            for t in TARGETS
            for rec in run_date(
                alone_market, date, nxt, [t], config, real_risk_model, extras, batched=False
            )
        ]
        assert len(batched) == len(TARGETS) * (len(METHODS) + 1)
        failed = [(r["target"], r["method"], r["error"]) for r in batched if r["status"] != "ok"]
        assert not failed
        assert [_key(r) for r in batched] == [_key(r) for r in alone]


def _frame_holding(period: Period, target: str, hedge: Hedge) -> dict[str, Any]:
    """The holding simulation on data frames, as the engine computed it before the arrays
    (the reference of :meth:`Period.holding`)."""
    days = period.days
    stocks = [t for t in hedge.stocks.index if t != target]
    rets = period.stock_returns([target, *stocks])
    missing = int(rets.isna().sum().sum())
    r_t = rets[target].fillna(0.0).to_numpy()
    legs = [rets[stocks].fillna(0.0)] if stocks else []
    weights = [hedge.stocks.reindex(stocks).to_numpy(dtype="float64")] if stocks else []
    etfs = list(hedge.etfs.index)
    if etfs:
        er = period.etf_returns(etfs)
        missing += int(er.isna().sum().sum())
        legs.append(er.fillna(0.0))
        weights.append(hedge.etfs.to_numpy(dtype="float64"))
    V = np.cumprod(1.0 + r_t)
    V_prev = np.concatenate([[1.0], V[:-1]])
    if legs:
        R = np.column_stack([leg.to_numpy() for leg in legs])
        w0 = np.concatenate(weights)
        H = w0 * np.cumprod(1.0 + R, axis=0)
        H_prev = np.vstack([w0, H[:-1]])
        hedge_pnl = (H - H_prev).sum(axis=1) / V_prev
        w_end = H[-1] / V[-1]
        names = [*stocks, *etfs]
    else:
        hedge_pnl = np.zeros(len(days))
        w_end, names = np.zeros(0), []
    return {
        "end_date": f"{days[-1]:%Y-%m-%d}",
        "days": [f"{d:%Y-%m-%d}" for d in days],
        "unhedged": r_t.tolist(),
        "hedge": hedge_pnl.tolist(),
        "weights_end": dict(zip(names, map(float, w_end), strict=True)),
        "missing_returns": missing,
        **record_moments(r_t, r_t - hedge_pnl),
    }


def test_holding_on_arrays_equals_the_frame_simulation(real_market):
    """Stocks (a name outside the index read on demand, the target itself in the basket, a
    name that stops trading inside the hold), ETFs, both, nothing: the same record."""
    date, nxt = pd.Timestamp("2022-06-30"), pd.Timestamp("2022-07-29")
    view = real_market.as_of(date)
    members = view.tradable(view.members("SPX"))
    gone = [t for t in members if t not in real_market.as_of(nxt).tradable(members)]
    period = Period(real_market, date, nxt, [*members, "AAPL"])
    outsider = next(t for t in ("LULU", "JEF", "ODFL") if t not in members)
    stocks = pd.Series({"MSFT": 0.4, "XOM": 0.25, outsider: 0.2, "AAPL": 0.1})
    if gone:
        stocks[gone[0]] = 0.05
    hedges = [
        Hedge(stocks=stocks),
        Hedge(etfs=pd.Series({"SPY": 0.7, "XLK": 0.3})),
        Hedge(stocks=stocks.iloc[:2], etfs=pd.Series({"SPY": 0.5})),
        Hedge(),
    ]
    for hedge in hedges:
        new = period.holding("AAPL", hedge)
        assert json.dumps(new, sort_keys=True) == json.dumps(
            _frame_holding(period, "AAPL", hedge), sort_keys=True
        )


def test_date_forecasts_fetch_once_and_pass_the_rest_on(real_market, real_risk_model):
    """Members share the model's own forecast object; an outsider, another date or no
    market go to the model; other attributes are the model's."""
    date = pd.Timestamp("2022-06-30")
    view = real_market.as_of(date)
    members = view.tradable(view.members())
    shared = DateForecasts(real_risk_model, real_market, date)
    first = shared.forecast(date, real_market, include=["AAPL"])
    assert first is real_risk_model.forecast(date, real_market, include=["AAPL"])
    assert shared.forecast(date, real_market, include=[members[5]]) is first
    outsider = next(t for t in ("LULU", "JEF", "ODFL") if t not in members)
    own = shared.forecast(date, real_market, include=[outsider])
    assert outsider in own.exposures.index and outsider not in first.exposures.index
    later = pd.Timestamp("2022-07-29")
    assert shared.forecast(later, real_market, include=["AAPL"]) is real_risk_model.forecast(
        later, real_market, include=["AAPL"]
    )
    assert shared.factor_returns_ is real_risk_model.factor_returns_


def test_a_batch_shares_one_memo_and_one_forecast_per_date(real_market, real_risk_model):
    date, nxt = pd.Timestamp("2022-06-30"), pd.Timestamp("2022-07-29")
    batch = DateBatch(
        real_market, date, nxt, ["AAPL", "XOM"], BacktestSettings(), real_risk_model, {}
    )
    a, b = batch.context("AAPL"), batch.context("XOM")
    assert a.shared is b.shared and a.risk_model is b.risk_model
    assert isinstance(a.risk_model, DateForecasts)
    assert batch.tradable == {"AAPL", "XOM"}
