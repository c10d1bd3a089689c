"""Bundle import: errors, repairs, renamed tickers, membership intervals."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hedgekit import DataError, MalformedDataError
from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.data._bundle import _apply_aliases

T = pd.Timestamp


def _tiny_bundle(path, **extra):
    path.mkdir(parents=True, exist_ok=True)
    dates = pd.bdate_range("2020-01-01", periods=30)
    px = pd.DataFrame(
        [
            (d, t, 10.0 + i * 0.1, 10.0 + i * 0.1, 1000)
            for i, d in enumerate(dates)
            for t in ("AAA", "BBB")
        ],
        columns=["date", "ticker", "close", "adj_close", "volume"],
    )
    px.to_parquet(path / "prices.parquet")
    pd.DataFrame(
        {
            "ticker": ["AAA", "BBB"],
            "name": ["A Co", "B Co"],
            "country": ["United States", "Ireland"],
        }
    ).to_parquet(path / "securities.parquet")
    for name, frame in extra.items():
        frame.to_parquet(path / f"{name}.parquet")
    return path


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        import_bundle(tmp_path / "nope", Store(tmp_path / "home"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"missing prices\.parquet, securities\.parquet"):
        import_bundle(tmp_path / "empty", Store(tmp_path / "home"))


def test_malformed_manifest_and_unreadable_file(tmp_path):
    bundle = _tiny_bundle(tmp_path / "b")
    (bundle / "manifest.json").write_text("{not json")
    with pytest.raises(MalformedDataError, match=r"manifest\.json: invalid JSON"):
        import_bundle(bundle, Store(tmp_path / "home"))
    (bundle / "manifest.json").unlink()
    (bundle / "descriptions.parquet").write_bytes(b"garbage")
    with pytest.raises(MalformedDataError, match=r"descriptions\.parquet: cannot read the file"):
        import_bundle(bundle, Store(tmp_path / "home"))
    assert not Store(tmp_path / "home").exists()


def test_non_usd_securities_are_refused(tmp_path):
    bundle = _tiny_bundle(tmp_path / "b")
    sec = pd.read_parquet(bundle / "securities.parquet").assign(currency=["USD", "EUR"])
    sec.to_parquet(bundle / "securities.parquet")
    with pytest.raises(MalformedDataError, match=r"convert prices to USD"):
        import_bundle(bundle, Store(tmp_path / "home"))


def test_region_currency_and_spans_are_derived(tmp_path):
    bundle = _tiny_bundle(tmp_path / "b")
    (bundle / "manifest.json").write_text(json.dumps({"synthetic": True, "demo_target": "AAA"}))
    store = Store(tmp_path / "home")
    report = import_bundle(bundle, store)
    assert report.synthetic
    md = MarketData(store)
    sec = md.securities
    assert sec.loc["BBB", "region"] == "Europe"
    assert sec.loc["AAA", "currency"] == "USD"
    assert sec.loc["AAA", "first_price_date"] == T("2020-01-01")
    assert md.manifest["demo_target"] == "AAA"
    assert md.is_synthetic


def test_exact_and_partial_duplicates_are_repaired_and_reported(tmp_path):
    hist = pd.DataFrame(
        {
            "snapshot_date": ["2020-01-01"] * 3,
            "ticker": ["AAA", "AAA", "BBB"],
            "gics_sector": ["Energy", None, "Utilities"],
        }
    )
    bundle = _tiny_bundle(tmp_path / "b", gics_history=hist)
    report = import_bundle(bundle, Store(tmp_path / "home"))
    assert report.rows["classifications"] == 2
    assert any("redundant duplicate rows dropped: 1" in w for w in report.warnings)


ALIASES = pd.DataFrame(
    {
        "alias": ["OLD", "IR", "LAG"],
        "ticker": ["NEW", "TT", "LAGN"],
        "start_date": [pd.NaT, pd.NaT, pd.NaT],
        "end_date": [T("2020-01-01"), T("2020-03-02"), T("2023-06-06")],
    }
)


def test_membership_intervals_are_split_at_ticker_changes():
    members = pd.DataFrame(
        {
            "index": "SPX",
            "ticker": ["OLD", "IR", "LAG"],
            "start_date": [T("2010-01-01"), T("2010-11-17"), T("2001-04-02")],
            "end_date": [pd.NaT, pd.NaT, T("2023-06-07")],
        }
    )
    out, moved = _apply_aliases(members, "end_date", ALIASES, tickers={"NEW", "TT", "IR", "LAGN"})
    assert moved == 3
    rows = {
        (r.ticker, r.start_date, r.end_date if pd.notna(r.end_date) else None)
        for r in out.itertuples()
    }
    # OLD is not a security of its own: the company kept trading as NEW, the whole interval moves
    assert ("NEW", T("2010-01-01"), None) in rows
    # IR was reused by another company: the part after the change stays with IR
    assert ("TT", T("2010-11-17"), T("2020-03-02")) in rows
    assert ("IR", T("2020-03-02"), None) in rows
    # a one-day lag in the provider's interval is absorbed
    assert ("LAGN", T("2001-04-02"), T("2023-06-07")) in rows
    assert len(out) == 4


def test_dated_rows_are_renamed_only_inside_the_alias_validity():
    fund = pd.DataFrame(
        {"ticker": ["IR", "IR"], "publish_date": [T("2019-02-01"), T("2021-02-01")], "x": [1, 2]}
    )
    out, moved = _apply_aliases(fund, "publish_date", ALIASES, tickers={"TT", "IR"})
    assert moved == 1
    assert list(out["ticker"]) == ["TT", "IR"]
