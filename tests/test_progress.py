"""Progress reports of long computations (``hedgekit._progress``) and the CLI's bars."""

from __future__ import annotations

import io

from rich.console import Console

from hedgekit._progress import progress_to, report_progress
from hedgekit.risk import FactorRiskModel


def test_no_listener_means_no_output(capsys):
    report_progress("stage", 1, 2)
    assert capsys.readouterr() == ("", "")


def test_a_risk_model_fit_reports_its_months_in_order(demo_market):
    seen: list[tuple[str, int, int]] = []
    with progress_to(lambda *r: seen.append(r)):
        model = FactorRiskModel("2021-06-30", "2022-12-30").fit(demo_market)
    months = [(d, t) for s, d, t in seen if s == "risk model: monthly regressions"]
    assert months, seen
    total = months[0][1]
    assert all(t == total for _, t in months)
    assert [d for d, _ in months] == list(range(total + 1))  # 0..total, each once
    assert total == len({(d.year, d.month) for d in model.factor_returns_.index})


def test_reports_stay_in_their_block(demo_market):
    seen: list[tuple[str, int, int]] = []
    with progress_to(lambda *r: seen.append(r)):
        report_progress("inside", 1, 1)
    report_progress("outside", 1, 1)
    assert seen == [("inside", 1, 1)]


def test_the_cli_draws_a_bar_per_stage_on_a_terminal(monkeypatch):
    from hedgekit.cli import _common

    out = io.StringIO()
    monkeypatch.setattr(_common, "err_console", Console(file=out, force_terminal=True, width=100))
    with _common.progress_bars("fitting"):
        report_progress("risk model: monthly regressions", 3, 10)
        report_progress("risk model: monthly regressions", 10, 10)
    assert "risk model: monthly regressions" in out.getvalue()


def test_the_cli_draws_nothing_in_a_pipe(monkeypatch):
    from hedgekit.cli import _common

    out = io.StringIO()
    monkeypatch.setattr(_common, "err_console", Console(file=out, force_terminal=False))
    with _common.progress_bars("fitting"):
        report_progress("stage", 1, 2)
    assert out.getvalue() == ""
