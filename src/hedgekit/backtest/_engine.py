"""Walk-forward backtest engine: every method, every target, every rebalance date, out of sample.

For each rebalance date ``d`` (the last trading day of each month) and each target, every
method builds its hedge from ``market.as_of(d)`` only. The basket is then **held with fixed
shares** from the close of ``d`` to the close of the next rebalance date ``d'``: bought at
``d`` as weights ``w_i`` of the target's notional, each leg drifts with its own price, with
no trading inside the period. With ``V_t`` the target's value (1 at ``d``) and ``H_it`` the
value of short leg ``i`` (``w_i`` at ``d``), the daily records are, per unit of the target's
value at the previous close:

- ``unhedged_t = V_t / V_{t-1} - 1`` (the target's return);
- ``hedge_t = sum_i (H_it - H_i,t-1) / V_{t-1}`` (P&L of the long equivalent of the basket);
- ``hedged_t = unhedged_t - hedge_t``.

A missing return inside a holding period (a name that stopped trading) counts as 0 and
the period notes it. At ``d'`` the drifted weights ``H_i,d' / V_d'`` are the holdings the
next basket trades from: turnover and transaction costs come from that difference (the
first period trades the whole basket in); borrow costs accrue on the held notional.

Results are written to a SQLite file per run directory, one row per (target, rebalance
date, method), each date's batch in one transaction, so a killed run resumes where it
stopped. Work runs serially, or on a dask.distributed cluster (a ``LocalCluster`` with
``workers`` processes, or an existing scheduler): the tasks are the rebalance dates (each
hedges all its targets, so the per-date candidate data is computed once), and the results
are identical to the serial run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError, HedgekitError
from hedgekit.backtest._methods import (
    METHODS,
    STUDY_MODEL,
    BacktestSettings,
    Hedge,
    HedgeContext,
)
from hedgekit.data._market import MarketData
from hedgekit.data._store import Store
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "BacktestConfig",
    "BacktestRun",
    "load_results",
    "rebalance_dates",
    "run_backtest",
]

logger = logging.getLogger(__name__)

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
_RISK_HISTORY_DAYS = 252
_ADV_DAYS = 20


@dataclass(frozen=True)
class BacktestConfig:
    """What to run.

    Parameters
    ----------
    targets : sequence of str
        Tickers to hedge (each is hedged alone, as a single-stock position).
    start, end : date-like
        The first rebalance is the last trading day of ``start``'s month; every holding
        period ends on or before ``end``.
    methods : sequence of str
        Names in :data:`~hedgekit.backtest.METHODS`.
    freq : {'monthly', 'quarterly'}
        Rebalance frequency.
    settings : BacktestSettings
        Basket size, weight cap, learning window, notional and costs.
    """

    targets: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    methods: tuple[str, ...] = ("returns", "factor", "spy", "spy_beta", "sector_etf", "peers")
    freq: str = "monthly"
    settings: BacktestSettings = field(default_factory=BacktestSettings)

    @classmethod
    def create(
        cls,
        targets: Iterable[str],
        start: DateLike,
        end: DateLike,
        methods: Iterable[str] | None = None,
        freq: str = "monthly",
        settings: BacktestSettings | None = None,
    ) -> BacktestConfig:
        """Build and validate a config (dates parsed, names normalised)."""
        config = cls(
            targets=tuple(dict.fromkeys(str(t).strip().upper() for t in targets if str(t).strip())),
            start=to_timestamp(start, "start"),
            end=to_timestamp(end, "end"),
            methods=tuple(
                dict.fromkeys(
                    str(m).strip().lower()
                    for m in (methods if methods is not None else cls.methods)
                    if str(m).strip()
                )
            ),
            freq=str(freq).strip().lower(),
            settings=settings or BacktestSettings(),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Raise ConfigurationError naming a bad value and its fix."""
        if not self.targets:
            raise ConfigurationError("no targets; pass tickers, 'sp500' or 'random:50'")
        if self.start >= self.end:
            raise ConfigurationError(
                f"start={self.start:%Y-%m-%d} must be before end={self.end:%Y-%m-%d}"
            )
        if not self.methods:
            raise ConfigurationError(f"no methods; choose from {', '.join(METHODS)}")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ConfigurationError(
                f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}"
            )
        if self.freq not in ("monthly", "quarterly"):
            raise ConfigurationError(f"freq={self.freq!r}; use 'monthly' or 'quarterly'")
        self.settings.validate()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the run directory's identity)."""
        return {
            "targets": list(self.targets),
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end:%Y-%m-%d}",
            "methods": list(self.methods),
            "freq": self.freq,
            "settings": dataclasses.asdict(self.settings),
        }

    def fingerprint(self) -> str:
        """Hash of everything but targets and methods (a run can grow in both)."""
        d = self.to_dict()
        d.pop("targets")
        d.pop("methods")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def rebalance_dates(
    market: MarketData, start: DateLike, end: DateLike, freq: str = "monthly"
) -> pd.DatetimeIndex:
    """Month ends (last trading day of each month; of each quarter with ``'quarterly'``) in
    ``[start, end]``: each but the last starts a holding period that ends on the next."""
    s, e = to_timestamp(start, "start"), to_timestamp(end, "end")
    cal = market.calendar
    last = pd.Series(cal, index=cal).groupby(cal.to_period("M")).max()
    ends = pd.DatetimeIndex(last.to_numpy())
    if freq == "quarterly":
        ends = ends[np.asarray(ends.month) % 3 == 0]
    return ends[(ends >= s) & (ends <= e)]


# ---------------------------------------------------------------------- one rebalance date
class _Period:
    """One holding period's prices, read once for every target and method of the date.

    The returns over ``(date, nxt]`` (evaluation only: after the rebalance date) and the
    cost inputs on ``date`` of every index member and target are read in one call each;
    a name outside them (a method's own pick) is read when asked for. Each column is
    computed on its own, so the values equal per-hedge reads.
    """

    def __init__(
        self, market: MarketData, date: pd.Timestamp, nxt: pd.Timestamp, names: Sequence[str]
    ) -> None:
        cal = market.calendar
        self.market = market
        self.days = cal[(cal > date) & (cal <= nxt)]
        self.view = market.as_of(date)
        self._later = market.as_of(nxt)  # deliberately after the rebalance date
        self._stocks = pd.DataFrame(index=self.days)
        self._etfs = pd.DataFrame(index=self.days)
        self._costs: dict[str, list[float]] = {}
        self.stock_returns(names)
        self._stock_costs(names)

    def stock_returns(self, names: Sequence[str]) -> pd.DataFrame:
        """Daily returns of ``names`` over the period (NaN where a name has no price)."""
        self._stocks = self._extend(self._stocks, names, self._later.returns)
        return self._stocks[list(names)]

    def etf_returns(self, names: Sequence[str]) -> pd.DataFrame:
        """Daily returns of benchmark funds over the period."""
        self._etfs = self._extend(self._etfs, names, self._later.benchmark_returns)
        return self._etfs[list(names)]

    def _extend(
        self, frame: pd.DataFrame, names: Sequence[str], read: Callable[..., pd.DataFrame]
    ) -> pd.DataFrame:
        missing = [t for t in dict.fromkeys(names) if t not in frame.columns]
        if not missing:
            return frame
        return pd.concat([frame, read(missing, start=self.days[0]).reindex(self.days)], axis=1)

    def _stock_costs(self, names: Sequence[str]) -> None:
        names = [t for t in dict.fromkeys(names) if t not in self._costs]
        if not names:
            return
        vol = self.view.returns(names, window=63).std(ddof=1)
        adv = self.view.adv(names, window=_ADV_DAYS)
        for t in names:
            self._costs[t] = [float(vol.get(t, np.nan)), float(adv.get(t, np.nan))]

    def _etf_costs(self, names: list[str]) -> None:
        names = [t for t in names if f"etf:{t}" not in self._costs]
        if not names:
            return
        date = self.view.date
        px = self.view.benchmark_prices(names, start=date - pd.Timedelta(days=120), end=date)
        volume = self.market._bench_panels["volume"].reindex(index=px.index, columns=names)
        vol = px.pct_change(fill_method=None).iloc[-63:].std(ddof=1)
        adv = (px * volume).iloc[-_ADV_DAYS:].mean()
        for t in names:
            self._costs[f"etf:{t}"] = [float(vol.get(t, np.nan)), float(adv.get(t, np.nan))]

    def cost_inputs(self, hedge: Hedge) -> dict[str, list[float]]:
        """Daily volatility (63 days) and 20-day dollar ADV of each instrument on the date."""
        stocks, etfs = list(hedge.stocks.index), list(hedge.etfs.index)
        self._stock_costs(stocks)
        self._etf_costs(etfs)
        out = {t: self._costs[t] for t in stocks}
        out.update({t: self._costs[f"etf:{t}"] for t in etfs})
        return out

    def holding(self, target: str, hedge: Hedge) -> dict[str, Any]:
        """Simulate a basket held with fixed shares over the period."""
        days = self.days
        stocks = [t for t in hedge.stocks.index if t != target]
        rets = self.stock_returns([target, *stocks])
        missing = int(rets.isna().sum().sum())
        r_t = rets[target].fillna(0.0).to_numpy()
        legs = [rets[stocks].fillna(0.0)] if stocks else []
        weights = [hedge.stocks.reindex(stocks).to_numpy(dtype="float64")] if stocks else []
        etfs = list(hedge.etfs.index)
        if etfs:
            er = self.etf_returns(etfs)
            missing += int(er.isna().sum().sum())
            legs.append(er.fillna(0.0))
            weights.append(hedge.etfs.to_numpy(dtype="float64"))
        V = np.cumprod(1.0 + r_t)
        V_prev = np.concatenate([[1.0], V[:-1]])
        if legs:
            R = np.column_stack([leg.to_numpy() for leg in legs])
            w0 = np.concatenate(weights)
            H = w0 * np.cumprod(1.0 + R, axis=0)
            H_prev = np.vstack([w0, H[:-1]])
            hedge_pnl = (H - H_prev).sum(axis=1) / V_prev
            w_end = H[-1] / V[-1]
            names = [*stocks, *etfs]
        else:
            hedge_pnl = np.zeros(len(days))
            w_end, names = np.zeros(0), []
        return {
            "end_date": f"{days[-1]:%Y-%m-%d}",
            "days": [f"{d:%Y-%m-%d}" for d in days],
            "unhedged": r_t.tolist(),
            "hedge": hedge_pnl.tolist(),
            "weights_end": dict(zip(names, map(float, w_end), strict=True)),
            "missing_returns": missing,
        }


def run_date(
    market: MarketData,
    date: pd.Timestamp,
    nxt: pd.Timestamp,
    targets: Sequence[str],
    config: BacktestConfig,
    risk_model: Any | None = None,
    extras: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every method for every target on one rebalance date; one record per pair."""
    view = market.as_of(date)
    tradable = set(view.tradable(list(targets)))
    settings = config.settings
    members = view.tradable(view.members(settings.universe))
    period = _Period(market, date, nxt, [*members, *sorted(tradable)])
    out = []
    # what the date's targets share (HedgeContext.shared), seeded with the members read
    # above; one dict per date, so nothing crosses dates
    shared: dict[str, Any] = {"members": members}
    for target in targets:
        ctx = HedgeContext(market, view, target, settings, risk_model, dict(extras or {}), shared)
        for method in config.methods:
            began = time.perf_counter()
            rec: dict[str, Any] = {
                "target": target,
                "rebalance": f"{date:%Y-%m-%d}",
                "method": method,
                "status": "ok",
                "error": None,
                "note": None,
            }
            try:
                if target not in tradable:
                    raise DataError(f"{target} has no price on {date:%Y-%m-%d}")
                hedge = METHODS[method](ctx)
                held = period.holding(target, hedge)
                borrow = float(
                    (hedge.stocks.abs().sum() + hedge.etfs.abs().sum())
                    * settings.borrow_bps
                    * len(held["days"])
                    / 252.0
                )
                note = hedge.note
                if held.pop("missing_returns"):
                    note = "; ".join(filter(None, [note, "missing returns counted as 0"]))
                rec.update(
                    held,
                    names=hedge.names,
                    weights_start={
                        **{k: float(v) for k, v in hedge.stocks.items()},
                        **{k: float(v) for k, v in hedge.etfs.items()},
                    },
                    cost_inputs=period.cost_inputs(hedge),
                    borrow_bps=borrow,
                    note=note,
                )
            except HedgekitError as exc:
                rec.update(status="failed", error=str(exc))
            except Exception as exc:  # a bug in one method must not stop a long run
                logger.exception("%s on %s for %s failed", method, rec["rebalance"], target)
                rec.update(status="failed", error=f"internal error ({type(exc).__name__}): {exc}")
            rec["seconds"] = time.perf_counter() - began
            out.append(rec)
    return out


# ---------------------------------------------------------------------- persistence
class BacktestRun:
    """A run directory: its config, its SQLite results, resume bookkeeping."""

    def __init__(self, directory: str | Path, config: BacktestConfig) -> None:
        self.directory = Path(directory)
        self.config = config
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "results.sqlite"
        con = self._connect()
        with con:
            con.executescript(_SCHEMA)
            row = con.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
            if row is None:
                con.execute(
                    "INSERT INTO meta VALUES ('fingerprint', ?), ('config', ?)",
                    (config.fingerprint(), json.dumps(config.to_dict())),
                )
            elif row[0] != config.fingerprint():
                raise ConfigurationError(
                    f"{self.directory} holds a backtest with other dates, frequency or "
                    "settings; use another --out directory (or delete it to start over)"
                )
        con.close()

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
        cols = [
            "target", "rebalance", "method", "end_date", "status", "error", "note", "names",
            "weights_start", "weights_end", "cost_inputs", "borrow_bps", "days", "unhedged",
            "hedge", "seconds",
        ]  # fmt: skip
        rows = []
        for r in records:
            row = []
            for c in cols:
                v = r.get(c)
                row.append(json.dumps(v) if isinstance(v, dict | list) else v)
            rows.append(row)
        con = self._connect()
        try:
            with con:
                con.executemany(
                    f"INSERT OR REPLACE INTO periods ({', '.join(cols)}) "
                    f"VALUES ({', '.join('?' * len(cols))})",
                    rows,
                )
        finally:
            con.close()


def load_results(directory: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(periods, daily)`` frames of a run directory (see ``hedgekit.backtest`` metrics).

    ``periods``: one row per (target, rebalance, method) with ``turnover``, ``cost_bps``
    (transaction cost of the rebalance, bps of the target's notional), ``borrow_bps``,
    ``names``, ``status``, ``error``. ``daily``: one row per (target, method, day) with
    ``unhedged``, ``hedge``, ``hedged``.
    """
    path = Path(directory) / "results.sqlite"
    if not path.exists():
        raise DataError(f"no backtest results in {directory}; run `hedgekit backtest` first")
    con = sqlite3.connect(path)
    try:
        raw = pd.read_sql_query("SELECT * FROM periods", con)
        config = json.loads(con.execute("SELECT value FROM meta WHERE key='config'").fetchone()[0])
    finally:
        con.close()
    settings = BacktestSettings(**config["settings"])
    raw = raw.sort_values(["target", "method", "rebalance"], kind="stable").reset_index(drop=True)
    turnover, costs = _trading(raw, settings)
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
        }
    )
    ok = raw[raw["status"] == "ok"]
    columns = ["target", "method", "rebalance", "day", "unhedged", "hedge", "hedged"]
    if ok.empty:
        return periods, pd.DataFrame(columns=columns)
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
    daily = pd.DataFrame(
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
    return periods, daily


def _trading(raw: pd.DataFrame, settings: BacktestSettings) -> tuple[np.ndarray, np.ndarray]:
    """Turnover (units of target notional) and transaction cost (bps) of each rebalance:
    from the previous period's drifted holdings (none before the first) to the new basket."""
    turnover = np.zeros(len(raw))
    cost = np.zeros(len(raw))
    prev_key: tuple[Any, Any] | None = None
    prev_end: dict[str, float] = {}
    for i, rec in enumerate(raw.itertuples(index=False)):
        key = (rec.target, rec.method)
        if key != prev_key:
            prev_end = {}
        if rec.status != "ok":
            turnover[i] = cost[i] = np.nan
            prev_key, prev_end = key, {}
            continue
        start = json.loads(str(rec.weights_start))
        inputs = json.loads(str(rec.cost_inputs))
        total, bps = 0.0, 0.0
        for name in set(start) | set(prev_end):
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


# ---------------------------------------------------------------------- driver
_WORKER_MARKETS: dict[str, MarketData] = {}
_WORKER_MODELS: dict[str, Any] = {}


def _remote_date(
    home: str,
    model_paths: dict[str, str],
    date: pd.Timestamp,
    nxt: pd.Timestamp,
    targets: list[str],
    config: BacktestConfig,
) -> list[dict[str, Any]]:
    """A dask task: one rebalance date, with the market and models cached per worker."""
    from hedgekit.risk import FactorRiskModel

    market = _WORKER_MARKETS.get(home)
    if market is None:
        market = _WORKER_MARKETS[home] = MarketData(Store(home))
    models = {}
    for role, path in model_paths.items():
        if path not in _WORKER_MODELS:
            _WORKER_MODELS[path] = FactorRiskModel.load(path)
        models[role] = _WORKER_MODELS[path]
    extras = {"study_model": models["study_model"]} if "study_model" in models else {}
    return run_date(market, date, nxt, targets, config, models.get("risk_model"), extras)


def _risk_model(
    market: MarketData,
    dates: pd.DatetimeIndex,
    run: BacktestRun,
    jobs: int,
    role: str = "risk_model",
    **params: Any,
) -> Any:
    """A risk model covering every rebalance date with a year of history before the first:
    saved in the run directory; for the default model the store's cached one when it covers
    the dates, else one fitted here."""
    from hedgekit.risk import FactorRiskModel, cached_model_path, load_cached_model

    def covers(model: Any) -> bool:
        idx = model.factor_returns_.index
        return bool(idx[-1] >= dates[-1] and (idx <= dates[0]).sum() >= _RISK_HISTORY_DAYS)

    saved = run.directory / role
    if (saved / "model.json").exists():
        model = FactorRiskModel.load(saved)
        if covers(model):
            return model
    # the store's cache: `hedgekit risk build` makes 'default'; other models are kept
    # under their role after the first backtest fits them
    name = "default" if not params else role
    cached = load_cached_model(market, name)
    if (
        cached is not None
        and covers(cached)
        and all(cached.get_params().get(k) == v for k, v in params.items())
    ):
        cached.save(saved)
        return cached
    start = dates[0] - pd.DateOffset(years=2)
    logger.info("fitting %s %s..%s for the backtest", role, start.date(), dates[-1].date())
    model = FactorRiskModel(start, dates[-1], n_jobs=jobs, **params).fit(market)
    model.save(saved)
    if params:
        model.save(cached_model_path(market, name))
    return model


def run_backtest(
    config: BacktestConfig,
    market: MarketData,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestRun:
    """Run (or resume) a walk-forward backtest into directory ``out``.

    Parameters
    ----------
    config : BacktestConfig
        Targets, dates, methods and settings.
    market : MarketData
        The data; hedges see only ``market.as_of(rebalance date)``.
    out : path-like
        Run directory: ``results.sqlite`` and the risk model (when the factor method runs).
        Rerunning into it skips every (target, date, method) already recorded.
    workers : int, optional
        Run on a dask ``LocalCluster`` with this many single-threaded worker processes.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:8786``); the workers must see the
        same data home path.
    progress : callable, optional
        Called with ``(dates done, dates total)``.

    Returns
    -------
    BacktestRun
        The run directory; read it with :func:`load_results`.
    """
    config.validate()
    if workers is not None and scheduler is not None:
        raise ConfigurationError("pass either workers or scheduler, not both")
    if workers is not None and workers < 1:
        raise ConfigurationError(f"workers={workers} must be >= 1")
    run = BacktestRun(out, config)
    unknown = [t for t in config.targets if t not in market._ticker_set]
    if unknown:
        raise ConfigurationError(
            f"no prices for target(s) {', '.join(unknown[:10])}; check the tickers with "
            "`hedgekit data resolve`"
        )
    dates = rebalance_dates(market, config.start, config.end, config.freq)
    if len(dates) < 2:
        raise ConfigurationError(
            f"{config.start:%Y-%m-%d}..{config.end:%Y-%m-%d} holds {len(dates)} rebalance "
            "date(s); a backtest needs at least one full holding period"
        )
    pairs = list(itertools.pairwise(dates))
    done = run.done()
    todo = []
    for d, nxt in pairs:
        key = f"{d:%Y-%m-%d}"
        targets = [
            t for t in config.targets if any((t, key, m) not in done for m in config.methods)
        ]
        if targets:
            todo.append((d, nxt, targets))
    total, finished = len(pairs), len(pairs) - len(todo)
    if progress is not None:
        progress(finished, total)
    if not todo:
        return run
    model = None
    extras: dict[str, Any] = {}
    model_paths: dict[str, str] = {}
    if "factor" in config.methods:
        model = _risk_model(market, dates[:-1], run, workers or 1)
        model_paths["risk_model"] = str(run.directory / "risk_model")
    if "factor_study" in config.methods:
        extras["study_model"] = _risk_model(
            market, dates[:-1], run, workers or 1, "study_model", **STUDY_MODEL
        )
        model_paths["study_model"] = str(run.directory / "study_model")

    def store(records: list[dict[str, Any]]) -> None:
        nonlocal finished
        keep = [r for r in records if (r["target"], r["rebalance"], r["method"]) not in done]
        run.write(keep)
        finished += 1
        if progress is not None:
            progress(finished, total)

    if workers is None and scheduler is None:
        for d, nxt, targets in todo:
            store(run_date(market, d, nxt, targets, config, model, extras))
        return run

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.WARNING,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        home = str(market.store.home)
        futures = [
            client.submit(_remote_date, home, model_paths, d, nxt, targets, config, pure=False)
            for d, nxt, targets in todo
        ]
        for fut in as_completed(futures):
            store(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return run
