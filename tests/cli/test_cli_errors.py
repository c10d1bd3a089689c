"""One clear line (exit 2, no traceback) for the CLI's own mistakes, checked before heavy
work; a lean start; warnings as one line; tables that keep whole numbers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

HEAVY = ("torch", "sentence_transformers", "sklearn", "matplotlib", "dask", "fastapi", "uvicorn")


def _loaded(*args: str) -> set[str]:
    """Heavy modules imported by ``hedgekit ARGS`` run in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from hedgekit.cli import main\n"
        f"sys.argv = ['hedgekit', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return set(json.loads(res.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--help"], ["hedge", "--help"], ["backtest", "--help"]])
def test_help_imports_nothing_heavy(args):
    assert _loaded(*args) == set()


@pytest.fixture(scope="module")
def hedge_loaded(demo_store):
    return _loaded("hedge", "KSTD=1000", "--date", "2022-12-30", "--home", str(demo_store.home))


def test_plain_hedge_imports_nothing_heavy(hedge_loaded):
    # scikit-learn included: the estimators follow its protocol without importing it
    assert hedge_loaded == set()


def _main(monkeypatch, capsys, *args: str) -> str:
    """Run the CLI entry point; return its last stderr line after asserting exit 2."""
    from hedgekit.cli import main

    monkeypatch.setattr(sys, "argv", ["hedgekit", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def _ok(main) -> None:
    """Run the entry point that ends with click's ``SystemExit(0)``."""
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code in (0, None)


def _fail(*_args, **_kwargs):
    raise AssertionError("heavy work started before the check")


def test_data_check_plot_to_a_missing_folder(demo_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("hedgekit.cli._data._market", _fail)
    plot = tmp_path / "nowhere" / "cov.png"
    last = _main(monkeypatch, capsys, "data", "check", "--plot", str(plot),
                 "--home", str(demo_store.home))  # fmt: skip
    assert last.startswith("error: --plot") and "does not exist" in last


def test_backtest_report_on_an_existing_file(demo_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("hedgekit.cli._backtest._market", _fail)
    file = tmp_path / "report.html"
    file.write_text("x")
    last = _main(
        monkeypatch, capsys, "backtest", "--targets", "KSTD", "--start", "2022-06-30",
        "--end", "2022-08-31", "--report", str(file), "--home", str(demo_store.home),
    )  # fmt: skip
    assert last.startswith(f"error: --report {file} is a file")


def test_backtest_dead_scheduler_names_the_address(demo_store, monkeypatch, capsys):
    monkeypatch.setattr("hedgekit.cli._backtest._market", _fail)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    last = _main(
        monkeypatch, capsys, "backtest", "--targets", "KSTD", "--start", "2022-06-30",
        "--end", "2022-08-31", "--out", "run", "--scheduler", address,
        "--home", str(demo_store.home),
    )  # fmt: skip
    assert last.startswith(f"error: --scheduler {address}: no dask scheduler answers")
    assert f"127.0.0.1:{port}" in last
    bad = _main(
        monkeypatch, capsys, "backtest", "--targets", "KSTD", "--start", "2022-06-30",
        "--end", "2022-08-31", "--out", "run", "--scheduler", "tcp://nohost",
        "--home", str(demo_store.home),
    )  # fmt: skip
    assert "write tcp://HOST:PORT" in bad


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_serve_port_out_of_range(port, demo_store, monkeypatch, capsys):
    last = _main(monkeypatch, capsys, "serve", "--port", port, "--home", str(demo_store.home))
    assert last == f"error: --port {port} is not a TCP port; use 1-65535 (e.g. --port 8000)"


def test_second_serve_on_a_database_in_use(demo_store, tmp_path, monkeypatch, capsys):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    from hedgekit.server import Database

    db = tmp_path / "svc.db"
    first = Database(db)
    first.acquire()  # the running server
    try:
        monkeypatch.setattr("uvicorn.run", _fail)
        last = _main(monkeypatch, capsys, "serve", "--db", str(db),
                     "--home", str(demo_store.home))  # fmt: skip
    finally:
        first.release()
    assert last.startswith(f"error: another hedgekit server is running on {db}")


def test_peers_warning_is_one_clean_line(demo_store, monkeypatch, capsys):
    from hedgekit.cli import main

    monkeypatch.setattr(
        sys, "argv",
        ["hedgekit", "peers", "KSTD", "--date", "2019-06-28", "-k", "2", "--embedder", "tfidf",
         "--home", str(demo_store.home)],
    )  # fmt: skip
    _ok(main)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "look-ahead" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: semantic peers of KSTD"), err
    assert "UserWarning" not in err and ".py:" not in err


@pytest.mark.parametrize("columns", [60, 80, 100, 120])
def test_tables_keep_whole_numbers(columns, demo_store, monkeypatch, capsys):
    """Every share count, notional and statistic appears whole on one line at 60-120
    columns (the basket splits or drops text columns; numbers never fold or get cut)."""
    from hedgekit.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    from hedgekit.cli import _common

    monkeypatch.setattr(_common.console, "_width", columns)
    monkeypatch.setattr(sys, "argv", ["hedgekit", "demo", "--home", str(demo_store.home)])
    _ok(main)
    out = capsys.readouterr().out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= columns
    cells = {c.strip() for line in out.splitlines() for c in line.split("│")}
    monkeypatch.setattr(sys, "argv", ["hedgekit", "demo", "--json", "--home", str(demo_store.home)])
    _ok(main)
    payload = json.loads(capsys.readouterr().out)
    for c in payload["constituents"]:
        assert f"{c['notional']:,.0f}" in cells, (c["identifier"], out)
        assert f"{c['shares']:,.0f}" in cells, (c["identifier"], out)
    # every statistic is one whole cell
    formats = {"annualized_return": "{:.1%}", "max_drawdown": "{:.1%}",
               "transaction_cost_usd": "{:,.0f}", "risk_reduction_bps": "{:,.0f}",
               "correlation_with_portfolio": "{:,.4f}"}  # fmt: skip
    for leg in payload["statistics"].values():
        for measure, fmt in formats.items():
            if leg.get(measure) is not None:
                assert fmt.format(leg[measure]) in cells, (measure, out)
