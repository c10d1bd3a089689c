"""``hedgekit data import-table``: a few names' later rows are named in one warning line."""

from __future__ import annotations

import shutil

import pandas as pd
from typer.testing import CliRunner

from hedgekit.cli import app
from hedgekit.data import MarketData

runner = CliRunner()


def test_import_table_names_the_stocks_that_move_the_end(demo_store, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    market = MarketData(home)
    end = market.end
    days = pd.bdate_range(end + pd.Timedelta(days=1), periods=5)
    pd.DataFrame({"ticker": "KSTD", "date": [f"{d:%Y-%m-%d}" for d in days], "close": 10.0}).to_csv(
        tmp_path / "late.csv", index=False
    )
    res = runner.invoke(
        app,
        ["data", "import-table", str(tmp_path / "late.csv"), "--table", "prices",
         "--home", str(home)],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    warned = [line for line in res.stdout.splitlines() if line.startswith("warning: only a few")]
    assert len(warned) == 1, res.stdout
    line = warned[0]
    assert "(KSTD)" in line and f"most stocks end {end:%Y-%m-%d}" in line
    assert f"--date {end:%Y-%m-%d}" in line
