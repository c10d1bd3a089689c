"""``hedgekit monitor BASKET --date D`` on the demo market (issue 16)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError
from hedgekit.cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def basket(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("monitor") / "basket.json"
    home = str(demo_store.home)
    res = _run("hedge", "KSTD=100000", "--date", "2022-12-30", "--home", home,
               "--basket-json", str(path))  # fmt: skip
    assert res.exit_code == 0, res.output
    saved = json.loads(path.read_text())
    assert saved["portfolio"] == [{"identifier": "KSTD", "quantity": 100000.0}]
    assert {"tracking_error", "correlation"} <= set(saved["fit"])
    return path


def test_monitor_a_saved_basket(basket, demo_store, tmp_path):
    home = str(demo_store.home)
    png = tmp_path / "monitor.png"
    res = _run("monitor", str(basket), "--date", "2023-06-30", "--home", home, "--plot", str(png))
    assert res.exit_code == 0, res.output
    assert "monitored on 2023-06-30" in res.stdout
    assert "rebalance" in res.stdout and "Hedge names" in res.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = _run("monitor", str(basket), "--date", "2023-06-30", "--home", home, "--json",
               "--no-trades")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["as_of"] == "2023-06-30" and out["trades"] is None
    assert out["verdict"] in ("rebalance recommended", "rebalance not needed")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["missing.json"], "is not a file"),
        (["BASKET", "--date", "soon"], "--date 'soon' is not a date"),
        (["BASKET", "--plot", "out.txt"], "is not a format it writes"),
        (["BASKET", "--date", "2022-06-30"], "must be after inception"),
    ],
)
def test_monitor_bad_input(args, match, basket, demo_store):
    args = [str(basket) if a == "BASKET" else a for a in args]
    res = _run("monitor", *args, "--home", str(demo_store.home))
    assert isinstance(res.exception, ConfigurationError), res.output
    assert match in str(res.exception)


def test_a_file_that_is_not_a_basket(tmp_path, demo_store):
    bad = tmp_path / "b.json"
    bad.write_text('{"date": "2022-12-30"}')
    res = _run("monitor", str(bad), "--home", str(demo_store.home))
    assert isinstance(res.exception, ConfigurationError)
    assert "not a hedgekit basket with its portfolio" in str(res.exception)
