"""Golden numbers: a fixed set of hedges and a small backtest on the demo market give the
numbers recorded in ``tests/golden/numbers.json`` (issue 18: refactors change no number).

A change that moves these numbers on purpose (a new default, a fixed bug) regenerates the file
with ``HEDGEKIT_UPDATE_GOLDEN=1 pytest tests/test_golden_numbers.py`` and says why in its
commit; a refactor never does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hedgekit.backtest import BacktestConfig, load_results, run_backtest
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

GOLDEN = Path(__file__).parent / "golden" / "numbers.json"
CASES = [
    ("KSTD", "2022-12-30", {}),
    ("AMBY", "2023-06-30", {"estimator": "sample", "max_names": 5}),
    ("ARDN", "2022-06-30", {"max_weight": 40.0, "ridge_weight": 0.5}),
    ("KSTD", "2023-06-30", {"method": "factor"}),
]


def _numbers(demo_market, tmp_path) -> dict[str, Any]:
    hedges = {}
    for ticker, date, kw in CASES:
        ps = PositionSet([Position(ticker, quantity=100_000)], date)
        params = PerformanceHedgeParameters(ps, max_return_deviation=1e6, **kw)
        res = PerformanceHedge(params, demo_market).calculate()
        key = f"{ticker}@{date}:{json.dumps(kw, sort_keys=True)}"
        hedges[key] = {
            "shares": {str(t): int(s) for t, s in res.constituents["shares"].items()},
            "tracking_error": round(
                float(res.statistics.loc["tracking_error", ("in_sample", "Hedge")]), 10
            ),
        }
    cfg = BacktestConfig.create(
        ["KSTD", "AMBY", "ARDN"], "2022-06-30", "2022-09-30", ["default", "returns", "spy"]
    )
    run_backtest(cfg, demo_market, tmp_path / "run")
    frame = load_results(tmp_path / "run", daily=False)[0]
    rows = frame.sort_values(["rebalance", "target", "method"])
    backtest = [
        {
            "rebalance": str(r["rebalance"])[:10],
            "target": str(r["target"]),
            "method": str(r["method"]),
            "names": int(r["names"]),
            "turnover": round(float(r["turnover"]), 10),
            "variance_reduction": round(float(r["variance_reduction"]), 10),
        }
        for r in rows.to_dict("records")
    ]
    return {"hedges": hedges, "backtest": backtest}


def test_the_numbers_do_not_move(demo_market, tmp_path):
    got = _numbers(demo_market, tmp_path)
    if os.environ.get("HEDGEKIT_UPDATE_GOLDEN") or not GOLDEN.exists():
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        if not os.environ.get("HEDGEKIT_UPDATE_GOLDEN"):
            pytest.fail(f"{GOLDEN} was missing and is now written; commit it")
    want = json.loads(GOLDEN.read_text())
    assert got["hedges"].keys() == want["hedges"].keys()
    for key, hedge in got["hedges"].items():
        ref = want["hedges"][key]
        assert hedge["shares"].keys() == ref["shares"].keys(), key
        for t, shares in hedge["shares"].items():  # whole shares: one share of rounding slack
            assert abs(shares - ref["shares"][t]) <= 1, (key, t)
        assert hedge["tracking_error"] == pytest.approx(ref["tracking_error"], rel=1e-6), key
    assert len(got["backtest"]) == len(want["backtest"]) > 0
    for a, b in zip(got["backtest"], want["backtest"], strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(b[k], float):
                assert a[k] == pytest.approx(b[k], abs=1e-6), (a, b)
            else:
                assert a[k] == b[k]
