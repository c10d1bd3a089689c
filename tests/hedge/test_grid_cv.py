"""PerformanceHedge.grid_search: its folds are scikit-learn's TimeSeriesSplit and every
fold is point in time (fits only on rows before its test block)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.model_selection import TimeSeriesSplit

from hedgekit import ConfigurationError, InsufficientHistoryError
from hedgekit.hedge import (
    HedgeMetric,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.hedge._grid import _walk_forward_folds, grid_scores
from hedgekit.hedge._problem import tracking_problem

DATE = "2022-12-30"
TARGET = "KSTD"


def _params(**kw) -> PerformanceHedgeParameters:
    positions = PositionSet([Position(TARGET, quantity=1_000_000)], DATE)
    return PerformanceHedgeParameters(positions, **{"max_names": None, "max_weight": 100, **kw})


@pytest.mark.parametrize(("n", "folds"), [(250, 4), (251, 4), (252, 3), (60, 2), (64, 3)])
def test_folds_are_time_series_split_and_point_in_time(n, folds):
    splits = _walk_forward_folds(n, folds)
    reference = list(TimeSeriesSplit(n_splits=folds).split(np.arange(n)))
    assert len(splits) == folds
    size = n // (folds + 1)
    for (fit, test), (ref_fit, ref_test) in zip(splits, reference, strict=True):
        np.testing.assert_array_equal(fit, ref_fit)
        np.testing.assert_array_equal(test, ref_test)
        # expanding window from the first row; the test block right after it
        np.testing.assert_array_equal(fit, np.arange(fit.size))
        np.testing.assert_array_equal(test, np.arange(fit.size, fit.size + size))
        assert fit.max() < test.min()
    # the test blocks tile the end of the window
    tested = np.concatenate([t for _, t in splits])
    np.testing.assert_array_equal(tested, np.arange(n - folds * size, n))


def test_folds_equal_the_former_split_when_the_window_divides():
    """The former linspace blocks and TimeSeriesSplit agree for n a multiple of folds + 1
    (the docstring of grid_search states the difference otherwise)."""
    for n, folds in [(250, 4), (252, 3), (60, 2)]:
        edges = np.linspace(0, n, folds + 2).astype(int)
        former = [
            (np.arange(0, edges[k]), np.arange(edges[k], edges[k + 1])) for k in range(1, folds + 1)
        ]
        for (fit, test), (old_fit, old_test) in zip(
            _walk_forward_folds(n, folds), former, strict=True
        ):
            np.testing.assert_array_equal(fit, old_fit)
            np.testing.assert_array_equal(test, old_test)


def test_fold_errors_name_the_fix():
    with pytest.raises(ConfigurationError, match=r"folds=1: use at least 2"):
        _walk_forward_folds(100, 1)
    with pytest.raises(ConfigurationError, match=r"folds=2\.5: use at least 2"):
        _walk_forward_folds(100, 2.5)
    with pytest.raises(InsufficientHistoryError, match=r"29 observations cannot make 5"):
        _walk_forward_folds(29, 5)
    assert len(_walk_forward_folds(30, 5)) == 5


def test_grid_fits_each_fold_on_its_past_only(demo_market, monkeypatch):
    """Every fold problem is built from the rows before its test block, and planting a
    different last test block changes the scores but none of the fold problems."""
    built: list[np.ndarray | None] = []
    original_problem = tracking_problem

    def spy(prep, params, rows=None):
        built.append(None if rows is None else np.asarray(rows).copy())
        return original_problem(prep, params, rows)

    monkeypatch.setattr("hedgekit.hedge._grid.tracking_problem", spy)
    engine = PerformanceHedge(_params(), demo_market)
    prep = engine._prepare()
    n = len(prep.target_returns)
    folds = 3
    splits = _walk_forward_folds(n, folds)

    def grid_with(prepared):
        built.clear()
        grid, _ = grid_scores(
            prepared, engine.parameters, [0.0, 1.0], [0.0, 1.0], HedgeMetric.TRACKING_ERROR, folds
        )
        return grid, list(built)

    grid, fold_rows = grid_with(prep)
    assert len(fold_rows) == folds  # one problem per fold, shared by the pairs
    for rows, (fit, test) in zip(fold_rows, splits, strict=True):
        assert rows is not None
        np.testing.assert_array_equal(rows, fit)
        assert rows.max() < test.min()

    # plant a different future: scramble every return of the last test block
    last = splits[-1][1]
    rng = np.random.default_rng(0)
    cands = prep.candidate_returns.copy()
    cands.iloc[last] = rng.normal(scale=0.05, size=(last.size, cands.shape[1]))
    target = prep.target_returns.copy()
    target.iloc[last] = rng.normal(scale=0.05, size=last.size)
    planted = replace(prep, candidate_returns=cands, target_returns=target)
    problems_before = [original_problem(prep, engine.parameters, f) for f, _ in splits]
    problems_after = [original_problem(planted, engine.parameters, f) for f, _ in splits]
    for a, b in zip(problems_before, problems_after, strict=True):
        np.testing.assert_array_equal(a.covariance, b.covariance)
        np.testing.assert_array_equal(a.cross, b.cross)
    planted_grid, _ = grid_with(planted)
    assert not np.allclose(planted_grid["score"], grid["score"])  # the test block is scored


def test_grid_search_reports_its_pairs_as_progress(demo_market):
    """Each scored pair is a progress report (the CLI's bar) as well as a ``progress=`` call."""
    from hedgekit._progress import progress_to
    from hedgekit.hedge._grid import GRID_STAGE

    seen: list[tuple[str, int, int]] = []
    calls: list[tuple[int, int]] = []
    engine = PerformanceHedge(_params(), demo_market)
    with progress_to(lambda *r: seen.append(r)):
        engine.grid_search(
            lasso_weights=(0.0, 0.1), ridge_weights=(0.0,), progress=lambda *c: calls.append(c)
        )
    assert seen == [(GRID_STAGE, 1, 2), (GRID_STAGE, 2, 2)]
    assert calls == [(1, 2), (2, 2)]
