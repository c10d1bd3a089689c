"""Raw Yahoo responses on disk: price histories per requested range, dated profiles."""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)


def _safe(ticker: str) -> str:
    return re.sub(r"[^A-Za-z0-9._^=-]", "_", ticker)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class _Cache:
    """Raw Yahoo responses on disk: history per (ticker, requested range), profiles per ticker.

    A history file ``history/<ticker>/<start>_<end>.parquet`` holds what the client
    returned for that inclusive range (possibly nothing); it answers any request for a
    range inside it. Profiles are JSON with the date they were fetched.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def load_history(
        self, ticker: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        folder = self.root / "history" / _safe(ticker)
        best: tuple[float, Path] | None = None
        for path in folder.glob("*.parquet") if folder.is_dir() else ():
            m = re.fullmatch(r"(\d{8})_(\d{8})", path.stem)
            if not m:
                continue
            lo, hi = pd.Timestamp(m.group(1)), pd.Timestamp(m.group(2))
            if lo <= start and hi >= end:
                mtime = path.stat().st_mtime
                if best is None or mtime > best[0]:
                    best = (mtime, path)
        if best is None:
            return None
        try:
            frame = pd.read_parquet(best[1])
        except (OSError, ValueError):  # a damaged cache file is a miss, not an error
            logger.warning("ignoring unreadable cache file %s", best[1])
            return None
        dates = pd.to_datetime(frame["date"])
        return frame[(dates >= start) & (dates <= end)].reset_index(drop=True)

    def save_history(
        self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, frame: pd.DataFrame
    ) -> None:
        path = self.root / "history" / _safe(ticker) / f"{start:%Y%m%d}_{end:%Y%m%d}.parquet"
        _atomic_write(path, lambda p: frame.to_parquet(p, index=False))

    def load_profile(
        self, ticker: str, today: pd.Timestamp, max_age: int | None
    ) -> tuple[dict[str, Any], pd.Timestamp] | None:
        path = self.root / "profiles" / f"{_safe(ticker)}.json"
        try:
            payload = json.loads(path.read_text())
            fetched = pd.Timestamp(payload["fetched_on"])
            profile = dict(payload["profile"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if max_age is not None and (today - fetched).days >= max_age:
            return None
        return profile, fetched

    def save_profile(self, ticker: str, profile: dict[str, Any], fetched: pd.Timestamp) -> None:
        path = self.root / "profiles" / f"{_safe(ticker)}.json"
        text = json.dumps({"fetched_on": f"{fetched:%Y-%m-%d}", "profile": profile}, default=str)
        _atomic_write(path, lambda p: p.write_text(text))
