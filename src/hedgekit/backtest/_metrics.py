"""Compare hedge methods across the targets of a walk-forward backtest.

:func:`~hedgekit.backtest.summarise` reduces the engine's records to one row per
(target, method); the functions here compare methods across targets on that summary:

- :func:`winners`: the best method of each target;
- :func:`compare`: paired statistics of two methods over the targets they share
  (Wilcoxon signed-rank and paired t-test p-values, bootstrap CI of the mean difference);
- :func:`compare_all`: :func:`compare` of every method against one reference;
- :func:`by_method`: per method, the mean metric with its bootstrap CI, the mean and
  median variance reduction, the share of the perfect-foresight bound captured, costs
  and wins;
- :func:`by_group`: per group of targets (GICS sector by default) and method, the mean
  metric with its bootstrap CI.

They read only the summary, so they work alike for both protocols (rebalance and set and
forget) and for any range of rebalance dates summarised.

Bootstrap intervals are percentile intervals of the mean over targets, resampled with
replacement (10,000 resamples, seeded): they treat targets as independent draws, which
stocks of one market are not (they share the market and sector shocks), so they are
narrower than the true uncertainty; read them as a lower bound on it.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.backtest._config import BOUND
from hedgekit.backtest._summary import _no_duplicates, _require_frame

__all__ = [
    "METRIC_DIRECTION",
    "PairedComparison",
    "by_group",
    "by_method",
    "compare",
    "compare_all",
    "winners",
]

logger = logging.getLogger(__name__)

#: summary metrics a method can be ranked on, and whether higher is better
METRIC_DIRECTION: dict[str, bool] = {
    "risk_reduction_bps": True,
    "risk_reduction_net_bps": True,
    "variance_reduction": True,
    "correlation": True,
    "vol_hedged": False,
    "tracking_error": False,
    "turnover": False,
    "cost_bps": False,
}

_SUMMARY_HINT = "pass the frame returned by summarise(daily, periods)"


# ------------------------------------------------------------------ validation
def _check_summary(summary: object, columns: Iterable[str] = ()) -> pd.DataFrame:
    need = ["target", "method", *columns]
    frame = _require_frame(summary, "summary", list(dict.fromkeys(need)), _SUMMARY_HINT)
    _no_duplicates(frame, "summary", ["target", "method"])
    return frame


def _check_metric(metric: str) -> bool:
    """Whether higher is better for ``metric``; ConfigurationError if it is not rankable."""
    if metric not in METRIC_DIRECTION:
        raise ConfigurationError(
            f"metric={metric!r} is not a summary metric that ranks methods; "
            f"use one of {', '.join(METRIC_DIRECTION)}"
        )
    return METRIC_DIRECTION[metric]


def _check_methods(requested: Iterable[str], available: Sequence[str]) -> list[str]:
    """``requested`` as a list, with a ConfigurationError naming any unknown method."""
    out = []
    for m in requested:
        if m not in available:
            text = str(m).lower()
            close = [a for a in available if text and (text in a.lower() or a.lower() in text)]
            close = close or difflib.get_close_matches(str(m), available, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigurationError(
                f"unknown method {m!r}: {hint}the summary holds {', '.join(available)}"
            )
        out.append(m)
    return out


def _bootstrap_settings(n_boot: object, confidence: object) -> tuple[int, float]:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 100:
        raise ConfigurationError(
            f"n_boot={n_boot!r} must be an integer >= 100; 10000 resamples give a stable 95% CI"
        )
    if not isinstance(confidence, float | int) or not 0.0 < float(confidence) < 1.0:
        raise ConfigurationError(
            f"confidence={confidence!r} must be a fraction strictly between 0 and 1, e.g. 0.95"
        )
    return int(n_boot), float(confidence)


# ------------------------------------------------------------------ bootstrap
def _bootstrap_mean_ci(
    values: np.ndarray, n_boot: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN below two values)."""
    n = values.size
    if n < 2:
        return float("nan"), float("nan")
    means = np.empty(n_boot)
    chunk = max(1, 4_000_000 // n)  # bound memory: at most ~4M indices at once
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


# ------------------------------------------------------------------ winners
def winners(
    summary: pd.DataFrame,
    methods: Sequence[str] | None = None,
    *,
    metric: str = "risk_reduction_bps",
) -> pd.DataFrame:
    """The best method of each target.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`summarise` (at least ``target``, ``method`` and ``metric``).
    methods : sequence of str, optional
        The methods that compete; by default all methods of ``summary`` but the
        perfect-foresight ``'bound'`` (a reference, not a hedge one could hold). On a
        tie the method listed first wins (alphabetical order by default).
    metric : str, default "risk_reduction_bps"
        The summary column to rank on; higher is better except for ``vol_hedged``,
        ``tracking_error``, ``turnover`` and ``cost_bps``.

    Returns
    -------
    DataFrame
        Indexed by target (sorted), with columns ``winner`` (the best method, None where
        no method has a finite metric), ``best`` (its metric), ``runner_up`` (the second
        best, None with fewer than two) and ``margin`` (``|best - runner_up|``, in the
        metric's unit).

    Raises
    ------
    DataError
        ``summary`` is empty or lacks a column.
    ConfigurationError
        An unknown method or metric, or an empty ``methods``.
    """
    higher = _check_metric(metric)
    s = _check_summary(summary, [metric])
    available = sorted(s["method"].astype(str).unique())
    if methods is None:
        chosen = [m for m in available if m != BOUND] or available
    else:
        chosen = _check_methods(methods, available)
    if not chosen:
        raise ConfigurationError("methods=[] names no method; pass at least one, or None for all")
    wide = _wide(s, metric).reindex(columns=chosen)
    values = wide.to_numpy(dtype="float64")
    score = values if higher else -values
    score = np.where(np.isfinite(score), score, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    rows = np.arange(len(wide))
    n_finite = np.isfinite(values).sum(axis=1)
    first = order[:, 0]
    second = order[:, 1] if len(chosen) > 1 else order[:, 0]
    best = values[rows, first]
    runner = values[rows, second]
    winner = [chosen[j] if k >= 1 else None for j, k in zip(first, n_finite, strict=True)]
    runner_up = [chosen[j] if k >= 2 else None for j, k in zip(second, n_finite, strict=True)]
    out = pd.DataFrame(
        {
            "winner": pd.Series(winner, index=wide.index, dtype=object),
            "best": np.where(n_finite >= 1, best, np.nan),
            "runner_up": pd.Series(runner_up, index=wide.index, dtype=object),
            "margin": np.where(n_finite >= 2, np.abs(best - runner), np.nan),
        },
        index=wide.index,
    )
    out.index.name = "target"
    return out


# ------------------------------------------------------------------ compare
@dataclass(frozen=True)
class PairedComparison:
    """Paired statistics of method ``a`` against method ``b`` over their shared targets.

    Differences are ``metric(a) - metric(b)`` per target, in the metric's unit.

    Attributes
    ----------
    a, b : str
        The two methods.
    metric : str
        The summary column compared.
    n : int
        Targets where both methods have a finite metric.
    mean_diff, median_diff : float
        Mean and median of the differences.
    wins_a, wins_b, ties : int
        Targets where ``a`` is better, where ``b`` is, and where they are equal.
    wilcoxon_p : float
        Two-sided p-value of the Wilcoxon signed-rank test (zero differences dropped;
        1.0 when every difference is zero).
    ttest_p : float
        Two-sided p-value of the paired t-test (1.0 when every difference is zero, 0.0
        when they are all equal and non-zero).
    ci_low, ci_high : float
        Percentile bootstrap interval of ``mean_diff`` at ``confidence``.
    confidence : float
        Confidence level of the interval.
    n_boot : int
        Bootstrap resamples.
    """

    a: str
    b: str
    metric: str
    n: int
    mean_diff: float
    median_diff: float
    wins_a: int
    wins_b: int
    ties: int
    wilcoxon_p: float
    ttest_p: float
    ci_low: float
    ci_high: float
    confidence: float
    n_boot: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)


def _paired(
    wide: pd.DataFrame,
    a: str,
    b: str,
    metric: str,
    higher: bool,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> PairedComparison:
    diff = (wide[a] - wide[b]).to_numpy(dtype="float64")
    diff = diff[np.isfinite(diff)]
    n = int(diff.size)
    nan = float("nan")
    if n == 0:
        return PairedComparison(a, b, metric, 0, nan, nan, 0, 0, 0, nan, nan, nan, nan,
                                confidence, n_boot)  # fmt: skip
    better = diff > 0 if higher else diff < 0
    worse = diff < 0 if higher else diff > 0
    nonzero = diff[diff != 0]
    if n < 2:
        wilcoxon_p = ttest_p = nan
    elif nonzero.size == 0:
        wilcoxon_p = ttest_p = 1.0
    else:
        wilcoxon_p = float(stats.wilcoxon(nonzero, zero_method="wilcox").pvalue)
        # a constant non-zero difference has an infinite t statistic
        constant = np.ptp(diff) == 0
        ttest_p = 0.0 if constant else float(stats.ttest_1samp(diff, 0.0).pvalue)
    low, high = _bootstrap_mean_ci(diff, n_boot, confidence, rng)
    return PairedComparison(
        a=a,
        b=b,
        metric=metric,
        n=n,
        mean_diff=float(diff.mean()),
        median_diff=float(np.median(diff)),
        wins_a=int(better.sum()),
        wins_b=int(worse.sum()),
        ties=int(n - better.sum() - worse.sum()),
        wilcoxon_p=wilcoxon_p,
        ttest_p=ttest_p,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_boot=n_boot,
    )


def _wide(s: pd.DataFrame, metric: str) -> pd.DataFrame:
    return s.pivot_table(
        index="target", columns="method", values=metric, aggfunc="first", dropna=False
    ).astype("float64")


def compare(
    summary: pd.DataFrame,
    a: str,
    b: str,
    *,
    metric: str = "risk_reduction_bps",
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> PairedComparison:
    """Paired comparison of two methods over the targets they share.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`summarise`.
    a, b : str
        The methods; differences are ``metric(a) - metric(b)``.
    metric : str, default "risk_reduction_bps"
        The summary column compared (see :func:`winners` for which way is better).
    n_boot : int, default 10000
        Bootstrap resamples of the targets.
    confidence : float, default 0.95
        Level of the bootstrap interval.
    seed : int or None, default 0
        Seed of the bootstrap; None draws fresh entropy.

    Returns
    -------
    PairedComparison
        Mean and median difference, wins, Wilcoxon signed-rank and paired t-test
        p-values and the bootstrap interval of the mean difference. With fewer than two
        shared targets the p-values and interval are NaN.

    Raises
    ------
    DataError
        ``summary`` is empty or lacks a column.
    ConfigurationError
        An unknown method or metric, ``a == b``, or bad bootstrap settings.

    Notes
    -----
    The tests treat targets as independent pairs. Stocks of one market share shocks, so
    the p-values and the interval overstate the evidence somewhat; the Wilcoxon test is
    the more robust of the two to the heavy tails typical of risk reductions.
    """
    higher = _check_metric(metric)
    n_boot, confidence = _bootstrap_settings(n_boot, confidence)
    s = _check_summary(summary, [metric])
    available = sorted(s["method"].astype(str).unique())
    _check_methods([a, b], available)
    if a == b:
        raise ConfigurationError(f"a and b are both {a!r}; compare two different methods")
    rng = np.random.default_rng(seed)
    return _paired(_wide(s, metric), a, b, metric, higher, n_boot, confidence, rng)


def compare_all(
    summary: pd.DataFrame,
    reference: str,
    *,
    methods: Sequence[str] | None = None,
    metric: str = "risk_reduction_bps",
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """:func:`compare` of every method against ``reference``.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`summarise`.
    reference : str
        The method every other one is compared with (``b`` of :func:`compare`).
    methods : sequence of str, optional
        The methods compared (``a``); all but ``reference`` by default.
    metric, n_boot, confidence, seed
        As in :func:`compare`.

    Returns
    -------
    DataFrame
        One row per method (in ``methods`` order, alphabetical by default), indexed by
        ``method``, with the fields of :class:`PairedComparison` except ``a``
        (``b`` is the reference).

    Raises
    ------
    DataError
        ``summary`` is empty or lacks a column.
    ConfigurationError
        An unknown method or metric, or bad bootstrap settings.
    """
    higher = _check_metric(metric)
    n_boot, confidence = _bootstrap_settings(n_boot, confidence)
    s = _check_summary(summary, [metric])
    available = sorted(s["method"].astype(str).unique())
    _check_methods([reference], available)
    chosen = (
        [m for m in available if m != reference]
        if methods is None
        else [m for m in _check_methods(methods, available) if m != reference]
    )
    wide = _wide(s, metric)
    rng = np.random.default_rng(seed)
    rows = [
        _paired(wide, m, reference, metric, higher, n_boot, confidence, rng).to_dict()
        for m in chosen
    ]
    fields = [f for f in PairedComparison.__dataclass_fields__ if f != "a"]
    out = pd.DataFrame(rows, columns=["a", *fields]).rename(columns={"a": "method"})
    return out.set_index("method")


# ------------------------------------------------------------------ aggregates
def by_method(
    summary: pd.DataFrame,
    *,
    metric: str = "risk_reduction_bps",
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Per method, the distribution of ``metric`` over targets, the share of the bound
    captured and the mean costs.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`summarise`.
    metric : str, default "risk_reduction_bps"
        The summary column averaged with a bootstrap interval.
    n_boot, confidence, seed
        As in :func:`compare`.

    Returns
    -------
    DataFrame
        Indexed by method (sorted), with ``targets`` (targets with a finite metric),
        ``mean``, ``median``, ``ci_low``, ``ci_high`` (of ``metric``; the interval is NaN
        below two targets), the means over targets of ``variance_reduction``,
        ``mean_names``, ``turnover``, ``cost_bps`` and ``risk_reduction_net_bps``,
        ``median_variance_reduction`` (over targets), ``bound_share`` (see Notes; NaN
        without a ``'bound'`` in the summary), ``wins`` (targets where the method is the
        :func:`winners` of ``metric``; the bound does not compete) and ``failed_periods``
        (total).

    Raises
    ------
    DataError
        ``summary`` is empty or lacks a column.
    ConfigurationError
        An unknown metric or bad bootstrap settings.

    Notes
    -----
    ``bound_share`` is the share of the attainable variance reduction a method captures:
    its mean ``variance_reduction`` over targets divided by that of the perfect-foresight
    ``'bound'`` (the best basket of the same size and cap in hindsight), both means as
    reported in the ``variance_reduction`` column. It is 1 for the bound itself.
    """
    _check_metric(metric)
    n_boot, confidence = _bootstrap_settings(n_boot, confidence)
    extra = ["variance_reduction", "mean_names", "turnover", "cost_bps", "risk_reduction_net_bps"]
    s = _check_summary(summary, [metric, *extra, "failed_periods"])
    rng = np.random.default_rng(seed)
    win = winners(s, metric=metric)["winner"].value_counts()
    rows = {}
    for method, grp in s.groupby("method", sort=True):
        values = grp[metric].to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        low, high = _bootstrap_mean_ci(values, n_boot, confidence, rng)
        rows[method] = {
            "targets": int(values.size),
            "mean": float(values.mean()) if values.size else float("nan"),
            "median": float(np.median(values)) if values.size else float("nan"),
            "ci_low": low,
            "ci_high": high,
            **{c: float(grp[c].astype("float64").mean()) for c in extra},
            "median_variance_reduction": float(grp["variance_reduction"].median()),
            "wins": int(win.get(method, 0)),
            "failed_periods": int(grp["failed_periods"].sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    bound = float(out["variance_reduction"].get(BOUND, np.nan))
    share = out["variance_reduction"] / bound if bound > 0 else np.nan
    columns = list(out.columns)
    columns.insert(columns.index("median_variance_reduction") + 1, "bound_share")
    out = out.assign(bound_share=share)[columns]
    out.index.name = "method"
    return out


def by_group(
    summary: pd.DataFrame,
    targets: pd.DataFrame,
    by: str = "sector",
    *,
    metric: str = "risk_reduction_bps",
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Mean ``metric`` per group of targets and method, with bootstrap intervals.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`summarise`.
    targets : DataFrame
        Indexed by ticker, holding a ``by`` column (the engine's targets frame, with
        ``name``, ``sector`` and ``sub_industry``). A missing group label becomes
        ``"(unknown)"``.
    by : str, default "sector"
        The column of ``targets`` that groups the targets.
    metric : str, default "risk_reduction_bps"
        The summary column averaged.
    n_boot, confidence, seed
        As in :func:`compare`.

    Returns
    -------
    DataFrame
        One row per (group, method), sorted, with columns ``by`` (the group), ``method``,
        ``targets`` (targets with a finite metric), ``mean``, ``median``, ``ci_low`` and
        ``ci_high`` (NaN below two targets).

    Raises
    ------
    DataError
        ``summary`` or ``targets`` is empty or lacks a column, or ``targets`` lacks
        tickers of ``summary``.
    ConfigurationError
        An unknown metric or bad bootstrap settings.
    """
    _check_metric(metric)
    n_boot, confidence = _bootstrap_settings(n_boot, confidence)
    s = _check_summary(summary, [metric])
    t = _require_frame(targets, "targets", [by], "pass the targets frame indexed by ticker")
    labels = _group_labels(s["target"], t, by)
    frame = pd.DataFrame(
        {
            by: labels.to_numpy(),
            "method": s["method"].astype(str).to_numpy(),
            "value": s[metric].astype("float64").to_numpy(),
        }
    )
    rng = np.random.default_rng(seed)
    rows = []
    for (group, method), grp in frame.groupby([by, "method"], sort=True):
        values = grp["value"].to_numpy()
        values = values[np.isfinite(values)]
        low, high = _bootstrap_mean_ci(values, n_boot, confidence, rng)
        rows.append(
            {
                by: group,
                "method": method,
                "targets": int(values.size),
                "mean": float(values.mean()) if values.size else float("nan"),
                "median": float(np.median(values)) if values.size else float("nan"),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(
        rows, columns=[by, "method", "targets", "mean", "median", "ci_low", "ci_high"]
    )


def _group_labels(tickers: pd.Series, targets: pd.DataFrame, by: str) -> pd.Series:
    """The ``by`` label of each ticker; DataError if ``targets`` lacks some tickers."""
    index = targets.index.astype(str)
    if index.has_duplicates:
        raise DataError(
            f"targets has more than one row for {index[index.duplicated()][0]!r}; "
            "keep one row per ticker"
        )
    names = tickers.astype(str)
    missing = sorted(set(names) - set(index))
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DataError(
            f"targets lacks {len(missing)} ticker(s) of the summary ({shown}); pass the "
            "targets frame of the same backtest, indexed by ticker"
        )
    col = pd.Series(targets[by].to_numpy(dtype=object), index=index)
    labels = col.reindex(names.to_numpy())
    return labels.where(labels.notna(), "(unknown)").astype(str)
