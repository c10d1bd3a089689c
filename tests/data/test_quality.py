"""The data quality report finds planted problems exactly, serialises to JSON and plots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from hedgekit import ConfigurationError
from hedgekit.cli._app import app, main
from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.data.quality import QualityReport, Status, check_data, plot_coverage
from hedgekit.data.quality._prices import _runs

DATES = pd.bdate_range("2021-01-04", periods=60)
PRICED = ["AAA", "BBB", "CCC", "DDD"]
ZERO_VOLUME = ("AAA", 10)  # one day with zero volume
SHORT_GAP = ("AAA", 50)  # one missing day: below the gap threshold
GAP = ("BBB", 20, 26)  # rows 20..25 missing: 6 trading days
STALE = ("CCC", 30, 36)  # rows 30..35 share one close: 6 identical closes
SPIKE = ("DDD", 40)  # +80% on row 40, and the price stays up
WORDS = {"AAA": 12, "BBB": 8, "CCC": 10, "DDD": 20}


def _prices() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frames = []
    for i, ticker in enumerate(PRICED):
        rets = rng.normal(0.0, 0.01, len(DATES))
        rets[0] = 0.0
        if ticker == SPIKE[0]:
            rets[SPIKE[1]] = 0.8
        close = 50.0 * (i + 1) * np.cumprod(1 + rets)
        if ticker == STALE[0]:
            close[STALE[1] : STALE[2]] = close[STALE[1]]
        volume = rng.integers(500_000, 2_000_000, len(DATES)).astype(float)
        if ticker == ZERO_VOLUME[0]:
            volume[ZERO_VOLUME[1]] = 0.0
        frame = pd.DataFrame(
            {
                "date": DATES,
                "ticker": ticker,
                "open": close,
                "high": close * 1.01,
                "low": close * 0.99,
                "close": close,
                "adj_close": close,
                "volume": volume,
            }
        )
        drop = np.zeros(len(DATES), dtype=bool)
        if ticker == GAP[0]:
            drop[GAP[1] : GAP[2]] = True
        if ticker == SHORT_GAP[0]:
            drop[SHORT_GAP[1]] = True
        frames.append(frame[~drop])
    return pd.concat(frames, ignore_index=True)


def write_tiny_bundle(directory: Path) -> Path:
    """A synthetic bundle with one planted problem of each kind."""
    directory.mkdir(parents=True, exist_ok=True)
    _prices().to_parquet(directory / "prices.parquet", index=False)
    pd.DataFrame(
        {
            "ticker": PRICED,
            "name": [f"{t} Corp" for t in PRICED],
            "gics_sector": "Information Technology",
            "gics_sub_industry": "Application Software",
            "country": "United States",
            "possible_ticker_reuse": False,
        }
    ).to_parquet(directory / "securities.parquet", index=False)
    pd.DataFrame(
        {
            "ticker": [*PRICED, "ZZZ"],
            "start_date": pd.to_datetime(["2015-01-02"] * 5),
            "end_date": pd.to_datetime([None] * 4 + ["2021-02-01"]),
        }
    ).to_parquet(directory / "index_membership.parquet", index=False)
    pd.DataFrame(
        {
            "ticker": PRICED,
            "as_of": pd.Timestamp("2021-01-04"),
            "source": "yahoo_profile",
            "name": [f"{t} Corp" for t in PRICED],
            "text": [" ".join(["word"] * WORDS[t]) for t in PRICED],
        }
    ).to_parquet(directory / "descriptions.parquet", index=False)
    (directory / "manifest.json").write_text(json.dumps({"synthetic": True, "name": "tiny"}))
    return directory


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quality")
    bundle = write_tiny_bundle(root / "bundle")
    home = root / "home"
    import_bundle(bundle, Store(home))
    return home


@pytest.fixture(scope="module")
def tiny_report(tiny_home: Path) -> QualityReport:
    return check_data(MarketData(Store(tiny_home)))


# ---------------------------------------------------------------------------- planted problems
def test_planted_gap_is_found_exactly(tiny_report):
    gaps = tiny_report.prices.frames["gaps"]
    ticker, lo, hi = GAP
    assert gaps.to_dict("records") == [
        {
            "ticker": ticker,
            "start": DATES[lo],
            "end": DATES[hi - 1],
            "days": hi - lo,
            "business_days": hi - lo,
        }
    ]
    per_ticker = tiny_report.prices.frames["prices"]
    # the one-day hole in AAA counts as a missing day, not as a gap
    assert per_ticker["missing_days"].to_dict() == {"AAA": 1, "BBB": 6, "CCC": 0, "DDD": 0}
    assert per_ticker.loc["BBB", "longest_gap"] == 6


def test_planted_stale_run_is_found_exactly(tiny_report):
    stale = tiny_report.prices.frames["stale"]
    ticker, lo, hi = STALE
    assert len(stale) == 1
    row = stale.iloc[0]
    assert (row["ticker"], row["start"], row["end"], row["days"]) == (
        ticker,
        DATES[lo],
        DATES[hi - 1],
        hi - lo,
    )


def test_planted_spike_is_found_exactly(tiny_report):
    spikes = tiny_report.prices.frames["spikes"]
    assert len(spikes) == 1
    row = spikes.iloc[0]
    assert row["ticker"] == SPIKE[0]
    assert row["date"] == DATES[SPIKE[1]]
    assert row["return"] == pytest.approx(0.8)
    assert row["close_return"] == pytest.approx(0.8)
    assert row["hint"] == ""  # a lasting move: no reversal, no split ratio, no distribution


def test_planted_zero_volume_day_and_nothing_else(tiny_report):
    zero = tiny_report.prices.frames["zero_volume"]
    ticker, row = ZERO_VOLUME
    assert zero.to_dict("records") == [
        {"ticker": ticker, "start": DATES[row], "end": DATES[row], "days": 1}
    ]
    assert tiny_report.prices.frames["non_positive"].empty
    metrics = tiny_report.prices.metrics
    assert (metrics["gaps"], metrics["stale_runs"], metrics["spikes"]) == (1, 1, 1)
    assert (metrics["zero_volume_days"], metrics["non_positive"]) == (1, 0)
    issues = tiny_report.prices.frames["prices"]["issues"].to_dict()
    assert issues == {"AAA": 1, "BBB": 1, "CCC": 1, "DDD": 1}
    assert tiny_report.prices.status is Status.WARN


def test_member_without_prices_is_the_only_identity_finding(tiny_report):
    identity = tiny_report.identity
    assert list(identity.frames["members_without_prices"]["ticker"]) == ["ZZZ"]
    surv = identity.frames["survivorship"].set_index("year")
    assert surv.loc[2021, "members"] == 5
    assert surv.loc[2021, "without_prices"] == 1
    assert surv.loc[2021, "left_without_prices"] == 1
    assert identity.frames["reuse"].empty
    assert identity.frames["no_name"].empty
    assert identity.frames["membership_overlaps"].empty
    assert identity.metrics["members_at_end"] == 4
    assert identity.metrics["members_priced_at_end"] == 4
    # ZZZ left the index on 2021-02-01: 5 members before, 4 after, 4 of them priced
    daily = tiny_report.daily
    assert daily.loc[DATES[0], "members"] == 5
    assert daily.loc[DATES[-1], "members"] == 4
    assert (daily["priced"] <= 4).all()
    assert daily.loc[DATES[GAP[1]], "members_priced"] == 3  # BBB has no price in its gap


def test_description_and_coverage_sections(tiny_report):
    desc = tiny_report.descriptions.frames["descriptions"]
    assert len(desc) == 1
    row = desc.iloc[0]
    assert row["as_of"] == pd.Timestamp("2021-01-04")
    assert row["tickers"] == 4
    assert row["members_covered"] == 1.0
    assert row["median_words"] == np.median(list(WORDS.values()))
    assert row["empty_texts"] == 0
    coverage = tiny_report.coverage.frames["coverage"].set_index("table")
    assert coverage.loc["prices", "rows"] == 4 * len(DATES) - 7
    assert coverage.loc["prices", "tickers"] == 4
    assert coverage.loc["prices", "first"] == DATES[0]
    assert "fundamentals" in tiny_report.coverage.metrics["absent_tables"]
    assert tiny_report.fundamentals.metrics["rows"] == 0
    mcap = tiny_report.market_cap.frames["market_cap"]
    assert mcap["missing"].eq(1.0).all()


def test_synthetic_store_is_flagged_first(tiny_report):
    assert tiny_report.synthetic
    assert tiny_report.limits.lines[0].startswith("SYNTHETIC")
    assert tiny_report.status is Status.WARN
    assert set(tiny_report.summary["status"]) <= {"ok", "warn", "fail"}


def test_thresholds_move_the_findings(tiny_home):
    report = check_data(MarketData(Store(tiny_home)), spike=0.9, stale_days=7, gap_days=7)
    assert report.prices.frames["spikes"].empty
    assert report.prices.frames["stale"].empty
    assert report.prices.frames["gaps"].empty
    report = check_data(MarketData(Store(tiny_home)), gap_days=1)
    assert sorted(report.prices.frames["gaps"]["days"]) == [1, 6]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spike": 0}, r"spike=0 must be a positive return"),
        ({"stale_days": 1}, r"stale_days=1 must be an integer >= 2"),
        ({"gap_days": 0}, r"gap_days=0 must be an integer >= 1"),
    ],
)
def test_bad_thresholds_say_how_to_fix_them(tiny_home, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        check_data(MarketData(Store(tiny_home)), **kwargs)


def test_reuse_signals_are_found_exactly(tmp_path):
    bundle = write_tiny_bundle(tmp_path / "bundle")
    prices = pd.read_parquet(bundle / "prices.parquet")
    late = prices[prices["ticker"] == "AAA"].iloc[30:].assign(ticker="EEE")
    pd.concat([prices, late]).to_parquet(bundle / "prices.parquet", index=False)
    sec = pd.read_parquet(bundle / "securities.parquet")
    extra = sec.iloc[[0]].assign(ticker="EEE", name="EEE Corp")
    pd.concat([sec, extra]).to_parquet(bundle / "securities.parquet", index=False)
    members = pd.read_parquet(bundle / "index_membership.parquet")
    extra = members.iloc[[0]].assign(ticker="EEE")  # a member since 2015, priced from row 30
    pd.concat([members, extra]).to_parquet(bundle / "index_membership.parquet", index=False)
    pd.DataFrame(
        {
            "alias": ["OLD", "EEE"],
            "ticker": ["DDD", "AAA"],
            "start_date": pd.to_datetime([None, None]),
            "end_date": [DATES[SPIKE[1] + 2], pd.Timestamp("2020-06-01")],
        }
    ).to_parquet(bundle / "aliases.parquet", index=False)
    store = Store(tmp_path / "home")
    import_bundle(bundle, store)
    report = check_data(MarketData(store))
    reuse = report.identity.frames["reuse"].set_index("ticker")
    assert sorted(reuse.index) == ["DDD", "EEE"]
    assert (reuse["strength"] == "strong").all()
    assert "+80% on 2021-03-01 near the OLD->DDD change" in reuse.loc["DDD", "reasons"]
    assert "but prices start 2021-02-15" in reuse.loc["EEE", "reasons"]
    assert "was the ticker of AAA until 2020-06-01" in reuse.loc["EEE", "reasons"]
    jumps = report.identity.frames["alias_jumps"]
    assert list(jumps["ticker"]) == ["DDD"]
    assert report.identity.metrics["reuse_strong"] == 2


# ---------------------------------------------------------------------------- output
def test_to_dict_is_json_ready(tiny_report):
    text = json.dumps(tiny_report.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["synthetic"] is True
    assert back["start"] == "2021-01-04"
    assert set(back["sections"]) == {
        "coverage", "prices", "identity", "descriptions", "fundamentals", "market_cap", "limits",
    }  # fmt: skip
    spike = back["sections"]["prices"]["tables"]["spikes"][0]
    assert spike["date"] == f"{DATES[SPIKE[1]]:%Y-%m-%d}"
    assert back["sections"]["prices"]["status"] == "warn"
    assert [r["section"] for r in back["summary"]] == list(back["sections"])


def test_to_frames_holds_every_table(tiny_report):
    frames = tiny_report.to_frames()
    for name in ("summary", "daily", "coverage", "prices", "gaps", "stale", "spikes", "reuse"):
        assert isinstance(frames[name], pd.DataFrame)


def test_plot_coverage_writes_a_png(tiny_report, tmp_path):
    path = tmp_path / "coverage.png"
    plot_coverage(tiny_report, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 4))))
def test_runs_match_a_plain_loop(mask):
    expected = []
    for c in range(mask.shape[1]):
        r = 0
        while r < mask.shape[0]:
            if mask[r, c]:
                start = r
                while r < mask.shape[0] and mask[r, c]:
                    r += 1
                expected.append((c, start, r - start))
            else:
                r += 1
    col, start, length = _runs(mask)
    assert list(zip(col.tolist(), start.tolist(), length.tolist(), strict=True)) == expected


# ---------------------------------------------------------------------------- CLI
def test_cli_json_parses(tiny_home, tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["data", "check", "--home", str(tiny_home), "--json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["sections"]["prices"]["metrics"]["spikes"] == 1
    assert json.loads(out.read_text()) == payload


def test_cli_tables_and_plot(tiny_home, tmp_path):
    png = tmp_path / "cov.png"
    result = CliRunner().invoke(
        app, ["data", "check", "--home", str(tiny_home), "--plot", str(png), "--spike", "0.5"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("SYNTHETIC")
    for title in ("Summary", "Spikes", "Gaps", "Stale", "Survivorship", "Known limits"):
        assert title in result.stdout
    assert "DDD" in result.stdout and "ZZZ" in result.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_bad_threshold_is_one_error_line(tiny_home, monkeypatch, capsys):
    argv = ["hedgekit", "data", "check", "--home", str(tiny_home), "--spike", "-1"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert "spike=-1.0 must be a positive return" in capsys.readouterr().err


# ---------------------------------------------------------------------------- demo and real data
def test_demo_market_is_reported_synthetic(tmp_path):
    from hedgekit import DataError
    from hedgekit.data._demo import demo_bundle_path

    try:
        bundle = demo_bundle_path()
    except DataError as exc:
        pytest.skip(str(exc))
    store = Store(tmp_path / "demo")
    import_bundle(bundle, store)
    report = check_data(MarketData(store))
    assert report.synthetic
    assert report.limits.lines[0].startswith("SYNTHETIC")
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.realdata
def test_real_data_numbers_are_sensible(real_market):
    report = check_data(real_market)
    assert not report.synthetic
    assert report.prices.metrics["tickers"] == 683
    assert report.prices.metrics["non_positive"] == 0
    assert report.prices.metrics["spikes"] > 0
    assert (report.prices.frames["spikes"]["return"].abs() > 0.5).all()
    surv = report.identity.frames["survivorship"]
    assert (surv["without_prices"] > 0).all()
    assert report.identity.metrics["members_without_prices"] > 100
    assert report.identity.metrics["reuse_candidates"] > 0
    vintages = set(report.descriptions.frames["descriptions"]["as_of"])
    assert {pd.Timestamp("2022-12-01"), pd.Timestamp("2024-09-15")} <= vintages
    fm = report.fundamentals.metrics
    assert (fm["first_fiscal_year"], fm["last_fiscal_year"]) == (2012, 2021)
    assert fm["staleness_median_days"] > 365
    assert report.limits.status is Status.WARN
    assert any("Survivorship" in line for line in report.limits.lines)
    json.dumps(report.to_dict(), allow_nan=False)
