"""Read a saved hedge basket back: the JSON of ``to_basket_json`` or the CSV of
``to_basket_csv`` (also a stored result's constituents), each row's side kept.

A row's ``side`` is ``SELL_SHORT`` (or ``short``) for a name sold short and ``BUY`` (or
``long``) for a name bought; a row without one is sold short (the files written before
hedges could buy names).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit._errors import ConfigurationError

__all__ = ["basket_positions", "basket_shares", "load_basket", "row_sign", "signed_rows"]

#: the ``side`` values of a bought name (the basket file's and the result's)
BOUGHT = frozenset({"BUY", "LONG"})
#: the ``side`` values of a name sold short
SOLD = frozenset({"SELL_SHORT", "SHORT", "SELL"})


def load_basket(basket: str | Path | Mapping[str, Any]) -> tuple[Any, str]:
    """A basket JSON's parsed content (or the mapping given) and how to name it."""
    if isinstance(basket, Mapping):
        return basket, "the basket"
    path = Path(basket)
    try:
        return json.loads(path.read_text()), str(path)
    except FileNotFoundError:
        raise ConfigurationError(f"{path} does not exist; pass a --basket-json file") from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a readable JSON file ({exc})") from None


def row_sign(row: Mapping[str, Any], where: str) -> float:
    """``-1.0`` for a row sold short, ``1.0`` for a row bought.

    Raises
    ------
    ConfigurationError
        A ``side`` that is neither.
    """
    side = row.get("side")
    if side is None or (isinstance(side, float) and side != side):  # no column, or NaN
        return -1.0
    label = str(side).strip().upper()
    if label in BOUGHT:
        return 1.0
    if label in SOLD:
        return -1.0
    raise ConfigurationError(
        f"{where}: {row.get('identifier')!r} has side {side!r}; use BUY or SELL_SHORT"
    )


def signed_rows(rows: Any, where: str) -> dict[str, float]:
    """Identifier -> signed shares of basket rows: negative sold short, positive bought.

    Raises
    ------
    ConfigurationError
        No rows, a row without identifier and shares, or an unknown side.
    """
    out: dict[str, float] = {}
    try:
        for row in rows or ():
            t, q = str(row["identifier"]), abs(float(row["shares"]))
            out[t] = out.get(t, 0.0) + row_sign(row, where) * q
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"{where}: a row lacks an identifier and shares ({exc}); write the basket with "
            "`hedgekit hedge ... --basket-json FILE` (or --csv)"
        ) from None
    if not out:
        raise ConfigurationError(
            f"{where} holds no basket rows (identifier, shares); write one with "
            "`hedgekit hedge ... --basket-json FILE` (or --csv)"
        )
    return out


def _rows(basket: str | Path | Mapping[str, Any]) -> tuple[Any, str]:
    """The rows of a basket CSV or JSON and how to name it."""
    if not isinstance(basket, Mapping) and Path(basket).suffix.lower() == ".csv":
        path = Path(basket)
        try:
            frame = pd.read_csv(path)
        except FileNotFoundError:
            raise ConfigurationError(f"{path} does not exist; pass a basket CSV file") from None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{path} is not a readable CSV file ({exc})") from None
        return frame.to_dict("records"), str(path)
    payload, where = load_basket(basket)
    return (payload.get("positions") if isinstance(payload, Mapping) else None), where


def basket_positions(basket: str | Path | Mapping[str, Any]) -> dict[str, float]:
    """The hedge of a saved basket as a position, per identifier: names sold short
    (``SELL_SHORT``) negative, names bought (``BUY``) positive, as
    ``PerformanceHedgeResult.to_position_set``. A JSON file of ``to_basket_json`` (its
    ``positions``), a CSV of ``to_basket_csv`` or the JSON's parsed content: the current
    hedge of a rebalance (``hedgekit hedge ... --current-hedge FILE``) of any book.

    Raises
    ------
    ConfigurationError
        The file is missing, unreadable, has no identifier and shares per row or an
        unknown side.
    """
    rows, where = _rows(basket)
    return signed_rows(rows, where)


def basket_shares(basket: str | Path | Mapping[str, Any]) -> dict[str, float]:
    """Shares sold short per identifier of a saved short basket, as positive numbers (see
    :func:`basket_positions`, which reads any basket with its sides).

    Raises
    ------
    ConfigurationError
        As :func:`basket_positions`, and a basket that buys names (use
        :func:`basket_positions`).
    """
    rows, where = _rows(basket)
    signed = signed_rows(rows, where)
    bought = [t for t, q in signed.items() if q > 0]
    if bought:
        raise ConfigurationError(
            f"{where} buys {', '.join(bought[:5])}: basket_shares reads short baskets; read "
            "it with basket_positions (names bought positive, sold short negative)"
        )
    return {t: -q for t, q in signed.items()}
