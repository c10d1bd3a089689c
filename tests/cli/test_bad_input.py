"""The CLI's bad-input suite (issue 17): every case exits 2 with exactly one line, no traceback.

One table of cases over every command (data, risk, peers, cluster, text, backtest, serve, keys,
hedge, demo), run through the console entry point on the demo store. Work that must not start
(uvicorn) fails the test if reached; the cases in ``test_cli_errors.py``, ``test_hedge_cli.py``
and ``test_backtest_cli.py`` (the issue's own) complete the suite.
"""

from __future__ import annotations

import sys

import pytest

from hedgekit.cli import main


def _no_server(*_args, **_kwargs):
    raise AssertionError("the server started")


BACKTEST = ["backtest", "--start", "2022-06-30", "--end", "2022-08-31", "--out", "{tmp}/run"]
HEDGE = ["hedge", "KSTD=1000", "--date", "2022-12-30"]

#: (id, arguments, text the one line holds); {tmp} is a scratch folder, {home} the demo store
CASES = [
    # data
    ("import-missing-dir", ["data", "import", "{tmp}/nowhere"], "does not exist"),
    ("import-table-xlsx", ["data", "import-table", "{tmp}/f.xlsx", "--table", "prices"],
     "unsupported file type '.xlsx'"),
    ("import-table-unknown-table", ["data", "import-table", "{tmp}/f.csv", "--table", "nope"],
     "unknown table 'nope'"),
    ("import-table-layout", ["data", "import-table", "{tmp}/f.csv", "--table", "prices",
                             "--layout", "diagonal"], "layout='diagonal' is not one of"),
    ("import-table-map", ["data", "import-table", "{tmp}/f.csv", "--table", "prices",
                          "--map", "Security"], "--map 'Security' is not KEY=VALUE"),
    ("import-table-fx", ["data", "import-table", "{tmp}/f.csv", "--table", "prices",
                         "--fx", "EUR=abc"], "--fx EUR=abc: the rate must be a number"),
    ("import-table-no-table", ["data", "import-table", "{tmp}/f.csv"],
     "Missing option '--table'; see `hedgekit data import-table --help`"),
    ("import-list-kind", ["data", "import-list", "colours", "{tmp}/f.csv"],
     "unknown list kind 'colours'"),
    ("resolve-unknown", ["data", "resolve", "NOPE_XYZ"], "unknown identifier 'NOPE_XYZ'"),
    ("check-out-folder", ["data", "check", "--out", "{tmp}"], "is a folder; give a file name"),
    ("check-plot-gif", ["data", "check", "--plot", "{tmp}/c.gif"], "'.gif' is not a format"),
    ("check-spike-text", ["data", "check", "--spike", "big"], "Invalid value for '--spike'"),
    ("info-empty-home", ["data", "info", "--home", "{tmp}/empty"], "no market data at"),
    ("data-unknown-command", ["data", "frobnicate"], "No such command 'frobnicate'"),
    # risk
    ("risk-build-start", ["risk", "build", "--start", "soon"], "--start 'soon' is not a date"),
    ("risk-build-end", ["risk", "build", "--end", "2022-13-01"], "--end '2022-13-01' is not"),
    ("risk-show-date", ["risk", "show", "KSTD", "--date", "soon"], "--date 'soon' is not a date"),
    ("risk-show-no-ticker", ["risk", "show"], "Missing argument 'ticker'"),
    # peers, cluster, text
    ("peers-unknown", ["peers", "NOPE", "--embedder", "tfidf"], "unknown identifier 'NOPE'"),
    ("peers-date", ["peers", "KSTD", "--date", "1990-01-01", "--embedder", "tfidf"],
     "outside the data"),
    ("peers-k", ["peers", "KSTD", "-k", "0", "--embedder", "tfidf"], "k=0 must be a positive"),
    ("peers-empty-embedder", ["peers", "KSTD", "--embedder", ""], "embedder name '' is empty"),
    ("cluster-png-folder", ["cluster", "--png", "{tmp}/nowhere/m.png", "--embedder", "tfidf"],
     "folder {tmp}/nowhere does not exist"),
    ("cluster-html-suffix", ["cluster", "--html", "{tmp}/m.txt", "--embedder", "tfidf"],
     "'.txt' is not a format it writes; use .html or .htm"),
    ("cluster-date", ["cluster", "--date", "1990-01-01", "--embedder", "tfidf"],
     "outside the data"),
    ("text-eval-hub", ["text", "eval", "--embedders", "nomic"], "--allow-download"),
    ("text-eval-k", ["text", "eval", "-k", "0", "--embedders", "tfidf"], "k=0 must be"),
    ("text-eval-date", ["text", "eval", "--date", "soon", "--embedders", "tfidf"],
     "'soon' is not a date"),
    # backtest
    ("backtest-workers-and-scheduler", [*BACKTEST, "--targets", "KSTD", "--workers", "2",
                                        "--scheduler", "tcp://127.0.0.1:1"],
     "pass either --workers or --scheduler, not both"),
    ("backtest-workers-0", [*BACKTEST, "--targets", "KSTD", "--workers", "0"],
     "--workers 0 must be >= 1"),
    ("backtest-random-spec", [*BACKTEST, "--targets", "random:x"], "write random:N"),
    ("backtest-method", [*BACKTEST, "--targets", "KSTD", "--methods", "nope"],
     "unknown method(s) nope"),
    ("backtest-freq", [*BACKTEST, "--targets", "KSTD", "--freq", "weekly"], "freq='weekly'"),
    ("backtest-dates-reversed", ["backtest", "--targets", "KSTD", "--start", "2022-08-31",
                                 "--end", "2022-06-30", "--out", "{tmp}/run"], "must be before"),
    ("backtest-start-text", ["backtest", "--targets", "KSTD", "--start", "someday", "--end",
                             "2022-08-31", "--out", "{tmp}/run"], "'someday' is not a date"),
    ("backtest-unknown-target", [*BACKTEST, "--targets", "ZZZZ"], "unknown identifier 'ZZZZ'"),
    ("backtest-no-out", ["backtest", "--targets", "KSTD", "--start", "2022-06-30", "--end",
                         "2022-08-31"], "pass --report DIR (or --out DIR)"),
    ("backtest-caps", [*BACKTEST, "--targets", "KSTD", "--max-weight", "5"],
     "cannot make a 100% hedge"),
    ("backtest-out-is-file", [*BACKTEST[:-1], "{tmp}/f.csv", "--targets", "KSTD"],
     "is a file; give a folder"),
    # serve, keys
    ("serve-port-text", ["serve", "--port", "abc"], "Invalid value for '--port'"),
    ("serve-empty-home", ["serve", "--home", "{tmp}/empty"], "pass --demo"),
    ("serve-log-level", ["serve", "--log-level", "loud", "--db", "{tmp}/svc.db"],
     "--log-level 'loud' is not a log level"),
    ("serve-workers-0", ["serve", "--workers", "0", "--db", "{tmp}/svc.db"],
     "workers=0: use a whole number in 1..64"),
    ("serve-rate", ["serve", "--rate", "-1", "--db", "{tmp}/svc.db"], "rate_per_second=-1.0"),
    ("keys-list-typo", ["keys", "list", "--db", "{tmp}/typo.db"], "no service database at"),
    ("keys-revoke-typo", ["keys", "revoke", "alice", "--db", "{tmp}/typo.db"],
     "no service database at"),
    ("keys-create-no-name", ["keys", "create"], "Missing argument 'name'"),
    # hedge, demo
    ("hedge-unknown", ["hedge", "NOPE=100", "--date", "2022-12-30"], "unknown identifier 'NOPE'"),
    ("hedge-early-date", ["hedge", "KSTD=100", "--date", "1990-01-01"], "outside the data"),
    ("hedge-bad-date", ["hedge", "KSTD=100", "--date", "2022-13-45"],
     "--date '2022-13-45' is not a date"),
    ("hedge-universe", [*HEDGE, "--universe", "NOPE_IDX"], "unknown identifier 'NOPE_IDX'"),
    ("hedge-sector", [*HEDGE, "--exclude-sector", "Nonsense"], "unknown GICS sector 'Nonsense'"),
    ("hedge-leverage", [*HEDGE, "--leverage", "-5"], "--leverage: input should be greater"),
    ("hedge-cash", [*HEDGE, "--cash", "150"], "--cash: input should be less than 100"),
    ("hedge-quantity-true", ["hedge", "KSTD=true", "--date", "2022-12-30"],
     "cannot read position 'KSTD=true'"),
    ("hedge-max-adv", [*HEDGE, "--max-adv", "0"], "--max-adv: input should be greater than 0"),
    ("hedge-max-names", [*HEDGE, "--max-names", "-1"], "--max-names: input should be"),
    ("hedge-max-names-text", [*HEDGE, "--max-names", "ten"], "Invalid value for '--max-names'"),
    ("hedge-estimator", [*HEDGE, "--estimator", "magic"], "--estimator: input should be"),
    ("hedge-min-names", [*HEDGE, "--min-names", "0"], "--min-names: input should be greater"),
    ("hedge-te-cap", [*HEDGE, "--max-tracking-error", "-3"],
     "--max-tracking-error: input should be greater than 0"),
    ("hedge-min-names-above-max", [*HEDGE, "--min-names", "12"],
     "min_names=12 is above max_names=10; lower min_names or raise max_names"),
    ("hedge-factor-syntax", [*HEDGE, "--factor-constraint", "momentum=0.1"],
     "--factor-constraint 'momentum=0.1' is not FACTOR=MIN:MAX"),
    ("hedge-factor-reversed", [*HEDGE, "--factor-constraint", "momentum=0.1:-0.1"],
     "minimum 0.1 is above maximum -0.1; swap them"),
    ("hedge-min-esg-syntax", [*HEDGE, "--min-esg-score", "esg"],
     "--min-esg-score 'esg' is not SCORE=MIN, e.g. esg=5"),
    ("hedge-min-esg-nan", [*HEDGE, "--min-esg-score", "esg=nan"],
     "--min-esg-score: input should be a finite number"),
    ("hedge-min-esg-unknown", [*HEDGE, "--min-esg-score", "carbon=1"],
     "no score named 'carbon' in the store"),
    ("hedge-min-names-candidates", [*HEDGE, "--max-names", "0", "--min-names", "5000"],
     "candidates; lower min_names to <="),
    ("hedge-lasso", [*HEDGE, "--lasso", "-1"], "--lasso: input should be greater than or equal"),
    ("hedge-unknown-option", [*HEDGE, "--nope"], "No such option: --nope"),
    ("hedge-no-positions", ["hedge"], "Missing argument 'positions'"),
    # hedge: rebalance of a current hedge
    ("hedge-max-turnover", [*HEDGE, "--current-hedge", "{tmp}/b.json", "--max-turnover", "-5"],
     "--max-turnover: input should be greater than or equal to 0"),
    ("hedge-max-trades", [*HEDGE, "--current-hedge", "{tmp}/b.json", "--max-trades", "-1"],
     "--max-trades: input should be greater than or equal to 0"),
    ("hedge-turnover-alone", [*HEDGE, "--max-turnover", "20"],
     "parameters.max_turnover limits a rebalance: give current_hedge"),
    ("hedge-current-missing", [*HEDGE, "--current-hedge", "{tmp}/none.json"],
     "--current-hedge {tmp}/none.json is not a file"),
    ("hedge-current-not-basket", [*HEDGE, "--current-hedge", "{tmp}/f.csv"],
     "a row lacks an identifier and shares"),
    ("hedge-current-unknown", [*HEDGE, "--current-hedge", "{tmp}/nope.json",
                               "--max-turnover", "20"],
     "unknown identifier 'NOPE_XYZ': a current_hedge name"),
    ("demo-target", ["demo", "--target", "NOPE"], "unknown identifier 'NOPE'"),
    ("demo-date", ["demo", "--date", "1990-01-01"], "outside the data"),
]  # fmt: skip


@pytest.fixture
def scratch(tmp_path):
    (tmp_path / "f.csv").write_text("ticker,date,close\nKSTD,2022-01-03,10\n")
    (tmp_path / "f.xlsx").write_text("not a workbook")
    (tmp_path / "b.json").write_text('{"positions": [{"identifier": "FRLX", "shares": 100}]}')
    (tmp_path / "nope.json").write_text('{"positions": [{"identifier": "NOPE_XYZ", "shares": 1}]}')
    return tmp_path


@pytest.mark.parametrize(("args", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2(args, text, demo_store, scratch, monkeypatch, capsys):
    monkeypatch.setattr("uvicorn.run", _no_server, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    argv = [a.replace("{tmp}", str(scratch)) for a in args]
    if "--home" not in argv and argv[:1] != ["keys"]:
        argv += ["--home", str(demo_store.home)]
    monkeypatch.setattr(sys, "argv", ["hedgekit", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert exit_.value.code == 2, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert text.replace("{tmp}", str(scratch)) in lines[0], output


def test_the_suite_covers_every_command():
    commands = {c[1][0] for c in CASES}
    assert commands >= {"data", "risk", "peers", "cluster", "text", "backtest", "serve", "keys",
                        "hedge", "demo"}  # fmt: skip
    assert len(CASES) >= 45
