"""The backtest report: every file is written, the page holds the tables, limits and plots."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, DataError, MissingDependencyError
from hedgekit.backtest import REPORT_FILES, summarise, write_report

DAYS = pd.bdate_range("2023-01-03", periods=63)
REBALANCES = DAYS[::21]
QUALITY = {"spy_beta": 0.5, "factor": 0.7, "nlp": 0.85}
SECTORS = ["Energy", "Utilities", "Information Technology"]
LIMITS = [
    "Survivorship bias: prices exist only for tickers still listed in March 2024 & <later>.",
    "Stale fundamentals: annual statements stop at FY2021.",
]
COMMAND = "hedgekit backtest --targets SPX --start 2023-01-03 --methods spy_beta,factor,nlp"


def make_backtest(
    n_targets: int = 6, methods: dict[str, float] = QUALITY, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Engine-shaped daily, periods and targets frames of a synthetic backtest."""
    rng = np.random.default_rng(seed)
    tickers = [f"T{i}" for i in range(n_targets)]
    rebalance = REBALANCES[np.searchsorted(REBALANCES, DAYS, side="right") - 1]
    daily, periods = [], []
    for t in tickers:
        u = rng.normal(0.0003, 0.018, DAYS.size)
        for m, q in methods.items():
            leg = q * u + rng.normal(0, 0.006, DAYS.size)
            daily.append(
                pd.DataFrame(
                    {
                        "target": t,
                        "method": m,
                        "rebalance": rebalance,
                        "day": DAYS,
                        "unhedged": u,
                        "hedge": leg,
                        "hedged": u - leg,
                    }
                )
            )
            for r in REBALANCES:
                periods.append(
                    {
                        "target": t,
                        "rebalance": r,
                        "method": m,
                        "end": DAYS[min(DAYS.get_loc(r) + 20, DAYS.size - 1)],
                        "names": 10,
                        "turnover": 0.4,
                        "cost_bps": 3.0,
                        "borrow_bps": 2.0,
                        "status": "ok",
                        "error": None,
                    }
                )
    targets = pd.DataFrame(
        {
            "name": [f"Company {t}" for t in tickers],
            "sector": [SECTORS[i % len(SECTORS)] for i in range(n_targets)],
            "sub_industry": "Something",
        },
        index=pd.Index(tickers, name="ticker"),
    )
    return pd.concat(daily, ignore_index=True), pd.DataFrame(periods), targets


@pytest.fixture(scope="module")
def backtest() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return make_backtest()


@pytest.fixture(scope="module")
def report(backtest, tmp_path_factory) -> Path:
    daily, periods, targets = backtest
    out = tmp_path_factory.mktemp("report")
    return write_report(
        daily,
        periods,
        targets,
        out,
        title="Walk-forward hedges <2023>",
        limits=LIMITS,
        command=COMMAND,
        n_boot=1000,
    )


def test_every_file_is_written(report, backtest):
    daily, periods, _ = backtest
    out = report.parent
    assert report == out / "report.html"
    for name in REPORT_FILES:
        assert (out / name).stat().st_size > 0, name
    for name in REPORT_FILES:
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), periods)
    assert len(pd.read_parquet(out / "daily.parquet")) == len(daily)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "summary.parquet"), summarise(daily, periods), check_dtype=False
    )


def test_page_holds_tables_limits_and_images(report, backtest):
    daily, periods, targets = backtest
    page = report.read_text(encoding="utf-8")
    assert "<title>Walk-forward hedges &lt;2023&gt;</title>" in page
    assert html.escape(COMMAND) in page
    for limit in LIMITS:
        assert f"<li>{html.escape(limit)}</li>" in page
    for png in ("scatter.png", "risk_reduction.png", "cumulative.png", "sector_heatmap.png"):
        assert f'src="{png}"' in page
    assert "http://" not in page and "https://" not in page  # self-contained

    summary = summarise(daily, periods)
    wide = summary.pivot(index="target", columns="method", values="risk_reduction_bps")
    per_stock = _table_after(page, "<h2>Per stock</h2>")
    assert per_stock[0] == ["Target", "Name", "Sector", "Vol unhedged", "nlp", "factor",
                            "spy_beta", "Winner"]  # fmt: skip
    rows = {row[0]: row for row in per_stock[1:]}
    assert sorted(rows) == sorted(targets.index)
    for ticker, row in rows.items():
        assert row[1] == f"Company {ticker}"
        assert row[2] == targets.loc[ticker, "sector"]
        assert row[4:7] == [f"{wide.loc[ticker, m]:,.0f}" for m in ("nlp", "factor", "spy_beta")]
        assert row[7] == wide.loc[ticker].idxmax()
    # the paired tests use spy_beta as the reference; the scatter shows factor vs nlp
    assert "against <b>spy_beta</b>" in page
    assert 'alt="risk reduction per stock, factor vs nlp"' in page
    for section in ("Summary by method", "Paired tests", "Risk reduction by sector", "Per stock"):
        assert f"<h2>{section}</h2>" in page
    for sector in SECTORS:
        assert f"<td>{sector}</td>" in page


def _table_after(page: str, marker: str) -> list[list[str]]:
    """Header and cell texts of the first HTML table after ``marker``."""
    table = page[page.index(marker) :]
    table = table[table.index("<table") : table.index("</table>")]
    header = re.findall(r"<th>(.*?)</th>", table)
    rows = [re.findall(r"<td>(.*?)</td>", tr) for tr in table.split("<tr>")[1:]]
    return [header, *[[html.unescape(c) for c in r] for r in rows if r]]


def test_embedded_images_and_no_plots(backtest, tmp_path):
    daily, periods, targets = backtest
    page = write_report(
        daily,
        periods,
        targets,
        tmp_path / "embedded",
        title="t",
        limits=[],
        command=None,
        n_boot=200,
        embed_images=True,
    ).read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 4
    assert 'src="scatter.png"' not in page
    assert "No data limits were given." in page
    assert "(not recorded)" in page

    out = tmp_path / "bare"
    write_report(daily, periods, targets, out, title="t", limits=LIMITS, n_boot=200, plots=False)
    assert not list(out.glob("*.png"))
    assert "<img" not in (out / "report.html").read_text(encoding="utf-8")


def test_reference_and_scatter_defaults_without_the_usual_methods(tmp_path):
    daily, periods, targets = make_backtest(4, {"ols": 0.6, "lasso": 0.8, "cash": 0.1})
    page = write_report(
        daily, periods, targets, tmp_path, title="t", limits=LIMITS, n_boot=200
    ).read_text(encoding="utf-8")
    # no spy_beta: the reference is the best method, the scatter its two best methods
    assert "against <b>lasso</b> (the best mean risk reduction" in page
    assert 'alt="risk reduction per stock, lasso vs ols"' in page

    page = write_report(
        daily,
        periods,
        targets,
        tmp_path,
        title="t",
        limits=LIMITS,
        n_boot=200,
        reference="cash",
        scatter=("cash", "ols"),
    ).read_text(encoding="utf-8")
    assert "against <b>cash</b> (given by the caller)" in page
    assert 'alt="risk reduction per stock, cash vs ols"' in page


def test_a_single_method_has_no_scatter_nor_tests(tmp_path):
    daily, periods, targets = make_backtest(3, {"factor": 0.7})
    (tmp_path / "scatter.png").write_bytes(b"stale plot of an earlier report")
    page = write_report(
        daily, periods, targets, tmp_path, title="t", limits=LIMITS, n_boot=200
    ).read_text(encoding="utf-8")
    assert not (tmp_path / "scatter.png").exists()
    assert (tmp_path / "risk_reduction.png").exists()
    assert "Only one method: nothing to compare." in page


def test_bad_input_raises_and_writes_nothing(backtest, tmp_path):
    daily, periods, targets = backtest
    out = tmp_path / "never"
    kw = {"title": "t", "limits": LIMITS, "n_boot": 200}
    with pytest.raises(DataError, match=r"daily lacks column\(s\) 'hedged'"):
        write_report(daily.drop(columns="hedged"), periods, targets, out, **kw)
    with pytest.raises(DataError, match="periods is empty"):
        write_report(daily, periods.iloc[:0], targets, out, **kw)
    with pytest.raises(DataError, match=r"targets lacks column\(s\) 'sector'"):
        write_report(daily, periods, targets.drop(columns="sector"), out, **kw)
    with pytest.raises(DataError, match=r"targets lacks 1 ticker\(s\) of the summary \(T5\)"):
        write_report(daily, periods, targets.drop(index="T5"), out, **kw)
    with pytest.raises(ConfigurationError, match="unknown method 'spy': did you mean 'spy_beta'"):
        write_report(daily, periods, targets, out, reference="spy", **kw)
    with pytest.raises(ConfigurationError, match=r"unknown method 'text'.*holds factor, nlp"):
        write_report(daily, periods, targets, out, scatter=("factor", "text"), **kw)
    with pytest.raises(ConfigurationError, match=r"scatter=\('nlp', 'nlp'\) names one method"):
        write_report(daily, periods, targets, out, scatter=("nlp", "nlp"), **kw)
    with pytest.raises(ConfigurationError, match="limits is a single string; pass a list"):
        write_report(daily, periods, targets, out, title="t", limits="Survivorship bias")
    with pytest.raises(ConfigurationError, match="title='' must be a non-empty string"):
        write_report(daily, periods, targets, out, title="", limits=LIMITS)
    assert not out.exists()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ConfigurationError, match="is a file; pass a folder"):
        write_report(daily, periods, targets, a_file, **kw)


def test_missing_matplotlib_names_the_extra(backtest, tmp_path, monkeypatch):
    daily, periods, targets = backtest
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(MissingDependencyError, match=r"hedgekit\[plot\]'`, or pass plots=False"):
        write_report(daily, periods, targets, tmp_path / "x", title="t", limits=[], n_boot=200)
    assert not (tmp_path / "x").exists()
