"""The ``hedgekit`` command line: argument parsing and rendering only, no maths."""

from __future__ import annotations

from hedgekit.cli._app import app, main

__all__ = ["app", "main"]
