"""The ``prices`` check: per ticker life span, missing days and gaps, stale closes,
spikes, zero-volume days and non-positive values, on the wide (dates x tickers) panels
of :class:`~hedgekit.data.MarketData`, without Python loops over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _plural
from hedgekit.data.quality._report import QualitySection, Status

#: simple split ratios: a move of (ratio - 1) that is one of them looks like an unadjusted split
_SPLIT_RATIOS = np.array([2.0, 3.0, 4.0, 5.0, 10.0, 1.5, 20.0])


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True down each column of a 2-D boolean array.

    Parameters
    ----------
    mask : ndarray of bool of shape (n_dates, n_tickers)

    Returns
    -------
    col, start, length : ndarray of int
        One entry per run: its column, first row and number of rows, ordered by
        column then start.
    """
    n_rows, n_cols = mask.shape
    padded = np.zeros((n_cols, n_rows + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.T
    step = np.diff(padded, axis=1)
    col, start = np.nonzero(step == 1)
    _, stop = np.nonzero(step == -1)
    return col, start, stop - start


def _run_frame(
    tickers: np.ndarray,
    cal: pd.DatetimeIndex,
    col: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
) -> pd.DataFrame:
    stop = start + length - 1
    return pd.DataFrame(
        {
            "ticker": tickers[col],
            "start": cal[start],
            "end": cal[stop],
            "days": length.astype(int),
        }
    )


def _spike_hint(ret: np.ndarray, close_ret: np.ndarray, next_ret: np.ndarray) -> np.ndarray:
    """Why a spike may be bad data: reverts next day, split-like ratio, or a distribution."""
    move = np.log1p(ret)
    back = np.log1p(np.where(np.isnan(next_ret), 0.0, next_ret))
    reverts = np.abs(move + back) < np.abs(move) / 2
    ratio = np.where(ret > 0, 1 + ret, 1 / (1 + ret))
    split = np.any(np.abs(ratio[:, None] / _SPLIT_RATIOS[None, :] - 1) < 0.005, axis=1)
    distribution = np.abs(np.log1p(close_ret) - move) > np.log(1.1)
    hint = np.full(len(ret), "", dtype=object)
    hint[split] = "split-like ratio"
    hint[distribution] = "distribution (close and adj_close differ)"
    hint[reverts] = "reverts next day"
    return hint


def _prices(
    market: MarketData, spike: float, stale_days: int, gap_days: int
) -> tuple[QualitySection, np.ndarray, pd.DataFrame]:
    panels = market._panels
    cal = market.calendar
    tickers = np.asarray(market.tickers, dtype=object)
    close = panels["close"].to_numpy()
    adj = panels["adj_close"].to_numpy()
    volume = panels["volume"].to_numpy()
    n_dates, n_tickers = close.shape
    valid = ~np.isnan(close)
    has = valid.any(axis=0)
    first = np.argmax(valid, axis=0)
    last = n_dates - 1 - np.argmax(valid[::-1], axis=0)
    rows = np.arange(n_dates)[:, None]
    inside = (rows >= first) & (rows <= last) & has
    missing = inside & ~valid

    # gaps: runs of missing closes inside a ticker's life
    g_col, g_start, g_len = _runs(missing)
    keep = g_len >= gap_days
    gaps = _run_frame(tickers, cal, g_col[keep], g_start[keep], g_len[keep])
    gaps["business_days"] = np.busday_count(
        gaps["start"].to_numpy().astype("datetime64[D]"),
        (gaps["end"] + pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]"),
    )

    # stale: runs of identical consecutive closes
    with np.errstate(invalid="ignore"):
        same = valid[1:] & valid[:-1] & (close[1:] == close[:-1])
    s_col, s_start, s_len = _runs(same)
    keep = s_len + 1 >= stale_days
    stale = _run_frame(tickers, cal, s_col[keep], s_start[keep], s_len[keep] + 1)
    stale["close"] = close[s_start[keep], s_col[keep]]

    # spikes: |return| against the previous available close above the threshold
    adj_frame = panels["adj_close"]
    prev_adj = adj_frame.ffill().shift(1).to_numpy()
    prev_close = panels["close"].ffill().shift(1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = np.where(valid, adj / prev_adj - 1.0, np.nan)
        close_ret = np.where(valid, close / prev_close - 1.0, np.nan)
    next_ret = pd.DataFrame(ret).shift(-1).bfill().to_numpy(copy=True)
    next_ret[~inside] = np.nan
    next_ret[last, np.arange(n_tickers)] = np.nan
    with np.errstate(invalid="ignore"):
        hit = np.abs(ret) > spike
    sr, sc = np.nonzero(hit)
    order = np.lexsort((sr, sc))
    sr, sc = sr[order], sc[order]
    spikes = pd.DataFrame(
        {
            "ticker": tickers[sc],
            "date": cal[sr],
            "return": ret[sr, sc],
            "close_return": close_ret[sr, sc],
            "next_return": next_ret[sr, sc],
            "hint": _spike_hint(ret[sr, sc], close_ret[sr, sc], next_ret[sr, sc]),
        }
    )

    # zero volume and non-positive values
    with np.errstate(invalid="ignore"):
        zero = valid & (volume == 0)
        bad = (close <= 0) | (adj <= 0) | (volume < 0)
    z_col, z_start, z_len = _runs(zero)
    zero_runs = _run_frame(tickers, cal, z_col, z_start, z_len)
    br, bc = np.nonzero(bad)
    non_positive = pd.DataFrame(
        {
            "ticker": tickers[bc],
            "date": cal[br],
            "close": close[br, bc],
            "adj_close": adj[br, bc],
            "volume": volume[br, bc],
        }
    )

    index = pd.Index(tickers, name="ticker")

    def per_ticker(frame: pd.DataFrame, how: str = "size") -> pd.Series:
        if how == "size":
            counts = frame.groupby("ticker").size()
        else:
            counts = frame.groupby("ticker")["days"].max()
        return counts.reindex(index).fillna(0).astype(int)

    summary = pd.DataFrame(
        {
            "first": pd.DatetimeIndex(cal[first]).where(has),
            "last": pd.DatetimeIndex(cal[last]).where(has),
            "trading_days": valid.sum(axis=0),
            "missing_days": missing.sum(axis=0),
            "gaps": per_ticker(gaps).to_numpy(),
            "longest_gap": per_ticker(gaps, "max").to_numpy(),
            "stale_runs": per_ticker(stale).to_numpy(),
            "longest_stale": per_ticker(stale, "max").to_numpy(),
            "spikes": per_ticker(spikes).to_numpy(),
            "zero_volume_days": zero.sum(axis=0),
            "non_positive": bad.sum(axis=0),
        },
        index=index,
    )
    summary["issues"] = (
        summary["gaps"]
        + summary["stale_runs"]
        + summary["spikes"]
        + per_ticker(zero_runs).to_numpy()
        + summary["non_positive"]
    )
    summary = summary.sort_values(
        ["issues", "missing_days", "zero_volume_days"], ascending=False, kind="stable"
    )

    # calendar: weekdays with no price at all (holidays give short runs)
    weekdays = pd.bdate_range(market.start, market.end)
    closed = ~weekdays.isin(cal)
    _c_col, _c_start, c_len = _runs(closed[:, None])
    longest_closed = int(c_len.max()) if len(c_len) else 0

    gaps = gaps.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    stale = stale.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    spikes = spikes.assign(_abs=spikes["return"].abs()).sort_values(
        ["_abs", "ticker"], ascending=[False, True], kind="stable"
    )
    spikes = spikes.drop(columns="_abs").reset_index(drop=True)
    zero_runs = zero_runs.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    frames = {
        "prices": summary,
        "gaps": gaps.reset_index(drop=True),
        "stale": stale.reset_index(drop=True),
        "spikes": spikes,
        "zero_volume": zero_runs.reset_index(drop=True),
        "non_positive": non_positive,
    }
    n_zero = int(zero.sum())
    metrics = {
        "tickers": int(has.sum()),
        "observations": int(valid.sum()),
        "missing_days": int(missing.sum()),
        "gaps": len(gaps),
        "tickers_with_gaps": int(gaps["ticker"].nunique()),
        "stale_runs": len(stale),
        "tickers_with_stale_runs": int(stale["ticker"].nunique()),
        "spikes": len(spikes),
        "tickers_with_spikes": int(spikes["ticker"].nunique()),
        "spikes_reverting_next_day": int((spikes["hint"] == "reverts next day").sum()),
        "zero_volume_days": n_zero,
        "unchanged_zero_volume_days": int((zero[1:] & same).sum()),
        "tickers_with_zero_volume": int((zero.sum(axis=0) > 0).sum()),
        "non_positive": int(bad.sum()),
        "longest_market_closure_weekdays": longest_closed,
    }
    counts = [
        _plural(len(gaps), "gap"),
        _plural(len(stale), "stale run"),
        _plural(len(spikes), "spike"),
        _plural(n_zero, "zero-volume day"),
    ]
    flagged = int((summary["issues"] > 0).sum())
    if metrics["non_positive"]:
        status = Status.FAIL
        reason = (
            f"{_plural(metrics['non_positive'], 'non-positive value')} (the import should "
            "have rejected them); " + ", ".join(counts)
        )
    elif len(gaps) or len(stale) or len(spikes) or n_zero:
        status = Status.WARN
        reason = f"{', '.join(counts)} in {_plural(flagged, 'ticker')}"
    else:
        status = Status.OK
        reason = f"{int(has.sum()):,} tickers; no gaps, stale runs, spikes or zero volume"
    returns = pd.DataFrame(ret, index=adj_frame.index, columns=adj_frame.columns)
    return QualitySection("prices", status, reason, metrics, frames), valid, returns
