"""Wide price panels: long rows pivoted to dates x tickers, kept on disk between processes.

:class:`~hedgekit.data.MarketData` builds its ``adj_close``, ``close`` and ``volume`` panels
(and the benchmarks') with :func:`_wide` and keeps them in the data home with
:func:`_save_panels`, so that the next process opens them memory-mapped with
:func:`_load_panels` in milliseconds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


def _load_panels(directory: Any, fields: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Panels kept by :func:`_save_panels`, memory-mapped read-only."""
    meta = json.loads((directory / "index.json").read_text())
    index = pd.DatetimeIndex(pd.to_datetime(meta["dates"]), name="date")
    columns = pd.Index(np.asarray(meta["tickers"], dtype=object), name="ticker")
    out = {}
    for f in fields:
        arr = np.load(directory / f"{f}.npy", mmap_mode="r")
        if arr.shape != (len(index), len(columns)):
            raise ValueError(f"kept panel {f} has shape {arr.shape}")
        out[f] = pd.DataFrame(arr, index=index, columns=columns, copy=False)
    return out


def _save_panels(directory: Any, panels: dict[str, pd.DataFrame]) -> None:
    """Keep panels for the next process (atomically; a read-only home keeps nothing)."""
    tmp = directory.parent / f".{directory.name}.tmp-{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        first = next(iter(panels.values()))
        meta = {
            "dates": [f"{d:%Y-%m-%d}" for d in first.index],
            "tickers": [str(t) for t in first.columns],
        }
        for f, frame in panels.items():
            np.save(tmp / f"{f}.npy", np.ascontiguousarray(frame.to_numpy(dtype="float64")))
        (tmp / "index.json").write_text(json.dumps(meta))
        os.replace(tmp, directory)
    except OSError as exc:
        logger.debug("could not keep the price panels at %s: %s", directory, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def _wide(frame: pd.DataFrame, fields: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Pivot long (date, ticker, fields...) rows into one dates x tickers frame per field."""
    d_codes, dates = pd.factorize(frame["date"], sort=True)
    t_codes, tickers = pd.factorize(frame["ticker"], sort=True)
    index = pd.DatetimeIndex(dates, name="date")
    columns = pd.Index(np.asarray(tickers, dtype=object), name="ticker")
    out = {}
    for f in fields:
        arr = np.full((len(index), len(columns)), np.nan)
        arr[d_codes, t_codes] = frame[f].to_numpy(dtype="float64", na_value=np.nan)
        out[f] = pd.DataFrame(arr, index=index, columns=columns)
    return out
