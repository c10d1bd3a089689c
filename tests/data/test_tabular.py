"""Generic table and user-list imports: layouts, mapping, checks, atomicity, the CLI."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hedgekit import ConfigurationError, HedgekitError, MalformedDataError
from hedgekit.cli._app import app, main
from hedgekit.data import Store
from hedgekit.data.tabular import import_list, import_table, read_table_file
from hedgekit.data.tabular._columns import _norm

BBG_MAP = {"Security": "ticker", "Date": "date", "PX_LAST": "close", "PX_VOLUME": "volume"}
CLOSE_MAP = {"Security": "ticker", "Date": "date", "PX_LAST": "close"}

BBG_LONG = """\
Security,Date,PX_LAST,PX_VOLUME,Name
AAPL UW Equity,2024-01-02,185.64,82488700,Apple Inc
AAPL UW Equity,2024-01-03,184.25,58414500,Apple Inc
BRK/B US Equity,2024-01-02,362.45,"3,000,000",Berkshire Hathaway
"""

FACTSET_WIDE = """\
Date,AAPL-US,MSFT US Equity,GOOGL.OQ
02/01/2024,185.64,370.87,
03/01/2024,184.25,#N/A N/A,138.92
04/01/2024,181.91,367.94,136.39
"""


# ------------------------------------------------------------------------------ helpers
def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _store(tmp_path: Path) -> Store:
    return Store(tmp_path / "home")


def _closes(store: Store) -> dict[tuple[str, str], float]:
    """{(ticker, 'YYYY-MM-DD'): close} of the store's prices."""
    prices = store.read("prices")
    return {
        (t, f"{d:%Y-%m-%d}"): c
        for t, d, c in zip(prices["ticker"], prices["date"], prices["close"], strict=True)
    }


def _store_with_securities(tmp_path: Path, tickers: list[str]) -> Store:
    store = _store(tmp_path)
    rows = "\n".join(f"{t},{t} Corp,Information Technology" for t in tickers)
    sec = _file(tmp_path, "sec.csv", f"ticker,name,gics_sector\n{rows}\n")
    import_table(sec, "securities", store)
    return store


def _bbg(tmp_path: Path, text: str = BBG_LONG, name: str = "px.csv") -> Path:
    return _file(tmp_path, name, text)


# --------------------------------------------------------------------------- layouts
def test_bloomberg_long_csv_is_mapped_normalised_and_reported(tmp_path):
    store = _store(tmp_path)
    report = import_table(_bbg(tmp_path), "prices", store, mapping=BBG_MAP)
    prices = store.read("prices")
    assert list(prices["ticker"]) == ["AAPL", "AAPL", "BRK-B"]
    assert _closes(store)[("BRK-B", "2024-01-02")] == 362.45
    assert prices["volume"].tolist() == [82488700.0, 58414500.0, 3_000_000.0]
    # one close only: the other gets the same values, and the report says so
    np.testing.assert_array_equal(prices["adj_close"], prices["close"])
    assert any("adj_close was set to the same values" in w for w in report.warnings)
    assert any("'Name'" in w and "ignored" in w for w in report.warnings)
    assert any("no securities table" in w for w in report.warnings)
    assert report.rows == {"prices": 3}
    assert report.derived["rows_in_table"] == 3


def test_factset_wide_csv_melts_to_long(tmp_path):
    store = _store(tmp_path)
    path = _file(tmp_path, "adj.csv", FACTSET_WIDE)
    report = import_table(
        path, "prices", store, layout="wide", field="adj_close", date_format="%d/%m/%Y"
    )
    prices = store.read("prices")
    # blank and "#N/A N/A" cells are no rows: 3 + 2 + 2
    assert report.rows == {"prices": 7}
    assert prices.groupby("ticker").size().to_dict() == {"AAPL": 3, "GOOGL": 2, "MSFT": 2}
    closes = _closes(store)
    assert closes[("AAPL", "2024-01-04")] == 181.91  # day first
    assert ("MSFT", "2024-01-03") not in closes
    np.testing.assert_array_equal(prices["adj_close"], prices["close"])
    assert any("close was set to the same values" in w for w in report.warnings)


def test_wide_file_with_mapped_date_column_and_semicolons(tmp_path):
    store = _store(tmp_path)
    path = _file(tmp_path, "bench.txt", "SPY US Equity;As Of\n470.5;2024-01-02\n468.8;2024-01-03\n")
    import_table(
        path, "benchmarks", store, layout="wide", field="adj_close", mapping={"As Of": "date"}
    )
    bench = store.read("benchmarks")
    assert bench["ticker"].tolist() == ["SPY", "SPY"]
    assert bench["adj_close"].tolist() == [470.5, 468.8]


def test_parquet_file_with_store_like_headers(tmp_path):
    store = _store(tmp_path)
    path = tmp_path / "px.pq"
    pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "Ticker": ["msft", "MSFT"],
            "Close": [370.87, 370.6],
            "Adj Close": [368.1, 367.9],
        }
    ).to_parquet(path)
    report = import_table(path, "prices", store)
    prices = store.read("prices")
    assert prices["ticker"].tolist() == ["MSFT", "MSFT"]
    assert prices["adj_close"].tolist() == [368.1, 367.9]
    assert prices["close"].tolist() == [370.87, 370.6]
    assert report.warnings == ["the store has no securities table, and securities list the "
                               "tickers a market offers: import one (import_table(..., "
                               "'securities') / hedgekit data import-table FILE --table "
                               "securities) or a bundle"]  # fmt: skip


def test_wide_parquet_with_dates_as_index(tmp_path):
    store = _store(tmp_path)
    path = tmp_path / "adj.parquet"
    frame = pd.DataFrame(
        {"AAPL US Equity": [185.6, 184.2], "MSFT-US": [370.9, np.nan]},
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date"),
    )
    frame.to_parquet(path)
    report = import_table(path, "prices", store, layout="wide", field="adj_close")
    assert report.rows == {"prices": 3}
    assert sorted(_closes(store)) == [
        ("AAPL", "2024-01-02"),
        ("AAPL", "2024-01-03"),
        ("MSFT", "2024-01-02"),
    ]


@pytest.mark.parametrize(
    "text",
    ["\ufeffa,b,\n001,,\n", "a,b\n001,,\n", "a\tb\n001\t\n"],
    ids=["bom-and-empty-column", "trailing-delimiter", "tabs"],
)
def test_read_table_file_keeps_text_and_drops_empty_trailing_fields(tmp_path, text):
    frame = read_table_file(_file(tmp_path, "x.txt", text))
    assert list(frame.columns) == ["a", "b"]
    assert frame.loc[0, "a"] == "001"
    assert pd.isna(frame.loc[0, "b"])


# --------------------------------------------------------------------- merge, replace
def test_merge_upserts_by_key_and_replace_replaces(tmp_path):
    store = _store(tmp_path)
    import_table(_bbg(tmp_path), "prices", store, mapping=BBG_MAP)
    update = _bbg(
        tmp_path,
        "Security,Date,PX_LAST\nAAPL UW Equity,2024-01-03,190.0\nMSFT UW Equity,2024-01-03,370\n",
        "update.csv",
    )
    report = import_table(update, "prices", store, mapping=CLOSE_MAP)
    closes = _closes(store)
    assert closes == {
        ("AAPL", "2024-01-02"): 185.64,
        ("AAPL", "2024-01-03"): 190.0,
        ("BRK-B", "2024-01-02"): 362.45,
        ("MSFT", "2024-01-03"): 370.0,
    }
    assert report.derived["rows_replaced"] == 1
    assert report.derived["rows_in_table"] == 4
    # the update gives no volume or adj_close: the stored row keeps its own
    aapl = store.read("prices").set_index(["ticker", "date"]).loc[("AAPL", "2024-01-03")]
    assert aapl["volume"] == 58414500.0
    assert aapl["adj_close"] == 184.25
    assert report.derived["rows_keeping_stored_columns"] == 1

    report = import_table(update, "prices", store, mapping=CLOSE_MAP, mode="replace")
    assert _closes(store) == {("AAPL", "2024-01-03"): 190.0, ("MSFT", "2024-01-03"): 370.0}
    assert report.derived["rows_removed"] == 4


def test_new_price_tickers_get_minimal_securities_rows(tmp_path):
    store = _store_with_securities(tmp_path, ["AAPL"])
    report = import_table(_bbg(tmp_path), "prices", store, mapping=BBG_MAP)
    sec = store.read("securities").set_index("ticker")
    assert sorted(sec.index) == ["AAPL", "BRK-B"]
    assert sec.loc["AAPL", "name"] == "AAPL Corp"  # existing row kept
    assert pd.isna(sec.loc["BRK-B", "name"])
    assert sec.loc["BRK-B", "currency"] == "USD"
    assert sec.loc["AAPL", "first_price_date"] == pd.Timestamp("2024-01-02")
    assert sec.loc["AAPL", "last_price_date"] == pd.Timestamp("2024-01-03")
    assert report.derived["securities_added"] == 1
    assert any("added 1 securities row(s)" in w and "BRK-B" in w for w in report.warnings)


def test_unknown_tickers_of_a_list_are_reported(tmp_path):
    store = _store_with_securities(tmp_path, ["AAPL"])
    path = _file(tmp_path, "r.csv", "ticker\nAAPL\nAPPL\n")
    report = import_list(path, "restricted", store)
    assert any("1 ticker(s) are not securities" in w and "APPL" in w for w in report.warnings)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        pytest.param(
            "Security,Date,PX_VOLUME\nAAPL US Equity,2024-01-02,1\n",
            {"mapping": {"Security": "ticker", "Date": "date"}},
            r"px\.csv: missing required column\(s\) \['close'\] for table 'prices'; the file "
            r"has \['Security', 'Date', 'PX_VOLUME'\]: .*--map '<column>=close'",
            id="missing-column",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL,2024-01-02,1\nAAPL,notadate,2\n",
            {"mapping": CLOSE_MAP},
            r"px\.csv, row 2, column 'Date': cannot parse 'notadate' as a date",
            id="bad-date",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL,02/01/2024,1\nAAPL,2024-01-03,2\n",
            {"mapping": CLOSE_MAP, "date_format": "%d/%m/%Y"},
            r"row 2, column 'Date': '2024-01-03' does not match the date format '%d/%m/%Y'",
            id="date-format",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL UW Equity,2024-01-02,1\nAAPL US,2024-01-02,2\n",
            {"mapping": CLOSE_MAP},
            r"px\.csv, row 2: duplicate key \{'date': '2024-01-02 00:00:00', 'ticker': 'AAPL'\}",
            id="duplicate-key",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL,2024-01-02,-1\n",
            {"mapping": CLOSE_MAP},
            r"row 1, column 'PX_LAST': non-positive value .*-1\.0.*; prices must be > 0",
            id="negative-price",
        ),
        pytest.param(
            'Security,Date,PX_LAST\nAAPL,2024-01-02,"12,5"\n',
            {"mapping": CLOSE_MAP},
            r"row 1, column 'PX_LAST': '12,5' is not a number.*decimal commas",
            id="decimal-comma",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL,2024-01-02,12\nAAPL,2024-01-03,12,5\n",
            {"mapping": CLOSE_MAP},
            r"px\.csv, row 2: 4 fields but the header has 3; quote values that contain ','",
            id="extra-field",
        ),
        pytest.param(
            "Security,Date,PX_LAST\nAAPL,2024-01-02,1,234.5\n",
            {"mapping": CLOSE_MAP},
            r"px\.csv, row 1: 4 fields but the header has 3",
            id="extra-field-first-row",
        ),
        pytest.param(
            "Security;Date;PX_LAST\nAAPL;2024-01-02;12,5\n",
            {"mapping": CLOSE_MAP},
            r"row 1, column 'PX_LAST': '12,5' is not a number",
            id="semicolon-decimal-comma",
        ),
        pytest.param(
            "Security,Date,PX_LAST,Crncy\nAAPL,2024-01-02,1,USD\nSAP,2024-01-02,2,EUR\n"
            "VOD,2024-01-02,3,gbp\n",
            {"mapping": {**CLOSE_MAP, "Crncy": "currency"}},
            r"px\.csv, column 'Crncy': holds values in \['EUR', 'GBP'\] besides USD; hedgekit "
            r"stores USD only: convert the file to USD.*fx=\{'EUR': <USD per EUR>\}",
            id="currency-without-fx",
        ),
        pytest.param(
            "Security,Date,PX_LAST,currency\nSAP,2024-01-02,2,EUR\nVOD,2024-01-02,3,GBP\n",
            {"mapping": CLOSE_MAP, "fx": {"EUR": 1.1}},
            r"column 'currency': no fx rate for \['GBP'\]",
            id="currency-missing-rate",
        ),
        pytest.param(
            BBG_LONG,
            {"mapping": {**BBG_MAP, "Nope": "close"}},
            r"mapping names column\(s\) \['Nope'\] that the file does not have; the file's "
            r"columns are \['Security', 'Date', 'PX_LAST', 'PX_VOLUME', 'Name'\]",
            id="unknown-mapping-column",
        ),
        pytest.param(
            "Security,Date,PX_LAST\n",
            {"mapping": CLOSE_MAP},
            r"px\.csv: the file holds no data rows",
            id="no-rows",
        ),
        pytest.param("", {}, r"px\.csv: the file is empty", id="empty-file"),
    ],
)
def test_long_file_errors_name_file_row_and_column(tmp_path, text, kwargs, match):
    store = _store(tmp_path)
    with pytest.raises(MalformedDataError, match=match):
        import_table(_bbg(tmp_path, text), "prices", store, **kwargs)
    assert not store.exists()


def test_wide_file_errors_point_at_the_cell(tmp_path):
    path = _file(tmp_path, "w.csv", "Date,AAPL US Equity,MSFT US Equity\n2024-01-02,1,2\n"
                 "2024-01-03,3,-4\n")  # fmt: skip
    with pytest.raises(
        MalformedDataError, match=r"w\.csv, row 2, column 'MSFT US Equity': non-positive value"
    ):
        import_table(path, "prices", _store(tmp_path), layout="wide", field="close")
    path = _file(tmp_path, "w2.csv", "Date,AAPL,AAPL US Equity\n2024-01-02,1,2\n")
    with pytest.raises(MalformedDataError, match=r"columns 'AAPL' and 'AAPL US Equity' both name"):
        import_table(path, "prices", _store(tmp_path), layout="wide", field="close")
    path = _file(tmp_path, "w3.csv", "Date,AAPL,\n2024-01-02,1,2\n")
    with pytest.raises(MalformedDataError, match=r"column 3 has values but no header"):
        import_table(path, "prices", _store(tmp_path), layout="wide", field="close")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        (
            "px.parquet",
            b"this is not parquet",
            r"px\.parquet: cannot read the file .*valid Parquet",
        ),
        ("px.csv", b"a,b\n\xff\xfe,1\n", r"px\.csv: the file is not UTF-8 text"),
        ("px.xlsx", b"PK", r"px\.xlsx: unsupported file type '\.xlsx'; save the data as CSV"),
    ],
)
def test_unreadable_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MalformedDataError, match=match):
        import_table(path, "prices", _store(tmp_path))


def test_missing_file(tmp_path):
    with pytest.raises(MalformedDataError, match=r"nope\.csv: no such file; check the path"):
        import_table(tmp_path / "nope.csv", "prices", _store(tmp_path))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"table": "price"}, r"unknown table 'price'; known tables: .*prices"),
        ({"layout": "tall"}, r"layout='tall' is not one of 'long', 'wide'"),
        ({"mode": "append"}, r"mode='append' is not one of 'merge', 'replace'"),
        ({"layout": "wide"}, r"layout='wide' needs field=.*got None"),
        ({"mapping": {"PX_LAST": "last"}}, r"mapping target\(s\) \['last'\] are not columns"),
        ({"mapping": {"PX_LAST": "close", "Name": "close"}}, r"sends both 'PX_LAST' and 'Name'"),
        ({"fx": {"EUR": -1}}, r"fx rate for EUR is -1; give USD per one EUR"),
        ({"fx": {"EUR": 1.1}}, r"fx was given but .* has no currency column"),
        ({"identifier_column": "close"}, r"identifier_column='close' is not a text column"),
    ],
)
def test_configuration_errors(tmp_path, kwargs, match):
    args = {"table": "prices", "mapping": BBG_MAP, **kwargs}
    table = args.pop("table")
    with pytest.raises(ConfigurationError, match=match):
        import_table(_bbg(tmp_path), table, _store(tmp_path), **args)


# ------------------------------------------------------------------------------- fx
def test_fx_converts_foreign_rows_to_usd(tmp_path):
    store = _store(tmp_path)
    path = _bbg(
        tmp_path,
        "Security,Date,PX_LAST,Currency\nAAPL,2024-01-02,100,USD\nSAP,2024-01-02,100,eur\n"
        "IBM,2024-01-02,50,\n",
    )
    report = import_table(path, "prices", store, mapping=CLOSE_MAP, fx={"eur": 1.1})
    closes = _closes(store)
    assert closes[("AAPL", "2024-01-02")] == 100.0
    assert closes[("SAP", "2024-01-02")] == pytest.approx(110.0)
    assert closes[("IBM", "2024-01-02")] == 50.0  # blank currency is USD
    assert report.derived["rows_converted_to_usd"] == 1


def test_usd_only_currency_column_needs_no_fx(tmp_path):
    store = _store(tmp_path)
    path = _bbg(tmp_path, "ticker,date,close,currency\nAAPL,2024-01-02,100,USD\n")
    import_table(path, "prices", store)
    assert _closes(store) == {("AAPL", "2024-01-02"): 100.0}


# ------------------------------------------------------------------------ atomicity
def test_failed_import_leaves_the_store_unchanged(tmp_path, monkeypatch):
    store = _store_with_securities(tmp_path, ["AAPL"])
    import_table(_bbg(tmp_path), "prices", store, mapping=BBG_MAP)
    version = store.version
    before = {t: store.read(t) for t in ("prices", "securities")}

    bad = _bbg(tmp_path, "Security,Date,PX_LAST\nMSFT,2024-01-04,1\nMSFT,2024-01-04,2\n", "b.csv")
    with pytest.raises(MalformedDataError, match="duplicate key"):
        import_table(bad, "prices", store, mapping=CLOSE_MAP)
    assert store.version == version

    # a failure after the prices were staged (while adding securities) rolls back too
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("hedgekit.data.tabular._write._sync_securities", boom)
    good = _bbg(tmp_path, "Security,Date,PX_LAST\nMSFT,2024-01-04,1\n", "g.csv")
    with pytest.raises(RuntimeError, match="disk full"):
        import_table(good, "prices", store, mapping=CLOSE_MAP, mode="replace")
    assert store.version == version
    for table, frame in before.items():
        pd.testing.assert_frame_equal(store.read(table), frame)


# ----------------------------------------------------------------------- user lists
def test_hard_to_borrow_list_with_fee_header_and_vendor_codes(tmp_path):
    store = _store(tmp_path)
    path = _file(
        tmp_path, "htb.csv", "Symbol,Fee BPS,From\nGME US Equity,2500,2024-01-01\nAMC.N,800,\n"
    )
    report = import_list(path, "hard_to_borrow", store)
    htb = store.read("hard_to_borrow").set_index("ticker")
    assert htb["borrow_cost_bps"].to_dict() == {"AMC": 800.0, "GME": 2500.0}
    assert htb.loc["GME", "start_date"] == pd.Timestamp("2024-01-01")
    assert pd.isna(htb.loc["AMC", "start_date"])
    assert report.rows == {"hard_to_borrow": 2}


def test_hard_to_borrow_negative_cost_is_an_error(tmp_path):
    path = _file(tmp_path, "htb.csv", "ticker,borrow_bps\nGME,-5\n")
    with pytest.raises(
        MalformedDataError, match=r"htb\.csv, row 1, column 'borrow_bps': negative value"
    ):
        import_list(path, "hard_to_borrow", _store(tmp_path))


def test_restricted_list_without_header(tmp_path):
    store = _store(tmp_path)
    path = _file(tmp_path, "r.csv", "AAPL\nBRK/B US Equity\nmsft\n")
    report = import_list(path, "restricted", store)
    assert sorted(store.read("restricted")["ticker"]) == ["AAPL", "BRK-B", "MSFT"]
    assert any("without a header" in w for w in report.warnings)


def test_restricted_list_with_header_and_reason_replaces_the_old_list(tmp_path):
    store = _store(tmp_path)
    import_list(_file(tmp_path, "r1.csv", "AAPL\nMSFT\n"), "restricted", store)
    path = _file(tmp_path, "r2.csv", "Ticker,Reason,Owner\nTSLA,insider,ops\n")
    report = import_list(path, "restricted", store)
    restricted = store.read("restricted")
    assert restricted["ticker"].tolist() == ["TSLA"]
    assert restricted["reason"].tolist() == ["insider"]
    assert report.derived["rows_removed"] == 2
    assert any("'Owner'" in w for w in report.warnings)
    import_list(_file(tmp_path, "r3.csv", "ticker\nNVDA\n"), "restricted", store, mode="merge")
    assert sorted(store.read("restricted")["ticker"]) == ["NVDA", "TSLA"]


def test_list_without_ticker_column_says_which_headers_work(tmp_path):
    path = _file(tmp_path, "r.csv", "Company,Reason\nApple,x\n")
    with pytest.raises(
        MalformedDataError, match=r"missing required column\(s\) \['ticker'\].*symbol"
    ):
        import_list(path, "restricted", _store(tmp_path))


def test_wide_scores_become_one_row_per_score(tmp_path):
    store = _store(tmp_path)
    path = _file(
        tmp_path,
        "esg.csv",
        "Ticker,Date,ESG,Momentum 12M,Sector\nAAPL,2024-01-31,7.5,0.2,Tech\n"
        "MSFT,2024-01-31,,0.1,Tech\n",
    )
    report = import_list(path, "scores", store)
    scores = store.read("scores")
    got = {(r.ticker, r.score): r.value for r in scores.itertuples()}
    assert got == {
        ("AAPL", "esg"): 7.5,
        ("AAPL", "momentum_12m"): 0.2,
        ("MSFT", "momentum_12m"): 0.1,
    }
    assert any("'Sector'" in w for w in report.warnings)

    # replacing ESG leaves the other scores alone
    update = _file(tmp_path, "esg2.csv", "ticker,date,esg\nMSFT,2024-02-29,6\n")
    import_list(update, "scores", store)
    scores = store.read("scores")
    assert sorted(scores["score"]) == ["esg", "momentum_12m", "momentum_12m"]
    assert scores.loc[scores["score"] == "esg", "ticker"].tolist() == ["MSFT"]


def test_wide_scores_bad_cell_is_named(tmp_path):
    path = _file(
        tmp_path, "esg.csv", "ticker,date,esg\nAAPL,2024-01-31,7.5\nMSFT,2024-01-31,n.a.\n"
    )
    with pytest.raises(
        MalformedDataError, match=r"esg\.csv, row 2, column 'esg': cannot read 'n\.a\.'"
    ):
        import_list(path, "scores", _store(tmp_path))


def test_long_scores(tmp_path):
    store = _store(tmp_path)
    path = _file(tmp_path, "s.csv", "ticker,date,score,value\nAAPL,2024-01-31,ESG Risk,21.5\n")
    import_list(path, "scores", store)
    assert store.read("scores")["score"].tolist() == ["esg_risk"]


def test_corporate_actions_types_are_snake_case_and_derived_rows_kept(tmp_path):
    store = _store(tmp_path)
    derived = _file(
        tmp_path,
        "derived.csv",
        "ticker,action_type,effective_date,details\n"
        "T,distribution,2022-04-11,derived: close vs adj_close\n",
    )
    import_table(derived, "corporate_actions", store)
    path = _file(
        tmp_path,
        "ca.csv",
        "Ticker,Type,Ex Date,Announced,Ratio\nGE,Spin-off,2024-04-02,2023-11-01,0.25\n"
        "X,Merger,2024-12-18,,\nNVDA,Stock Split,2024-06-10,,10\nMMM,SpinOff,2024-04-01,,\n",
    )
    import_list(path, "corporate_actions", store)
    actions = store.read("corporate_actions").set_index("ticker")
    assert actions["action_type"].to_dict() == {
        "GE": "spin_off",
        "MMM": "spin_off",
        "NVDA": "stock_split",
        "T": "distribution",
        "X": "merger",
    }
    assert actions.loc["GE", "announce_date"] == pd.Timestamp("2023-11-01")
    assert actions.loc["NVDA", "ratio"] == 10.0


def test_unknown_list_kind(tmp_path):
    with pytest.raises(ConfigurationError, match=r"unknown list kind 'watchlist'; use one of"):
        import_list(tmp_path / "x.csv", "watchlist", _store(tmp_path))


# ------------------------------------------------------------------- property tests
_price = st.one_of(st.none(), st.floats(0.01, 1e6, allow_nan=False).map(lambda x: round(x, 4)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_price, min_size=3, max_size=3), min_size=1, max_size=6))
def test_wide_import_matches_the_melted_file(cells):
    tickers = ["AAA", "BBB US Equity", "CCC.N"]
    dates = pd.bdate_range("2024-01-01", periods=len(cells))
    wide = pd.DataFrame(cells, columns=tickers, index=dates.strftime("%Y-%m-%d"))
    expected = {
        (t.split()[0].split(".")[0], d): v
        for d, row in wide.iterrows()
        for t, v in row.items()
        if pd.notna(v)
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.csv"
        wide.rename_axis("Date").to_csv(path)
        store = Store(Path(tmp) / "home")
        if not expected:
            with pytest.raises(MalformedDataError, match="every value cell is blank"):
                import_table(path, "prices", store, layout="wide", field="close")
            return
        import_table(path, "prices", store, layout="wide", field="close")
        got = _closes(store)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/.", max_size=12))
def test_header_normalisation_is_idempotent(text):
    once = _norm(text)
    assert _norm(once) == once
    assert once == once.strip("_")


# ----------------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_import_table_long_and_wide(tmp_path):
    home = tmp_path / "home"
    path = _bbg(tmp_path)
    args = ["data", "import-table", str(path), "--table", "prices", "--home", str(home)]
    for src, dst in BBG_MAP.items():
        args += ["--map", f"{src}={dst}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "prices" in result.output
    assert "warning:" in result.output
    assert "adj_close was set" in result.output

    wide = _file(tmp_path, "adj.csv", FACTSET_WIDE)
    result = runner.invoke(
        app,
        ["data", "import-table", str(wide), "--table", "prices", "--layout", "wide",
         "--field", "adj_close", "--date-format", "%d/%m/%Y", "--replace",
         "--home", str(home), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["rows"] == {"prices": 7}
    assert payload["derived"]["rows_removed"] == 3
    assert len(Store(home).read("prices")) == 7


def test_cli_import_table_with_fx(tmp_path):
    home = tmp_path / "home"
    path = _bbg(tmp_path, "ticker,date,close,currency\nSAP,2024-01-02,100,EUR\n")
    result = runner.invoke(
        app,
        ["data", "import-table", str(path), "--table", "prices", "--fx", "EUR=1.25",
         "--home", str(home)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _closes(Store(home)) == {("SAP", "2024-01-02"): 125.0}


def test_cli_import_list(tmp_path):
    home = tmp_path / "home"
    path = _file(tmp_path, "htb.csv", "ticker,borrow_bps\nGME,2500\n")
    result = runner.invoke(
        app, ["data", "import-list", "hard-to-borrow", str(path), "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    assert "hard_to_borrow" in result.output
    path = _file(tmp_path, "htb2.csv", "ticker,borrow_bps\nAMC,800\n")
    result = runner.invoke(
        app, ["data", "import-list", "hard_to_borrow", str(path), "--merge", "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(Store(home).read("hard_to_borrow")["ticker"]) == ["AMC", "GME"]


@pytest.mark.parametrize(
    ("extra", "error", "match"),
    [
        ([], MalformedDataError, r"row 1, column 'close': non-positive value"),
        (["--map", "close"], ConfigurationError, r"--map 'close' is not KEY=VALUE"),
        (["--fx", "EUR=abc"], ConfigurationError, r"--fx EUR=abc: the rate must be a number"),
    ],
)
def test_cli_errors_are_hedgekit_errors(tmp_path, extra, error, match):
    path = _bbg(tmp_path, "ticker,date,close\nAAPL,2024-01-02,0\n")
    home = tmp_path / "home"
    result = runner.invoke(
        app, ["data", "import-table", str(path), "--table", "prices", "--home", str(home), *extra]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, error)
    assert isinstance(result.exception, HedgekitError)
    assert re.search(match, str(result.exception))
    assert not Store(home).exists()


def test_main_prints_one_red_line_and_exits_2(tmp_path, monkeypatch, capsys):
    path = _bbg(tmp_path, "ticker,date,close\nAAPL,2024-01-02,-3\n")
    monkeypatch.setattr(
        "sys.argv",
        ["hedgekit", "data", "import-table", str(path), "--table", "prices",
         "--home", str(tmp_path / "home")],
    )  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "non-positive value" in err
    assert "-3.0" in err
    assert "Traceback" not in err


def test_merge_keeps_the_columns_a_file_does_not_give(tmp_path):
    store = _store(tmp_path)
    sec = _file(
        tmp_path,
        "sec.csv",
        "ticker,name,gics_sector,cik,possible_ticker_reuse\nAAPL,Apple,Information Technology,"
        "320193,false\nMSFT,Microsoft,Information Technology,789019,true\n",
    )
    import_table(sec, "securities", store)
    names = _file(tmp_path, "names.csv", "Ticker,Name\nAAPL US Equity,Apple Inc.\nNVDA,Nvidia\n")
    report = import_table(names, "securities", store)
    got = store.read("securities").set_index("ticker")
    assert got["name"].to_dict() == {"AAPL": "Apple Inc.", "MSFT": "Microsoft", "NVDA": "Nvidia"}
    assert got.loc["AAPL", "gics_sector"] == "Information Technology"
    assert got.loc["AAPL", "cik"] == 320193
    assert not got.loc["AAPL", "possible_ticker_reuse"]
    assert pd.isna(got.loc["NVDA", "cik"])
    assert report.derived["rows_keeping_stored_columns"] == 1
