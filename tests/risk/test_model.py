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
