"""The ``hedgekit`` Typer application: every command group assembled, and :func:`main`.

Each command group lives in its own module (``_data``, ``_risk``, ``_text``, ``_backtest``,
``_demo``, ``_hedge``, ``_serve``); shared tables and reports in ``_render``. The modules
import nothing heavy at import time, so ``hedgekit --help`` stays fast.

User mistakes (any :class:`~hedgekit.HedgekitError`, and click's usage errors) print one
red line and exit with code 2; nothing else is caught.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import typer
from rich.markup import escape

from hedgekit._errors import HedgekitError
from hedgekit._optional import optional_module
from hedgekit.cli._backtest import backtest
from hedgekit.cli._common import console, err_console
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


def main() -> NoReturn:
    """Console entry point: run the app, turning user errors into one red line (exit 2).

    A usage error (an unknown option, a value of the wrong type, a missing argument) prints
    ``error: <click's message>; see `hedgekit COMMAND --help``` and any
    :class:`HedgekitError` (a user mistake) ``error: <message>``, both exit 2; anything
    else is a bug and keeps its traceback. A group run without a command prints its help.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False, prog_name="hedgekit")
    except HedgekitError as exc:
        _error(str(exc))
        raise SystemExit(2) from None
    except _abort_types():
        err_console.print("Aborted.")
        raise SystemExit(1) from None
    except _click_error_types() as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `hedgekit data`: the group's help
            help_text = ctx.get_help() if ctx is not None else ""  # rich prints it itself
            if help_text:
                console.print(help_text, markup=False, highlight=False)
        else:
            formatter = getattr(exc, "format_message", None)
            text = formatter() if callable(formatter) else str(exc)
            message = " ".join(str(text).split()).rstrip(".")  # one line
            where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
            _error(message + where)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
    # as click's standalone mode: always leave through SystemExit (typer.Exit's code, else 0)
    raise SystemExit(code if isinstance(code, int) else 0)


def _click_error_types() -> tuple[type[Exception], ...]:
    """Click's user-facing exceptions (usage errors, unreadable file arguments): the
    vendored click of typer >= 0.22 (``typer.exceptions.TyperException``) and click's own."""
    kinds: list[type[Exception]] = []
    typer_exceptions = optional_module("typer.exceptions")
    if typer_exceptions is not None and hasattr(typer_exceptions, "TyperException"):
        kinds.append(typer_exceptions.TyperException)
    click = optional_module("click")
    if click is not None:
        kinds.append(click.ClickException)
    return tuple(kinds)


def _abort_types() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [typer.Abort]
    click = optional_module("click")
    if click is not None:
        kinds.append(click.Abort)
    return tuple(kinds)


def _error(message: str) -> None:
    # escaped: rich would swallow the [plot] of `pip install 'hedgekit[plot]'` as markup
    err_console.print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
