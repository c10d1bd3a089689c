"""import_table says so when a few names' rows move the data's end (issue 17, item 4)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from hedgekit.data import MarketData, Store, import_table


@pytest.fixture
def store(demo_store, tmp_path):
    """A copy of the demo store this test may import into."""
    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    return Store(home)


def _rows(market: MarketData, tickers, days) -> pd.DataFrame:
    last = market.as_of(market.end).prices(list(tickers), start=market.end).iloc[-1]
    return pd.DataFrame(
        [
            {"ticker": t, "date": f"{d:%Y-%m-%d}", "close": round(float(last[t]), 2)}
            for t in tickers
            for d in days
        ]
    )


def test_rows_after_the_rest_name_the_stocks_and_the_date_most_end(store, tmp_path):
    before = MarketData(store)
    end = before.end
    later = pd.bdate_range(end + pd.Timedelta(days=1), periods=10)
    path = tmp_path / "late.csv"
    _rows(before, ["KSTD", "AMBY"], later).to_csv(path, index=False)
    report = import_table(path, "prices", store)
    after = MarketData(store)
    assert after.end == later[-1] and after.coverage_end == end
    (warning,) = [w for w in report.warnings if "only a few stocks" in w]
    assert "2 stock(s) imported with rows after the rest (AMBY, KSTD)" in warning
    assert f"most stocks end {end:%Y-%m-%d}" in warning
    assert f"the data's last date, {later[-1]:%Y-%m-%d}" in warning
    assert f"--date {end:%Y-%m-%d}" in warning
    assert warning in report.to_dict()["warnings"]


def test_rows_inside_the_data_or_for_every_stock_warn_nothing(store, tmp_path):
    market = MarketData(store)
    inside = tmp_path / "inside.csv"
    _rows(market, ["KSTD"], [market.end]).to_csv(inside, index=False)
    report = import_table(inside, "prices", store)
    assert not [w for w in report.warnings if "only a few stocks" in w]
    # every stock one day later: the end moves with the data, nothing to say
    day = pd.bdate_range(market.end + pd.Timedelta(days=1), periods=1)
    everyone = tmp_path / "everyone.csv"
    _rows(
        market,
        list(market.priced_tickers & set(market.as_of(market.end).tradable(list(market.tickers)))),
        day,
    ).to_csv(everyone, index=False)
    report = import_table(everyone, "prices", store)
    assert MarketData(store).coverage_end == day[0]
    assert not [w for w in report.warnings if "only a few stocks" in w]
