"""Bias statistics of out-of-sample risk forecasts: synthetic known-sigma cases, the
point-in-time rule, and a short real-data model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, InsufficientHistoryError
from hedgekit.risk import STYLE_FACTORS
from hedgekit.risk._bias import ALL, FAMILIES, BiasReport, bias_statistic, summarise_bias
from hedgekit.risk._factor_returns import _design
from hedgekit.risk._model import FactorRiskModel
from hedgekit.risk._plot import plot_bias, plot_factor_returns, plot_r_squared
from hedgekit.risk._validation import bias_statistics, forecast_variant, r_squared_by_year

SECTORS = ["Alpha", "Beta", "Gamma"]
FACTORS = ["market", *[f"sector: {s}" for s in SECTORS], *STYLE_FACTORS]


# ---------------------------------------------------------------------- synthetic market
class _View:
    def __init__(self, returns: pd.DataFrame, date: pd.Timestamp) -> None:
        self._returns = returns.loc[:date]

    def returns(self, tickers, start=None):
        return self._returns.loc[start:, list(tickers)]


class _Market:
    """Duck-typed MarketData: ``as_of(date).returns(tickers, start=...)`` and ``limits``."""

    limits = ("Survivorship bias: a synthetic test market has none; this line is a plant.",)

    def __init__(self, returns: pd.DataFrame) -> None:
        self.returns = returns

    def as_of(self, date):
        return _View(self.returns, pd.Timestamp(date))


def _synthetic(seed: int = 1, n_stocks: int = 80, n_days: int = 1000):
    """A correctly specified factor model: constant exposures, normal iid factor and specific
    returns with known annual volatilities; returns (model, market, true daily sigma)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2015-01-01", periods=n_days, name="date")
    tickers = [f"S{i:03d}" for i in range(n_stocks)]
    table = pd.DataFrame(rng.standard_normal((n_stocks, 7)), index=tickers, columns=STYLE_FACTORS)
    table["gics_sector"] = [SECTORS[i % 3] for i in range(n_stocks)]
    table["market_cap"] = np.exp(rng.normal(24, 1, n_stocks))
    table.index.name = "ticker"
    vols = np.array([0.16, 0.06, 0.05, 0.07, *([0.03] * 7)])
    spec = np.full(n_stocks, 0.25)
    f = rng.standard_normal((n_days, len(FACTORS))) * vols / np.sqrt(252)
    e = rng.standard_normal((n_days, n_stocks)) * spec / np.sqrt(252)
    B = _design(table, SECTORS, FACTORS)
    R = f @ B.to_numpy().T + e
    model = FactorRiskModel(days[0], days[-1])
    model.sectors_ = SECTORS
    model.factors_ = FACTORS
    model.factor_returns_ = pd.DataFrame(f, index=days, columns=FACTORS)
    model.residuals_ = pd.DataFrame(e, index=days, columns=pd.Index(tickers, name="ticker"))
    model.r_squared_ = pd.Series(rng.uniform(0.2, 0.4, n_days), index=days, name="r_squared")
    model.n_stocks_ = pd.Series(n_stocks, index=days, name="n_stocks")
    month_ends = pd.Series(days, index=days).groupby(days.to_period("M")).max()
    model.exposure_history_ = {pd.Timestamp(d): table for d in month_ends}
    model.exposure_notes_ = {}
    cov = B.to_numpy() @ np.diag(vols**2) @ B.to_numpy().T + np.diag(spec**2)
    true_sigma = pd.Series(np.sqrt(np.diag(cov) / 252), index=tickers)
    market = _Market(pd.DataFrame(R, index=days, columns=tickers))
    return model, market, true_sigma


@pytest.fixture(scope="module")
def synthetic():
    return _synthetic()


@pytest.fixture(scope="module")
def synthetic_report(synthetic):
    model, market, _ = synthetic
    return bias_statistics(model, market, n_random=20, random_size=10, seed=3)


# ---------------------------------------------------------------------- the statistic
def test_bias_statistic_known_sigma():
    rng = np.random.default_rng(0)
    sigma = 0.02
    r = rng.normal(0.0, sigma, 20_000)
    z = r / sigma
    assert bias_statistic(z) == pytest.approx(np.std(z, ddof=1), rel=1e-12)
    assert bias_statistic(z) == pytest.approx(1.0, abs=3 * np.sqrt(1 / (2 * len(z))))
    # the forecast sigma halved: the realised returns are twice as volatile as predicted
    assert bias_statistic(r / (sigma / 2)) == pytest.approx(2.0, abs=0.03)
    # clipping at 3 sigma barely changes a normal series: E = 0.9975
    assert bias_statistic(z, clip=3.0) == pytest.approx(0.9975, abs=0.01)
    assert bias_statistic(z, clip=3.0) == pytest.approx(np.std(np.clip(z, -3, 3), ddof=1))
    # NaN entries are ignored, fewer than two values give NaN
    assert bias_statistic(np.r_[z[:100], np.nan]) == pytest.approx(np.std(z[:100], ddof=1))
    assert np.isnan(bias_statistic([1.0]))
    with pytest.raises(ConfigurationError, match="clip=0"):
        bias_statistic(z, clip=0)


def test_report_statistics_match_a_direct_computation(synthetic_report):
    report = synthetic_report
    assert isinstance(report, BiasReport)
    # the data's own survivorship line reaches the notes (no sentence written in the code)
    assert [n for n in report.notes if n.startswith("Survivorship")] == list(_Market.limits)
    stats = report.statistics.set_index(["family", "period", "portfolio"])
    for family in FAMILIES:
        z = report.returns[family] / report.volatility[family]
        for year, block in z.groupby(z.index.year):
            for col in block.columns:
                values = block[col].dropna().to_numpy()
                if len(values) < 21:
                    continue
                row = stats.loc[(family, str(year), col)]
                assert row["n_obs"] == len(values)
                assert row["bias"] == pytest.approx(np.std(values, ddof=1), rel=1e-10)
                assert row["robust_bias"] == pytest.approx(
                    np.std(np.clip(values, -3, 3), ddof=1), rel=1e-10
                )
                half = np.sqrt(2 / len(values))
                assert row["in_band"] == (abs(row["bias"] - 1) <= half)
        overall = report.summary.loc[(family, ALL)]
        per = stats.xs((family, ALL), level=("family", "period"))
        assert overall["bias_mean"] == pytest.approx(per["bias"].mean())
        assert overall["bias_median"] == pytest.approx(per["bias"].median())
        assert overall["n_portfolios"] == len(per)
    pd.testing.assert_frame_equal(summarise_bias(report.statistics), report.summary)


def test_correct_forecasts_give_bias_one(synthetic, synthetic_report):
    """Normal returns from a known factor model: every family's bias is ~1."""
    model, _, true_sigma = synthetic
    report = synthetic_report
    # first forecast: the month end with >= 252 days of factor returns up to it
    days = model.factor_returns_.index
    assert report.forecast_dates[0] == min(
        d for d in model.exposure_history_ if (days <= d).sum() >= 252
    )
    assert report.forecast_dates[-1] < days[-1]
    for family in FAMILIES:
        overall = report.summary.loc[(family, ALL)]
        # random portfolios of 10 stocks are dominated by the one market factor path: their
        # statistic carries that path's sampling error (about 1 / sqrt(2 * 750) per draw)
        assert overall["bias_mean"] == pytest.approx(1.0, abs=0.1), family
        for year in report.table().index.drop(ALL):
            assert report.summary.loc[(family, year), "bias_mean"] == pytest.approx(1.0, abs=0.2)
    # the estimated stock volatilities are close to the true ones
    predicted = report.volatility["stocks"].mean()
    assert np.allclose(predicted / true_sigma[predicted.index], 1.0, atol=0.12)
    # most single stocks are inside their 95 % band (they are independent given the factors)
    assert report.summary.loc[("stocks", ALL), "share_in_band"] > 0.8


def test_halved_sigma_gives_bias_two(synthetic, synthetic_report):
    """A model whose factor and specific returns are half the true ones forecasts half the
    true volatility (every estimator is scale-equivariant): stocks and random portfolios show
    exactly twice the bias, ~2; factor portfolios, whose realised returns are halved too,
    keep theirs."""
    model, market, _ = synthetic
    half = forecast_variant(model)  # a fresh instance: no forecast cache shared
    half.factor_returns_ = model.factor_returns_ / 2
    half.residuals_ = model.residuals_ / 2
    report = bias_statistics(half, market, n_random=20, random_size=10, seed=3)
    base = synthetic_report.summary
    for family in ("stocks", "random"):
        np.testing.assert_allclose(
            report.summary.loc[family, "bias_mean"], 2 * base.loc[family, "bias_mean"], rtol=1e-9
        )
        assert report.summary.loc[(family, ALL), "bias_mean"] == pytest.approx(2.0, abs=0.2)
    np.testing.assert_allclose(
        report.summary.loc["factors", "bias_mean"], base.loc["factors", "bias_mean"], rtol=1e-9
    )
    assert report.summary.loc[("stocks", ALL), "share_in_band"] < 0.05


def test_predictions_equal_the_forecast_covariance(synthetic, synthetic_report):
    """Stock and random-portfolio sigmas are sqrt(w' Sigma w / 252) of RiskForecast.covariance."""
    model, market, _ = synthetic
    report = synthetic_report
    d = report.forecast_dates[3]
    cov = model.forecast(d).covariance()
    month = report.volatility["stocks"].loc[
        (report.volatility["stocks"].index > d)
        & (report.volatility["stocks"].index.to_period("M") == d.to_period("M") + 1)
    ]
    np.testing.assert_allclose(
        month.iloc[0].to_numpy(), np.sqrt(np.diag(cov.loc[month.columns, month.columns]) / 252)
    )
    members = report.random_members
    names = members[(members["date"] == d) & (members["portfolio"] == "random_005")]["ticker"]
    assert len(names) == 10 and names.is_unique
    w = pd.Series(1 / 10, index=list(names))
    sigma = np.sqrt(w @ cov.loc[w.index, w.index] @ w / 252)
    rand = report.volatility["random"].loc[month.index, "random_005"]
    np.testing.assert_allclose(rand.to_numpy(), sigma)
    realised = market.returns.loc[month.index, list(names)].mean(axis=1)
    np.testing.assert_allclose(report.returns["random"].loc[month.index, "random_005"], realised)
    F = model.forecast(d).factor_covariance
    fsig = report.volatility["factors"].loc[month.index[0]]
    np.testing.assert_allclose(
        fsig.to_numpy(), np.sqrt(np.diag(F.loc[fsig.index, fsig.index]) / 252)
    )


def test_missing_returns_reweight_random_portfolios(synthetic):
    """A member without a return that day is dropped and the others re-weighted equally."""
    model, market, _ = synthetic
    first = bias_statistics(model, market, n_random=5, random_size=10, seed=9)
    d = first.forecast_dates[0]
    members = first.random_members
    names = list(members[(members["date"] == d) & (members["portfolio"] == "random_002")]["ticker"])
    day = first.volatility["random"].index[first.volatility["random"].index > d][2]
    holed = market.returns.copy()
    holed.loc[day, names[0]] = np.nan
    report = bias_statistics(model, _Market(holed), n_random=5, random_size=10, seed=9)
    assert report.random_members.equals(first.random_members)
    cov = model.forecast(d).covariance(names[1:])
    w = np.full(9, 1 / 9)
    assert report.volatility["random"].loc[day, "random_002"] == pytest.approx(
        np.sqrt(w @ cov.to_numpy() @ w / 252)
    )
    assert report.returns["random"].loc[day, "random_002"] == pytest.approx(
        holed.loc[day, names[1:]].mean()
    )
    assert np.isnan(report.returns["stocks"].loc[day, names[0]])
    assert np.isnan(report.volatility["stocks"].loc[day, names[0]])


def test_point_in_time_synthetic(synthetic):
    """Scrambling every model input dated after d leaves the predictions for the month after
    d unchanged (while the realised factor returns, which are after d, do change)."""
    model, market, _ = synthetic
    d = sorted(model.exposure_history_)[14]
    base = bias_statistics(model, market, start=d, end=d, n_random=10, random_size=10)
    rng = np.random.default_rng(5)
    scrambled = forecast_variant(model)
    after = model.factor_returns_.index > d
    fr = model.factor_returns_.copy()
    fr.loc[after] = rng.standard_normal((int(after.sum()), fr.shape[1])) * 0.05
    scrambled.factor_returns_ = fr
    res = model.residuals_.copy()
    res.loc[after] = rng.standard_normal((int(after.sum()), res.shape[1])) * 0.2
    scrambled.residuals_ = res
    shuffled = model.exposure_history_[d].sample(frac=1.0, random_state=1)
    shuffled.index = model.exposure_history_[d].index
    scrambled.exposure_history_ = {
        k: (v if k <= d else shuffled) for k, v in model.exposure_history_.items()
    }
    other = bias_statistics(scrambled, market, start=d, end=d, n_random=10, random_size=10)
    assert list(other.forecast_dates) == [d]
    for family in FAMILIES:
        pd.testing.assert_frame_equal(other.volatility[family], base.volatility[family])
    pd.testing.assert_frame_equal(other.returns["stocks"], base.returns["stocks"])
    assert not other.returns["factors"].equals(base.returns["factors"])


def test_factor_needs_history_of_nonzero_returns(synthetic):
    """A factor that was zero (not estimable) enters the factor family only after
    ``min_history`` consecutive days of non-zero returns."""
    model, market, _ = synthetic
    dead = forecast_variant(model)
    fr = model.factor_returns_.copy()
    fr.loc[: fr.index[399], "value"] = 0.0
    dead.factor_returns_ = fr
    report = bias_statistics(dead, market, n_random=0)
    assert "random" not in report.returns
    tested = report.volatility["factors"]["value"].dropna()
    first_day = tested.index[0]
    prev_end = max(d for d in report.forecast_dates if d < first_day)
    assert (fr.loc[:prev_end, "value"].iloc[-252:] != 0).all()
    assert (fr.index[400:] <= prev_end).sum() >= 252
    assert (fr.index[400:] <= prev_end).sum() < 252 + 25


def test_r_squared_by_year(synthetic):
    model, _, _ = synthetic
    table = r_squared_by_year(model)
    r2 = model.r_squared_
    years = r2.index.year
    assert list(table.index) == [*(str(y) for y in sorted(set(years))), ALL]
    assert table.loc["2016", "r_squared_mean"] == pytest.approx(r2[years == 2016].mean())
    assert table.loc["2016", "r_squared_median"] == pytest.approx(r2[years == 2016].median())
    assert table.loc[ALL, "n_days"] == len(r2)
    assert table.loc[ALL, "n_stocks_mean"] == pytest.approx(80)


def test_report_views(synthetic_report):
    report = synthetic_report
    wide = report.table("bias_median")
    assert list(wide.columns) == list(FAMILIES)
    assert wide.index[-1] == ALL
    md = report.to_markdown()
    assert md.splitlines()[0].startswith("| period | stocks mean")
    assert len(md.splitlines()) == 2 + len(wide)
    d = report.to_dict()
    assert d["params"]["n_random"] == 20
    assert len(d["summary"]) == len(report.summary)
    assert set(report.z_scores) == set(FAMILIES)
    with pytest.raises(ConfigurationError, match="statistic='bias' is not a summary column"):
        report.table("bias")


def test_plots(synthetic, synthetic_report, tmp_path):
    pytest.importorskip("matplotlib")
    model, _, _ = synthetic
    for path in (
        plot_factor_returns(model, tmp_path / "f.png"),
        plot_r_squared(model, tmp_path / "r2.png", window=21),
        plot_bias({"a": synthetic_report, "b": synthetic_report}, tmp_path / "b.png"),
        plot_bias(synthetic_report, tmp_path / "c.png", statistic="robust_mean"),
    ):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigurationError, match="reports is empty"):
        plot_bias({}, tmp_path / "d.png")


def test_forecast_variant(synthetic):
    model, _, _ = synthetic
    variant = forecast_variant(model, half_life_vol=42.0, specific_half_life=42.0)
    assert variant is not model
    assert variant.half_life_vol == 42.0 and model.half_life_vol == 84.0
    assert variant.factor_returns_ is model.factor_returns_
    assert variant.exposure_history_ is model.exposure_history_
    assert not hasattr(variant, "forecast_")
    d = sorted(model.exposure_history_)[20]
    fast, slow = variant.forecast(d), model.forecast(d)
    assert not np.allclose(fast.factor_covariance, slow.factor_covariance)
    with pytest.raises(ConfigurationError, match=r"epsilon=2\.0 changes the estimation"):
        forecast_variant(model, epsilon=2.0)
    with pytest.raises(ConfigurationError, match="'halflife' is not a FactorRiskModel parameter"):
        forecast_variant(model, halflife=3)
    with pytest.raises(ConfigurationError, match="covariance_method='garch'"):
        forecast_variant(model, covariance_method="garch")
    with pytest.raises(ConfigurationError, match="not fitted"):
        forecast_variant(FactorRiskModel("2015-01-01", "2016-01-01"))


def test_errors(synthetic):
    model, market, _ = synthetic
    with pytest.raises(ConfigurationError, match="n_random=-1 must be an integer >= 0"):
        bias_statistics(model, market, n_random=-1)
    with pytest.raises(ConfigurationError, match="random_size=500 exceeds the 80 stocks"):
        bias_statistics(model, market, random_size=500)
    with pytest.raises(ConfigurationError, match="clip=-1"):
        bias_statistics(model, market, clip=-1)
    with pytest.raises(ConfigurationError, match="must not be after"):
        bias_statistics(model, market, start="2018-01-01", end="2017-01-01")
    with pytest.raises(InsufficientHistoryError, match="lower min_history"):
        bias_statistics(model, market, min_history=5000)
    with pytest.raises(ConfigurationError, match="not fitted"):
        bias_statistics(FactorRiskModel("2015-01-01", "2016-01-01"), market)
    with pytest.raises(ConfigurationError, match="not fitted"):
        r_squared_by_year(FactorRiskModel("2015-01-01", "2016-01-01"))


# ---------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def real_model(real_market):
    # one year of regressions (~10 s); forecasts need 126 days of factor returns, so the
    # month ends 2021-12-31 .. 2022-05-31 are tested on January .. June 2022
    return FactorRiskModel("2021-06-30", "2022-06-30").fit(real_market)


@pytest.fixture(scope="module")
def real_report(real_model, real_market):
    return bias_statistics(
        real_model, real_market, n_random=30, random_size=50, seed=0, min_history=126
    )


@pytest.mark.realdata
def test_real_report(real_model, real_report):
    report = real_report
    # 126 days of factor returns are first reached on 2021-12-31: forecasts Dec..May
    assert report.forecast_dates[0] == pd.Timestamp("2021-12-31")
    assert report.forecast_dates[-1] == pd.Timestamp("2022-05-31")
    assert list(report.summary.index) == [(f, p) for f in FAMILIES for p in ("2022", ALL)]
    days = report.returns["stocks"].index
    assert days[0] == pd.Timestamp("2022-01-03")
    assert days[-1] == pd.Timestamp("2022-06-30")
    summary = report.summary
    assert np.isfinite(summary.to_numpy(dtype="float64")).all()
    assert summary["bias_mean"].between(0.5, 2.5).all()
    assert summary["robust_mean"].between(0.5, 2.5).all()
    assert summary.loc[("stocks", "2022"), "n_portfolios"] > 400
    assert summary.loc[("random", "2022"), "n_portfolios"] == 30
    assert summary.loc[("factors", "2022"), "n_portfolios"] >= 15
    stats = report.statistics
    assert stats["bias"].between(0.2, 5).all()
    assert report.params["covariance_method"] == "ewma"
    # single-stock predictions are the forecast's sqrt(diagonal) / sqrt(252)
    d = report.forecast_dates[2]
    cov = real_model.forecast(d).covariance()
    vol = report.volatility["stocks"]
    row = vol[vol.index > d].iloc[0].dropna()
    np.testing.assert_allclose(row, np.sqrt(np.diag(cov.loc[row.index, row.index]) / 252))


@pytest.mark.realdata
def test_real_point_in_time(real_model, real_market, real_report):
    """Truncating the model after month m and scrambling its factor returns and residuals
    inside month m leaves the predictions for month m unchanged."""
    d = pd.Timestamp("2022-02-28")
    month_end = pd.Timestamp("2022-03-31")
    cut = forecast_variant(real_model)
    fr = real_model.factor_returns_.loc[:month_end].copy()
    inside = fr.index > d
    fr.loc[inside] = fr.loc[inside].to_numpy()[::-1] * 3.0
    cut.factor_returns_ = fr
    res = real_model.residuals_.loc[:month_end].copy()
    res.loc[res.index > d] = 0.5
    cut.residuals_ = res
    cut.exposure_history_ = {k: v for k, v in real_model.exposure_history_.items() if k <= d}
    got = bias_statistics(cut, real_market, start=d, end=d, n_random=0, min_history=126)
    assert list(got.forecast_dates) == [d]
    for family in ("stocks", "factors"):
        mine = got.volatility[family]
        full = real_report.volatility[family].loc[mine.index]
        pd.testing.assert_frame_equal(mine, full[mine.columns], check_freq=False)
        assert full.drop(columns=mine.columns).isna().all().all()


@pytest.mark.realdata
def test_window_variant_shares_the_regressions(real_model, real_market):
    """covariance_method only changes the forecast: the window variant holds the same
    factor returns, exposures and specific risk, and a different factor covariance."""
    window = forecast_variant(real_model, covariance_method="window")
    assert window.factor_returns_ is real_model.factor_returns_
    assert window.residuals_ is real_model.residuals_
    d = pd.Timestamp("2022-03-31")
    a, b = real_model.forecast(d), window.forecast(d)
    pd.testing.assert_frame_equal(a.exposures, b.exposures)
    pd.testing.assert_series_equal(a.specific_risk, b.specific_risk)
    assert not np.allclose(a.factor_covariance, b.factor_covariance)
    # a refit with covariance_method='window' gives the same regressions (short period)
    refit = FactorRiskModel("2021-12-31", "2022-03-31", covariance_method="window")
    refit.fit(real_market)
    pd.testing.assert_frame_equal(
        refit.factor_returns_, real_model.factor_returns_.loc[refit.factor_returns_.index]
    )
    report = bias_statistics(window, real_market, n_random=10, min_history=126)
    assert report.params["covariance_method"] == "window"
    assert report.summary["bias_mean"].between(0.5, 2.5).all()
    with_end = forecast_variant(real_model, real_market, covariance_method="window")
    assert with_end.forecast_.date == real_model.forecast_.date
    pd.testing.assert_frame_equal(with_end.forecast_.exposures, real_model.forecast_.exposures)
