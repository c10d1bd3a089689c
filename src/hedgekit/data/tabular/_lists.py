"""The entry point :func:`import_list`: the user lists a hedge respects, by their usual headers.

Hard-to-borrow names, restricted names, scores and corporate actions, each read with the
headers vendors and spreadsheets usually give them, then imported as :func:`import_table`
does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._identifiers import normalize_identifier
from hedgekit.data._schema import TABLES
from hedgekit.data._store import Store
from hedgekit.data.tabular._checks import _validate
from hedgekit.data.tabular._columns import _MISSING_MARKERS, _melt, _norm, _Prepared
from hedgekit.data.tabular._read import _CSV_SUFFIXES, read_table_file
from hedgekit.data.tabular._table import _choice
from hedgekit.data.tabular._write import _DERIVED_PREFIX, ImportMode, _write

__all__ = ["LIST_KINDS", "import_list"]

#: The user lists :func:`import_list` reads.
LIST_KINDS: tuple[str, ...] = ("corporate_actions", "hard_to_borrow", "restricted", "scores")

_TICKER_LIKE = re.compile(r"[A-Z0-9][A-Z0-9.\-/]{0,11}")

_ID_ALIASES = (
    "ticker",
    "tickers",
    "symbol",
    "symbols",
    "security",
    "identifier",
    "id",
    "ric",
    "bloomberg_ticker",
    "bbg_ticker",
)
_START_ALIASES = ("start_date", "start", "from", "valid_from", "since")
_END_ALIASES = ("end_date", "end", "to", "until", "valid_to")
#: per list kind: store column -> accepted headers, normalised (the first found wins)
_LIST_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hard_to_borrow": {
        "ticker": _ID_ALIASES,
        "start_date": _START_ALIASES,
        "end_date": _END_ALIASES,
        "borrow_cost_bps": (
            "borrow_cost_bps",
            "borrow_bps",
            "fee_bps",
            "borrow_fee_bps",
            "cost_bps",
            "rate_bps",
        ),
    },
    "restricted": {
        "ticker": _ID_ALIASES,
        "start_date": _START_ALIASES,
        "end_date": _END_ALIASES,
        "reason": ("reason", "comment", "comments", "note", "notes"),
    },
    "scores": {
        "ticker": _ID_ALIASES,
        "date": ("date", "as_of", "asof", "as_of_date"),
        "score": ("score", "score_name"),
        "value": ("value", "score_value"),
    },
    "corporate_actions": {
        "ticker": _ID_ALIASES,
        "action_type": ("action_type", "type", "action", "event", "event_type"),
        "effective_date": ("effective_date", "effective", "ex_date", "exdate", "date"),
        "announce_date": ("announce_date", "announcement_date", "announced", "announcement"),
        "ratio": ("ratio",),
        "details": ("details", "description", "comment", "comments", "note", "notes"),
    },
}
_ACTION_SYNONYMS = {"spinoff": "spin_off"}


def _list_columns(raw: pd.DataFrame, kind: str) -> dict[str, str]:
    """Store column -> file column, by the aliases of ``kind`` (first match wins)."""
    by_norm: dict[str, str] = {}
    for col in raw.columns:
        by_norm.setdefault(_norm(col), col)
    found: dict[str, str] = {}
    used: set[str] = set()
    for dst, names in _LIST_ALIASES[kind].items():
        for name in names:
            hit = by_norm.get(name)
            if hit is not None and hit not in used:
                found[dst] = hit
                used.add(hit)
                break
    return found


def _looks_like_identifier(text: str) -> bool:
    """Whether a lone header is rather the first ticker of a header-less list.

    Yes for upper-case ticker-like text (``AAPL``, ``BRK.B``) and vendor codes
    (``AAPL UW Equity``); no for words (``Name``, ``Restricted names``).
    """
    text = " ".join(text.split())
    if not text:
        return False
    candidate = normalize_identifier(text)[0]
    vendor_code = candidate != text.upper()
    return (vendor_code or text == text.upper()) and bool(_TICKER_LIKE.fullmatch(candidate))


def _read_list(path: Path, kind: str, source: str, report: ImportReport) -> pd.DataFrame:
    """Read a list; a one-column file of tickers may come without a header."""
    raw = read_table_file(path, source)
    if kind not in ("hard_to_borrow", "restricted") or len(raw.columns) != 1:
        return raw
    (only,) = raw.columns
    if _list_columns(raw, kind):
        return raw
    if path.suffix.lower() in _CSV_SUFFIXES and _looks_like_identifier(only):
        frame = pd.concat([pd.DataFrame({"ticker": [only]}), pd.DataFrame({"ticker": raw[only]})])
        report.warnings.append(
            f"read {source} as a list of {len(frame)} tickers without a header "
            f"(first line {only!r} is a ticker)"
        )
        return frame.reset_index(drop=True)
    report.warnings.append(f"read the only column {only!r} as tickers")
    return raw.rename(columns={only: "ticker"})


def _scores_frame(raw: pd.DataFrame, source: str, report: ImportReport) -> _Prepared:
    """Scores, long (ticker, date, score, value) or wide (ticker, date, esg, ...)."""
    found = _list_columns(raw, "scores")
    if "score" in found and "value" in found:
        frame = pd.DataFrame({dst: raw[src] for dst, src in found.items()})
        frame["score"] = frame["score"].map(
            lambda v: _norm(v) if isinstance(v, str) and v.strip() else None
        )
        return _Prepared(frame, np.arange(1, len(raw) + 1), found)
    missing = [c for c in ("ticker", "date") if c not in found]
    if missing:
        raise MalformedDataError(
            source,
            f"a scores file needs {missing} column(s) (ticker, date, then one column per "
            f"score, or ticker, date, score, value); the file has {list(raw.columns)}",
        )
    ids = {"ticker": found["ticker"], "date": found["date"]}
    score_cols: list[str] = []
    names: list[str] = []
    ignored: list[str] = []
    for col in raw.columns:
        if col in ids.values():
            continue
        values = raw[col]
        if not pd.api.types.is_numeric_dtype(values):
            text = values.astype("string").str.strip().str.replace(",", "", regex=False)
            text = text.mask(text.isin(["", *_MISSING_MARKERS, "#N/A", "N/A"]))
            if not pd.to_numeric(text, errors="coerce").notna().any():
                ignored.append(col)
                continue
        name = _norm(col)
        if name in names:
            raise MalformedDataError(
                source, f"columns {score_cols[names.index(name)]!r} and {col!r} both name "
                f"score {name!r}; keep one",
            )  # fmt: skip
        score_cols.append(col)
        names.append(name)
    if ignored:
        report.warnings.append(
            f"ignored column(s) without numbers (not scores): {', '.join(map(repr, ignored))}"
        )
    if not score_cols:
        raise MalformedDataError(
            source, f"no numeric score column besides ticker and date; found {list(raw.columns)}"
        )
    return _melt(raw, ids, score_cols, "score", names, "value")


def _action_type(value: object) -> object:
    if not isinstance(value, str):
        return value
    snake = _norm(value)
    return _ACTION_SYNONYMS.get(snake, snake)


def import_list(
    path: str | Path,
    kind: str,
    store: Store | None = None,
    mode: ImportMode | str = ImportMode.REPLACE,
    *,
    sheet_source: str | None = None,
) -> ImportReport:
    """Import a user list: hard-to-borrow names, restricted names, scores or corporate actions.

    A thin wrapper of :func:`import_table` that knows each list's usual headers
    (case, spaces and dashes do not matter):

    ==================  =================================================================
    kind                columns (store column: accepted headers)
    ==================  =================================================================
    hard_to_borrow      ticker (symbol, security, identifier); borrow_cost_bps (borrow_bps,
                        fee_bps, borrow_fee_bps, cost_bps, rate_bps); start_date (start,
                        from); end_date (end, to, until)
    restricted          ticker; start_date; end_date; reason (comment, note)
    scores              ticker, date (as_of) and one numeric column per score
                        (``ticker,date,esg,momentum``), or long ticker, date, score, value
    corporate_actions   ticker; action_type (type, action, event); effective_date
                        (effective, ex_date, date); announce_date (announced); ratio;
                        details (description)
    ==================  =================================================================

    A hard-to-borrow or restricted list may be a single column of tickers, with or
    without a header. Identifiers are normalised (``AAPL UW Equity`` -> ``AAPL``), score
    names and action types are put in lower snake case (``Spin-off`` -> ``spin_off``).

    Parameters
    ----------
    path : path-like
        CSV or Parquet file.
    kind : {'hard_to_borrow', 'restricted', 'scores', 'corporate_actions'}
        The list.
    store : Store, optional
        Target store; defaults to the data home.
    mode : {'replace', 'merge'}
        ``'replace'`` (default): the file is the new list. For scores only the scores
        the file names are replaced (an ESG file leaves other scores alone); for
        corporate actions the distributions hedgekit derived from prices are kept.
        ``'merge'``: upsert by key.
    sheet_source : str, optional
        Name of the data in messages, e.g. an uploaded file's original name.

    Returns
    -------
    ImportReport

    Raises
    ------
    ConfigurationError
        Unknown `kind` or `mode`.
    MalformedDataError
        As for :func:`import_table`; nothing is written.

    Examples
    --------
    >>> import_list("htb.csv", "hard_to_borrow", store)        # doctest: +SKIP
    >>> import_list("esg.csv", "scores", store)                # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if kind not in LIST_KINDS:
        raise ConfigurationError(f"unknown list kind {kind!r}; use one of {list(LIST_KINDS)}")
    mode = _choice(ImportMode, mode, "mode")
    spec = TABLES[kind]
    path = Path(path).expanduser()
    source = sheet_source or str(path)
    report = ImportReport(source=source)
    raw = _read_list(path, kind, source, report)
    if kind == "scores":
        prep = _scores_frame(raw, source, report)
    else:
        found = _list_columns(raw, kind)
        frame = pd.DataFrame({dst: raw[src] for dst, src in found.items()}, index=raw.index)
        prep = _Prepared(frame, np.arange(1, len(raw) + 1), found)
        ignored = [c for c in raw.columns if c not in found.values()]
        if ignored:
            report.warnings.append(f"ignored column(s): {', '.join(map(repr, ignored))}")
    if kind == "corporate_actions" and "action_type" in prep.frame.columns:
        prep.frame["action_type"] = prep.frame["action_type"].map(_action_type)
    accepted = {dst: ", ".join(names) for dst, names in _LIST_ALIASES[kind].items()}
    hint = "headers accepted: " + "; ".join(f"{k} ({v})" for k, v in accepted.items())
    clean, given = _validate(prep, raw, spec, source, report, hint=hint)

    keep: Callable[[pd.DataFrame, pd.DataFrame], pd.Series] | None = None
    if kind == "scores":

        def keep(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
            return ~old["score"].isin(set(new["score"]))

    elif kind == "corporate_actions":

        def keep(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
            details = old["details"].astype("string").str.startswith(_DERIVED_PREFIX)
            return details.fillna(False)

    _write(clean, given, spec, store, mode, source, report, keep=keep)
    report.seconds = time.perf_counter() - t0
    return report
