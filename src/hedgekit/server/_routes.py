"""The API's routes: health, market, hedges (submit, list, read, delete, basket, monitor), peers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

import hedgekit
from hedgekit._errors import HedgekitError, UnknownIdentifierError
from hedgekit.server._auth import Caller
from hedgekit.server._jobs import StoredJob
from hedgekit.server._market import preflight
from hedgekit.server._schemas import (
    ErrorBody,
    HealthOut,
    HedgeJob,
    HedgeList,
    HedgeRequest,
    HedgeSummary,
    JobError,
    JobLinks,
    MarketOut,
    MonitorOut,
    Peer,
    PeersOut,
)
from hedgekit.server._state import State

__all__ = ["install_routes", "monitor_stored"]

logger = logging.getLogger(__name__)

#: a page cursor: ``s<seq>``, the listing continues below job number ``seq``
_CURSOR = r"^s[0-9]{1,18}$"
#: the dates a query accepts, 1900-01-01..2200-12-31, stated in the schema (``format: date``
#: alone allows years 0001..9999, which no data holds and pandas cannot represent)
_DATE_RANGE = {"pattern": r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$"}

#: the monitoring date of both monitor endpoints
MonitorDate = Annotated[
    dt.date | None,
    Query(
        description="Monitoring date, 1900..2200 (default: the data's last day).",
        json_schema_extra=_DATE_RANGE,
    ),
]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error responses a route can give."""
    text = {
        401: "Missing, unknown or revoked API key.",
        404: "No such hedge for this key (other keys' hedges are never visible).",
        409: "The hedge is not done yet.",
        413: "Request body larger than the limit.",
        422: "Invalid input; the message names the field and the fix.",
        429: "Rate limit, or the key's share of the queue, exceeded; see Retry-After.",
        503: "Queue full, no market data, or an optional component missing.",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


def _encode_cursor(seq: int) -> str:
    return f"s{seq}"


def _check_query_date(when: dt.date) -> None:
    """The range the schema states for a query date (``_DATE_RANGE``), checked (422)."""
    if not dt.date(1900, 1, 1) <= when <= dt.date(2200, 12, 31):
        raise HTTPException(422, f"query parameter date {when} is outside 1900..2200")


def _summary(job: StoredJob) -> dict[str, Any]:
    request = job.request
    return {
        "id": job.id,
        "status": job.status,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "attempts": job.attempts,
        "date": str(request.get("date", "")),
        "method": str(request.get("method", "")),
        "identifiers": [str(p.get("identifier", "")) for p in request.get("positions", [])][:50],
        "error": None if job.error is None else JobError(**job.error),
        "links": JobLinks(status=f"/v1/hedges/{job.id}", basket=f"/v1/hedges/{job.id}/basket.csv"),
    }


def _not_found(job_id: str) -> HTTPException:
    return HTTPException(
        404, f"no hedge {job_id[:64]!r} for this API key; list yours with GET /v1/hedges"
    )


def _json(payload: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def install_routes(app: FastAPI) -> None:
    @app.get("/v1/health", response_model=HealthOut, tags=["service"])
    def health(state: State) -> Response:
        """Liveness and load; no API key needed. 503 when degraded (no worker or no data).

        Nothing here names a file or folder of the server: without a key, ``data`` says only
        whether market data is loaded; the server log has the reason when it is not.
        """
        try:
            state.market.get()
            data = "ok"
        except HedgekitError as exc:
            logger.debug("health: no market data: %s", exc)
            data = f"no market data loaded ({type(exc).__name__}); the server log has the reason"
        counts = state.runner.counts()
        alive = state.runner.alive
        ok = data == "ok" and alive == state.settings.workers
        out = HealthOut(
            status="ok" if ok else "degraded",
            version=hedgekit.__version__,
            workers_alive=alive,
            queued=counts["queued"],
            running=counts["running"],
            queue_capacity=state.settings.queue_size,
            data=data,
        )
        return _json(out.model_dump(), status_code=200 if ok else 503)

    @app.get(
        "/v1/market",
        response_model=MarketOut,
        tags=["service"],
        responses=error_responses(401, 429, 503),
    )
    def market_info(state: State, key: Caller) -> MarketOut:
        """What the market data holds: dates, indices, sectors, synthetic or real."""
        market = state.market.get()
        sectors = market.securities["gics_sector"].dropna().astype(str).unique()
        return MarketOut(
            synthetic=bool(market.is_synthetic),
            start=f"{market.start:%Y-%m-%d}",
            end=f"{market.end:%Y-%m-%d}",
            tickers=len(market.tickers),
            indices=sorted(market.indices),
            sectors=sorted(sectors),
            version=state.market.store.version,
        )

    @app.post(
        "/v1/hedges",
        status_code=202,
        response_model=HedgeJob,
        tags=["hedges"],
        responses=error_responses(401, 413, 422, 429, 503),
    )
    def submit_hedge(body: HedgeRequest, state: State, key: Caller) -> Response:
        """Queue a performance hedge; poll the returned status URL until done or failed.

        Tickers, the date and the universe are checked against the data before the job is
        accepted (422 otherwise); problems only the full computation finds (too little
        history, infeasible constraints) make the job ``failed`` with the same message.
        """
        market = state.market.get()
        preflight(body.to_parameters(), market)
        job = state.runner.submit(key.id, body)
        out = HedgeJob(**_summary(job), request=job.request)
        location = f"/v1/hedges/{job.id}"
        return _json(out.model_dump(mode="json"), status_code=202, headers={"Location": location})

    @app.get(
        "/v1/hedges",
        response_model=HedgeList,
        tags=["hedges"],
        responses=error_responses(401, 422, 429),
    )
    def list_hedges(
        state: State,
        key: Caller,
        limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
        cursor: Annotated[
            str | None,
            Query(
                pattern=_CURSOR,
                description="next_cursor of the previous page (``s<n>``: the jobs before n).",
            ),
        ] = None,
    ) -> HedgeList:
        """This key's hedges, newest first, ``limit`` per page."""
        before = int(cursor[1:]) if cursor is not None else None
        jobs = state.runner.page(key.id, limit + 1, before)
        page = jobs[:limit]
        more = len(jobs) > limit
        return HedgeList(
            items=[HedgeSummary(**_summary(j)) for j in page],
            next_cursor=_encode_cursor(page[-1].seq) if more and page else None,
        )

    @app.get(
        "/v1/hedges/{hedge_id}",
        response_model=HedgeJob,
        tags=["hedges"],
        responses=error_responses(401, 404, 429),
    )
    def get_hedge(hedge_id: str, state: State, key: Caller) -> Response:
        """Status of a hedge; when done, the result (constituents, statistics, backtest)."""
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        payload = HedgeJob(**_summary(job), request=job.request).model_dump(mode="json")
        if job.status == "done":
            raw = state.runner.result(key.id, hedge_id)
            if raw is None:  # deleted between the two reads
                raise _not_found(hedge_id)
            payload["result"] = json.loads(raw)
        return _json(payload)

    @app.delete(
        "/v1/hedges/{hedge_id}",
        status_code=204,
        tags=["hedges"],
        responses=error_responses(401, 404, 429),
    )
    def delete_hedge(hedge_id: str, state: State, key: Caller) -> Response:
        """Delete a hedge and its result; a queued one never runs, a running one is stopped."""
        if not state.runner.delete(key.id, hedge_id):
            raise _not_found(hedge_id)
        return Response(status_code=204)

    @app.get(
        "/v1/hedges/{hedge_id}/basket.csv",
        tags=["hedges"],
        response_class=Response,
        responses={
            200: {"content": {"text/csv": {}}, "description": "The short basket as CSV."},
            **error_responses(401, 404, 409, 429),
        },
    )
    def get_basket(hedge_id: str, state: State, key: Caller) -> Response:
        """The basket (identifier, side, shares, price, notional, weight_pct) as CSV."""
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        csv = state.runner.result(key.id, hedge_id, "basket_csv") if job.status == "done" else None
        if csv is None:
            if job.status == "done":
                raise _not_found(hedge_id)
            raise HTTPException(
                409,
                f"hedge {hedge_id} is {job.status}; the basket exists once it is done "
                f"(poll GET /v1/hedges/{hedge_id})",
            )
        return Response(
            csv,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="hedge-{hedge_id}.csv"'},
        )

    def _monitor(hedge_id: str, state: Any, key: Any, date: dt.date | None) -> Any:
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        raw = state.runner.result(key.id, hedge_id) if job.status == "done" else None
        if raw is None:
            if job.status == "done":
                raise _not_found(hedge_id)
            raise HTTPException(
                409,
                f"hedge {hedge_id} is {job.status}; it can be monitored once it is done "
                f"(poll GET /v1/hedges/{hedge_id})",
            )
        market = state.market.get()
        result = json.loads(raw)
        when = date if date is not None else market.end.date()
        _check_query_date(when)
        if when <= dt.date.fromisoformat(result["date"]):
            raise HTTPException(
                422,
                f"query parameter date {when} must be after the hedge date {result['date']}",
            )
        if not state.peers_gate.acquire(timeout=60):  # bounds synchronous heavy work
            raise HTTPException(503, "the service is busy; retry in a minute")
        try:
            return monitor_stored(result, market, when.isoformat())
        finally:
            state.peers_gate.release()

    @app.get(
        "/v1/hedges/{hedge_id}/monitor",
        response_model=MonitorOut,
        tags=["hedges"],
        responses=error_responses(401, 404, 409, 422, 429, 503),
    )
    def get_monitor(
        hedge_id: str,
        state: State,
        key: Caller,
        date: MonitorDate = None,
    ) -> Response:
        """How a done hedge has tracked since its date, held with fixed shares: realised vs
        predicted tracking error, drift, names gone, a rebalance verdict and its trades."""
        mon = _monitor(hedge_id, state, key, date)
        out = MonitorOut(hedge_id=hedge_id, **mon.to_dict())
        return _json(out.model_dump(mode="json"))

    @app.get(
        "/v1/hedges/{hedge_id}/monitor.png",
        tags=["hedges"],
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}}, "description": "Hedged return and band."},
            **error_responses(401, 404, 409, 422, 429, 503),
        },
    )
    def get_monitor_png(
        hedge_id: str,
        state: State,
        key: Caller,
        date: MonitorDate = None,
    ) -> Response:
        """The monitor's picture: cumulative hedged return since inception against the
        predicted 1- and 2-sigma band."""
        import tempfile

        mon = _monitor(hedge_id, state, key, date)
        with tempfile.TemporaryDirectory() as tmp:
            png = mon.plot(Path(tmp) / "monitor.png").read_bytes()
        return Response(png, media_type="image/png")

    @app.get(
        "/v1/peers/{ticker}",
        response_model=PeersOut,
        tags=["peers"],
        responses=error_responses(401, 404, 422, 429, 503),
    )
    def get_peers(
        state: State,
        key: Caller,
        ticker: Annotated[str, PathParam(min_length=1, max_length=64)],
        date: Annotated[
            dt.date | None,
            Query(
                description="As-of date, 1900..2200 (default: the data's last day).",
                json_schema_extra=_DATE_RANGE,
            ),
        ] = None,
        k: Annotated[int, Query(ge=1, le=100, description="Number of peers.")] = 10,
        embedder: Annotated[
            Literal["auto", "minilm", "tfidf"],
            Query(description="'auto': MiniLM when installed, else TF-IDF."),
        ] = "auto",
    ) -> PeersOut:
        """Companies whose business descriptions are closest to the ticker's (semantic peers)."""
        from hedgekit.text import semantic_peers  # a missing nlp extra is a 503 (error_status)

        market = state.market.get()
        when = date if date is not None else market.end.date()
        _check_query_date(when)
        if not state.peers_gate.acquire(timeout=60):
            raise HTTPException(503, "the peers engine is busy; retry in a minute")
        try:
            frame = semantic_peers(market, ticker, when.isoformat(), k=k, embedder=embedder)
        except UnknownIdentifierError as exc:
            raise HTTPException(404, str(exc)) from None
        finally:
            state.peers_gate.release()
        return _peers_out(frame)


def monitor_stored(result: dict[str, Any], market: Any, as_of: str) -> Any:
    """Monitor a stored hedge from its JSON result: read as the basket file
    ``to_basket_json`` writes (positions, the portfolio, the fit, the parameters)."""
    from hedgekit.hedge import monitor_basket

    fit = result["statistics"].get("in_sample.Hedge", {})
    basket = {
        "date": result["date"],
        "positions": result["constituents"],
        "portfolio": [
            {"identifier": r["ticker"], "quantity": r["quantity"]} for r in result["portfolio"]
        ],
        "fit": {
            "tracking_error": fit.get("tracking_error"),
            "correlation": fit.get("correlation_with_portfolio"),
        },
        "parameters": result["parameters"],
    }
    return monitor_basket(basket, as_of, market)


def _peers_out(frame: Any) -> PeersOut:
    """The DataFrame of ``semantic_peers`` as the response model."""

    import pandas as pd

    def clean(value: Any) -> Any:
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            return None
        if hasattr(value, "strftime"):
            return f"{value:%Y-%m-%d}"
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    peers = []
    for ticker, row in frame.iterrows():
        record = {c: clean(row[c]) for c in frame.columns if c in Peer.model_fields}
        record = {k: v for k, v in record.items() if v is not None or k == "similarity"}
        for text_col in ("name", "gics_sector", "gics_sub_industry", "source"):
            if text_col in record:
                record[text_col] = str(record[text_col])
        record["look_ahead"] = bool(record.get("look_ahead", False))
        peers.append(Peer(ticker=str(ticker), **record))
    attrs = frame.attrs
    as_of = attrs.get("as_of")
    return PeersOut(
        ticker=str(attrs.get("ticker", "")),
        as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "",
        embedder=str(attrs.get("embedder", "")),
        look_ahead=bool(attrs.get("look_ahead", False)),
        universe_size=int(attrs.get("universe_size", len(peers))),
        peers=peers,
    )
