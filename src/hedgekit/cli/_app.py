"""The ``hedgekit`` Typer application: every command group assembled, and :func:`main`.

Each command group lives in its own module (``_data``, ``_risk``, ``_text``, ``_backtest``,
``_demo``, ``_hedge``, ``_serve``); shared tables and reports in ``_render``. The modules
import nothing heavy at import time, so ``hedgekit --help`` stays fast.

User mistakes (any :class:`~hedgekit.HedgekitError`) print one red line and exit with
code 2; nothing else is caught.
"""

from __future__ import annotations

import logging

import typer
from rich.markup import escape

from hedgekit._errors import HedgekitError
from hedgekit.cli._backtest import backtest
from hedgekit.cli._common import err_console
from hedgekit.cli._data import data_app
from hedgekit.cli._demo import demo
from hedgekit.cli._hedge import hedge
from hedgekit.cli._monitor import monitor
from hedgekit.cli._risk import risk_app
from hedgekit.cli._serve import keys_app, serve
from hedgekit.cli._text import cluster, peers, text_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="hedgekit",
    help="Hedges for concentrated equity positions, on point-in-time data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# commands, then groups: the order `hedgekit --help` lists them in
app.command()(demo)
app.command()(peers)
app.command()(cluster)
app.command()(backtest)
app.command()(hedge)
app.command()(monitor)
app.command("serve")(serve)
app.add_typer(data_app, name="data")
app.add_typer(risk_app, name="risk")
app.add_typer(text_app, name="text")
app.add_typer(keys_app, name="keys")


def main() -> None:
    """Console entry point: run the app, turning user errors into one red line (exit 2).

    Usage errors are click's (exit 2 with usage help); any :class:`HedgekitError` is a user
    mistake and prints ``error: <message>``; anything else is a bug and keeps its traceback.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except HedgekitError as exc:
        # escaped: rich would swallow the [plot] of `pip install 'hedgekit[plot]'` as markup
        err_console.print(
            f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise SystemExit(2) from None
