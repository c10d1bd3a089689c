"""The two evaluation protocols (rebalance, set and forget), the perfect-foresight bound,
the per-record moments and their schema migration."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit import ConfigurationError, DataError
from hedgekit.backtest import (
    BOUND,
    METHODS,
    MOMENT_COLUMNS,
    BacktestConfig,
    BacktestRun,
    BacktestSettings,
    by_method,
    hold_schedule,
    load_results,
    parse_hold,
    record_moments,
    run_backtest,
    summarise,
    winners,
)
from hedgekit.optimize import TrackingProblem, solve_tracking

TARGETS = ("KSTD", "AMBY", "ARDN")
BASELINES = ("spy", "spy_beta", "sector_etf", "peers")
GOLDEN = Path(__file__).parent / "data" / "monthly_golden.json"
_FIELDS = (
    "end_date", "status", "error", "note", "names", "weights_start", "weights_end",
    "cost_inputs", "borrow_bps", "days", "unhedged", "hedge",
)  # fmt: skip


def _canon(v: object) -> str:
    """The golden file's text of a stored value."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "null"
    if isinstance(v, str):
        return v
    if isinstance(v, int | np.integer):
        return str(int(v))
    return repr(float(v))  # type: ignore[arg-type]


def _raw(out: Path, columns: str = "*") -> pd.DataFrame:
    con = sqlite3.connect(out / "results.sqlite")
    try:
        return pd.read_sql_query(
            f"SELECT {columns} FROM periods ORDER BY target, rebalance, method", con
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def monthly(demo_market, tmp_path_factory):
    """The golden record's run, on today's engine (bound on, the default)."""
    out = tmp_path_factory.mktemp("monthly")
    cfg = BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", BASELINES)
    run_backtest(cfg, demo_market, out)
    return out


@pytest.fixture(scope="module")
def hold12(demo_market, tmp_path_factory):
    """Set and forget: 12-month holds from the month ends of Jan..Mar 2021."""
    out = tmp_path_factory.mktemp("hold12")
    cfg = BacktestConfig.create(
        TARGETS, "2021-01-01", "2022-04-15", ("spy", "peers", "top_corr"), hold_months=12
    )
    run_backtest(cfg, demo_market, out)
    return out


# ------------------------------------------------------------------ rebalance protocol
def test_monthly_protocol_matches_the_golden_record(monthly):
    """hold_months=1 (the default) stores, field for field, what the engine stored before
    the protocols existed (tests/backtest/data/monthly_golden.json, from commit 12fab56),
    and computes the same turnover and costs; the bound only adds its own records."""
    golden = json.loads(GOLDEN.read_text())
    cfg = golden["config"]
    default = BacktestConfig.create(cfg["targets"], cfg["start"], cfg["end"], cfg["methods"])
    explicit = BacktestConfig.create(
        cfg["targets"], cfg["start"], cfg["end"], cfg["methods"], hold_months="1m"
    )
    assert default == explicit and default.hold_months == 1
    assert default.fingerprint() == golden["fingerprint"]  # old run directories still resume
    raw = _raw(monthly, "target, rebalance, method, " + ", ".join(_FIELDS))
    periods, _ = load_results(monthly)
    ours = raw[raw["method"] != BOUND]
    assert len(ours) == len(golden["records"])
    for row in ours.itertuples(index=False):
        key = f"{row.target}|{row.rebalance}|{row.method}"
        want = golden["records"][key]
        for f in _FIELDS:
            got = hashlib.sha256(_canon(getattr(row, f)).encode()).hexdigest()[:16]
            assert got == want[f], (key, f)
    for row in periods[periods["method"] != BOUND].itertuples(index=False):
        want = golden["records"][f"{row.target}|{row.rebalance:%Y-%m-%d}|{row.method}"]
        # to the last bit but for the order of a float sum, which the old engine took from
        # a set (string hashing: it changed from one process to the next)
        assert row.turnover == pytest.approx(float(want["turnover"]), rel=1e-15, abs=0)
        assert row.cost_bps == pytest.approx(float(want["cost_bps"]), rel=1e-15, abs=0)
    assert periods.attrs["hold_months"] == 1
    assert (raw["method"] == BOUND).sum() == len(TARGETS) * 3


# ------------------------------------------------------------------ set and forget
def test_hold_schedule(demo_market):
    cfg = BacktestConfig.create(TARGETS, "2021-01-01", "2022-04-15", ["spy"], hold_months=12)
    got = [(f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") for a, b in hold_schedule(demo_market, cfg)]
    assert got == [
        ("2021-01-29", "2022-01-31"),
        ("2021-02-26", "2022-02-28"),
        ("2021-03-31", "2022-03-31"),
    ]  # April 2022 ends after `end`: no hold ends past it
    quarterly = BacktestConfig.create(
        TARGETS, "2021-01-01", "2022-07-15", ["spy"], freq="quarterly", hold_months=12
    )
    got = [(f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") for a, b in hold_schedule(demo_market, quarterly)]
    assert got == [("2021-03-31", "2022-03-31"), ("2021-06-30", "2022-06-30")]
    short = BacktestConfig.create(TARGETS, "2021-01-01", "2021-12-15", ["spy"], hold_months=12)
    with pytest.raises(ConfigurationError, match=r"no full 12-month hold.*2022-01-31 or later"):
        hold_schedule(demo_market, short)


def test_a_hold_spans_twelve_month_ends_with_fixed_shares(hold12, demo_market):
    """Each record runs from the day after its date to the month end 12 month ends later,
    and its daily P&L is the fixed-share simulation of the basket on adjusted closes."""
    periods, daily = load_results(hold12)
    assert periods.attrs["hold_months"] == 12
    assert (periods["status"] == "ok").all(), periods.loc[periods["status"] != "ok", "error"]
    assert len(periods) == len(TARGETS) * 4 * 3  # 3 methods and the bound, 3 holds
    cal = demo_market.calendar
    raw = _raw(hold12, "target, rebalance, method, weights_start")
    for row in raw.itertuples(index=False):
        d = pd.Timestamp(row.rebalance)
        rows = daily[
            (daily["target"] == row.target)
            & (daily["method"] == row.method)
            & (daily["rebalance"] == d)
        ]
        days = pd.DatetimeIndex(rows["day"])
        assert list(days) == list(cal[(cal > d) & (cal <= days[-1])])
        month_ends = days.to_series().groupby(days.to_period("M")).max()
        assert len(month_ends) == 12 and days[-1] == month_ends.iloc[-1]
        assert days[-1].to_period("M") == d.to_period("M") + 12
        assert days[-1] == cal[cal.to_period("M") == days[-1].to_period("M")].max()
        # fixed shares: legs and target from adjusted closes at d, no trade inside the hold
        view = demo_market.as_of(days[-1])
        w = pd.Series(json.loads(row.weights_start))
        etfs = [t for t in w.index if t == "SPY"]
        stocks = [t for t in w.index if t != "SPY"]
        px = view.prices([row.target, *stocks], start=d).reindex([d, *days]).ffill()
        if etfs:
            px = px.join(view.benchmark_prices(etfs, start=d).reindex(px.index).ffill())
        rel = px / px.iloc[0]
        V = rel[row.target].to_numpy()
        H = (rel[list(w.index)] * w).to_numpy()
        unhedged = V[1:] / V[:-1] - 1
        hedge = (H[1:] - H[:-1]).sum(axis=1) / V[:-1]
        np.testing.assert_allclose(rows["unhedged"], unhedged, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rows["hedge"], hedge, rtol=1e-9, atol=1e-12)


def test_every_hold_is_traded_in_from_nothing(hold12):
    """Set and forget: turnover is the basket's gross weight and the cost is that of
    buying it outright, for every hold (no chaining across the overlapping holds)."""
    periods, _ = load_results(hold12)
    raw = _raw(hold12, "target, rebalance, method, weights_start, cost_inputs")
    s = BacktestSettings()
    keyed = periods.set_index(["target", "method", "rebalance"])
    for row in raw.itertuples(index=False):
        rec = keyed.loc[(row.target, row.method, pd.Timestamp(row.rebalance))]
        w = json.loads(row.weights_start)
        inputs = json.loads(row.cost_inputs)
        assert rec["turnover"] == pytest.approx(sum(abs(v) for v in w.values()), rel=1e-12)
        bps = sum(
            abs(v)
            * (
                s.half_spread_bps
                + 1e4
                * s.impact_coefficient
                * inputs[k][0]
                * np.sqrt(abs(v) * s.notional / inputs[k][1])
            )
            for k, v in w.items()
        )
        assert rec["cost_bps"] == pytest.approx(bps, rel=1e-12)


def test_a_run_directory_refuses_the_other_protocol(hold12, monthly, demo_market):
    monthly_cfg = BacktestConfig.create(TARGETS, "2021-01-01", "2022-04-15", ("spy",))
    with pytest.raises(ConfigurationError, match=r"another --out directory") as err:
        run_backtest(monthly_cfg, demo_market, hold12)
    assert "hold_months" in str(err.value) and "12 there, 1 here" in str(err.value)
    held = BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", BASELINES, hold_months=2)
    with pytest.raises(ConfigurationError, match="another --out directory"):
        BacktestRun(monthly, held)
    # growing a run in targets, methods or the bound is not another protocol
    assert (
        held.fingerprint()
        != BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", BASELINES).fingerprint()
    )
    assert (
        BacktestConfig.create(
            ["KSTD"], "2022-06-30", "2022-09-30", ["spy"], bound=False
        ).fingerprint()
        == BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", BASELINES).fingerprint()
    )


# ------------------------------------------------------------------ moments
@pytest.mark.parametrize("run", ["monthly", "hold12"])
def test_record_moments_reproduce_the_daily_frame(run, request):
    periods, daily = load_results(request.getfixturevalue(run))
    keyed = periods.set_index(["target", "method", "rebalance"])
    for key, rows in daily.groupby(["target", "method", "rebalance"]):
        u, h = rows["unhedged"].to_numpy(), rows["hedged"].to_numpy()
        rec = keyed.loc[key]
        assert rec["n_days"] == len(u)
        np.testing.assert_allclose(
            rec[
                ["sum_unhedged", "sumsq_unhedged", "sum_hedged", "sumsq_hedged", "sum_cross"]
            ].to_numpy(dtype=float),
            [u.sum(), u @ u, h.sum(), h @ h, u @ h],
            rtol=1e-12,
        )
        vr = 1 - np.var(h, ddof=1) / np.var(u, ddof=1)
        assert rec["variance_reduction"] == pytest.approx(vr, rel=1e-12)
        n = len(u)
        var_u = (rec["sumsq_unhedged"] - rec["sum_unhedged"] ** 2 / n) / (n - 1)
        assert var_u == pytest.approx(np.var(u, ddof=1), rel=1e-9)


@pytest.mark.parametrize("run", ["monthly", "hold12"])
def test_summaries_from_moments_equal_those_from_days(run, request):
    periods, daily = load_results(request.getfixturevalue(run))
    light, none = load_results(request.getfixturevalue(run), daily=False)
    assert none is None
    pd.testing.assert_frame_equal(light, periods)
    a = summarise(daily, periods)
    b = summarise(None, light)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


def test_set_and_forget_averages_the_holds(hold12):
    """Per target, the metric is the mean over its holds of each hold's metric."""
    periods, _ = load_results(hold12, daily=False)
    s = summarise(None, periods).set_index(["target", "method"])
    for (target, method), grp in periods.groupby(["target", "method"]):
        assert s.loc[(target, method), "variance_reduction"] == pytest.approx(
            grp["variance_reduction"].mean(), rel=1e-12
        )
        assert s.loc[(target, method), "periods"] == 3
        assert s.loc[(target, method), "turnover"] == pytest.approx(
            (grp["turnover"] / (grp["n_days"] / 252)).mean(), rel=1e-12
        )
    # the monthly definition (days concatenated) would differ
    pooled = summarise(None, periods, hold_months=1).set_index(["target", "method"])
    assert not np.allclose(pooled["variance_reduction"], s["variance_reduction"])


def test_a_date_range_of_one_run(hold12):
    periods, daily = load_results(hold12)
    one = summarise(daily, periods, start="2021-02-01", end="2021-02-28")
    only = periods[periods["rebalance"] == pd.Timestamp("2021-02-26")].set_index(
        ["target", "method"]
    )
    got = one.set_index(["target", "method"])
    assert (got["periods"] == 1).all()
    np.testing.assert_allclose(
        got["variance_reduction"], only.loc[got.index, "variance_reduction"], rtol=1e-12
    )
    with pytest.raises(DataError, match=r"no rebalance date in 2023-01-01\.\.\.\.\."):
        summarise(daily, periods, start="2023-01-01")
    with pytest.raises(ConfigurationError, match="after end"):
        summarise(daily, periods, start="2021-03-01", end="2021-02-01")


def test_record_moments_of_a_short_or_flat_record():
    m = record_moments([0.01], [0.0])
    assert m["n_days"] == 1 and np.isnan(m["variance_reduction"])
    assert np.isnan(record_moments([0.0, 0.0], [0.0, 0.0])["variance_reduction"])
    with pytest.raises(DataError, match="same days"):
        record_moments([0.01, 0.02], [0.0])


def test_an_old_results_file_still_loads(monthly, demo_market, tmp_path):
    """A results.sqlite written before the moments (no columns, no hold_months in its
    config) loads with NaN moments; the next run adds the columns and fills new rows."""
    old = tmp_path / "old"
    shutil.copytree(monthly, old)
    con = sqlite3.connect(old / "results.sqlite")
    with con:
        keep = [
            r[1] for r in con.execute("PRAGMA table_info(periods)") if r[1] not in MOMENT_COLUMNS
        ]
        con.execute(f"CREATE TABLE legacy AS SELECT {', '.join(keep)} FROM periods")
        con.execute("DROP TABLE periods")
        con.execute("ALTER TABLE legacy RENAME TO periods")
        config = json.loads(con.execute("SELECT value FROM meta WHERE key='config'").fetchone()[0])
        del config["hold_months"], config["bound"]
        con.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(config),))
    con.close()
    periods, daily = load_results(old)
    assert periods.attrs["hold_months"] == 1
    assert periods[list(MOMENT_COLUMNS)].isna().all().all()
    ref, ref_daily = load_results(monthly)
    pd.testing.assert_frame_equal(summarise(daily, periods), summarise(ref_daily, ref))
    with pytest.raises(DataError, match="written before they were stored"):
        summarise(None, periods)
    # resuming with one more target: ALTER TABLE adds the columns, old rows stay NaN
    more = BacktestConfig.create((*TARGETS, "BFCM"), "2022-06-30", "2022-09-30", BASELINES)
    run_backtest(more, demo_market, old)
    grown, _ = load_results(old, daily=False)
    new = grown["target"] == "BFCM"
    assert grown.loc[new, "n_days"].notna().all()
    assert grown.loc[~new, "n_days"].isna().all()


# ------------------------------------------------------------------ the bound
def test_the_bound_is_the_hindsight_solve(hold12, demo_market):
    """The bound's basket is exactly solve_tracking on the hold's own returns of the index
    members tradable on the date, the target's share classes excluded, missing as 0."""
    raw = _raw(hold12, "target, rebalance, method, end_date, weights_start, note")
    bound = raw[raw["method"] == BOUND]
    assert len(bound) == len(TARGETS) * 3
    s = BacktestSettings()
    for row in bound.itertuples(index=False):
        d, end = pd.Timestamp(row.rebalance), pd.Timestamp(row.end_date)
        view = demo_market.as_of(d)
        own = demo_market.share_classes.get(row.target, frozenset({row.target}))
        names = [t for t in view.tradable(view.members("SPX")) if t not in own]
        cal = demo_market.calendar
        days = cal[(cal > d) & (cal <= end)]
        later = demo_market.as_of(end)
        R = later.returns(names, start=days[0]).reindex(days).fillna(0.0)
        r = later.returns([row.target], start=days[0]).reindex(days)[row.target].fillna(0.0)
        sol = solve_tracking(
            TrackingProblem.from_returns(
                R, r.to_numpy(), budget=1.0, upper=s.max_weight / 100, max_names=s.max_names
            )
        )
        want = {names[i]: float(sol.weights[i]) for i in sol.support}
        assert json.loads(row.weights_start) == want  # exact
        assert sum(want.values()) == pytest.approx(1.0)
        assert len(want) <= s.max_names and max(want.values()) <= s.max_weight / 100 + 1e-12
        assert "perfect foresight" in row.note


def test_the_bound_is_no_method():
    assert BOUND not in METHODS
    with pytest.raises(ConfigurationError, match="perfect-foresight reference"):
        BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", ["spy", "bound"])
    cfg = BacktestConfig.create(TARGETS, "2022-06-30", "2022-09-30", ["spy"], bound=False)
    assert cfg.record_methods == ("spy",)


def test_by_method_reports_the_share_of_the_bound(hold12):
    periods, _ = load_results(hold12, daily=False)
    s = summarise(None, periods)
    table = by_method(s, n_boot=200)
    vr = s.groupby("method")["variance_reduction"]
    np.testing.assert_allclose(table["variance_reduction"], vr.mean().loc[table.index])
    np.testing.assert_allclose(table["median_variance_reduction"], vr.median().loc[table.index])
    np.testing.assert_allclose(
        table["bound_share"], table["variance_reduction"] / vr.mean()[BOUND], rtol=1e-12
    )
    assert table.loc[BOUND, "bound_share"] == 1.0 and table.loc[BOUND, "wins"] == 0
    assert BOUND not in set(winners(s)["winner"])
    assert table.loc[BOUND, "variance_reduction"] >= table["variance_reduction"].max()
    without = by_method(s[s["method"] != BOUND], n_boot=200)
    assert without["bound_share"].isna().all()


@pytest.mark.realdata
def test_the_bound_beats_every_method_on_real_data(real_market, tmp_path):
    """On 12-month holds of real stocks the hindsight basket reduces more variance, on
    average over targets, than any method built on the date."""
    targets = ("AAPL", "XOM", "JPM", "PG", "NVDA")
    cfg = BacktestConfig.create(
        targets,
        "2019-05-01",
        "2020-07-31",
        ("returns", "spy_beta", "sector_etf", "peers", "top_corr"),
        hold_months=12,
    )
    run_backtest(cfg, real_market, tmp_path)
    periods, _ = load_results(tmp_path, daily=False)
    assert (periods["status"] == "ok").all(), periods.loc[periods["status"] != "ok", "error"]
    table = by_method(summarise(None, periods), n_boot=200)
    assert table.loc[BOUND, "targets"] == len(targets)
    others = table.drop(index=BOUND)
    assert (table.loc[BOUND, "variance_reduction"] >= others["variance_reduction"]).all(), table
    assert (others["bound_share"] < 1).all()


# ------------------------------------------------------------------ parse_hold
@given(
    n=st.integers(1, 120),
    unit=st.sampled_from(["m", "M", "months", "month", "Months"]),
    gap=st.sampled_from(["", " ", "  "]),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_parse_hold_accepts_n_months(n, unit, gap, pad):
    assert parse_hold(f"{pad}{n}{gap}{unit}{pad}") == n


@pytest.mark.parametrize("bad", ["12", "12d", "1y", "m", "0m", "121m", "-1m", "1.5m", "", True])
def test_parse_hold_names_the_bad_value_and_the_form(bad):
    with pytest.raises(ConfigurationError, match=r"write months as Nm.*e\.g\. 1m") as err:
        parse_hold(bad)
    assert repr(bad) in str(err.value)


def test_protocol_errors_name_the_value(hold12):
    with pytest.raises(ConfigurationError, match=r"hold '3w'.*write months as Nm"):
        BacktestConfig.create(TARGETS, "2021-01-01", "2022-04-15", ["spy"], hold_months="3w")
    cfg = BacktestConfig.create(TARGETS, "2021-01-01", "2022-04-15", ["spy"])
    with pytest.raises(ConfigurationError, match=r"hold_months=0 must be an integer in 1\.\.120"):
        BacktestConfig(cfg.targets, cfg.start, cfg.end, cfg.methods, hold_months=0).validate()
    periods, _ = load_results(hold12, daily=False)
    with pytest.raises(ConfigurationError, match=r"hold_months=0 must be a positive integer"):
        summarise(None, periods, hold_months=0)
