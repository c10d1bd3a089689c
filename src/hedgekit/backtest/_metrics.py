"""Metrics of a walk-forward hedge backtest: per stock and method, then across stocks.

The backtest engine writes two frames (see :func:`summarise` for their columns):
``daily``, one row per (target, method, day) with the target's return, the hedge leg's
return and the hedged return, and ``periods``, one row per (target, rebalance, method)
with the basket size, turnover and costs of that rebalance. :func:`summarise` reduces
them to one row per (target, method); the other functions compare methods across
targets on that summary:

- :func:`winners`: the best method of each target;
- :func:`compare`: paired statistics of two methods over the targets they share
  (Wilcoxon signed-rank and paired t-test p-values, bootstrap CI of the mean difference);
- :func:`compare_all`: :func:`compare` of every method against one reference;
- :func:`by_method`: per method, the mean metric with its bootstrap CI, costs and wins;
- :func:`by_group`: per group of targets (GICS sector by default) and method, the mean
  metric with its bootstrap CI.

Bootstrap intervals are percentile intervals of the mean over targets, resampled with
replacement (10,000 resamples, seeded): they treat targets as independent draws, which
stocks of one market are not (they share the market and sector shocks), so they are
narrower than the true uncertainty; read them as a lower bound on it.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hedgekit._errors import ConfigurationError, DataError

__all__ = [
    "DAILY_COLUMNS",
    "PERIOD_COLUMNS",
    "SUMMARY_COLUMNS",
    "PairedComparison",
    "by_group",
    "by_method",
    "compare",
    "compare_all",
    "summarise",
    "winners",
]

logger = logging.getLogger(__name__)

#: columns of the engine's ``daily`` frame
DAILY_COLUMNS: tuple[str, ...] = (
    "target",
    "method",
    "rebalance",
    "day",
    "unhedged",
    "hedge",
    "hedged",
)
#: columns of the engine's ``periods`` frame
PERIOD_COLUMNS: tuple[str, ...] = (
    "target",
    "rebalance",
    "method",
    "end",
    "names",
    "turnover",
    "cost_bps",
    "borrow_bps",
    "status",
    "error",
)
#: columns of :func:`summarise`'s result, in order
SUMMARY_COLUMNS: tuple[str, ...] = (
    "target",
    "method",
    "days",
    "periods",
    "failed_periods",
    "vol_unhedged",
    "vol_hedged",
    "variance_reduction",
    "risk_reduction_bps",
    "correlation",
    "tracking_error",
    "mean_names",
    "turnover",
    "transaction_cost_bps",
    "borrow_cost_bps",
    "cost_bps",
    "risk_reduction_net_bps",
)

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

_STATUSES = frozenset({"ok", "failed"})
_ENGINE_HINT = "pass the frame the backtest engine produces"
_SUMMARY_HINT = "pass the frame returned by summarise(daily, periods)"


# ------------------------------------------------------------------ validation
def _require_frame(frame: object, name: str, columns: Sequence[str], hint: str) -> pd.DataFrame:
    """``frame`` if it is a non-empty DataFrame holding ``columns``, else a DataError."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}; {hint}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name} lacks column(s) {', '.join(map(repr, missing))}; {hint}, "
            f"with columns {', '.join(columns)}"
        )
    if frame.empty:
        raise DataError(
            f"{name} is empty (no rows); {hint} after it has run on at least one target"
        )
    return frame


def _numeric(frame: pd.DataFrame, name: str, column: str) -> pd.Series:
    """Column as float64; a DataError names the first value that is not a number or is infinite."""
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        first = frame[column][bad].iloc[0]
        raise DataError(
            f"{name} column {column!r} holds a value that is not a number ({first!r}); "
            "use floats, with NaN for a missing value"
        )
    if np.isinf(values.to_numpy()).any():
        where = frame.loc[np.isinf(values.to_numpy()), ["target", "method"]].iloc[0]
        raise DataError(
            f"{name} column {column!r} holds an infinite value (target {where['target']!r}, "
            f"method {where['method']!r}); fix the engine's returns or use NaN for a missing day"
        )
    return values


def _dates(frame: pd.DataFrame, name: str, column: str) -> pd.Series:
    try:
        return pd.to_datetime(frame[column])
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{name} column {column!r} holds a value that is not a date ({exc}); "
            "use Timestamps or ISO dates like 2023-12-29"
        ) from exc


def _no_duplicates(frame: pd.DataFrame, name: str, keys: list[str]) -> None:
    dup = frame.duplicated(keys)
    if dup.any():
        first = frame.loc[dup, keys].iloc[0]
        shown = ", ".join(f"{k}={first[k]!r}" for k in keys)
        raise DataError(
            f"{name} has more than one row for {shown}; keep one row per "
            f"({', '.join(keys)}), e.g. with drop_duplicates({keys!r})"
        )


def _periods_per_year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigurationError(
            f"periods_per_year={value!r} must be a positive integer: 252 for daily returns"
        )
    return int(value)


def _check_daily(daily: object) -> pd.DataFrame:
    frame = _require_frame(daily, "daily", DAILY_COLUMNS, _ENGINE_HINT)
    out = pd.DataFrame(
        {
            "target": frame["target"].astype(str),
            "method": frame["method"].astype(str),
            "rebalance": _dates(frame, "daily", "rebalance"),
            "day": _dates(frame, "daily", "day"),
        }
    )
    for c in ("unhedged", "hedge", "hedged"):
        out[c] = _numeric(frame, "daily", c).to_numpy()
    _no_duplicates(out, "daily", ["target", "method", "day"])
    return out


def _check_periods(periods: object) -> pd.DataFrame:
    frame = _require_frame(periods, "periods", PERIOD_COLUMNS, _ENGINE_HINT)
    out = pd.DataFrame(
        {
            "target": frame["target"].astype(str),
            "method": frame["method"].astype(str),
            "rebalance": _dates(frame, "periods", "rebalance"),
            "status": frame["status"].astype(str).str.strip().str.lower(),
        }
    )
    bad = ~out["status"].isin(_STATUSES)
    if bad.any():
        raise DataError(
            f"periods column 'status' holds {frame['status'][bad].iloc[0]!r}; "
            "use 'ok' for a hedge that was built and 'failed' for one that was not"
        )
    for c in ("names", "turnover", "cost_bps", "borrow_bps"):
        out[c] = _numeric(frame, "periods", c).to_numpy()
    _no_duplicates(out, "periods", ["target", "rebalance", "method"])
    return out


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


# ------------------------------------------------------------------ summarise
def summarise(
    daily: pd.DataFrame, periods: pd.DataFrame, *, periods_per_year: int = 252
) -> pd.DataFrame:
    """Reduce a walk-forward backtest to one row of risk and cost metrics per (target, method).

    Parameters
    ----------
    daily : DataFrame
        One row per (target, method, day), as the backtest engine writes it, with columns

        - ``target`` (str), ``method`` (str);
        - ``rebalance`` (Timestamp): the rebalance date the day's hedge was built on;
        - ``day`` (Timestamp);
        - ``unhedged`` (float): the target's daily simple return;
        - ``hedge`` (float): the short basket's daily P&L per unit of target notional
          (on the same basis as ``unhedged``);
        - ``hedged`` (float): the hedged position's daily return (unhedged P&L minus hedge
          P&L per unit of the position's value at the previous close), taken as given and
          assumed gross of costs.

        Rows where any of the three returns is NaN are left out (pairwise).
    periods : DataFrame
        One row per (target, rebalance, method) with columns ``target``, ``rebalance``,
        ``method``, ``end`` (last day held), ``names`` (int), ``turnover`` (sum of
        ``|w_new - w_drifted_old|`` in units of target notional), ``cost_bps``
        (transaction cost of the rebalance, bps of target notional), ``borrow_bps``
        (borrow cost over the holding period, bps of target notional), ``status``
        (``'ok'`` or ``'failed'``) and ``error`` (str or None). NaN costs or turnover
        count as zero.
    periods_per_year : int, default 252
        Trading days per year, to annualise.

    Returns
    -------
    DataFrame
        One row per (target, method) present in either frame, sorted by target then
        method, with a default index and the columns (:data:`SUMMARY_COLUMNS`):

        - ``target``, ``method``;
        - ``days``: daily observations used; ``periods``: rebalances recorded;
          ``failed_periods``: rebalances with status ``'failed'``;
        - ``vol_unhedged``, ``vol_hedged``: annualised standard deviation (ddof=1) of the
          concatenated daily ``unhedged`` and ``hedged`` series, as fractions (0.25 = 25%);
        - ``variance_reduction``: ``1 - var(hedged) / var(unhedged)``, a fraction;
        - ``risk_reduction_bps``: ``1e4 * (vol_unhedged - vol_hedged)``;
        - ``correlation``: Pearson correlation of ``unhedged`` and ``hedge``;
        - ``tracking_error``: annualised standard deviation of ``unhedged - hedge``;
        - ``mean_names``: mean basket size over the ``'ok'`` rebalances;
        - ``turnover``: total turnover per year, in multiples of target notional;
        - ``transaction_cost_bps``, ``borrow_cost_bps``: total costs per year, bps of
          target notional; ``cost_bps`` is their sum;
        - ``risk_reduction_net_bps``: ``risk_reduction_bps - cost_bps``.

        Metrics that need two days or more are NaN below that; annualised costs are NaN
        for a (target, method) with no daily row.

    Raises
    ------
    DataError
        A frame is not a DataFrame, is empty, lacks a column, the two are swapped, a
        frame holds a non-numeric or infinite return, a ``status`` other than
        ``'ok'``/``'failed'`` or duplicate keys, or ``daily`` holds days of a (target,
        method, rebalance) that ``periods`` lacks.
    ConfigurationError
        ``periods_per_year`` is not a positive integer.

    Warns
    -----
    UserWarning
        The methods of a target cover different numbers of days (usually failed periods
        without daily rows): their metrics are then measured over different days.

    Notes
    -----
    With ``T`` the days of a (target, method), ``u``, ``l`` and ``h`` its unhedged, hedge
    leg and hedged returns and ``p`` the periods per year,
    ``vol = sqrt(p * var(.))`` and the annual rate of a cost or turnover is its sum over
    the rebalances divided by ``T / p`` years. Turnover and transaction costs include the
    initial build of the basket (about one unit of notional), so short backtests show
    higher annual rates.

    ``risk_reduction_net_bps`` follows the study's convention of subtracting the annual
    cost (a drag on the mean return, in bps of notional per year) from the fall in
    annualised volatility (bps of notional per year). Both are bps of notional per year,
    but one is a second moment and the other a first moment, so the difference is a
    ranking heuristic, not a utility: a mean-variance investor with risk aversion
    ``lambda`` would instead weigh ``lambda / 2 * (vol_unhedged**2 - vol_hedged**2)``
    against the cost.

    ``tracking_error`` is computed from ``unhedged - hedge`` and ``vol_hedged`` from
    ``hedged``: they are equal when the engine writes ``hedged = unhedged - hedge`` (all
    per unit of the target's value at the previous close) and differ only if ``hedge``
    and ``hedged`` are expressed on different bases.

    Examples
    --------
    >>> import pandas as pd
    >>> day = pd.bdate_range("2024-01-02", periods=4)
    >>> daily = pd.DataFrame({"target": "A", "method": "m", "rebalance": day[0], "day": day,
    ...     "unhedged": [0.01, -0.02, 0.015, 0.0], "hedge": [0.01, -0.02, 0.015, 0.0],
    ...     "hedged": 0.0})
    >>> periods = pd.DataFrame({"target": ["A"], "rebalance": [day[0]], "method": ["m"],
    ...     "end": [day[-1]], "names": [3], "turnover": [1.0], "cost_bps": [5.0],
    ...     "borrow_bps": [1.0], "status": ["ok"], "error": [None]})
    >>> float(summarise(daily, periods)["variance_reduction"].iloc[0])
    1.0
    """
    ppy = _periods_per_year(periods_per_year)
    if (
        isinstance(daily, pd.DataFrame)
        and isinstance(periods, pd.DataFrame)
        and "turnover" in daily.columns
        and "unhedged" in periods.columns
    ):
        raise DataError(
            "daily and periods look swapped (daily holds 'turnover', periods 'unhedged'); "
            "pass summarise(daily, periods), e.g. periods, daily = load_results(run_dir)"
        )
    d = _check_daily(daily)
    p = _check_periods(periods)

    keys = ["target", "method", "rebalance"]
    orphan = d[keys].drop_duplicates().merge(p[keys], how="left", on=keys, indicator=True)
    orphan = orphan[orphan["_merge"] == "left_only"]
    if not orphan.empty:
        first = orphan.iloc[0]
        raise DataError(
            f"daily holds days of target {first['target']!r}, method {first['method']!r}, "
            f"rebalance {first['rebalance']:%Y-%m-%d} that periods lacks "
            f"({len(orphan)} such rebalance(s)); pass the periods frame of the same backtest"
        )

    d = d[np.isfinite(d[["unhedged", "hedge", "hedged"]].to_numpy()).all(axis=1)].copy()
    group = ["target", "method"]
    g = d.groupby(group, sort=True)
    days = g.size()
    var = g[["unhedged", "hedged"]].var(ddof=1)
    d["leg_gap"] = d["unhedged"] - d["hedge"]
    centred_u = d["unhedged"] - g["unhedged"].transform("mean")
    centred_l = d["hedge"] - g["hedge"].transform("mean")
    d["cross"] = centred_u * centred_l
    d["sq_l"] = centred_l * centred_l
    d["sq_u"] = centred_u * centred_u
    sums = d.groupby(group, sort=True)[["cross", "sq_l", "sq_u"]].sum()
    te_var = d.groupby(group, sort=True)["leg_gap"].var(ddof=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.sqrt(sums["sq_u"] * sums["sq_l"])
        corr = (sums["cross"] / denom).where(denom > 0)
        corr = corr.where(days >= 2)
        var_u = var["unhedged"]
        var_reduction = (1.0 - var["hedged"] / var_u).where(var_u > 0)

    vol_u = np.sqrt(ppy * var["unhedged"])
    vol_h = np.sqrt(ppy * var["hedged"])
    risk = pd.DataFrame(
        {
            "days": days,
            "vol_unhedged": vol_u,
            "vol_hedged": vol_h,
            "variance_reduction": var_reduction,
            "risk_reduction_bps": 1e4 * (vol_u - vol_h),
            "correlation": corr,
            "tracking_error": np.sqrt(ppy * te_var),
        }
    )

    p["failed"] = p["status"] == "failed"
    gp = p.groupby(group, sort=True)
    cost = pd.DataFrame(
        {
            "periods": gp.size(),
            "failed_periods": gp["failed"].sum(),
            "mean_names": p[~p["failed"]].groupby(group, sort=True)["names"].mean(),
            "turnover_sum": gp["turnover"].sum(),
            "transaction_sum": gp["cost_bps"].sum(),
            "borrow_sum": gp["borrow_bps"].sum(),
        }
    )

    out = risk.join(cost, how="outer").sort_index()
    out["days"] = out["days"].fillna(0).astype("int64")
    out["periods"] = out["periods"].fillna(0).astype("int64")
    out["failed_periods"] = out["failed_periods"].fillna(0).astype("int64")
    years = (out["days"] / ppy).where(out["days"] > 0)
    out["turnover"] = out["turnover_sum"] / years
    out["transaction_cost_bps"] = out["transaction_sum"] / years
    out["borrow_cost_bps"] = out["borrow_sum"] / years
    out["cost_bps"] = out["transaction_cost_bps"] + out["borrow_cost_bps"]
    out["risk_reduction_net_bps"] = out["risk_reduction_bps"] - out["cost_bps"]
    out = out.reset_index()[list(SUMMARY_COLUMNS)]

    uneven = out[out["days"] > 0].groupby("target")["days"].nunique()
    uneven = uneven[uneven > 1]
    if not uneven.empty:
        shown = ", ".join(uneven.index[:5]) + (", ..." if len(uneven) > 5 else "")
        warnings.warn(
            f"the methods of {len(uneven)} target(s) ({shown}) cover different numbers of "
            "days, so their metrics are measured over different days; failed periods "
            "without daily rows are the usual cause (see failed_periods)",
            UserWarning,
            stacklevel=2,
        )
    logger.debug("summarised %d (target, method) pairs", len(out))
    return out


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
        The methods that compete; all methods of ``summary`` by default. On a tie the
        method listed first wins (alphabetical order by default).
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
    chosen = available if methods is None else _check_methods(methods, available)
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
    """Per method, the distribution of ``metric`` over targets and the mean costs.

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
        ``mean_names``, ``turnover``, ``cost_bps`` and ``risk_reduction_net_bps``, ``wins`` (targets
        where the method is the :func:`winners` of ``metric``) and ``failed_periods``
        (total).

    Raises
    ------
    DataError
        ``summary`` is empty or lacks a column.
    ConfigurationError
        An unknown metric or bad bootstrap settings.
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
            "wins": int(win.get(method, 0)),
            "failed_periods": int(grp["failed_periods"].sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
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
