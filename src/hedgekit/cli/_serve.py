"""``hedgekit serve`` and ``hedgekit keys ...``: run the hedging service, manage its API keys.

Registered on the main Typer app by :mod:`hedgekit.cli._app`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hedgekit._errors import ConfigurationError
from hedgekit._optional import import_optional
from hedgekit.cli._common import HomeOption, _print_json, console, err_console

if TYPE_CHECKING:
    from hedgekit.server import KeyStore

__all__ = ["keys_app", "serve"]

keys_app = typer.Typer(help="Create, list and revoke the service's API keys.", no_args_is_help=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Service database (default: $HEDGEKIT_SERVER_DB or <data home>/server/hedgekit.db).",
    ),
]
_SERVICE = "the hedging service"
#: uvicorn's log levels, quietest last
_LOG_LEVELS = ("trace", "debug", "info", "warning", "error", "critical")
_MAX_PORT = 65535


def _key_store(home: Path | None, db: Path | None, *, create: bool = False) -> KeyStore:
    """The key store; only ``keys create`` may create the database (a typo must not)."""
    import_optional("fastapi", extra="server", purpose=_SERVICE)  # hedgekit.server needs it
    from hedgekit.server import Database, KeyStore, default_db_path

    path = db if db is not None else default_db_path(home)
    return KeyStore(Database(path, create=create))


# --------------------------------------------------------------------------- serve
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    home: HomeOption = None,
    db: DbOption = None,
    workers: Annotated[int, typer.Option(help="Hedge worker threads (jobs computed at once).")] = 1,
    queue_size: Annotated[
        int, typer.Option("--queue-size", help="Most jobs waiting; beyond it 503.")
    ] = 100,
    rate: Annotated[
        float, typer.Option(help="Per-key requests per second (token bucket refill).")
    ] = 10.0,
    burst: Annotated[int, typer.Option(help="Per-key burst (token bucket size).")] = 60,
    max_body: Annotated[
        int, typer.Option("--max-body", help="Largest request body, bytes; beyond it 413.")
    ] = 1_048_576,
    max_attempts: Annotated[
        int,
        typer.Option("--max-attempts", help="Starts per job before a crash marks it failed."),
    ] = 2,
    max_queued_per_key: Annotated[
        int,
        typer.Option(
            "--max-queued-per-key", help="Most jobs one key may have waiting; beyond it 429."
        ),
    ] = 25,
    max_running_per_key: Annotated[
        int | None,
        typer.Option(
            "--max-running-per-key",
            help="Most jobs of one key computed at once [default: workers - 1, at least 1].",
            show_default=False,
        ),
    ] = None,
    retain_days: Annotated[
        float,
        typer.Option(
            "--retain-days", help="Delete finished hedges this many days old (0: keep forever)."
        ),
    ] = 30.0,
    max_stored_per_key: Annotated[
        int,
        typer.Option(
            "--max-stored-per-key",
            help="Keep at most this many finished hedges per key, newest first (0: no limit).",
        ),
    ] = 1000,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Allow this browser origin (repeatable); none by default."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(help="Import the embedded synthetic demo market if the data home is empty."),
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Run the hedging service (REST API, web page at /, OpenAPI docs at /docs).

    One server per database: jobs left running by a crash are re-queued on the next start
    (or failed after --max-attempts starts). Create an API key first with
    `hedgekit keys create NAME`.
    """
    if not 1 <= port <= _MAX_PORT:
        raise ConfigurationError(
            f"--port {port} is not a TCP port; use 1-{_MAX_PORT} (e.g. --port 8000)"
        )
    if log_level.strip().lower() not in _LOG_LEVELS:
        raise ConfigurationError(
            f"--log-level {log_level!r} is not a log level; use one of {', '.join(_LOG_LEVELS)}"
        )
    log_level = log_level.strip().lower()
    import_optional("fastapi", extra="server", purpose=_SERVICE)
    uvicorn = import_optional("uvicorn", extra="server", purpose=_SERVICE)
    from hedgekit.data import Store
    from hedgekit.server import Database, ServerSettings, create_app

    store = Store(home)
    if not store.exists():
        if not demo:
            raise ConfigurationError(
                f"no market data at {store.home}; import some (`hedgekit data import DIR`), "
                "or pass --demo to serve the embedded synthetic demo market"
            )
        from hedgekit.data import ensure_demo_store

        ensure_demo_store(store)
        err_console.print(f"[dim]imported the embedded demo market into {store.home}[/dim]")
    settings = ServerSettings(
        data_home=store.home,
        db_path=db,
        workers=workers,
        queue_size=queue_size,
        max_attempts=max_attempts,
        max_queued_per_key=max_queued_per_key,
        max_running_per_key=max_running_per_key,
        retain_days=retain_days,
        max_stored_per_key=max_stored_per_key,
        rate_per_second=rate,
        rate_burst=burst,
        max_body_bytes=max_body,
        cors_origins=tuple(cors_origin or ()),
    )
    # one server per database: a second one stops here with the library's message, not
    # inside uvicorn's startup (where it would come wrapped in a traceback)
    probe = Database(settings.database)
    probe.acquire()
    probe.release()
    application = create_app(settings)
    settings_db = settings.database
    level = "DEBUG" if log_level.lower() == "trace" else log_level.upper()
    logging.getLogger("hedgekit").setLevel(level)
    err_console.print(
        f"hedgekit server on http://{host}:{port} (database {settings_db}, data {store.home})",
        highlight=False,
    )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
    )


# --------------------------------------------------------------------------- keys
@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. alice or risk-desk.")],
    home: HomeOption = None,
    db: DbOption = None,
) -> None:
    """Create an API key and print it once: it is stored hashed and cannot be shown again."""
    keys = _key_store(home, db, create=True)
    secret = keys.create(name)
    err_console.print(
        f"created key [bold]{name}[/bold] in {keys.db.path}; copy it now, it is not shown again:",
        highlight=False,
    )
    typer.echo(secret)


@keys_app.command("list")
def keys_list(
    home: HomeOption = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the keys (name, first characters, dates, hedges owned); never the keys."""
    keys = _key_store(home, db).list_keys()
    if as_json:
        _print_json(
            [
                {
                    "name": k.name,
                    "prefix": k.prefix,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                    "hedges": k.hedges,
                }
                for k in keys
            ]
        )
        return
    if not keys:
        console.print("no keys yet; create one with `hedgekit keys create NAME`")
        return
    table = Table(title="API keys")
    for col in ("name", "key starts", "created (UTC)", "status", "hedges"):
        table.add_column(col)
    for k in keys:
        status = "active" if k.active else f"revoked {k.revoked_at}"
        table.add_row(k.name, k.prefix + "…", k.created_at, status, str(k.hedges))
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="Name of the key to revoke.")],
    home: HomeOption = None,
    db: DbOption = None,
) -> None:
    """Revoke a key: refused from the next request on; its queued and running hedges are
    cancelled (its finished ones stay, unreachable, until the retention deletes them)."""
    key = _key_store(home, db).revoke(name)
    console.print(
        f"revoked key {key.name} ({key.prefix}…) at {key.revoked_at}; "
        f"{key.cancelled} queued or running hedge(s) cancelled",
        highlight=False,
    )
