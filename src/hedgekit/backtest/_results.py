"""A backtest's run directory: its SQLite results, resume bookkeeping, and loading them.

Results are one row per (target, rebalance date, method) in ``results.sqlite``'s
``periods`` table: the basket (``weights_start``, ``weights_end``), its cost inputs,
the daily arrays (``days``, ``unhedged``, ``hedge``, JSON) and the record's return
moments (:data:`~hedgekit.backtest.MOMENT_COLUMNS`), so that an index-scale run can be
summarised without rebuilding its daily frame. Tables written before the moments existed
gain their columns on the next run (``ALTER TABLE``), empty for the old rows.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.backtest._config import BacktestConfig
from hedgekit.backtest._methods import BacktestSettings
from hedgekit.backtest._summary import MOMENT_COLUMNS

__all__ = ["BacktestRun", "load_results"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS periods (
    target TEXT NOT NULL,
    rebalance TEXT NOT NULL,
    method TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL,
    error TEXT,
    note TEXT,
    names INTEGER,
    weights_start TEXT,
    weights_end TEXT,
    cost_inputs TEXT,
    borrow_bps REAL,
    days TEXT,
    unhedged TEXT,
    hedge TEXT,
    seconds REAL,
    PRIMARY KEY (target, rebalance, method)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
#: columns added after the first schema: name -> SQLite type
_ADDED: dict[str, str] = {c: ("INTEGER" if c == "n_days" else "REAL") for c in MOMENT_COLUMNS}
_COLUMNS = (
    "target", "rebalance", "method", "end_date", "status", "error", "note", "names",
    "weights_start", "weights_end", "cost_inputs", "borrow_bps", "days", "unhedged",
    "hedge", "seconds", *MOMENT_COLUMNS,
)  # fmt: skip
_DAILY_ARRAYS = ("days", "unhedged", "hedge")
#: config keys a run directory's identity depends on, as the refusal message names them
_IDENTITY = {
    "start": "start date",
    "end": "end date",
    "freq": "frequency",
    "hold_months": "holding period (hold_months)",
    "settings": "settings",
}


def _migrate(con: sqlite3.Connection) -> None:
    """Add the columns a table written by an older hedgekit lacks (NULL for its rows)."""
    have = {row[1] for row in con.execute("PRAGMA table_info(periods)")}
    for column, kind in _ADDED.items():
        if column not in have:
            con.execute(f"ALTER TABLE periods ADD COLUMN {column} {kind}")


def _stored_config(con: sqlite3.Connection) -> dict[str, Any]:
    row = con.execute("SELECT value FROM meta WHERE key='config'").fetchone()
    config: dict[str, Any] = json.loads(row[0]) if row else {}
    config.setdefault("hold_months", 1)  # runs written before the protocol existed
    return config


class BacktestRun:
    """A run directory: its config, its SQLite results, resume bookkeeping."""

    def __init__(self, directory: str | Path, config: BacktestConfig) -> None:
        self.directory = Path(directory)
        self.config = config
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "results.sqlite"
        con = self._connect()
        try:
            with con:
                con.executescript(_SCHEMA)
                _migrate(con)
                row = con.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
                if row is None:
                    con.execute(
                        "INSERT INTO meta VALUES ('fingerprint', ?), ('config', ?)",
                        (config.fingerprint(), json.dumps(config.to_dict())),
                    )
                elif row[0] != config.fingerprint():
                    raise ConfigurationError(self._refusal(_stored_config(con)))
        finally:
            con.close()

    def _refusal(self, stored: dict[str, Any]) -> str:
        mine = self.config.to_dict()
        differ = [
            f"{label} {stored.get(key)!r} there, {mine[key]!r} here"
            for key, label in _IDENTITY.items()
            if key != "settings" and stored.get(key) != mine[key]
        ]
        if stored.get("settings") != mine["settings"]:
            differ.append("other settings")
        what = "; ".join(differ) or "other dates, frequency or settings"
        return (
            f"{self.directory} holds a backtest with other dates, frequency, holding period "
            f"or settings ({what}); use another --out directory (or delete it to start over)"
        )

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def done(self) -> set[tuple[str, str, str]]:
        """(target, rebalance, method) triples already recorded."""
        con = self._connect()
        try:
            rows = con.execute("SELECT target, rebalance, method FROM periods").fetchall()
        finally:
            con.close()
        return {(a, b, c) for a, b, c in rows}

    def write(self, records: list[dict[str, Any]]) -> None:
        """Insert one batch in one transaction (all or nothing)."""
        rows = []
        for r in records:
            row = []
            for c in _COLUMNS:
                v = r.get(c)
                row.append(json.dumps(v) if isinstance(v, dict | list) else v)
            rows.append(row)
        con = self._connect()
        try:
            with con:
                con.executemany(
                    f"INSERT OR REPLACE INTO periods ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                    rows,
                )
        finally:
            con.close()


@overload
def load_results(
    directory: str | Path, *, daily: Literal[True] = ...
) -> tuple[pd.DataFrame, pd.DataFrame]: ...
@overload
def load_results(directory: str | Path, *, daily: Literal[False]) -> tuple[pd.DataFrame, None]: ...
@overload
def load_results(
    directory: str | Path, *, daily: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None]: ...
def load_results(
    directory: str | Path, *, daily: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``(periods, daily)`` frames of a run directory (see ``hedgekit.backtest`` metrics).

    Parameters
    ----------
    directory : path-like
        The run directory (holding ``results.sqlite``).
    daily : bool, default True
        Build the daily frame. False skips reading the daily arrays at all and returns
        None in its place: the metrics then come from the per-record moments (what an
        index-scale set-and-forget run needs; its daily frame would not fit in memory).

    Returns
    -------
    periods : DataFrame
        One row per (target, rebalance, method) with ``end``, ``names``, ``turnover``,
        ``cost_bps`` (transaction cost of the rebalance, bps of the target's notional),
        ``borrow_bps``, ``status``, ``error``, ``note``, ``seconds`` and the
        :data:`~hedgekit.backtest.MOMENT_COLUMNS` (NaN for records written before they
        were stored, and for failed records). ``periods.attrs`` holds ``'hold_months'``
        (the protocol, which :func:`~hedgekit.backtest.summarise` reads) and ``'config'``
        (the run's config as a dict).
    daily : DataFrame or None
        One row per (target, method, rebalance, day) with ``unhedged``, ``hedge``,
        ``hedged``; None with ``daily=False``.

    Raises
    ------
    DataError
        No results in ``directory``, or a record's daily arrays have unequal lengths.

    Notes
    -----
    Turnover: with the rebalance protocol each basket trades from the previous period's
    drifted holdings (the whole basket on the first date); with set and forget
    (``hold_months > 1``) every hold is an independent position traded in from nothing,
    so its turnover is the basket's gross weight. The cost model is the same.
    """
    path = Path(directory) / "results.sqlite"
    if not path.exists():
        raise DataError(f"no backtest results in {directory}; run `hedgekit backtest` first")
    con = sqlite3.connect(path)
    try:
        have = [row[1] for row in con.execute("PRAGMA table_info(periods)")]
        columns = [c for c in have if daily or c not in _DAILY_ARRAYS]
        raw = pd.read_sql_query(f"SELECT {', '.join(columns)} FROM periods", con)
        config = _stored_config(con)
    finally:
        con.close()
    settings = BacktestSettings(**config["settings"])
    hold_months = int(config["hold_months"])
    raw = raw.sort_values(["target", "method", "rebalance"], kind="stable").reset_index(drop=True)
    turnover, costs = _trading(raw, settings, chained=hold_months == 1)
    periods = pd.DataFrame(
        {
            "target": raw["target"],
            "rebalance": pd.to_datetime(raw["rebalance"]),
            "method": raw["method"],
            "end": pd.to_datetime(raw["end_date"]),
            "names": raw["names"].fillna(0).astype(int),
            "turnover": turnover,
            "cost_bps": costs,
            "borrow_bps": raw["borrow_bps"].fillna(0.0),
            "status": raw["status"],
            "error": raw["error"],
            "note": raw["note"],
            "seconds": raw["seconds"],
            **{
                c: (
                    pd.to_numeric(raw[c], errors="coerce").astype("float64")
                    if c in raw.columns
                    else np.full(len(raw), np.nan)
                )
                for c in MOMENT_COLUMNS
            },
        }
    )
    periods.attrs = {"hold_months": hold_months, "config": config}
    if not daily:
        return periods, None
    return periods, _daily_frame(raw[raw["status"] == "ok"], path)


def _daily_frame(ok: pd.DataFrame, path: Path) -> pd.DataFrame:
    columns = ["target", "method", "rebalance", "day", "unhedged", "hedge", "hedged"]
    if ok.empty:
        return pd.DataFrame(columns=columns)
    # one concatenation of every period's days (hundreds of thousands of periods at index
    # scale): the keys repeated by each period's length, the few distinct days parsed once
    days = [json.loads(str(s)) for s in ok["days"]]
    lengths = np.fromiter(map(len, days), dtype=np.int64, count=len(days))
    codes, distinct = pd.factorize(np.concatenate(days) if lengths.sum() else np.array([], str))
    u = np.asarray(
        list(itertools.chain.from_iterable(map(json.loads, ok["unhedged"].astype(str)))),
        dtype="float64",
    )
    h = np.asarray(
        list(itertools.chain.from_iterable(map(json.loads, ok["hedge"].astype(str)))),
        dtype="float64",
    )
    if not (len(u) == len(h) == len(codes)):
        raise DataError(
            f"{path} is corrupt: daily records of unequal lengths; rerun the backtest "
            "into a new directory"
        )
    return pd.DataFrame(
        {
            "target": np.repeat(ok["target"].to_numpy(), lengths),
            "method": np.repeat(ok["method"].to_numpy(), lengths),
            "rebalance": np.repeat(pd.to_datetime(ok["rebalance"]).to_numpy(), lengths),
            "day": pd.to_datetime(distinct, format="%Y-%m-%d")[codes],
            "unhedged": u,
            "hedge": h,
            "hedged": u - h,
        }
    )


def _trading(
    raw: pd.DataFrame, settings: BacktestSettings, *, chained: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Turnover (units of target notional) and transaction cost (bps) of each rebalance:
    from the previous period's drifted holdings (none before the first, and none at all
    when the holds are independent, ``chained=False``) to the new basket."""
    turnover = np.zeros(len(raw))
    cost = np.zeros(len(raw))
    prev_key: tuple[Any, Any] | None = None
    prev_end: dict[str, float] = {}
    for i, rec in enumerate(raw.itertuples(index=False)):
        key = (rec.target, rec.method)
        if key != prev_key or not chained:
            prev_end = {}
        if rec.status != "ok":
            turnover[i] = cost[i] = np.nan
            prev_key, prev_end = key, {}
            continue
        start = json.loads(str(rec.weights_start))
        inputs = json.loads(str(rec.cost_inputs))
        total, bps = 0.0, 0.0
        # sorted: a set's order follows the process's string hashing, which would move
        # the float sum's last digit from one run to the next
        for name in sorted(set(start) | set(prev_end)):
            traded = abs(start.get(name, 0.0) - prev_end.get(name, 0.0))
            total += traded
            sigma, adv = inputs.get(name, [np.nan, np.nan])
            impact = 0.0
            if np.isfinite(sigma) and np.isfinite(adv) and adv > 0:
                impact = (
                    1e4
                    * settings.impact_coefficient
                    * sigma
                    * np.sqrt(traded * settings.notional / adv)
                )
            bps += traded * (settings.half_spread_bps + impact)
        turnover[i], cost[i] = total, bps
        prev_key, prev_end = key, json.loads(str(rec.weights_end))
    return turnover, cost
