"""What every command shares: the consoles, the ``--home`` / ``--json`` options, the store."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from hedgekit._errors import ConfigurationError

__all__ = [
    "HomeOption",
    "JsonOption",
    "check_date",
    "check_folder",
    "check_output",
    "console",
    "err_console",
    "progress_bars",
    "user_warnings",
]

console = Console()
err_console = Console(stderr=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data home (default: $HEDGEKIT_DATA or the user data dir)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _store(home: Path | None):
    from hedgekit.data import Store

    return Store(home)


def _market(home: Path | None):
    from hedgekit.data import MarketData

    return MarketData(_store(home))


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def check_date(value: str | None, option: str):
    """``value`` of a date option as a Timestamp (None stays None); ConfigurationError
    naming the option otherwise. Run before the command's work."""
    if value is None:
        return None
    from hedgekit.typing import to_timestamp

    try:
        return to_timestamp(value, option)
    except ConfigurationError:
        raise ConfigurationError(
            f"{option} {value!r} is not a date; write e.g. 2022-12-30"
        ) from None


def check_output(
    path: Path | None, option: str, suffixes: Sequence[str] | None, *, stem: str = "basket"
) -> None:
    """Raise ConfigurationError unless ``path`` can be written as one of ``suffixes``
    (any name when ``suffixes`` is None).

    Run before the command's work, so a typo in an output path costs nothing.
    """
    if path is None:
        return
    shown = str(path)
    if path.is_dir():
        example = path / f"{stem}{suffixes[0] if suffixes else '.json'}"
        raise ConfigurationError(f"{option} {shown} is a folder; give a file name, e.g. {example}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        got = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ConfigurationError(
            f"{option} {shown}: {got} is not a format it writes; use {' or '.join(suffixes)}"
        )
    folder = path.parent
    if not folder.exists():
        raise ConfigurationError(
            f"{option} {shown}: folder {folder} does not exist; create it or choose another path"
        )
    if not folder.is_dir():
        raise ConfigurationError(f"{option} {shown}: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise ConfigurationError(
            f"{option} {shown}: cannot write in {folder}; choose a folder you own"
        )


def check_folder(path: Path | None, option: str, what: str) -> None:
    """Raise ConfigurationError unless ``path`` is a folder (existing or to create) the
    command can write ``what`` into; run before the command's work."""
    if path is None:
        return
    shown = str(path)
    if path.exists() and not path.is_dir():
        raise ConfigurationError(
            f"{option} {shown} is a file; give a folder to write {what} into, "
            f"e.g. {option} {path.with_suffix('')}-run"
        )
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigurationError(f"{option} {shown}: {existing} is a file, not a folder")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"{option} {shown}: cannot write in {existing}; choose a folder you own"
        )


@contextmanager
def user_warnings() -> Iterator[None]:
    """Show the library's ``UserWarning``s raised inside the block as one clean line each
    (``warning: <message>`` on stderr, once per message), not Python's two-line form with a
    source path; other warnings go on to Python's usual display."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    shown: set[str] = set()
    for w in caught:
        if not issubclass(w.category, UserWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            continue
        text = str(w.message)
        if text not in shown:
            shown.add(text)
            err_console.print(
                f"[yellow]warning:[/yellow] {escape(text)}", highlight=False, soft_wrap=True
            )


@contextmanager
def progress_bars(what: str = "working") -> Iterator[None]:
    """Show the library's progress reports inside the block as rich bars on stderr, one per
    stage, when stderr is a terminal; elsewhere (a pipe, a log, ``--json``) one spinner line
    ``what`` at most and no bars. Without reports the block shows the spinner only."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hedgekit._progress import progress_to

    if not err_console.is_terminal:
        yield
        return
    bars = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars, progress_to(update):
        spinner = bars.add_task(what, total=None)
        yield
        bars.remove_task(spinner)
