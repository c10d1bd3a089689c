"""Walk-forward engine: point in time, holding arithmetic, baselines, resume, dask."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.backtest._engine import (
    BacktestConfig,
    load_results,
    rebalance_dates,
    run_backtest,
)
from hedgekit.backtest._methods import METHODS, BacktestSettings, register_method
from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.data._demo import demo_bundle_path

ALL = (
    "default",
    "returns",
    "factor",
    "factor_study",
    "spy",
    "spy_beta",
    "sector_etf",
    "peers",
    "top_corr",
)
TARGETS = ("KSTD", "AMBY", "ARDN")


def _config(methods=ALL, targets=TARGETS, start="2022-06-30", end="2022-09-30", **kw):
    return BacktestConfig.create(targets, start, end, methods, **kw)


@pytest.fixture(scope="module")
def engine_market(demo_variant):
    """The demo market in a store of its own: risk models other tests keep in the shared
    demo store (a 'default' one changes the factor method's model) never reach these runs,
    so the serial, dask and planted runs all follow the same model-reuse rule."""
    return demo_variant("engine", lambda prices: prices)


@pytest.fixture(scope="module")
def serial(engine_market, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run_backtest(_config(), engine_market, out)
    return out


def _weights(out) -> pd.DataFrame:
    con = sqlite3.connect(out / "results.sqlite")
    try:
        return pd.read_sql_query(
            "SELECT target, rebalance, method, status, weights_start FROM periods "
            "ORDER BY target, rebalance, method",
            con,
        )
    finally:
        con.close()


def test_rebalance_dates(demo_market):
    d = rebalance_dates(demo_market, "2022-06-30", "2022-09-30")
    assert list(d.strftime("%Y-%m-%d")) == ["2022-06-30", "2022-07-29", "2022-08-31", "2022-09-30"]
    q = rebalance_dates(demo_market, "2022-01-01", "2022-12-31", "quarterly")
    assert list(q.month) == [3, 6, 9, 12]


def test_every_method_runs_and_is_recorded(serial):
    periods, daily = load_results(serial)
    assert set(periods["method"]) == {*ALL, "bound"}  # the perfect-foresight bound by default
    assert (periods["status"] == "ok").all(), periods.loc[periods["status"] != "ok", "error"]
    assert len(periods) == len(TARGETS) * (len(ALL) + 1) * 3
    # 3 holding periods of consecutive trading days, no gap, no overlap
    one = daily[(daily["target"] == "KSTD") & (daily["method"] == "spy")]
    assert one["day"].is_monotonic_increasing
    assert one["day"].min() > pd.Timestamp("2022-06-30")
    assert one["day"].max() == pd.Timestamp("2022-09-30")
    np.testing.assert_allclose(daily["hedged"], daily["unhedged"] - daily["hedge"])
    assert (periods["turnover"] > 0).all()


def test_holding_arithmetic_against_prices(serial, demo_market):
    """spy 1:1 held with fixed shares: the recorded series from adjusted closes by hand."""
    _, daily = load_results(serial)
    rows = daily[(daily["target"] == "AMBY") & (daily["method"] == "spy")]
    rows = rows[rows["rebalance"] == pd.Timestamp("2022-07-29")]
    view = demo_market.as_of("2022-08-31")
    px = view.prices(["AMBY"], start="2022-07-29")["AMBY"]
    spy = view.benchmark_prices("SPY", start="2022-07-29")["SPY"]
    V = (px / px.iloc[0]).to_numpy()
    H = (spy / spy.iloc[0]).to_numpy()
    unhedged = V[1:] / V[:-1] - 1
    hedge = (H[1:] - H[:-1]) / V[:-1]
    np.testing.assert_allclose(rows["unhedged"], unhedged, atol=1e-12)
    np.testing.assert_allclose(rows["hedge"], hedge, atol=1e-12)


def test_baselines(serial, demo_market):
    w = _weights(serial)
    first = w[(w["target"] == "ARDN") & (w["rebalance"] == "2022-06-30")].set_index("method")
    load = {m: json.loads(first.at[m, "weights_start"]) for m in first.index}
    assert load["spy"] == {"SPY": 1.0}
    view = demo_market.as_of("2022-06-30")
    start = demo_market.calendar[demo_market.calendar <= pd.Timestamp("2022-06-30")][-252]
    y = view.returns(["ARDN"], start=start)["ARDN"]
    x = view.benchmark_returns("SPY", start=start)["SPY"].reindex(y.index)
    beta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    assert load["spy_beta"]["SPY"] == pytest.approx(beta)
    assert list(load["sector_etf"]) == ["XLK"]  # ARDN: Information Technology
    sec = view.securities()
    peers = load["peers"]
    assert "ARDN" not in peers
    assert set(sec.loc[list(peers), "gics_sub_industry"]) == {sec.at["ARDN", "gics_sub_industry"]}
    assert sum(peers.values()) == pytest.approx(1.0)
    top = load["top_corr"]
    assert len(top) == 10
    rets = view.returns(view.tradable(view.members()), start=start)
    corr = rets.corr()["ARDN"].drop("ARDN").dropna()
    assert set(top) == set(corr.nlargest(10).index)
    for m in ("returns", "factor"):
        assert sum(load[m].values()) == pytest.approx(1.0)
        assert max(load[m].values()) <= 0.25 + 1e-9
        assert len(load[m]) <= 10


def test_no_method_sees_the_future(serial, tmp_path):
    """Plant a different future after 2022-06-30 (prices and volumes x0.1..x10, the names
    held on 2022-06-30 leaving the index on 2022-07-15, every company a new description on
    2022-07-01): every method's basket on 2022-06-30 is unchanged; only the
    perfect-foresight bound, which looks ahead by design, changes."""
    planted = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), planted)
    px = pd.read_parquet(planted / "prices.parquet")
    late = px["date"] > pd.Timestamp("2022-06-30")
    rng = np.random.default_rng(7)
    scale = rng.uniform(0.3, 3.0, late.sum())[:, None]
    px.loc[late, ["open", "high", "low", "close", "adj_close"]] *= scale
    px["volume"] = px["volume"].astype("float64")
    px.loc[late, "volume"] *= rng.uniform(0.1, 10.0, late.sum())
    px.to_parquet(planted / "prices.parquet")
    first = _weights(serial)
    held = {
        name
        for w in first.loc[first["rebalance"] == "2022-06-30", "weights_start"].dropna()
        for name in json.loads(w)
    }
    members = pd.read_parquet(planted / "index_membership.parquet")
    leaving = members["ticker"].isin(held - set(TARGETS)) & members["end_date"].isna()
    assert leaving.sum() >= 10  # the plant touches the baskets
    members.loc[leaving, "end_date"] = pd.Timestamp("2022-07-15")
    members.to_parquet(planted / "index_membership.parquet", index=False)
    desc = pd.read_parquet(planted / "descriptions.parquet")
    new = desc[desc["as_of"] == pd.Timestamp("2021-06-30")].copy()
    new["as_of"] = pd.Timestamp("2022-07-01")
    new["text"] = np.roll(new["text"].to_numpy(), 1)  # each company another's business
    pd.concat([desc, new], ignore_index=True).to_parquet(
        planted / "descriptions.parquet", index=False
    )
    store = Store(tmp_path / "home")
    import_bundle(planted, store)
    market = MarketData(store)
    later = market.as_of("2022-07-29")  # the plants are in the data
    gone = set(members.loc[leaving, "ticker"])
    assert not gone & set(later.members()) and gone <= set(market.as_of("2022-06-30").members())
    texts = later.descriptions(list(TARGETS))["text"].reindex(list(TARGETS)).tolist()
    assert texts == new.set_index("ticker").loc[list(TARGETS), "text"].tolist()
    out = tmp_path / "planted"
    config = _config(end="2022-07-29")
    run_backtest(config, market, out)
    a = _weights(serial)
    a = a[a["rebalance"] == "2022-06-30"].reset_index(drop=True)
    b = _weights(out)
    b = b[b["rebalance"] == "2022-06-30"].reset_index(drop=True)
    bound_a, bound_b = (w[w["method"] == "bound"] for w in (a, b))
    assert len(bound_a) == len(TARGETS)
    assert (bound_a["weights_start"].to_numpy() != bound_b["weights_start"].to_numpy()).all()
    a, b = (w[w["method"] != "bound"].reset_index(drop=True) for w in (a, b))
    pd.testing.assert_frame_equal(a, b)


def test_resume_skips_recorded_work(demo_market, tmp_path):
    calls = []

    def counting(ctx):
        calls.append((ctx.target, ctx.date))
        return METHODS["spy"](ctx)

    register_method("counting_spy", counting, replace=True)
    try:
        cfg = _config(methods=("counting_spy",), end="2022-08-31")
        run_backtest(cfg, demo_market, tmp_path)
        assert len(calls) == 2 * len(TARGETS)
        run_backtest(_config(methods=("counting_spy",), end="2022-08-31"), demo_market, tmp_path)
        assert len(calls) == 2 * len(TARGETS)  # nothing redone
        # a new target is added to the same run: only its work is done
        more = _config(methods=("counting_spy",), targets=(*TARGETS, "BFCM"), end="2022-08-31")
        run_backtest(more, demo_market, tmp_path)
        assert len(calls) == 2 * len(TARGETS) + 2
    finally:
        METHODS.pop("counting_spy")
    other = _config(methods=("spy",), end="2022-08-31", freq="quarterly")
    with pytest.raises(ConfigurationError, match="another --out directory"):
        run_backtest(other, demo_market, tmp_path)


def test_resume_after_kill(demo_store, tmp_path):
    """kill -9 after the first date is written; the rerun keeps it and finishes the rest."""
    out = tmp_path / "run"
    script = textwrap.dedent(
        f"""
        import os, signal
        from hedgekit.data import MarketData, Store
        from hedgekit.backtest._engine import BacktestConfig, run_backtest
        cfg = BacktestConfig.create({list(TARGETS)!r}, "2022-06-30", "2022-09-30", ["spy", "peers"])
        def stop(done, total):
            if done == 1:
                os.kill(os.getpid(), signal.SIGKILL)
        run_backtest(cfg, MarketData(Store({str(demo_store.home)!r})), {str(out)!r}, progress=stop)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    first, _ = load_results(out)
    assert set(first["rebalance"].dt.strftime("%Y-%m-%d")) == {"2022-06-30"}
    cfg = BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", ["spy", "peers"])
    run_backtest(cfg, MarketData(demo_store), out)
    full, _ = load_results(out)
    assert len(full) == len(TARGETS) * 3 * 3  # spy, peers and the bound
    kept = full[full["rebalance"] == pd.Timestamp("2022-06-30")].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first.reset_index(drop=True))


def test_dask_local_cluster_matches_serial(serial, engine_market, tmp_path, capfd):
    pytest.importorskip("dask.distributed")
    run_backtest(_config(), engine_market, tmp_path, workers=2)
    err = capfd.readouterr().err
    # quiet: no dask INFO lines, no dashboard, no "port 8787 is already in use"
    assert "INFO" not in err and "8787" not in err, err
    a, da = load_results(serial)
    b, db = load_results(tmp_path)
    cols = ["target", "rebalance", "method", "names", "turnover", "cost_bps", "borrow_bps"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    pd.testing.assert_frame_equal(da, db)


def test_external_scheduler_matches_serial(serial, engine_market, tmp_path):
    """The multi-machine recipe of docs/cli.md, on one machine: a `dask scheduler` and a
    `dask worker` started as their own processes, the run sent with ``scheduler=``."""
    pytest.importorskip("dask.distributed")
    import socket

    from dask.distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m"]
    logs = (tmp_path / "dask.log").open("w")
    procs = [
        subprocess.Popen(
            [
                *dask,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=logs,
            stderr=logs,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [
                    *dask,
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                stdout=logs,
                stderr=logs,
            )
        )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        run_backtest(_config(), engine_market, tmp_path / "run", scheduler=address)
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=30)
        logs.close()
    a, da = load_results(serial)
    b, db = load_results(tmp_path / "run")
    cols = ["target", "rebalance", "method", "names", "turnover", "cost_bps", "borrow_bps"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    pd.testing.assert_frame_equal(da, db)


def test_config_errors(demo_market, tmp_path):
    with pytest.raises(ConfigurationError, match="unknown method"):
        BacktestConfig.create(["KSTD"], "2022-01-01", "2022-06-30", ["nope"])
    with pytest.raises(ConfigurationError, match="must be before"):
        BacktestConfig.create(["KSTD"], "2022-06-30", "2022-01-01")
    with pytest.raises(ConfigurationError, match="no targets"):
        BacktestConfig.create([], "2022-01-01", "2022-06-30")
    with pytest.raises(ConfigurationError, match="cannot make a 100% hedge"):
        BacktestConfig.create(
            ["KSTD"], "2022-01-01", "2022-06-30", settings=BacktestSettings(max_weight=5)
        )
    with pytest.raises(ConfigurationError, match="no prices for target"):
        run_backtest(_config(targets=("ZZZZ",)), demo_market, tmp_path)
    with pytest.raises(ConfigurationError, match="at least one full holding period"):
        run_backtest(_config(start="2022-06-30", end="2022-07-15"), demo_market, tmp_path / "x")


def test_semantic_methods_run(demo_market, tmp_path):
    settings = BacktestSettings(embedder="tfidf")
    cfg = _config(methods=("nlp", "hybrid"), end="2022-07-29", settings=settings)
    run_backtest(cfg, demo_market, tmp_path)
    w = _weights(tmp_path)
    assert (w["status"] == "ok").all()
    for rec in w.itertuples():
        basket = json.loads(rec.weights_start)
        assert rec.target not in basket
        assert sum(basket.values()) == pytest.approx(1.0)
        assert len(basket) <= 10


@pytest.mark.realdata
def test_sector_etf_without_a_sector_falls_back_to_spy(real_market):
    from hedgekit.backtest import HedgeContext

    view = real_market.as_of("2018-12-31")
    assert view.securities(["JEF"])["gics_sector"].isna().all()  # unclassified on the date
    hedge = METHODS["sector_etf"](HedgeContext(real_market, view, "JEF", BacktestSettings()))
    assert list(hedge.etfs.index) == ["SPY"]
    assert "no GICS sector" in hedge.note


def test_a_broken_method_is_recorded_not_fatal(demo_market, tmp_path):
    def broken(ctx):
        raise TypeError("boolean value of NA is ambiguous")

    register_method("broken", broken, replace=True)
    try:
        run_backtest(_config(methods=("broken", "spy"), end="2022-07-29"), demo_market, tmp_path)
    finally:
        METHODS.pop("broken")
    periods, _ = load_results(tmp_path)
    bad = periods[periods["method"] == "broken"]
    assert (bad["status"] == "failed").all()
    assert bad["error"].str.startswith("internal error (TypeError)").all()
    assert (periods.loc[periods["method"] == "spy", "status"] == "ok").all()


def test_shared_reads_match_direct_reads(real_market):
    """The per-date memo returns what the view returns, for members and for other names."""
    from hedgekit.backtest import HedgeContext

    view = real_market.as_of("2019-06-28")
    settings = BacktestSettings()
    shared: dict = {}
    ctx = HedgeContext(real_market, view, "AAPL", settings, shared=shared)
    members = view.tradable(view.members("SPX"))
    outsider = next(t for t in ("LULU", "JEF", "ODFL") if t not in members)  # not in SPX then
    names = ["AAPL", "MSFT", outsider]
    assert ctx.candidates() == [t for t in members if t != "AAPL"]
    direct = view.returns(names, start=ctx.window_start())
    pd.testing.assert_frame_equal(ctx.window_returns(names), direct, check_freq=False)
    pd.testing.assert_frame_equal(ctx.classification(names), view.securities(names))
    assert {"members", "member_returns", "member_securities"} <= set(shared)
    # a second target of the same date reuses the memo; a context of its own starts empty
    other = HedgeContext(real_market, view, "MSFT", settings, shared=shared)
    assert other.window_returns(["MSFT"]) is not None and len(shared) == 3
    assert HedgeContext(real_market, view, "MSFT", settings).shared == {}


def test_load_results_daily_rows_and_a_corrupt_record(serial, tmp_path):
    """One daily row per recorded day, keyed like its period; unequal arrays are a DataError."""
    from hedgekit import DataError

    _, daily = load_results(serial)
    con = sqlite3.connect(serial / "results.sqlite")
    try:
        raw = pd.read_sql_query(
            "SELECT target, rebalance, method, days, unhedged, hedge FROM periods "
            "WHERE status = 'ok'",
            con,
        )
    finally:
        con.close()
    assert len(daily) == sum(len(json.loads(d)) for d in raw["days"])
    row = raw.iloc[len(raw) // 2]
    got = daily[
        (daily["target"] == row["target"])
        & (daily["method"] == row["method"])
        & (daily["rebalance"] == pd.Timestamp(row["rebalance"]))
    ]
    assert [f"{d:%Y-%m-%d}" for d in got["day"]] == json.loads(row["days"])
    np.testing.assert_allclose(got["unhedged"], json.loads(row["unhedged"]))
    np.testing.assert_allclose(
        got["hedged"], got["unhedged"] - np.asarray(json.loads(row["hedge"]))
    )

    broken = tmp_path / "broken"
    shutil.copytree(serial, broken)
    con = sqlite3.connect(broken / "results.sqlite")
    with con:
        con.execute(
            "UPDATE periods SET hedge = '[0.0]' WHERE target = ? AND rebalance = ? AND method = ?",
            (row["target"], row["rebalance"], row["method"]),
        )
    con.close()
    with pytest.raises(DataError, match="unequal lengths"):
        load_results(broken)


def test_dead_scheduler_is_a_clear_error(demo_market, tmp_path):
    pytest.importorskip("dask.distributed")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = BacktestConfig.create(list(TARGETS), "2022-06-30", "2022-09-30", ["spy"])
    with pytest.raises(
        ConfigurationError, match=rf"no dask scheduler answers at 'tcp://127.0.0.1:{port}'"
    ):
        run_backtest(cfg, demo_market, tmp_path / "run", scheduler=f"tcp://127.0.0.1:{port}")


# ---------------------------------------------------------------------- data snapshot on resume
@pytest.fixture
def own_store(demo_store, tmp_path):
    """A copy of the demo store this test may import into (a new snapshot)."""
    home = tmp_path / "home"
    shutil.copytree(demo_store.home, home)
    return Store(home)


def _import_something(store, tmp_path):
    """Commit a new snapshot (a hard-to-borrow list) without touching the prices."""
    from hedgekit.data import import_list

    path = tmp_path / "htb.csv"
    path.write_text("ticker\nKSTD\n")
    before = store.version
    import_list(path, "hard_to_borrow", store)
    assert store.version != before


def _data_version(out):
    con = sqlite3.connect(out / "results.sqlite")
    try:
        return con.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()[0]
    finally:
        con.close()


def test_resume_on_another_data_snapshot_is_refused(own_store, tmp_path):
    out = tmp_path / "run"
    first = MarketData(own_store)
    run_backtest(_config(methods=("spy",), end="2022-08-31"), first, out)
    began = first.version
    assert _data_version(out) == began
    _import_something(own_store, tmp_path)
    later = MarketData(own_store)
    before = load_results(out, daily=False)[0]
    # a target added to the run: its hedges would be computed on the new data
    longer = _config(methods=("spy",), targets=(*TARGETS, "BFCM"), end="2022-08-31")
    with pytest.raises(ConfigurationError) as info:
        run_backtest(longer, later, out)
    message = str(info.value)
    assert began in message and later.version in message
    assert "new --out directory" in message and "--allow-new-data" in message
    # nothing was written, and the run still says where it began
    pd.testing.assert_frame_equal(load_results(out, daily=False)[0], before)
    assert _data_version(out) == began
    # a finished run still reads on the new snapshot (nothing to compute, nothing mixed)
    run_backtest(_config(methods=("spy",), end="2022-08-31"), later, out)


def test_resume_on_new_data_when_allowed_warns_and_records_it(own_store, tmp_path):
    out = tmp_path / "run"
    first = MarketData(own_store)
    run_backtest(_config(methods=("spy",), end="2022-08-31"), first, out)
    _import_something(own_store, tmp_path)
    later = MarketData(own_store)
    longer = _config(methods=("spy",), targets=(*TARGETS, "BFCM"), end="2022-08-31")
    with pytest.warns(UserWarning, match=f"snapshot {first.version}.*snapshot {later.version}"):
        run_backtest(longer, later, out, allow_new_data=True)
    periods, _ = load_results(out, daily=False)
    assert set(periods["target"]) == {*TARGETS, "BFCM"}
    assert _data_version(out) == later.version
    # the new snapshot is now the run's: adding to it again is silent
    more = _config(methods=("spy",), targets=(*TARGETS, "BFCM", "FRLX"), end="2022-08-31")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_backtest(more, later, out)
    assert "FRLX" in set(load_results(out, daily=False)[0]["target"])


def test_a_run_that_never_recorded_data_takes_the_new_snapshot(own_store, tmp_path):
    """A new snapshot before the first record (e.g. the first run failed at once) is no mix."""
    out = tmp_path / "run"
    market = MarketData(own_store)
    run_backtest(_config(methods=("spy",), end="2022-08-31"), market, out)
    con = sqlite3.connect(out / "results.sqlite")
    with con:
        con.execute("DELETE FROM periods")
        con.execute("UPDATE meta SET value='older' WHERE key='data_version'")
    con.close()
    run_backtest(_config(methods=("spy",), end="2022-08-31"), market, out)
    assert _data_version(out) == market.version
