"""``hedgekit hedge`` with factor-share caps and risk weights: the options reach the request,
mistakes are one line with exit code 2, and the output shows the caps met."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from hedgekit.cli import app, main

runner = CliRunner()
HEDGE = ["hedge", "KSTD=100000", "--date", "2022-12-30"]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (
            ["--max-factor-share-group", "Style"],
            "--max-factor-share-group 'Style' is not GROUP=PCT",
        ),
        (["--max-factor-share-group", "Style=ten"], "is not GROUP=PCT, e.g. Style=10"),
        (["--max-factor-share", "0"], "--max-factor-share: input should be greater than 0"),
        (["--max-factor-share-group", "Style=120"], "--max-factor-share-group: input should be"),
        (["--factor-risk-weight", "3"], "use method 'factor' (not 'returns') or leave both at 1"),
        (["--method", "nlp", "--max-factor-share", "20"], "the 'nlp' basket is fixed"),
        (["--max-factor-share-group", "Country=5"], "the risk model's groups are Market, Sector"),
    ],
)
def test_mistakes_are_one_line_exit_2(args, text, demo_store, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    argv = ["hedgekit", *HEDGE, *args, "--home", str(demo_store.home)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: ") and text in lines[0], lines


def test_caps_in_the_json_and_the_table(demo_store):
    args = [*HEDGE, "--home", str(demo_store.home), "--max-factor-share", "5",
            "--max-factor-share-group", "sector=4"]  # fmt: skip
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    share = out["diagnostics"]["factor_share"]
    assert share["factor_share"] <= 5 and share["factor_share_by_group"]["Sector"] <= 4
    hedged = out["risk_report"]["predicted_risk"]["Hedged Portfolio"]
    assert hedged["factor_share_of_variance"] == pytest.approx(share["factor_share"] / 100)
    assert hedged["sector_share_of_variance"] <= 0.04
    assert out["parameters"]["max_factor_share_by_group"] == {"sector": 4.0}
    table = runner.invoke(app, args, terminal_width=160)
    assert table.exit_code == 0, table.output
    assert "Factor share of the hedged portfolio's predicted variance" in table.stdout
    assert "Predicted risk under the factor model" in table.stdout
    assert "(cap 5%)" in table.stdout and "(cap 4%)" in table.stdout
