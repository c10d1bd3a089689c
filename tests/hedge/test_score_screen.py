"""min_esg_score: a screen that removes candidates below a score, or without one, point in time.

The real bundle has no scores, so these run on a copy of the demo store with a scores file
imported (``hedgekit data import-list scores FILE``).
"""

from __future__ import annotations

import shutil

import pytest

from hedgekit import ConfigurationError, DataError
from hedgekit.data import MarketData, Store, import_list
from hedgekit.hedge import (
    HedgeRequest,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

DATE = "2022-12-30"
TARGET = "KSTD"


@pytest.fixture(scope="module")
def scored(demo_store, tmp_path_factory):
    """The demo store with an 'esg' score: every other candidate scored before DATE, one
    name re-scored low after it, one scored only after it."""
    tmp = tmp_path_factory.mktemp("scored")
    shutil.copytree(demo_store.home, tmp / "home")
    store = Store(tmp / "home")
    market = MarketData(store)
    names = [t for t in market.as_of(DATE).members("SPX") if t != TARGET][:24]
    high, low, late_low, late_only = names[:8], names[8:16], names[16], names[17]
    rows = [f"{t},2022-01-03,7\n" for t in [*high, late_low]]
    rows += [f"{t},2022-01-03,2\n" for t in low]
    rows += [f"{late_low},2023-01-05,1\n", f"{late_only},2023-01-05,9\n"]
    (tmp / "esg.csv").write_text("ticker,date,esg\n" + "".join(rows))
    import_list(tmp / "esg.csv", "scores", store)
    return MarketData(store), names, high, low, late_low, late_only


def _params(universe, **kw) -> PerformanceHedgeParameters:
    return PerformanceHedgeParameters(
        PositionSet([Position(TARGET, quantity=1_000_000)], DATE),
        universe=tuple(universe),
        explode_universe=False,
        **kw,
    )


def test_the_screen_removes_low_and_unscored_names_point_in_time(scored):
    market, _names, high, low, late_low, late_only = scored
    universe = [*high, *low, late_low, late_only]
    res = PerformanceHedge(_params(universe, min_esg_score={"esg": 5}), market).calculate()
    held = set(res.constituents.index)
    assert held <= {*high, late_low}  # a score dated after the hedge date does not filter
    f = res.diagnostics["universe_filters"]
    assert f["esg score below 5"] == len(low)
    assert f["no esg score"] == 1  # late_only: its only score is after the date
    plain = PerformanceHedge(_params(universe), market).calculate()
    assert "esg score below 5" not in plain.diagnostics["universe_filters"]


def test_without_the_screen_the_hedge_is_unchanged(scored):
    market, names, *_ = scored
    a = PerformanceHedge(_params(names), market).calculate()
    b = PerformanceHedge(_params(names, min_esg_score=None), market).calculate()
    assert a.constituents.equals(b.constituents)


def test_request_round_trip_and_bad_values():
    params = _params(["SPX"], min_esg_score={"esg": 5.5})
    request = HedgeRequest.from_parameters(params)
    assert request.parameters.min_esg_score == {"esg": 5.5}
    assert request.to_parameters().min_esg_score == {"esg": 5.5}
    assert hash(params)  # still hashable
    with pytest.raises(ConfigurationError, match=r"min_esg_score\.esg: input should be"):
        _params(["SPX"], min_esg_score={"esg": float("nan")}).validate()
    with pytest.raises(ConfigurationError, match="must map score names to minimums"):
        _params(["SPX"], min_esg_score=5.0)


def test_an_unknown_score_names_the_known_ones(scored):
    market, names, *_ = scored
    with pytest.raises(DataError, match=r"no score named 'carbon' .*known: esg"):
        PerformanceHedge(_params(names, min_esg_score={"carbon": 1}), market).calculate()
