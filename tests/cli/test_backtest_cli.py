"""``hedgekit backtest`` on the demo market: run, resume, report files, user errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError
from hedgekit.cli import app
from hedgekit.cli._app import main

runner = CliRunner()


def test_backtest_writes_the_report_and_resumes(demo_store, tmp_path):
    args = [
        "backtest", "--targets", "KSTD,AMBY", "--start", "2022-06-30", "--end", "2022-08-31",
        "--methods", "returns,spy,peers", "--report", str(tmp_path / "rep"),
        "--home", str(demo_store.home),
    ]  # fmt: skip
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["targets"] == 2 and out["periods"] == 2 and out["failed"] == 0
    assert {r["method"] for r in out["by_method"]} == {"returns", "spy", "peers", "bound"}
    assert out["hold_months"] == 1
    for name in ("report.html", "results.parquet", "daily.parquet", "cumulative.png"):
        assert (tmp_path / "rep" / name).exists(), name
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "synthetic demo market" in html
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "Mean over 2 targets" in again.stdout


def test_backtest_user_errors(demo_store, tmp_path):
    base = ["backtest", "--start", "2022-06-30", "--end", "2022-08-31"]
    home = ["--home", str(demo_store.home)]
    res = runner.invoke(app, [*base, "--targets", "KSTD", *home])
    assert isinstance(res.exception, ConfigurationError)
    assert "--report DIR" in str(res.exception)
    res = runner.invoke(
        app, [*base, "--targets", "KSTD", "--methods", "magic", "--out", str(tmp_path), *home]
    )
    assert isinstance(res.exception, ConfigurationError)
    assert "unknown method(s) magic" in str(res.exception)


def test_backtest_hold_12m_runs_set_and_forget(demo_store, tmp_path):
    rep = tmp_path / "rep"
    args = [
        "backtest", "--targets", "KSTD,AMBY", "--start", "2021-01-01", "--end", "2022-02-28",
        "--methods", "spy,peers", "--hold", "12m", "--report", str(rep),
        "--home", str(demo_store.home), "--json",
    ]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["hold_months"] == 12 and out["periods"] == 2  # Jan and Feb 2021 month ends
    rows = {r["method"]: r for r in out["by_method"]}
    assert set(rows) == {"spy", "peers", "bound"}
    assert rows["bound"]["bound_share"] == 1.0
    assert 0 < rows["spy"]["bound_share"] < 1
    assert not (rep / "daily.parquet").exists()  # the moments suffice; no daily frame
    page = (rep / "report.html").read_text()
    assert "set and forget: each basket held 12 months" in page
    assert "Share of bound" in page
    # the same directory refuses the monthly protocol
    again = runner.invoke(app, [a for a in args if a not in ("--hold", "12m")])
    assert isinstance(again.exception, ConfigurationError)
    assert "another --out directory" in str(again.exception)
    assert "hold_months" in str(again.exception)


def test_backtest_no_bound(demo_store, tmp_path):
    args = [
        "backtest", "--targets", "KSTD", "--start", "2022-06-30", "--end", "2022-08-31",
        "--methods", "spy", "--hold", "1 m", "--no-bound", "--out", str(tmp_path),
        "--home", str(demo_store.home), "--json",
    ]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["method"] for r in out["by_method"]] == ["spy"]
    assert out["by_method"][0]["bound_share"] is None  # no bound recorded


@pytest.mark.parametrize("bad", ["12", "1y", "12d", "0m"])
def test_backtest_bad_hold_is_one_red_line(bad, demo_store, tmp_path, monkeypatch, capsys):
    args = [
        "backtest", "--targets", "KSTD", "--start", "2022-06-30", "--end", "2022-08-31",
        "--methods", "spy", "--hold", bad, "--out", str(tmp_path), "--home", str(demo_store.home),
    ]  # fmt: skip
    res = runner.invoke(app, args)
    assert isinstance(res.exception, ConfigurationError)
    monkeypatch.setattr(sys, "argv", ["hedgekit", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:") and repr(bad) in err and "Nm" in err and "12m" in err
    assert not (tmp_path / "results.sqlite").exists()  # refused before any work


def test_backtest_resume_on_new_data_is_one_line_unless_allowed(
    demo_store, tmp_path, monkeypatch, capsys
):
    """Data imported since the run began: a resume is refused (one line, exit 2), and runs
    with --allow-new-data, warning once."""
    import shutil

    from hedgekit.data import Store, import_list

    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    base = [
        "backtest", "--start", "2022-06-30", "--end", "2022-08-31", "--methods", "spy",
        "--no-bound", "--out", str(tmp_path / "run"), "--home", str(home), "--json",
    ]  # fmt: skip
    assert runner.invoke(app, [*base, "--targets", "KSTD"]).exit_code == 0
    began = Store(home).version
    (tmp_path / "htb.csv").write_text("ticker\nKSTD\n")
    import_list(tmp_path / "htb.csv", "hard_to_borrow", Store(home))
    now = Store(home).version
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["hedgekit", *base, "--targets", "KSTD,AMBY"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert began in err and now in err and "--allow-new-data" in err and "--out" in err
    monkeypatch.setattr(
        sys, "argv", ["hedgekit", *base, "--targets", "KSTD,AMBY", "--allow-new-data"]
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code in (0, None)
    captured = capsys.readouterr()
    warned = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and began in warned[0], captured.err
    assert json.loads(captured.out)["targets"] == 2
