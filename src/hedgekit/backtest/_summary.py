"""Reduce a walk-forward backtest's records to one row of metrics per (target, method).

The backtest engine writes two frames: ``periods``, one row per (target, rebalance,
method) with the basket size, turnover, costs and the record's return moments
(:data:`MOMENT_COLUMNS`), and ``daily``, one row per (target, method, rebalance, day) with
the target's return, the hedge leg's return and the hedged return. :func:`summarise`
reduces them to one row per (target, method), from the daily rows when given, else from
the moments alone (an index-scale set-and-forget run is too large to load day by day).

How a target's records combine depends on the protocol (``hold_months``, see
:class:`~hedgekit.backtest.BacktestConfig`):

- rebalance (``hold_months=1``): the target's holding periods are consecutive, so their
  days are concatenated and the metrics are those of one long series;
- set and forget (``hold_months > 1``): the holds overlap, and each is one investor's
  experience, so each metric is computed per hold and averaged over the target's holds.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "DAILY_COLUMNS",
    "MOMENT_COLUMNS",
    "PERIOD_COLUMNS",
    "SUMMARY_COLUMNS",
    "record_moments",
    "select_dates",
    "summarise",
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

#: per-record statistics the engine stores with each (target, rebalance, method): the
#: number of days and the sums that pool variances, with ``hedged = unhedged - hedge``
MOMENT_COLUMNS: tuple[str, ...] = (
    "n_days",
    "sum_unhedged",
    "sumsq_unhedged",
    "sum_hedged",
    "sumsq_hedged",
    "sum_cross",
    "variance_reduction",
)

_STATUSES = frozenset({"ok", "failed"})
_ENGINE_HINT = "pass the frame the backtest engine produces"


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


def _check_daily(daily: object, per_hold: bool = False) -> pd.DataFrame:
    """The daily frame, typed; one row per (target, method, day), or per (target, method,
    rebalance, day) when holds overlap (``per_hold``)."""
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
    keys = ["target", "method", "rebalance", "day"] if per_hold else ["target", "method", "day"]
    _no_duplicates(out, "daily", keys)
    return out


def _check_periods(periods: object) -> pd.DataFrame:
    """The periods frame, typed; the moment columns as floats when present."""
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
    for c in MOMENT_COLUMNS:
        if c in frame.columns:
            out[c] = _numeric(frame, "periods", c).to_numpy()
    _no_duplicates(out, "periods", ["target", "rebalance", "method"])
    return out


def _hold_months(value: object, periods: object) -> int:
    """``hold_months`` as given, else the periods frame's (``attrs``), else 1."""
    if value is None:
        value = getattr(periods, "attrs", {}).get("hold_months", 1)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigurationError(
            f"hold_months={value!r} must be a positive integer: 1 for the rebalance protocol, "
            "12 for one-year holds (load_results sets it in periods.attrs)"
        )
    return int(value)


# ------------------------------------------------------------------ moments
def record_moments(unhedged: npt.ArrayLike, hedged: npt.ArrayLike) -> dict[str, float]:
    """The :data:`MOMENT_COLUMNS` of one record's daily returns.

    Parameters
    ----------
    unhedged : array-like of shape (n_days,)
        The target's daily returns over the record's hold.
    hedged : array-like of shape (n_days,)
        The hedged position's daily returns (``unhedged - hedge``) over the same days.

    Returns
    -------
    dict
        ``n_days``; ``sum_unhedged``, ``sumsq_unhedged``, ``sum_hedged``,
        ``sumsq_hedged`` and ``sum_cross`` (of ``unhedged * hedged``), from which the
        variances of any set of records pool (see Notes); ``variance_reduction``,
        ``1 - var(hedged) / var(unhedged)`` (ddof=1), NaN below two days or for a
        constant target.

    Notes
    -----
    With ``S1 = sum x`` and ``S2 = sum x^2`` over ``n`` days,
    ``var(x) = (S2 - S1^2 / n) / (n - 1)``; sums of records add up, so the variance of
    several records' days taken together follows from their sums alone.

    Examples
    --------
    >>> m = record_moments([0.01, -0.02, 0.03], [0.0, -0.01, 0.01])
    >>> m["n_days"], round(m["variance_reduction"], 4)
    (3, 0.8421)
    """
    u = np.asarray(unhedged, dtype="float64")
    h = np.asarray(hedged, dtype="float64")
    if u.shape != h.shape or u.ndim != 1:
        raise DataError(
            f"unhedged has shape {u.shape} and hedged {h.shape}; pass two 1-D series of "
            "the same days"
        )
    vr = float("nan")
    if u.size >= 2:
        var_u = float(np.var(u, ddof=1))
        if var_u > 0:
            vr = 1.0 - float(np.var(h, ddof=1)) / var_u
    return {
        "n_days": int(u.size),
        "sum_unhedged": float(u.sum()),
        "sumsq_unhedged": float((u * u).sum()),
        "sum_hedged": float(h.sum()),
        "sumsq_hedged": float((h * h).sum()),
        "sum_cross": float((u * h).sum()),
        "variance_reduction": vr,
    }


def _daily_moments(d: pd.DataFrame) -> pd.DataFrame:
    """:data:`MOMENT_COLUMNS` per (target, method, rebalance) from the daily rows."""
    u, h = d["unhedged"], d["hedged"]
    frame = d[["target", "method", "rebalance"]].assign(u=u, uu=u * u, h=h, hh=h * h, uh=u * h)
    g = frame.groupby(["target", "method", "rebalance"], sort=True)
    sums = g[["u", "uu", "h", "hh", "uh"]].sum()
    out = pd.DataFrame(
        {
            "n_days": g.size().astype("float64"),
            "sum_unhedged": sums["u"],
            "sumsq_unhedged": sums["uu"],
            "sum_hedged": sums["h"],
            "sumsq_hedged": sums["hh"],
            "sum_cross": sums["uh"],
        }
    )
    var = g[["u", "h"]].var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["variance_reduction"] = (1.0 - var["h"] / var["u"]).where(var["u"] > 0)
    return out


def _period_moments(p: pd.DataFrame) -> pd.DataFrame:
    """:data:`MOMENT_COLUMNS` per (target, method, rebalance) of the ``'ok'`` records, from
    the periods frame; a DataError when they were not stored."""
    ok = p[p["status"] == "ok"]
    missing = [c for c in MOMENT_COLUMNS if c not in ok.columns]
    lacking = ok["n_days"].isna() if not missing else pd.Series(True, index=ok.index)
    if lacking.any():
        first = ok[lacking].iloc[0]
        raise DataError(
            f"periods lacks the per-record moments ({', '.join(MOMENT_COLUMNS)}) of "
            f"{int(lacking.sum())} 'ok' record(s), e.g. target {first['target']!r}, method "
            f"{first['method']!r}, rebalance {first['rebalance']:%Y-%m-%d}: the run was "
            "written before they were stored; pass the daily frame, "
            "periods, daily = load_results(run_dir)"
        )
    return ok.set_index(["target", "method", "rebalance"])[list(MOMENT_COLUMNS)].sort_index()


def _from_moments(m: pd.DataFrame, ppy: int, *, own_vr: bool) -> pd.DataFrame:
    """Risk metrics of each row of moments (a record, or records pooled by summing).

    ``own_vr`` keeps the row's ``variance_reduction`` (a record's, computed from its days
    in two passes) instead of the one implied by the sums.
    """
    n = m["n_days"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        var_u = ((m["sumsq_unhedged"] - m["sum_unhedged"] ** 2 / n) / (n - 1)).clip(lower=0.0)
        var_h = ((m["sumsq_hedged"] - m["sum_hedged"] ** 2 / n) / (n - 1)).clip(lower=0.0)
        cov = (m["sum_cross"] - m["sum_unhedged"] * m["sum_hedged"] / n) / (n - 1)
        var_u, var_h, cov = (x.where(n >= 2) for x in (var_u, var_h, cov))
        # the hedge leg l = unhedged - hedged; its variance from the sums carries rounding
        # noise of order 1e-16 var_u, so a leg that is constant reads as 0
        var_l = (var_u + var_h - 2.0 * cov).clip(lower=0.0)
        var_l = var_l.where(var_l > 1e-12 * var_u, 0.0)
        denom = np.sqrt(var_u * var_l)
        corr = ((var_u - cov) / denom).where(denom > 0)
        vr = m["variance_reduction"] if own_vr else (1.0 - var_h / var_u).where(var_u > 0)
    vol_u, vol_h = np.sqrt(ppy * var_u), np.sqrt(ppy * var_h)
    return pd.DataFrame(
        {
            "days": n,
            "vol_unhedged": vol_u,
            "vol_hedged": vol_h,
            "variance_reduction": vr,
            "risk_reduction_bps": 1e4 * (vol_u - vol_h),
            "correlation": corr,
            "tracking_error": vol_h,
        },
        index=m.index,
    )


def _pooled_daily(d: pd.DataFrame, ppy: int) -> pd.DataFrame:
    """Risk metrics per (target, method) of the concatenated daily rows (two-pass)."""
    group = ["target", "method"]
    g = d.groupby(group, sort=True)
    days = g.size()
    var = g[["unhedged", "hedged"]].var(ddof=1)
    d = d.assign(leg_gap=d["unhedged"] - d["hedge"])
    centred_u = d["unhedged"] - g["unhedged"].transform("mean")
    centred_l = d["hedge"] - g["hedge"].transform("mean")
    d["cross"] = centred_u * centred_l
    d["sq_l"] = centred_l * centred_l
    d["sq_u"] = centred_u * centred_u
    sums = d.groupby(group, sort=True)[["cross", "sq_l", "sq_u"]].sum()
    te_var = d.groupby(group, sort=True)["leg_gap"].var(ddof=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.sqrt(sums["sq_u"] * sums["sq_l"])
        corr: pd.Series = (sums["cross"] / denom).where(denom > 0)
        corr = corr.where(days >= 2)
        var_u = var["unhedged"]
        var_reduction = (1.0 - var["hedged"] / var_u).where(var_u > 0)

    vol_u = np.sqrt(ppy * var["unhedged"])
    vol_h = np.sqrt(ppy * var["hedged"])
    return pd.DataFrame(
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


# ------------------------------------------------------------------ dates
def select_dates(
    periods: pd.DataFrame,
    daily: pd.DataFrame | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The records whose rebalance date is in ``[start, end]``, and their daily rows.

    Parameters
    ----------
    periods : DataFrame
        The engine's periods frame (its ``attrs``, such as ``hold_months``, are kept).
    daily : DataFrame, optional
        The engine's daily frame.
    start, end : date-like, optional
        First and last rebalance date kept (inclusive); open-ended when None.

    Returns
    -------
    (DataFrame, DataFrame or None)
        ``periods`` and ``daily`` restricted to those rebalance dates.

    Raises
    ------
    ConfigurationError
        ``start`` or ``end`` is not a date, or ``start`` is after ``end``.
    DataError
        No record has a rebalance date in the range.

    See Also
    --------
    summarise : takes ``start`` and ``end`` too, e.g. the 2022-2023 rebalances of a
        longer run taken alone: ``summarise(daily, periods, start="2022-01-01",
        end="2023-12-31")``.
    """
    s = to_timestamp(start, "start") if start is not None else None
    e = to_timestamp(end, "end") if end is not None else None
    if s is not None and e is not None and s > e:
        raise ConfigurationError(f"start={s:%Y-%m-%d} is after end={e:%Y-%m-%d}; swap them")
    if s is None and e is None:
        return periods, daily

    def keep(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        reb = _dates(frame, name, "rebalance")
        mask = pd.Series(True, index=frame.index)
        if s is not None:
            mask &= reb >= s
        if e is not None:
            mask &= reb <= e
        out = frame[mask.to_numpy()]
        out.attrs = dict(frame.attrs)
        return out

    _require_frame(periods, "periods", ["rebalance"], _ENGINE_HINT)
    kept = keep(periods, "periods")
    if kept.empty:
        reb = _dates(periods, "periods", "rebalance")
        span = f"{reb.min():%Y-%m-%d}..{reb.max():%Y-%m-%d}" if len(reb) else "nothing"
        lo = f"{s:%Y-%m-%d}" if s is not None else "..."
        hi = f"{e:%Y-%m-%d}" if e is not None else "..."
        raise DataError(
            f"no rebalance date in {lo}..{hi}: the periods span {span}; widen start/end"
        )
    if daily is None:
        return kept, None
    _require_frame(daily, "daily", ["rebalance"], _ENGINE_HINT)
    return kept, keep(daily, "daily")


# ------------------------------------------------------------------ summarise
def summarise(
    daily: pd.DataFrame | None,
    periods: pd.DataFrame,
    *,
    periods_per_year: int = 252,
    hold_months: int | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> pd.DataFrame:
    """Reduce a walk-forward backtest to one row of risk and cost metrics per (target, method).

    Parameters
    ----------
    daily : DataFrame or None
        One row per (target, method, rebalance, day), as the backtest engine writes it,
        with columns

        - ``target`` (str), ``method`` (str);
        - ``rebalance`` (Timestamp): the rebalance date the day's hedge was built on;
        - ``day`` (Timestamp);
        - ``unhedged`` (float): the target's daily simple return;
        - ``hedge`` (float): the short basket's daily P&L per unit of target notional
          (on the same basis as ``unhedged``);
        - ``hedged`` (float): the hedged position's daily return (unhedged P&L minus hedge
          P&L per unit of the position's value at the previous close), taken as given and
          assumed gross of costs.

        With the rebalance protocol a (target, method, day) has one row. Rows where any
        of the three returns is NaN are left out (pairwise). None: the metrics come from
        the moment columns of ``periods`` (``load_results(run_dir, daily=False)``).
    periods : DataFrame
        One row per (target, rebalance, method) with columns ``target``, ``rebalance``,
        ``method``, ``end`` (last day held), ``names`` (int), ``turnover`` (sum of
        ``|w_new - w_drifted_old|`` in units of target notional), ``cost_bps``
        (transaction cost of the rebalance, bps of target notional), ``borrow_bps``
        (borrow cost over the holding period, bps of target notional), ``status``
        (``'ok'`` or ``'failed'``) and ``error`` (str or None), and, needed when
        ``daily`` is None, the :data:`MOMENT_COLUMNS`. NaN costs or turnover count as
        zero.
    periods_per_year : int, default 252
        Trading days per year, to annualise.
    hold_months : int, optional
        The protocol: 1 (rebalance) or the months of a set-and-forget hold; by default
        ``periods.attrs['hold_months']`` (set by ``load_results``), else 1.
    start, end : date-like, optional
        Keep only the records whose rebalance date is in ``[start, end]`` (see
        :func:`select_dates`), e.g. the validation years of a longer run.

    Returns
    -------
    DataFrame
        One row per (target, method) present in either frame, sorted by target then
        method, with a default index and the columns (:data:`SUMMARY_COLUMNS`):

        - ``target``, ``method``;
        - ``days``: daily observations used (summed over the holds); ``periods``:
          rebalances (holds) recorded; ``failed_periods``: those with status ``'failed'``;
        - ``vol_unhedged``, ``vol_hedged``: annualised standard deviation (ddof=1) of the
          daily ``unhedged`` and ``hedged`` series, as fractions (0.25 = 25%);
        - ``variance_reduction``: ``1 - var(hedged) / var(unhedged)``, a fraction;
        - ``risk_reduction_bps``: ``1e4 * (vol_unhedged - vol_hedged)``;
        - ``correlation``: Pearson correlation of ``unhedged`` and ``hedge``;
        - ``tracking_error``: annualised standard deviation of ``unhedged - hedge``;
        - ``mean_names``: mean basket size over the ``'ok'`` rebalances;
        - ``turnover``: turnover per year, in multiples of target notional;
        - ``transaction_cost_bps``, ``borrow_cost_bps``: costs per year, bps of
          target notional; ``cost_bps`` is their sum;
        - ``risk_reduction_net_bps``: ``risk_reduction_bps - cost_bps``.

        With the rebalance protocol the risk metrics are those of the target's holding
        periods concatenated, and the annual rates are totals over the years covered.
        With set and forget each metric and annual rate is computed per hold and
        averaged over the target's ``'ok'`` holds. Metrics that need two days or more
        are NaN below that; annualised costs are NaN for a (target, method) with no day.

    Raises
    ------
    DataError
        A frame is not a DataFrame, is empty, lacks a column, the two are swapped, a
        frame holds a non-numeric or infinite return, a ``status`` other than
        ``'ok'``/``'failed'`` or duplicate keys, ``daily`` holds days of a (target,
        method, rebalance) that ``periods`` lacks, ``daily`` is None and ``periods`` lacks
        the moments, or no rebalance date is in ``[start, end]``.
    ConfigurationError
        ``periods_per_year`` or ``hold_months`` is not a positive integer, or ``start``
        / ``end`` is not a date.

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
    higher annual rates. Set and forget: with ``T_k`` the days of hold ``k`` and ``K``
    holds, ``variance_reduction = mean_k (1 - var(h_k) / var(u_k))``, and a hold's
    turnover (the basket's gross weight, traded in from nothing) per year is its
    turnover divided by ``T_k / p``.

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
    and ``hedged`` are expressed on different bases. From the moments alone (no
    ``daily``) they are the same number, and the variances follow from the sums (see
    :func:`record_moments`), equal to the daily computation up to rounding.

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
    hold = _hold_months(hold_months, periods)
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
    if start is not None or end is not None:
        periods, daily = select_dates(periods, daily, start=start, end=end)
    p = _check_periods(periods)
    per_hold = hold > 1
    group = ["target", "method"]

    if daily is not None:
        d = _check_daily(daily, per_hold)
        keys = ["target", "method", "rebalance"]
        orphan = d[keys].drop_duplicates().merge(p[keys], how="left", on=keys, indicator=True)
        orphan = orphan[orphan["_merge"] == "left_only"]
        if not orphan.empty:
            first = orphan.iloc[0]
            raise DataError(
                f"daily holds days of target {first['target']!r}, method {first['method']!r}, "
                f"rebalance {first['rebalance']:%Y-%m-%d} that periods lacks "
                f"({len(orphan)} such rebalance(s)); pass the periods frame of the same "
                "backtest"
            )
        d = d[np.isfinite(d[["unhedged", "hedge", "hedged"]].to_numpy()).all(axis=1)]
        if per_hold:
            risk = _from_moments(_daily_moments(d), ppy, own_vr=True)
        else:
            risk = _pooled_daily(d, ppy)
    else:
        moments = _period_moments(p)
        if per_hold:
            risk = _from_moments(moments, ppy, own_vr=True)
        else:
            pooled = moments.drop(columns="variance_reduction").groupby(level=group).sum()
            risk = _from_moments(pooled, ppy, own_vr=False)

    p["failed"] = p["status"] == "failed"
    gp = p.groupby(group, sort=True)
    counts = pd.DataFrame(
        {
            "periods": gp.size(),
            "failed_periods": gp["failed"].sum(),
            "mean_names": p[~p["failed"]].groupby(group, sort=True)["names"].mean(),
        }
    )
    if per_hold:  # risk: one row per hold; costs per hold, then means over the holds
        per = risk
        rec = p.set_index(["target", "method", "rebalance"])
        years = (per["days"] / ppy).where(per["days"] > 0)
        per["turnover"] = rec["turnover"].reindex(per.index) / years
        per["transaction_cost_bps"] = rec["cost_bps"].reindex(per.index) / years
        per["borrow_cost_bps"] = rec["borrow_bps"].reindex(per.index) / years
        g = per.groupby(level=group, sort=True)
        out = g.mean().drop(columns="days").join(g["days"].sum())
        out = out.join(counts, how="outer").sort_index()
    else:
        cost = counts.assign(
            turnover_sum=gp["turnover"].sum(),
            transaction_sum=gp["cost_bps"].sum(),
            borrow_sum=gp["borrow_bps"].sum(),
        )
        out = risk.join(cost, how="outer").sort_index()
        years = (out["days"].fillna(0) / ppy).where(out["days"] > 0)
        out["turnover"] = out["turnover_sum"] / years
        out["transaction_cost_bps"] = out["transaction_sum"] / years
        out["borrow_cost_bps"] = out["borrow_sum"] / years
    out["days"] = out["days"].fillna(0).astype("int64")
    out["periods"] = out["periods"].fillna(0).astype("int64")
    out["failed_periods"] = out["failed_periods"].fillna(0).astype("int64")
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
