"""Backtest metrics against direct numpy / scipy computations on small hand-made frames."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hedgekit import ConfigurationError, DataError
from hedgekit.backtest import (
    SUMMARY_COLUMNS,
    PairedComparison,
    by_group,
    by_method,
    compare,
    compare_all,
    summarise,
    winners,
)

DAYS = pd.bdate_range("2023-01-03", periods=42)
REBALANCES = DAYS[[0, 21]]


def _rebalance_of(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return REBALANCES[np.searchsorted(REBALANCES, days, side="right") - 1]


def make_frames(
    legs: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]],
    *,
    days: pd.DatetimeIndex = DAYS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """daily and periods frames from {(target, method): (unhedged, hedge)}; hedged = u - l."""
    daily, periods = [], []
    for (target, method), (u, leg) in legs.items():
        daily.append(
            pd.DataFrame(
                {
                    "target": target,
                    "method": method,
                    "rebalance": _rebalance_of(days),
                    "day": days,
                    "unhedged": u,
                    "hedge": leg,
                    "hedged": u - leg,
                }
            )
        )
        for i, r in enumerate(REBALANCES):
            periods.append(
                {
                    "target": target,
                    "rebalance": r,
                    "method": method,
                    "end": days[-1] if i == len(REBALANCES) - 1 else days[20],
                    "names": 10 - i,
                    "turnover": 1.0 if i == 0 else 0.2,
                    "cost_bps": 10.0 if i == 0 else 2.0,
                    "borrow_bps": 3.0,
                    "status": "ok",
                    "error": None,
                }
            )
    return pd.concat(daily, ignore_index=True), pd.DataFrame(periods)


@pytest.fixture(scope="module")
def random_legs() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    legs = {}
    for target in ("AAA", "BBB"):
        u = rng.normal(0.0005, 0.02, DAYS.size)
        for method, q in (("factor", 0.6), ("nlp", 0.9)):
            legs[(target, method)] = (u, q * u + rng.normal(0, 0.006, DAYS.size))
    return legs


# ------------------------------------------------------------------ summarise
def test_summarise_matches_numpy(random_legs):
    daily, periods = make_frames(random_legs)
    s = summarise(daily, periods)
    assert tuple(s.columns) == SUMMARY_COLUMNS
    assert list(zip(s["target"], s["method"], strict=True)) == sorted(random_legs)
    years = DAYS.size / 252
    for row in s.itertuples():
        u, leg = random_legs[(row.target, row.method)]
        h = u - leg
        vol_u = np.std(u, ddof=1) * np.sqrt(252)
        vol_h = np.std(h, ddof=1) * np.sqrt(252)
        assert row.days == DAYS.size
        assert row.periods == 2
        assert row.failed_periods == 0
        assert row.vol_unhedged == pytest.approx(vol_u, rel=1e-12)
        assert row.vol_hedged == pytest.approx(vol_h, rel=1e-12)
        assert row.variance_reduction == pytest.approx(1 - np.var(h, ddof=1) / np.var(u, ddof=1))
        assert row.risk_reduction_bps == pytest.approx(1e4 * (vol_u - vol_h))
        assert row.correlation == pytest.approx(np.corrcoef(u, leg)[0, 1], rel=1e-12)
        assert row.tracking_error == pytest.approx(np.std(u - leg, ddof=1) * np.sqrt(252))
        assert row.mean_names == pytest.approx(9.5)
        assert row.turnover == pytest.approx(1.2 / years)
        assert row.transaction_cost_bps == pytest.approx(12.0 / years)
        assert row.borrow_cost_bps == pytest.approx(6.0 / years)
        assert row.cost_bps == pytest.approx(18.0 / years)
        assert row.risk_reduction_net_bps == pytest.approx(1e4 * (vol_u - vol_h) - 18.0 / years)


def test_perfect_and_zero_hedge():
    u = np.random.default_rng(3).normal(0, 0.015, DAYS.size)
    daily, periods = make_frames({("AAA", "perfect"): (u, u), ("AAA", "zero"): (u, 0 * u)})
    s = summarise(daily, periods).set_index("method")
    vol_u = np.std(u, ddof=1) * np.sqrt(252)
    assert s.loc["perfect", "variance_reduction"] == 1.0
    assert s.loc["perfect", "vol_hedged"] == 0.0
    assert s.loc["perfect", "risk_reduction_bps"] == pytest.approx(1e4 * vol_u)
    assert s.loc["perfect", "correlation"] == pytest.approx(1.0)
    assert s.loc["perfect", "tracking_error"] == 0.0
    assert s.loc["zero", "variance_reduction"] == 0.0
    assert s.loc["zero", "risk_reduction_bps"] == 0.0
    assert np.isnan(s.loc["zero", "correlation"])  # a constant leg has no correlation
    assert s.loc["zero", "tracking_error"] == pytest.approx(vol_u)


def test_known_volatility_and_periods_per_year():
    n = DAYS.size
    u = np.tile([0.01, -0.01], n // 2)  # mean 0, var(ddof=1) = n / (n - 1) * 1e-4
    daily, periods = make_frames({("AAA", "zero"): (u, 0 * u)})
    expected = 0.01 * np.sqrt(n / (n - 1))
    assert summarise(daily, periods)["vol_unhedged"].iloc[0] == pytest.approx(
        expected * np.sqrt(252)
    )
    weekly = summarise(daily, periods, periods_per_year=52).iloc[0]
    assert weekly["vol_unhedged"] == pytest.approx(expected * np.sqrt(52))
    assert weekly["turnover"] == pytest.approx(1.2 / (n / 52))


def test_missing_returns_are_dropped_pairwise(random_legs):
    daily, periods = make_frames(random_legs)
    daily.loc[[0, 5], "hedge"] = np.nan
    with pytest.warns(UserWarning, match="cover different numbers of days"):
        s = summarise(daily, periods)
    first = s.iloc[0]
    u, leg = random_legs[("AAA", "factor")]
    keep = np.ones(DAYS.size, bool)
    keep[[0, 5]] = False
    assert first["days"] == DAYS.size - 2
    assert first["vol_unhedged"] == pytest.approx(np.std(u[keep], ddof=1) * np.sqrt(252))
    assert first["correlation"] == pytest.approx(np.corrcoef(u[keep], leg[keep])[0, 1])


def test_failed_period_without_days_is_counted_and_warned(random_legs):
    daily, periods = make_frames(random_legs)
    second = REBALANCES[1]
    hole = (daily["target"] == "AAA") & (daily["method"] == "nlp") & (daily["rebalance"] == second)
    daily = daily[~hole]
    failed = (periods["target"] == "AAA") & (periods["method"] == "nlp")
    failed &= periods["rebalance"] == second
    periods.loc[failed, ["status", "error", "names", "turnover"]] = ["failed", "no data", 0, 0.0]
    with pytest.warns(UserWarning, match=r"methods of 1 target\(s\) \(AAA\) cover different"):
        s = summarise(daily, periods)
    row = s[(s["target"] == "AAA") & (s["method"] == "nlp")].iloc[0]
    assert row["failed_periods"] == 1
    assert row["periods"] == 2
    assert row["days"] == 21
    assert row["mean_names"] == 10.0  # the failed period's 0 names are left out
    assert row["turnover"] == pytest.approx(1.0 / (21 / 252))


def test_method_with_only_failed_periods_has_a_row(random_legs):
    daily, periods = make_frames(random_legs)
    extra = periods.iloc[:2].assign(method="nlp_big", status="failed", error="no model")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no uneven-days warning: the method has no days
        s = summarise(daily, pd.concat([periods, extra], ignore_index=True))
    row = s[s["method"] == "nlp_big"].iloc[0]
    assert row["days"] == 0
    assert row["failed_periods"] == 2
    assert np.isnan(row["risk_reduction_bps"])
    assert np.isnan(row["cost_bps"])


# ------------------------------------------------------------------ errors
def test_bad_daily_raises(random_legs):
    daily, periods = make_frames(random_legs)
    with pytest.raises(DataError, match=r"daily lacks column\(s\) 'hedge'.*backtest engine"):
        summarise(daily.drop(columns="hedge"), periods)
    with pytest.raises(DataError, match="daily is empty"):
        summarise(daily.iloc[:0], periods)
    with pytest.raises(DataError, match="daily and periods look swapped"):
        summarise(periods, daily)
    with pytest.raises(DataError, match="must be a pandas DataFrame, got dict"):
        summarise({"a": 1}, periods)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"more than one row for target='AAA', method='factor'"):
        summarise(pd.concat([daily, daily.iloc[:1]]), periods)
    bad = daily.astype({"unhedged": object})
    bad.loc[3, "unhedged"] = "n/a"
    with pytest.raises(DataError, match=r"'unhedged' holds a value that is not a number \('n/a'\)"):
        summarise(bad, periods)
    inf = daily.copy()
    inf.loc[3, "hedged"] = np.inf
    with pytest.raises(DataError, match=r"'hedged' holds an infinite value.*target 'AAA'"):
        summarise(inf, periods)
    late = daily.copy()
    late.loc[late.index[-1], "rebalance"] = pd.Timestamp("2024-06-28")
    with pytest.raises(DataError, match="rebalance 2024-06-28 that periods lacks"):
        summarise(late, periods)


def test_bad_periods_and_settings_raise(random_legs):
    daily, periods = make_frames(random_legs)
    with pytest.raises(DataError, match=r"periods lacks column\(s\) 'borrow_bps', 'status'"):
        summarise(daily, periods.drop(columns=["borrow_bps", "status"]))
    with pytest.raises(DataError, match="periods is empty"):
        summarise(daily, periods.iloc[:0])
    with pytest.raises(DataError, match=r"'status' holds 'skipped'; use 'ok'.*'failed'"):
        summarise(daily, periods.assign(status="skipped"))
    with pytest.raises(ConfigurationError, match="periods_per_year=0 must be a positive integer"):
        summarise(daily, periods, periods_per_year=0)


# ------------------------------------------------------------------ across targets
def synthetic_summary(n: int = 40, seed: int = 5) -> pd.DataFrame:
    """A summary where 'nlp' beats 'factor' by ~80 bps, 'twin' equals 'factor' exactly and
    'noisy' has the same mean as 'factor' with independent noise."""
    rng = np.random.default_rng(seed)
    base = rng.normal(600, 150, n)
    cols = {
        "factor": base,
        "nlp": base + 80 + rng.normal(0, 20, n),
        "twin": base.copy(),
        "noisy": base + rng.normal(0, 30, n),
    }
    rows = []
    for i in range(n):
        for method, values in cols.items():
            rows.append(
                {
                    "target": f"T{i:02d}",
                    "method": method,
                    "risk_reduction_bps": values[i],
                    "variance_reduction": values[i] / 2000,
                    "mean_names": 10.0,
                    "turnover": 3.0,
                    "cost_bps": 40.0,
                    "risk_reduction_net_bps": values[i] - 40.0,
                    "tracking_error": 0.2 - values[i] / 1e4,
                    "failed_periods": 0,
                }
            )
    return pd.DataFrame(rows)


def test_winners():
    s = synthetic_summary()
    w = winners(s)
    assert list(w.columns) == ["winner", "best", "runner_up", "margin"]
    assert (w["winner"] == "nlp").all()
    wide = s.pivot(index="target", columns="method", values="risk_reduction_bps")
    assert np.allclose(w["best"], wide["nlp"])
    # factor and twin tie exactly: the method listed first wins
    assert (winners(s, ["twin", "factor"])["winner"] == "twin").all()
    assert (winners(s, ["factor", "twin"])["margin"] == 0).all()
    # lower is better for tracking error
    assert (winners(s, metric="tracking_error")["winner"] == "nlp").all()
    with pytest.raises(ConfigurationError, match="unknown method 'nlpp': did you mean 'nlp'"):
        winners(s, ["nlpp"])
    with pytest.raises(ConfigurationError, match="metric='sharpe' is not a summary metric"):
        winners(s, metric="sharpe")
    with pytest.raises(DataError, match=r"summary lacks column\(s\) 'risk_reduction_bps'"):
        winners(s.drop(columns="risk_reduction_bps"))


def test_winners_with_missing_values():
    s = synthetic_summary(n=3)
    s.loc[(s["target"] == "T00"), "risk_reduction_bps"] = np.nan
    s.loc[(s["target"] == "T01") & (s["method"] != "noisy"), "risk_reduction_bps"] = np.nan
    w = winners(s)
    assert w.loc["T00", "winner"] is None
    assert np.isnan(w.loc["T00", "best"])
    assert w.loc["T01", "winner"] == "noisy"
    assert w.loc["T01", "runner_up"] is None


def test_compare_dominant_method():
    s = synthetic_summary()
    c = compare(s, "nlp", "factor")
    assert isinstance(c, PairedComparison)
    wide = s.pivot(index="target", columns="method", values="risk_reduction_bps")
    d = wide["nlp"] - wide["factor"]
    assert c.n == 40
    assert c.mean_diff == pytest.approx(d.mean())
    assert c.median_diff == pytest.approx(d.median())
    assert c.wins_a == 40 and c.wins_b == 0 and c.ties == 0
    assert c.wilcoxon_p == pytest.approx(stats.wilcoxon(wide["nlp"], wide["factor"]).pvalue)
    assert c.ttest_p == pytest.approx(stats.ttest_rel(wide["nlp"], wide["factor"]).pvalue)
    assert c.wilcoxon_p < 1e-6 and c.ttest_p < 1e-6
    assert 0 < c.ci_low < c.mean_diff < c.ci_high
    # the percentile bootstrap is close to the normal-theory interval
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    assert c.ci_low == pytest.approx(d.mean() - half, abs=0.15 * half)
    assert c.ci_high == pytest.approx(d.mean() + half, abs=0.15 * half)
    assert compare(s, "nlp", "factor") == c  # seeded
    assert compare(s, "factor", "nlp").wins_b == 40
    assert c.to_dict()["a"] == "nlp"


def test_compare_identical_and_equal_mean_methods():
    s = synthetic_summary()
    same = compare(s, "twin", "factor")
    assert same.mean_diff == 0 and same.ties == 40
    assert same.ci_low <= 0 <= same.ci_high
    assert same.wilcoxon_p == 1.0 and same.ttest_p == 1.0
    noisy = compare(s, "noisy", "factor")
    assert noisy.ci_low < 0 < noisy.ci_high
    assert noisy.ttest_p > 0.05


def test_compare_errors():
    s = synthetic_summary()
    with pytest.raises(ConfigurationError, match="a and b are both 'nlp'"):
        compare(s, "nlp", "nlp")
    with pytest.raises(ConfigurationError, match=r"unknown method 'spy_beta'.*holds factor, nlp"):
        compare(s, "spy_beta", "nlp")
    with pytest.raises(ConfigurationError, match="n_boot=10 must be an integer >= 100"):
        compare(s, "nlp", "factor", n_boot=10)
    with pytest.raises(ConfigurationError, match="confidence=95 must be a fraction"):
        compare(s, "nlp", "factor", confidence=95)
    with pytest.raises(DataError, match="summary is empty"):
        compare(s.iloc[:0], "nlp", "factor")
    one = compare(s[s["target"] == "T00"], "nlp", "factor")
    assert one.n == 1 and np.isnan(one.wilcoxon_p) and np.isnan(one.ci_low)


def test_compare_all():
    s = synthetic_summary()
    table = compare_all(s, "factor", n_boot=1000)
    assert list(table.index) == ["nlp", "noisy", "twin"]
    assert (table["b"] == "factor").all()
    nlp = compare(s, "nlp", "factor", n_boot=1000)
    assert table.loc["nlp", "mean_diff"] == pytest.approx(nlp.mean_diff)
    assert table.loc["nlp", "wilcoxon_p"] == pytest.approx(nlp.wilcoxon_p)
    assert list(compare_all(s, "factor", methods=["nlp", "factor"]).index) == ["nlp"]


def test_by_method():
    s = synthetic_summary()
    t = by_method(s, n_boot=1000)
    assert list(t.index) == ["factor", "nlp", "noisy", "twin"]
    assert t["wins"].sum() == 40 and t.loc["nlp", "wins"] == 40
    means = s.groupby("method")["risk_reduction_bps"].mean()
    assert np.allclose(t["mean"], means.reindex(t.index))
    assert (t["ci_low"] < t["mean"]).all() and (t["mean"] < t["ci_high"]).all()
    assert (t["targets"] == 40).all()
    assert t.loc["nlp", "cost_bps"] == 40.0


def test_by_group():
    s = synthetic_summary(n=9)
    sectors = ["Energy", "Utilities", None]
    targets = pd.DataFrame(
        {"name": "x", "sector": [sectors[i % 3] for i in range(9)], "sub_industry": "y"},
        index=[f"T{i:02d}" for i in range(9)],
    )
    targets.loc["T02", "sector"] = "Materials"  # a one-stock group
    g = by_group(s, targets, n_boot=1000)
    assert list(g.columns) == ["sector", "method", "targets", "mean", "median", "ci_low", "ci_high"]
    assert set(g["sector"]) == {"Energy", "Utilities", "Materials", "(unknown)"}
    labels = targets["sector"].fillna("(unknown)")
    expected = (
        s.assign(sector=s["target"].map(labels))
        .groupby(["sector", "method"])["risk_reduction_bps"]
        .mean()
    )
    got = g.set_index(["sector", "method"])["mean"]
    assert np.allclose(got, expected.reindex(got.index))
    single = g[g["sector"] == "Materials"]
    assert (single["targets"] == 1).all() and single["ci_low"].isna().all()
    energy = g[(g["sector"] == "Energy") & (g["method"] == "nlp")].iloc[0]
    assert energy["ci_low"] < energy["mean"] < energy["ci_high"]
    vr = by_group(s, targets, metric="variance_reduction", n_boot=1000)
    assert np.allclose(vr["mean"], g["mean"] / 2000)
    with pytest.raises(DataError, match=r"targets lacks 1 ticker\(s\) of the summary \(T08\)"):
        by_group(s, targets.drop(index="T08"))
    with pytest.raises(DataError, match=r"targets lacks column\(s\) 'industry'"):
        by_group(s, targets, by="industry")
