"""FactorRiskModel: fit on real data (short window), structure of its outputs, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, InsufficientHistoryError
from hedgekit.risk import STYLE_FACTORS
from hedgekit.risk._model import FactorRiskModel


@pytest.fixture(scope="module")
def model(real_market):
    return FactorRiskModel("2021-12-31", "2022-06-30").fit(real_market)


@pytest.mark.realdata
def test_model_outputs(model, real_market):
    fr = model.factor_returns_
    assert fr.index.min() >= pd.Timestamp("2021-12-31")
    assert fr.index.max() <= pd.Timestamp("2022-06-30")
    assert fr.columns[0] == "market"
    assert list(fr.columns[-7:]) == list(STYLE_FACTORS)
    assert fr.notna().all().all()
    # market factor ~ cap-weighted market return: strongly correlated with SPY
    spy = real_market.as_of("2022-06-30").benchmark_returns("SPY", start=fr.index[0])["SPY"]
    assert np.corrcoef(fr["market"], spy.reindex(fr.index))[0, 1] > 0.9
    assert 0.1 < model.r_squared_.mean() < 0.8
    cov = model.factor_covariance_.to_numpy()
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() >= -1e-12
    S = model.covariance(["AAPL", "MSFT", "XOM"])
    assert np.linalg.eigvalsh(S.to_numpy()).min() > 0
    vols = np.sqrt(np.diag(S))
    assert ((vols > 0.1) & (vols < 0.8)).all()
    risk = model.risk_decomposition(pd.Series({"AAPL": 0.5, "MSFT": 0.5}))
    assert risk["factor_volatility"] < risk["total_volatility"]
    assert (model.specific_risk_ > 0).all()


@pytest.mark.realdata
def test_sector_constraint_identifies_the_market(model, real_market):
    """sum_j cap_j b_sector_j ~ 0 with the caps known at the previous month end."""
    from hedgekit.risk import compute_exposures

    frame = compute_exposures(real_market, "2022-05-31")
    names = list(frame.exposures.index)
    sec = real_market.as_of("2022-05-31").securities(names)["gics_sector"]
    caps = frame.weights.reindex(names).groupby(sec.to_numpy()).sum()
    june = model.factor_returns_.loc["2022-06-01":"2022-06-30"]
    cols = [f"sector: {s}" for s in caps.index]
    weighted = june[cols].to_numpy() * caps.to_numpy() / caps.sum()
    # exact in the regression (caps of the stocks used that day); here recomputed from the
    # month-end caps of all members, so it holds up to the few stocks without a cap or return
    assert (np.abs(weighted.sum(axis=1)) < 0.05 * np.abs(weighted).sum(axis=1)).all()


@pytest.mark.realdata
def test_errors(real_market):
    with pytest.raises(ConfigurationError, match="must be before"):
        FactorRiskModel("2022-06-30", "2022-01-31").fit(real_market)
    with pytest.raises(InsufficientHistoryError, match="at least 60"):
        FactorRiskModel("2022-06-01", "2022-06-30").fit(real_market)
    with pytest.raises(ConfigurationError, match="not fitted"):
        FactorRiskModel("2021-01-01", "2022-01-01").covariance(["AAPL"])


@pytest.mark.realdata
def test_update_equals_a_fit_to_the_later_end(real_market):
    """Adding days (one, then a month-end crossing) gives the model fitted from scratch."""
    full = FactorRiskModel("2021-12-31", "2022-08-31").fit(real_market)
    grown = FactorRiskModel("2021-12-31", "2022-07-28").fit(real_market)
    grown.update(real_market, "2022-07-29").update(real_market, "2022-08-31")
    pd.testing.assert_frame_equal(full.factor_returns_, grown.factor_returns_)
    pd.testing.assert_frame_equal(full.residuals_, grown.residuals_[full.residuals_.columns])
    pd.testing.assert_frame_equal(full.factor_covariance_, grown.factor_covariance_)
    pd.testing.assert_series_equal(full.specific_risk_, grown.specific_risk_)
    assert grown.get_params()["end"] == "2022-08-31"
    with pytest.raises(ConfigurationError, match="before the model's last day"):
        grown.update(real_market, "2022-01-31")


@pytest.mark.realdata
def test_forecast_is_point_in_time(real_risk_model, real_market):
    """A forecast at D from a model that runs past D equals the one of a model ending at D,
    and does not change when the data after D is different (here: cut off)."""
    D = "2022-06-30"
    short = FactorRiskModel("2020-12-31", D).fit(real_market)
    long_fc = real_risk_model.forecast(D, real_market)
    short_fc = short.forecast(D, real_market)
    pd.testing.assert_frame_equal(long_fc.exposures, short_fc.exposures)
    pd.testing.assert_frame_equal(long_fc.factor_covariance, short_fc.factor_covariance)
    pd.testing.assert_series_equal(long_fc.specific_risk, short_fc.specific_risk)
    # a position of index members shares the cross-section's forecast (one cache entry)
    member = str(long_fc.exposures.index[0])
    assert real_risk_model.forecast(D, real_market, include=[member]) is long_fc
    # without a market, the month-end exposures are used
    month_end = real_risk_model.forecast("2022-07-15")
    assert month_end.exposures_date == pd.Timestamp("2022-06-30")
    with pytest.raises(ConfigurationError, match="after the model's last day"):
        real_risk_model.forecast("2023-03-31")
    with pytest.raises(InsufficientHistoryError, match="a forecast needs"):
        real_risk_model.forecast("2021-01-29")


@pytest.mark.realdata
def test_sectors_without_members_have_zero_returns(real_market):
    """Telecommunication Services (renamed in 2018) is a sector in the dated snapshots up to
    2020-05-10: a factor while it has members, 0 (not NaN) once it has none."""
    model = FactorRiskModel("2020-01-31", "2020-08-31").fit(real_market)
    col = "sector: Telecommunication Services"
    fr = model.factor_returns_
    assert col in fr.columns
    assert (fr.loc["2020-02-03":"2020-04-30", col] != 0.0).all()
    assert (fr.loc["2020-06-01":, col] == 0.0).all()
    assert fr.notna().all().all()


@pytest.mark.realdata
def test_save_load_round_trip_and_cache(real_risk_model, real_market, tmp_path):
    from hedgekit import DataError
    from hedgekit.risk import cached_model_path, load_cached_model

    path = real_risk_model.save(tmp_path / "model")
    loaded = FactorRiskModel.load(path)
    pd.testing.assert_frame_equal(real_risk_model.factor_returns_, loaded.factor_returns_)
    pd.testing.assert_frame_equal(real_risk_model.residuals_, loaded.residuals_)
    pd.testing.assert_series_equal(real_risk_model.r_squared_, loaded.r_squared_)
    pd.testing.assert_frame_equal(real_risk_model.exposures_, loaded.exposures_)
    pd.testing.assert_frame_equal(real_risk_model.factor_covariance_, loaded.factor_covariance_)
    assert loaded.get_params() == real_risk_model.get_params()
    a = real_risk_model.forecast("2022-03-15").covariance(["AAPL", "XOM"])
    b = loaded.forecast("2022-03-15").covariance(["AAPL", "XOM"])
    pd.testing.assert_frame_equal(a, b)
    # saving again replaces the directory atomically
    real_risk_model.save(path)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    # damaged or missing files are a DataError naming the fix
    (path / "residuals.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="hedgekit risk build"):
        FactorRiskModel.load(path)
    with pytest.raises(DataError, match="no risk model"):
        FactorRiskModel.load(tmp_path / "nowhere")
    # the store cache: absent -> None; present -> loaded; other data version -> ignored
    assert load_cached_model(real_market, "pytest") is None
    cache = real_risk_model.save(cached_model_path(real_market, "pytest"))
    assert load_cached_model(real_market, "pytest") is not None
    meta = (
        (cache / "model.json")
        .read_text()
        .replace(real_risk_model.data_version_, "some-older-version")
    )
    (cache / "model.json").write_text(meta)
    assert load_cached_model(real_market, "pytest") is None
    assert load_cached_model(real_market, "pytest", allow_stale=True) is not None
    with pytest.raises(ConfigurationError, match="not a valid model name"):
        cached_model_path(real_market, "../x")


@pytest.mark.realdata
def test_risk_decomposition_adds_up(real_risk_model):
    fc = real_risk_model.forecast_
    risk = fc.risk_decomposition({"AAPL": 0.6, "JPM": 0.4})
    assert risk["contributions"].sum() == pytest.approx(1.0)
    assert risk["total_volatility"] ** 2 == pytest.approx(
        risk["factor_volatility"] ** 2 + risk["specific_volatility"] ** 2
    )
    S = fc.covariance(["AAPL", "JPM"]).to_numpy()
    w = np.array([0.6, 0.4])
    assert risk["total_volatility"] == pytest.approx(float(np.sqrt(w @ S @ w)))
    with pytest.raises(ConfigurationError, match="no exposures"):
        fc.risk_decomposition({"NOT_A_MEMBER": 1.0})


def test_parameter_errors():
    with pytest.raises(ConfigurationError, match="covariance_method='garch'"):
        FactorRiskModel("2020-01-01", "2021-01-01", covariance_method="garch")._check_params()
    with pytest.raises(ConfigurationError, match="half_life_vol"):
        FactorRiskModel("2020-01-01", "2021-01-01", half_life_vol=-1)._check_params()


@pytest.mark.realdata
def test_parallel_exposures_give_the_serial_model(real_market, monkeypatch):
    from hedgekit.risk import _model

    monkeypatch.setattr(_model, "_PARALLEL_MIN_DATES", 2)
    serial = FactorRiskModel("2022-06-30", "2022-10-31").fit(real_market)
    parallel = FactorRiskModel("2022-06-30", "2022-10-31", n_jobs=2).fit(real_market)
    assert set(parallel.exposure_history_) == set(serial.exposure_history_)
    pd.testing.assert_frame_equal(serial.factor_returns_, parallel.factor_returns_)
    pd.testing.assert_frame_equal(serial.residuals_, parallel.residuals_)
    with pytest.raises(ConfigurationError, match="n_jobs=0"):
        FactorRiskModel("2022-06-30", "2022-10-31", n_jobs=0).fit(real_market)


@pytest.mark.realdata
def test_study_structure(real_market):
    """The study's model: seven styles, equal weights, 2-year window, constant 15% specific."""
    study = FactorRiskModel(
        "2021-12-31",
        "2022-06-30",
        structure="styles",
        weighting="equal",
        constant_specific_risk=0.15,
        covariance_method="window",
    ).fit(real_market)
    assert list(study.factor_returns_.columns) == list(STYLE_FACTORS)
    assert list(study.exposures_.columns) == list(STYLE_FACTORS)
    assert (study.specific_risk_ == 0.15).all()
    fc = study.forecast_
    risk = fc.risk_decomposition({"AAPL": 1.0})
    assert risk["specific_volatility"] == pytest.approx(0.15)
    assert 0.0 < risk["factor_volatility"] < 0.5
    with pytest.raises(ConfigurationError, match="structure='fama'"):
        FactorRiskModel("2021-12-31", "2022-06-30", structure="fama")._check_params()
    with pytest.raises(ConfigurationError, match="weighting="):
        FactorRiskModel("2021-12-31", "2022-06-30", weighting="cap")._check_params()
