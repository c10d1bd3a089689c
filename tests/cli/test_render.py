"""Console tables: numbers are never cut or folded, whatever the console width."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from hedgekit.cli import _render as render
from hedgekit.cli import app

runner = CliRunner()


def _cells(text: str) -> set[str]:
    return {c.strip() for line in text.splitlines() for c in re.split("[│┃]", line)}


@pytest.mark.parametrize("width", [30, 50, 80, 200])
def test_print_fitted_splits_rather_than_cut(width, monkeypatch, capsys):
    from rich.console import Console

    monkeypatch.setattr(render, "console", Console(width=width, force_terminal=False))
    headers = ["ticker", "name", *[f"value {i}" for i in range(8)]]
    rows = [
        ["AAA", "A long company name Inc.", *[f"{(i + 1) * 123_456_789:,}" for i in range(8)]],
        ["BB", "B", *[f"{-(i + 1) * 1_234.5:,.1f}" for i in range(8)]],
    ]
    render.print_fitted("T", headers, rows, text=("name",), droppable=("name",))
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= width
    cells = _cells(out)
    for row in rows:
        for value in row[2:]:
            assert value in cells, (value, out)
    parts = len(re.findall(r"^ *T( \(\d/\d\))? *$", out, flags=re.M))
    assert (parts == 1) == (width == 200), out
    if width < 200:
        assert "name left out" in out
    else:
        assert "A long company name Inc." in out


def test_a_big_hedge_keeps_whole_notionals_at_80_columns(demo_store):
    args = ["hedge", "KSTD=20000000", "--date", "2022-12-30", "--home", str(demo_store.home)]
    res = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    cells = _cells(res.stdout)
    js = runner.invoke(app, [*args, "--json"])
    basket = json.loads(js.stdout)["constituents"]
    assert max(c["notional"] for c in basket) >= 1e8  # 11-character notionals
    for c in basket:
        assert f"{c['notional']:,.0f}" in cells and f"{c['shares']:,.0f}" in cells, res.stdout
