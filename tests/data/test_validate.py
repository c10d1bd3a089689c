"""Malformed input is rejected at the boundary with file, row, column and fix."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit import MalformedDataError
from hedgekit.data import TABLES
from hedgekit.data._validate import coerce_table, normalize_ticker_column

PRICES = TABLES["prices"]


def _prices(**overrides) -> pd.DataFrame:
    base = {
        "date": ["2020-01-02", "2020-01-03", "2020-01-02"],
        "ticker": ["aaa", "AAA", "bbb"],
        "close": [10.0, 10.5, 20.0],
        "adj_close": [9.0, 9.5, 20.0],
        "volume": [100, 200, 300],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_clean_frame_is_typed_sorted_and_complete():
    out = coerce_table(_prices(), PRICES, "p.csv")
    assert list(out.columns) == list(PRICES.columns)
    assert out["date"].dtype == "datetime64[ns]"
    assert list(out["ticker"]) == ["AAA", "AAA", "BBB"]
    assert out["open"].isna().all()


def test_missing_required_column():
    with pytest.raises(
        MalformedDataError, match=r"p\.csv: missing required column\(s\) \['close'\]"
    ):
        coerce_table(_prices().drop(columns="close"), PRICES, "p.csv")


def test_unparseable_date_names_row_and_column():
    bad = _prices(date=["2020-01-02", "not a date", "2020-01-02"])
    with pytest.raises(
        MalformedDataError, match=r"p\.csv, row 2, column 'date': cannot parse 'not a date'"
    ):
        coerce_table(bad, PRICES, "p.csv")


def test_non_numeric_price():
    with pytest.raises(MalformedDataError, match=r"row 3, column 'close': cannot read 'abc'"):
        coerce_table(_prices(close=["1", "2", "abc"]), PRICES, "p.csv")


@pytest.mark.parametrize("value", [0.0, -5.0])
def test_non_positive_price(value):
    with pytest.raises(MalformedDataError, match=r"row 2, column 'close': non-positive value"):
        coerce_table(_prices(close=[1.0, value, 2.0]), PRICES, "p.csv")


def test_negative_volume():
    with pytest.raises(MalformedDataError, match=r"column 'volume': negative value"):
        coerce_table(_prices(volume=[1, -1, 2]), PRICES, "p.csv")


def test_duplicate_key_names_the_key():
    dup = _prices(date=["2020-01-02", "2020-01-02", "2020-01-02"], ticker=["AAA", "aaa", "BBB"])
    with pytest.raises(MalformedDataError, match=r"row 2: duplicate key .*'ticker': 'AAA'"):
        coerce_table(dup, PRICES, "p.csv")


def test_empty_key():
    with pytest.raises(MalformedDataError, match=r"row 1, column 'ticker': empty value"):
        coerce_table(_prices(ticker=["", "AAA", "BBB"]), PRICES, "p.csv")


def test_infinite_value():
    with pytest.raises(MalformedDataError, match="infinite"):
        coerce_table(_prices(adj_close=[1.0, float("inf"), 2.0]), PRICES, "p.csv")


def test_whole_numbers_for_int_columns():
    fund = pd.DataFrame({"ticker": ["A"], "fiscal_year": [2020.5], "publish_date": ["2021-01-01"]})
    with pytest.raises(MalformedDataError, match="whole number"):
        coerce_table(fund, TABLES["fundamentals"], "f.csv")


def test_booleans_parse_from_text():
    sec = pd.DataFrame({"ticker": ["A", "B"], "possible_ticker_reuse": ["true", "no"]})
    out = coerce_table(sec, TABLES["securities"], "s.csv")
    assert list(out["possible_ticker_reuse"]) == [True, False]
    with pytest.raises(MalformedDataError, match="true/false"):
        coerce_table(sec.assign(possible_ticker_reuse=["maybe", "no"]), TABLES["securities"], "s")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("brk.b", "BRK-B"),
        (" BRK/B ", "BRK-B"),
        ("bf b", "BF-B"),
        ("AAPL", "AAPL"),
        ("^gspc", "^GSPC"),
    ],
)
def test_ticker_normalisation(raw, expected):
    assert normalize_ticker_column(pd.Series([raw])).iloc[0] == expected


@given(st.lists(st.one_of(st.text(max_size=12), st.floats(allow_nan=True)), min_size=1, max_size=8))
def test_arbitrary_price_cells_either_parse_or_raise_malformed(cells):
    frame = pd.DataFrame(
        {
            "date": ["2020-01-02"] * len(cells),
            "ticker": [f"T{i}" for i in range(len(cells))],
            "close": cells,
        }
    )
    try:
        out = coerce_table(frame, PRICES, "fuzz.csv")
    except MalformedDataError as exc:
        assert "fuzz.csv" in str(exc)
    else:
        assert (out["close"].dropna() > 0).all()


def test_timezone_aware_dates_keep_their_local_day():
    dates = pd.to_datetime(["2020-01-02 00:00", "2020-01-03 00:00"]).tz_localize("Asia/Tokyo")
    frame = pd.DataFrame({"date": dates, "ticker": ["A", "A"], "close": [1.0, 2.0]})
    out = coerce_table(frame, PRICES, "tz.csv")
    assert list(out["date"].dt.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]
