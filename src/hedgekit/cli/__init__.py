"""The ``hedgekit`` command line: argument parsing and rendering only, no maths."""

from __future__ import annotations

from hedgekit.cli import _hedge as _hedge  # registers `hedge` on the app
from hedgekit.cli import _serve as _serve  # registers `serve` and `keys` on the app
from hedgekit.cli._app import app, main

__all__ = ["app", "main"]
