"""The reuse rule of risk models over many dates (``covering_model``)."""

from __future__ import annotations

import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.risk import FactorRiskModel, cached_model_path, covering_model, covers_dates

DATES = pd.DatetimeIndex(["2022-09-30", "2022-10-31"])


class _FittedError(Exception):
    """Raised by a patched fit: the rule chose to fit instead of reusing."""


@pytest.fixture(scope="module")
def market(demo_variant):
    """A store of its own: the models kept here must not reach other tests' stores."""
    return demo_variant("reuse", lambda prices: prices)


@pytest.fixture(scope="module")
def kept(market):
    return covering_model(market, DATES, name="robust", epsilon=1.5)


def _no_fit(monkeypatch):
    def fit(self, *args, **kwargs):
        raise _FittedError

    monkeypatch.setattr(FactorRiskModel, "fit", fit)


def test_a_new_fit_covers_the_dates_and_a_non_default_one_is_kept(market, kept):
    assert covers_dates(kept, DATES)
    assert kept.get_params()["epsilon"] == 1.5
    assert (cached_model_path(market, "robust") / "model.json").exists()


def test_a_kept_model_with_the_same_parameters_is_reused(market, kept, monkeypatch):
    _no_fit(monkeypatch)
    again = covering_model(market, DATES[:1], name="robust", epsilon=1.5)
    pd.testing.assert_frame_equal(again.factor_returns_, kept.factor_returns_)


@pytest.mark.parametrize(
    ("dates", "params"),
    [
        (DATES, {"epsilon": 2.0}),  # other parameters
        (pd.DatetimeIndex(["2022-09-30", "2022-12-30"]), {"epsilon": 1.5}),  # past its end
        (pd.DatetimeIndex(["2020-12-31", "2022-09-30"]), {"epsilon": 1.5}),  # too little before
    ],
)
def test_a_kept_model_that_does_not_fit_the_request_is_not_reused(
    market, kept, monkeypatch, dates, params
):
    _no_fit(monkeypatch)
    with pytest.raises(_FittedError):
        covering_model(market, dates, name="robust", **params)


def test_the_default_model_is_left_to_risk_build(market):
    model = covering_model(market, DATES)
    assert covers_dates(model, DATES)
    assert not (cached_model_path(market, "default") / "model.json").exists()


def test_no_dates_is_a_clear_error(market):
    with pytest.raises(ConfigurationError, match="at least one date"):
        covering_model(market, pd.DatetimeIndex([]))
