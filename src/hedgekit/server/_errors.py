"""Error bodies: pydantic's validation errors as messages that name the field and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from hedgekit.server._schemas import (
    ConstraintIn,
    ConstraintsIn,
    ErrorBody,
    ErrorItem,
    ExclusionsIn,
    HedgeParametersIn,
    HedgeRequest,
    PositionIn,
)

__all__ = ["validation_error_body"]

#: the model at each path of a HedgeRequest body ('*' is any list index or key)
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): HedgeRequest,
    ("positions", "*"): PositionIn,
    ("exclusions",): ExclusionsIn,
    ("constraints",): ConstraintsIn,
    ("constraints", "*", "*"): ConstraintIn,
    ("parameters",): HedgeParametersIn,
}
_SOURCES = {"body": "", "query": "query parameter ", "path": "path parameter ", "header": ""}
_MAX_SHOWN = 60


def _field(loc: Sequence[Any]) -> tuple[str, str]:
    """(where, dotted field) of a pydantic location such as ('body', 'positions', 0, 'weight')."""
    parts = list(loc)
    where = str(parts.pop(0)) if parts and parts[0] in _SOURCES else "body"
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return where, text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _known_fields(loc: Sequence[Any]) -> list[str]:
    """Field names of the model at ``loc`` inside a HedgeRequest body."""
    key = tuple(
        "*" if isinstance(p, int) or (i == 1 and loc[0] == "constraints") else str(p)
        for i, p in enumerate(loc)
    )
    model = _MODELS.get(key)
    return list(model.model_fields) if model is not None else []


def _message(error: dict[str, Any]) -> ErrorItem:
    loc = tuple(error.get("loc", ()))
    where, name = _field(loc)
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx") or {}
    body_path = loc[1:] if loc and loc[0] == "body" else loc
    label = f"{_SOURCES.get(where, '')}{name}" if name else ""
    if kind == "json_invalid":
        text = (
            f"the request body is not valid JSON ({ctx.get('error', 'decode error')}); check "
            "quotes, commas and brackets, and send Content-Type: application/json"
        )
        return ErrorItem(field=None, message=text)
    if kind == "missing" and not name:
        return ErrorItem(
            field=None,
            message="the request body is empty; send the hedge as a JSON object, e.g. "
            '{"positions": [{"identifier": "KSTD", "quantity": 100000}], "date": "2022-12-30"}',
        )
    if kind in ("model_attributes_type", "dict_type") and not name:
        return ErrorItem(
            field=None,
            message="the request body must be a JSON object with Content-Type: "
            'application/json, e.g. {"positions": [...], "date": "2022-12-30"}',
        )
    if kind == "missing":
        return ErrorItem(field=name, message=f"{label} is required; add it")
    if kind == "extra_forbidden":
        parent = body_path[:-1]
        known = _known_fields(parent) if where == "body" else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        else:
            hint = f"; known fields here: {', '.join(known)}" if known else ""
        return ErrorItem(
            field=name, message=f"{label} is not a known field: check the spelling{hint}"
        )
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
        return ErrorItem(field=name or None, message=f"{label}: {msg}" if label else msg)
    got = f" (got {_shown(error['input'])})" if "input" in error else ""
    text = f"{label}: {msg[:1].lower()}{msg[1:]}{got}" if label else f"{msg}{got}"
    return ErrorItem(field=name or None, message=text)


def validation_error_body(errors: Sequence[dict[str, Any]]) -> ErrorBody:
    """The 422 body of pydantic/FastAPI validation errors.

    ``detail`` joins the first three messages; ``errors`` lists them all with their field.
    """
    items = [_message(dict(e)) for e in errors]
    detail = "; ".join(i.message for i in items[:3])
    if len(items) > 3:
        detail += f"; and {len(items) - 3} more (see errors)"
    return ErrorBody(detail=detail or "invalid request", type="validation_error", errors=items)
