"""Cooperative cancellation (``hedgekit.CancelToken``): the library stops at its checkpoints."""

from __future__ import annotations

import threading
import time

import pytest

from hedgekit import Cancelled, CancelToken, cancellable, checkpoint
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, PositionSet
from hedgekit.risk import FactorRiskModel


def test_a_checkpoint_outside_a_block_or_not_cancelled_returns():
    checkpoint()
    with cancellable(CancelToken()):
        checkpoint()


def test_the_innermost_block_decides_and_the_outer_token_holds_after_it():
    outer, inner = CancelToken(), CancelToken()
    outer.cancel("outer")
    with cancellable(outer):
        with cancellable(inner):
            checkpoint()  # the inner token is not cancelled
        with pytest.raises(Cancelled, match="outer"):
            checkpoint()


def test_cancelled_is_not_swallowed_by_except_exception():
    token = CancelToken()
    token.cancel("stop")
    with pytest.raises(Cancelled), cancellable(token):
        try:
            checkpoint()
        except Exception:  # what a backtest's per-target guard does
            pytest.fail("Cancelled must not be an Exception")


def test_the_first_reason_is_kept():
    token = CancelToken()
    token.cancel("deleted")
    token.cancel("revoked")
    assert token.cancelled and token.reason == "deleted"


def test_a_cancelled_hedge_stops_before_computing(demo_market, monkeypatch):
    params = PerformanceHedgeParameters(
        initial_portfolio=PositionSet.from_dicts(
            [{"identifier": "KSTD", "quantity": 1000}], "2022-12-30"
        ),
        universe=("SPX",),
    )
    engine = PerformanceHedge(params, market=demo_market)
    calls = []
    monkeypatch.setattr(engine, "_prepare", lambda: calls.append(1))
    token = CancelToken()
    token.cancel("deleted by its owner")
    with pytest.raises(Cancelled, match="deleted by its owner"), cancellable(token):
        engine.calculate()
    assert calls == []  # nothing was computed
    assert PerformanceHedge(params, market=demo_market).calculate().constituents is not None


def test_a_risk_model_fit_stops_between_months(demo_market, monkeypatch):
    """Cancelled while its third month is regressed, the fit stops before the fourth."""
    import hedgekit.risk._model as model_module

    token = CancelToken()
    months = []
    real_regress = model_module.regress_block

    def regress(*args, **kwargs):
        months.append(1)
        if len(months) == 3:
            token.cancel("stop the fit")  # as a DELETE arriving from another thread would
        return real_regress(*args, **kwargs)

    monkeypatch.setattr(model_module, "regress_block", regress)
    with pytest.raises(Cancelled, match="stop the fit"), cancellable(token):
        FactorRiskModel("2020-06-30", "2022-12-30").fit(demo_market)
    assert len(months) == 3


def test_a_token_cancelled_from_another_thread_stops_the_worker():
    token = CancelToken()
    stopped = threading.Event()

    def work():
        with cancellable(token):
            try:
                while True:
                    checkpoint()
                    time.sleep(0.001)
            except Cancelled:
                stopped.set()

    worker = threading.Thread(target=work)
    worker.start()
    token.cancel("from the main thread")
    worker.join(10)
    assert stopped.is_set() and not worker.is_alive()
