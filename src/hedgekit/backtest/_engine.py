"""Walk-forward backtest engine: every method, every target, every rebalance date, out of sample.

For each rebalance date ``d`` (the last trading day of each month, or quarter) and each
target, every method builds its hedge from ``market.as_of(d)`` only. The basket is then
**held with fixed shares** from the close of ``d`` to the close of the hold's last day
``d'``: bought at ``d`` as weights ``w_i`` of the target's notional, each leg drifts with
its own price, with no trading inside the hold. With ``V_t`` the target's value (1 at
``d``) and ``H_it`` the value of short leg ``i`` (``w_i`` at ``d``), the daily records
are, per unit of the target's value at the previous close:

- ``unhedged_t = V_t / V_{t-1} - 1`` (the target's return);
- ``hedge_t = sum_i (H_it - H_i,t-1) / V_{t-1}`` (P&L of the long equivalent of the basket);
- ``hedged_t = unhedged_t - hedge_t``.

A missing return inside a hold (a name that stopped trading) counts as 0 and the record
notes it. Each record also stores its return moments (:func:`~hedgekit.backtest.
record_moments`), from which the metrics pool without the daily arrays.

The hold's last day ``d'`` depends on the protocol (``BacktestConfig.hold_months``):

- rebalance (1): ``d'`` is the next rebalance date, and the drifted weights
  ``H_i,d' / V_d'`` are the holdings the next basket trades from: turnover and
  transaction costs come from that difference (the first period trades the whole
  basket in);
- set and forget (N > 1): ``d'`` is the month end N month ends after ``d``; holds
  overlap and each is traded in from nothing.

Borrow costs accrue on the held notional. With ``BacktestConfig.bound`` each (target,
date) also gets the perfect-foresight bound (:mod:`hedgekit.backtest._bound`), fitted on
the hold's own returns and held the same way.

Results are written to a SQLite file per run directory, one row per (target, rebalance
date, method), each date's batch in one transaction, so a killed run resumes where it
stopped; the run records the data snapshot it began on (``Store.version``), and a resume on
another snapshot is refused unless asked for (``allow_new_data``). Work runs serially, or
on a dask.distributed cluster (a ``LocalCluster`` with ``workers`` processes, or an
existing scheduler): the tasks are the rebalance dates (each hedges all its targets, so
the per-date candidate data is computed once), and the results are identical to the
serial run.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit._errors import ConfigurationError, DataError, HedgekitError
from hedgekit.backtest._batch import DateBatch
from hedgekit.backtest._config import (
    BOUND,
    BacktestConfig,
    hold_schedule,
    rebalance_dates,
)
from hedgekit.backtest._methods import (
    METHODS,
    STUDY_MODEL,
    Hedge,
    HedgeContext,
)
from hedgekit.backtest._period import Period
from hedgekit.backtest._results import BacktestRun, load_results
from hedgekit.data import MarketData, Store

__all__ = [
    "BacktestConfig",
    "BacktestRun",
    "load_results",
    "rebalance_dates",
    "run_backtest",
]

logger = logging.getLogger(__name__)

#: how long a --scheduler address may take to answer
_SCHEDULER_TIMEOUT = "10s"


# ---------------------------------------------------------------------- one rebalance date
def run_date(
    market: MarketData,
    date: pd.Timestamp,
    nxt: pd.Timestamp,
    targets: Sequence[str],
    config: BacktestConfig,
    risk_model: Any | None = None,
    extras: dict[str, Any] | None = None,
    skip: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    *,
    batched: bool = True,
) -> list[dict[str, Any]]:
    """Every method (and the bound) for every target on one rebalance date ``date``, each
    basket held until ``nxt``; one record per pair but the ``(target, method)`` pairs in
    ``skip`` (recorded already).

    The date's shared inputs are built once (:class:`~hedgekit.backtest._batch.DateBatch`);
    with ``batched=False`` each (target, method) starts from a context of its own instead
    (nothing shared but the hold's prices and the market's caches): the per-target
    reference the batched records are tested against, and the benchmark's baseline.
    """
    settings = config.settings
    batch = DateBatch(market, date, nxt, targets, settings, risk_model, extras)
    period = batch.period
    out = []
    for target in targets:
        ctx = batch.context(target)
        builders: list[tuple[str, Callable[[], Hedge]]] = [
            (method, partial(METHODS[method], ctx if batched else _alone(batch, target)))
            for method in config.methods
            if (target, method) not in skip
        ]
        if config.bound and (target, BOUND) not in skip:
            # deliberately after the date: the bound is evaluation only
            builders.append((BOUND, partial(period.bound, ctx)))
        for method, build in builders:
            out.append(
                _record(period, ctx, method, build, target in batch.tradable, settings.borrow_bps)
            )
    return out


def _alone(batch: DateBatch, target: str) -> HedgeContext:
    """A context of ``target`` on the batch's date sharing nothing (the unbatched path)."""
    return HedgeContext(
        batch.market,
        batch.market.as_of(batch.view.date),
        target,
        batch.settings,
        getattr(batch.risk_model, "model", None),
        {k: getattr(v, "model", v) for k, v in batch.extras.items()},
        {},
    )


def _record(
    period: Period,
    ctx: HedgeContext,
    method: str,
    build: Callable[[], Hedge],
    tradable: bool,
    borrow_bps: float,
) -> dict[str, Any]:
    """One (target, date, method) record: the basket ``build`` returns, held over the period."""
    began = time.perf_counter()
    target, date = ctx.target, ctx.date
    rec: dict[str, Any] = {
        "target": target,
        "rebalance": f"{date:%Y-%m-%d}",
        "method": method,
        "status": "ok",
        "error": None,
        "note": None,
    }
    try:
        if not tradable:
            raise DataError(f"{target} has no price on {date:%Y-%m-%d}")
        hedge = build()
        held = period.holding(target, hedge)
        borrow = float(
            (hedge.stocks.abs().sum() + hedge.etfs.abs().sum())
            * borrow_bps
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
    return rec


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
    skip: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
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
    return run_date(market, date, nxt, targets, config, models.get("risk_model"), extras, skip)


def _risk_model(
    market: MarketData,
    dates: pd.DatetimeIndex,
    run: BacktestRun,
    jobs: int,
    role: str = "risk_model",
    **params: Any,
) -> Any:
    """The run's risk model under ``role``: the one saved in the run directory when it still
    covers the dates, else :func:`hedgekit.risk.covering_model` (the store's kept model, or a
    new fit), saved in the run directory so that a resumed run uses the same one."""
    from hedgekit.risk import FactorRiskModel, covering_model, covers_dates

    saved = run.directory / role
    if (saved / "model.json").exists():
        model = FactorRiskModel.load(saved)
        if covers_dates(model, dates):
            return model
    name = "default" if not params else role
    model = covering_model(market, dates, name=name, n_jobs=jobs, **params)
    model.save(saved)
    return model


def _check_data_version(
    run: BacktestRun, market: MarketData, recorded: bool, allow_new_data: bool
) -> None:
    """Record the data snapshot a run is computed on; refuse to resume on another.

    The snapshot's id (``market.version``) is kept in the run's ``meta`` table under
    ``data_version``. A run that already holds records (``recorded``) and was begun on
    another snapshot is refused with a ConfigurationError naming both, unless
    ``allow_new_data``: then a warning says results mix the two, and the new snapshot is
    recorded (the next resume on it is silent). A run begun before snapshots were recorded
    takes the current one.
    """
    version = str(market.version)
    con = sqlite3.connect(run.path, timeout=60)
    try:
        with con:
            row = con.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()
            began = None if row is None else str(row[0])
            if began is not None and began != version and recorded:
                what = (
                    f"{run.directory} holds results computed on data snapshot {began}, but the "
                    f"store now holds snapshot {version} (data imported since the run began)"
                )
                if not allow_new_data:
                    raise ConfigurationError(
                        f"{what}; resuming would mix results of both; use a new --out "
                        "directory to run on the new data, or pass --allow-new-data "
                        "(allow_new_data=True) to resume anyway"
                    )
                message = (
                    f"{what}; resuming anyway (allow_new_data): dates recorded before use "
                    f"snapshot {began}, the rest {version}"
                )
                logger.warning("%s", message)
                warnings.warn(message, UserWarning, stacklevel=3)
            if began != version:
                con.execute("INSERT OR REPLACE INTO meta VALUES ('data_version', ?)", (version,))
    finally:
        con.close()


def run_backtest(
    config: BacktestConfig,
    market: MarketData,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    allow_new_data: bool = False,
) -> BacktestRun:
    """Run (or resume) a walk-forward backtest into directory ``out``.

    Parameters
    ----------
    config : BacktestConfig
        Targets, dates, methods, protocol (``hold_months``), bound and settings.
    market : MarketData
        The data; hedges see only ``market.as_of(rebalance date)``.
    out : path-like
        Run directory: ``results.sqlite`` and the risk model (when the factor method runs).
        Rerunning into it skips every (target, date, method) already recorded; a directory
        of another protocol, other dates or settings is refused.
    workers : int, optional
        Run on a dask ``LocalCluster`` with this many single-threaded worker processes.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:8786``); the workers must see the
        same data home path.
    progress : callable, optional
        Called with ``(dates done, dates total)``.
    allow_new_data : bool, default False
        Resume a run begun on another data snapshot (``market.version``; e.g. data was
        imported since): the dates recorded keep their results, the rest use the new data,
        and a ``UserWarning`` says so. By default such a resume is refused.

    Returns
    -------
    BacktestRun
        The run directory; read it with :func:`load_results`.

    Raises
    ------
    ConfigurationError
        Bad workers or scheduler, unknown targets, a directory of another configuration,
        or of another data snapshot without ``allow_new_data``.
    """
    config.validate()
    if workers is not None and scheduler is not None:
        raise ConfigurationError("pass either workers or scheduler, not both")
    if workers is not None and workers < 1:
        raise ConfigurationError(f"workers={workers} must be >= 1")
    run = BacktestRun(out, config)
    unknown = [t for t in config.targets if t not in market.priced_tickers]
    if unknown:
        raise ConfigurationError(
            f"no prices for target(s) {', '.join(unknown[:10])}; check the tickers with "
            "`hedgekit data resolve`"
        )
    pairs = hold_schedule(market, config)
    dates = pd.DatetimeIndex([d for d, _ in pairs])
    done = run.done()
    todo = []
    for d, nxt in pairs:
        key = f"{d:%Y-%m-%d}"
        skip = {
            (t, m) for t in config.targets for m in config.record_methods if (t, key, m) in done
        }
        targets = [
            t for t in config.targets if any((t, m) not in skip for m in config.record_methods)
        ]
        if targets:
            todo.append((d, nxt, targets, skip))
    total, finished = len(pairs), len(pairs) - len(todo)
    if progress is not None:
        progress(finished, total)
    if not todo:  # nothing left to compute: a finished run reads on any snapshot
        return run
    _check_data_version(run, market, bool(done), allow_new_data)
    model = None
    extras: dict[str, Any] = {}
    model_paths: dict[str, str] = {}
    if "factor" in config.methods:
        model = _risk_model(market, dates, run, workers or 1)
        model_paths["risk_model"] = str(run.directory / "risk_model")
    if "factor_study" in config.methods:
        extras["study_model"] = _risk_model(
            market, dates, run, workers or 1, "study_model", **STUDY_MODEL
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
        for d, nxt, targets, skip in todo:
            store(run_date(market, d, nxt, targets, config, model, extras, skip))
        return run

    import dask.distributed  # noqa: F401  (its import configures its loggers: before ours)

    # dask's own INFO lines (scheduler start, workers joining) only when hedgekit's logging
    # is at DEBUG; the scheduler's HTTP routes on a free port, so that no "port 8787 is
    # already in use" warning appears (the dashboard is off)
    dask_log = logging.getLogger("distributed")
    dask_level = dask_log.level
    if not logger.isEnabledFor(logging.DEBUG):
        dask_log.setLevel(logging.WARNING)
    try:
        _run_on_dask(market, todo, config, model_paths, store, workers, scheduler)
    finally:
        dask_log.setLevel(dask_level)
    return run


def _run_on_dask(
    market: MarketData,
    todo: list[Any],
    config: BacktestConfig,
    model_paths: Any,
    store: Callable[[Any], None],
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Send the rebalance dates ``todo`` to a local cluster of ``workers`` processes or
    to ``scheduler``, and ``store`` each date's records as they arrive."""
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
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=_SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigurationError(
                f"no dask scheduler answers at {scheduler!r} within {_SCHEDULER_TIMEOUT} "
                f"({type(exc).__name__}); start one (`dask scheduler`) or check the address "
                "(tcp://host:8786)"
            ) from None
    try:
        home = str(market.store.home)
        futures = [
            client.submit(
                _remote_date, home, model_paths, d, nxt, targets, config, skip, pure=False
            )
            for d, nxt, targets, skip in todo
        ]
        for fut in as_completed(futures):
            store(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
