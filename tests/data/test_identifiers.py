"""Identifier normalisation, point-in-time alias resolution, derived renames, share classes."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgekit import ConfigurationError, MalformedDataError, UnknownIdentifierError
from hedgekit.data._aliases import derive_aliases, load_known_ticker_changes, share_class_groups
from hedgekit.data._identifiers import BLOOMBERG_EXCHANGE_CODES, normalize_identifier
from hedgekit.data._resolver import IdentifierResolver

NaT = pd.NaT
T = pd.Timestamp


def alias_frame(*rows: tuple[str, str, str | None, str | None, str]) -> pd.DataFrame:
    """Alias table from (alias, ticker, start, end, source) tuples; None = open."""
    return pd.DataFrame(
        {
            "alias": [r[0] for r in rows],
            "ticker": [r[1] for r in rows],
            "start_date": pd.to_datetime([r[2] for r in rows]),
            "end_date": pd.to_datetime([r[3] for r in rows]),
            "source": [r[4] for r in rows],
        }
    )


STORE = [
    "AAPL", "APP", "MSFT", "META", "GS", "X", "BRK-A", "BRK-B", "BF-B", "GOOGL", "GOOG",
    "FOXA", "FOX", "ELV", "RVTY", "IR", "TT", "HCP", "PEAK", "ZZA", "ZZB", "QQA", "QQB",
    "ABC-N", "UN", "^GSPC",
]  # fmt: skip

ALIASES = alias_frame(
    ("FB", "META", None, "2022-06-09", "curated"),
    ("WLP", "ELV", None, "2014-12-03", "curated"),
    ("ANTM", "ELV", "2014-12-03", "2022-06-28", "curated"),
    ("IR", "TT", None, "2020-03-02", "curated"),  # IR was reused by another company
    ("HCP", "PEAK", None, "2019-11-05", "curated"),  # so was HCP
    ("PKI", "RVTY", None, "2023-05-16", "curated"),
    ("PKI", "RVTY", None, "2023-05-18", "derived:gics_history"),
    ("OLD", "RVTY", None, "2020-01-02", "derived:gics_history"),
    ("ZZ", "ZZA", "2010-01-04", "2015-01-02", "test"),
    ("ZZ", "ZZB", "2015-01-02", None, "test"),  # open: the latest meaning of ZZ
    ("QQ", "QQA", None, "2010-01-04", "test"),
    ("QQ", "QQB", "2010-01-04", "2015-01-02", "test"),  # no open alias: latest wins
    ("GONE", "NOT-IN-STORE", None, "2020-01-02", "test"),
)

NAMES = {
    "AAPL": "Apple Inc.",
    "MSFT": "Microsoft",
    "GOOGL": "Alphabet Inc.",
    "GOOG": "Alphabet Inc.",
    "NOT-IN-STORE": "Ghost Corp",
}


@pytest.fixture(scope="module")
def resolver() -> IdentifierResolver:
    return IdentifierResolver(STORE, ALIASES, NAMES)


# ----------------------------------------------------------------------------------------
# normalize_identifier
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        # plain tickers, any case, any whitespace
        ("AAPL", ["AAPL"]),
        ("aapl", ["AAPL"]),
        (" aapl ", ["AAPL"]),
        ("\tMsft\n", ["MSFT"]),
        ("^GSPC", ["^GSPC"]),
        # Bloomberg
        ("AAPL UW", ["AAPL"]),
        ("GS UN", ["GS"]),
        ("AAPL US Equity", ["AAPL"]),
        ("aapl us equity", ["AAPL"]),
        ("AAPL  UW   EQUITY", ["AAPL"]),
        ("BRK/B US", ["BRK-B"]),
        ("BRK/B US Equity", ["BRK-B"]),
        ("BRK B US Equity", ["BRK-B"]),
        ("UN US Equity", ["UN"]),  # a ticker that is also an exchange code survives
        ("US", ["US"]),
        # RIC
        ("AAPL.OQ", ["AAPL"]),
        ("aapl.oq", ["AAPL"]),
        ("AAPL.O", ["AAPL", "AAPL-O"]),
        ("GS.N", ["GS", "GS-N"]),
        ("X.N", ["X", "X-N"]),
        ("AAPL.PK", ["AAPL"]),
        ("AAPL.US", ["AAPL"]),
        ("BRKb.N", ["BRK-B", "BRKB"]),
        ("BFb.N", ["BF-B", "BFB"]),
        ("BRK.B.N", ["BRK-B", "BRK-B-N"]),
        # share classes
        ("BRK.B", ["BRK-B"]),
        ("brk.b", ["BRK-B"]),
        ("BRK-B", ["BRK-B"]),
        ("BRK/B", ["BRK-B"]),
        ("BRK B", ["BRK-B"]),
        ("brk b", ["BRK-B"]),
        ("BF.B", ["BF-B"]),
        ("BRK.A", ["BRK-A", "BRK"]),  # class A or NYSE American: class first
        # text that fits no pattern is kept, upper-cased, whitespace collapsed
        ("Apple  Inc.", ["APPLE INC."]),
    ],
)
def test_normalize_forms(identifier: str, expected: list[str]) -> None:
    assert normalize_identifier(identifier) == expected


@pytest.mark.parametrize("code", sorted(BLOOMBERG_EXCHANGE_CODES))
def test_every_bloomberg_exchange_code_is_stripped(code: str) -> None:
    assert normalize_identifier(f"MSFT {code}") == ["MSFT"]
    assert normalize_identifier(f"msft {code.lower()} equity") == ["MSFT"]


@pytest.mark.parametrize("suffix", ["N", "O", "OQ", "A", "K", "P", "Z", "PK"])
def test_every_ric_exchange_suffix_yields_the_root(suffix: str) -> None:
    assert "MSFT" in normalize_identifier(f"MSFT.{suffix}")


@pytest.mark.parametrize("blank", ["", " ", "\t\n", "\u3000"])
def test_empty_identifier_is_a_configuration_error(blank: str) -> None:
    with pytest.raises(ConfigurationError, match="is empty; give a ticker"):
        normalize_identifier(blank)


@pytest.mark.parametrize("bad", [None, 42, b"AAPL", ["AAPL"]])
def test_non_string_identifier_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="must be a string"):
        normalize_identifier(bad)  # type: ignore[arg-type]


# ascii tickers with the separators users type; case is irrelevant by construction
_ascii_token = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-^", min_size=1, max_size=8)
_ascii_identifier = st.lists(_ascii_token, min_size=1, max_size=4).map(" ".join)


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_normalisation_is_idempotent_on_its_first_candidate(text: str) -> None:
    first = normalize_identifier(text)[0]
    assert normalize_identifier(first)[0] == first


@given(_ascii_identifier)
def test_normalisation_ignores_case(text: str) -> None:
    assert normalize_identifier(text.lower()) == normalize_identifier(text.upper())


@given(_ascii_identifier, st.sampled_from([" ", "  ", "\t", " \n "]), st.sampled_from(["", " "]))
def test_normalisation_ignores_whitespace(text: str, gap: str, pad: str) -> None:
    spaced = pad + gap.join(text.split(" ")) + pad + "\n"
    assert normalize_identifier(spaced) == normalize_identifier(text)


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_candidates_are_nonempty_upper_case_and_unique(text: str) -> None:
    candidates = normalize_identifier(text)
    assert candidates
    assert len(set(candidates)) == len(candidates)
    assert all(c == c.upper() and c == " ".join(c.split()) for c in candidates)


# ----------------------------------------------------------------------------------------
# IdentifierResolver: forms, dates, names
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("AAPL", "AAPL"),
        (" aapl ", "AAPL"),
        ("AAPL UW", "AAPL"),
        ("AAPL US Equity", "AAPL"),
        ("aapl.oq", "AAPL"),
        ("GS.N", "GS"),
        ("X.N", "X"),  # ambiguous; X exists, X-N does not
        ("ABC.N", "ABC-N"),  # ambiguous; only the share-class reading exists
        ("BRK/B US Equity", "BRK-B"),
        ("BRKb.N", "BRK-B"),
        ("BRK.B", "BRK-B"),
        ("BRK B", "BRK-B"),
        ("BRK.A", "BRK-A"),
        ("BF/B", "BF-B"),
        ("UN US Equity", "UN"),
        ("^gspc", "^GSPC"),
    ],
)
def test_resolve_forms(resolver: IdentifierResolver, identifier: str, expected: str) -> None:
    assert resolver.resolve(identifier) == expected
    assert resolver.resolve(identifier, "2021-01-04") == expected


def test_renamed_ticker_resolves_while_the_alias_was_valid(resolver: IdentifierResolver) -> None:
    assert resolver.resolve("FB", "2021-01-04") == "META"
    assert resolver.resolve("fb us equity", dt.date(2022, 6, 8)) == "META"
    assert resolver.resolve("FB") == "META"  # latest meaning: the only one there is
    assert resolver.resolve("META", "2010-01-04") == "META"  # store tickers need no alias


@pytest.mark.parametrize("date", ["2022-06-09", "2023-06-01", T("2030-01-01")])
def test_renamed_ticker_after_the_change_names_the_new_one(
    resolver: IdentifierResolver, date: str | pd.Timestamp
) -> None:
    with pytest.raises(
        UnknownIdentifierError, match=r"'FB' was renamed to 'META' on 2022-06-09; use 'META'"
    ) as info:
        resolver.resolve("FB", date)
    assert info.value.suggestions[0] == "META"
    assert info.value.identifier == "FB"


def test_alias_used_before_it_existed_says_from_when(resolver: IdentifierResolver) -> None:
    assert resolver.resolve("WLP", "2010-01-04") == "ELV"
    assert resolver.resolve("ANTM", "2015-01-02") == "ELV"
    with pytest.raises(
        UnknownIdentifierError,
        match=r"'ANTM' only named 'ELV' from 2014-12-03; on 2010-01-04 use 'ELV'",
    ):
        resolver.resolve("ANTM", "2010-01-04")
    with pytest.raises(UnknownIdentifierError, match=r"'WLP' was renamed to 'ELV' on 2014-12-03"):
        resolver.resolve("WLP", "2015-01-02")


@pytest.mark.parametrize(
    ("identifier", "date", "expected"),
    [
        ("IR", "2018-01-02", "TT"),  # IR meant today's TT before 2020-03-02
        ("IR", "2020-03-01", "TT"),
        ("IR", "2020-03-02", "IR"),  # half-open interval: from the end date IR is IR
        ("IR", None, "IR"),
        ("HCP", "2015-01-02", "PEAK"),
        ("HCP", "2022-01-03", "HCP"),
        ("HCP", None, "HCP"),
    ],
)
def test_reused_ticker_follows_the_date(
    resolver: IdentifierResolver, identifier: str, date: str | None, expected: str
) -> None:
    assert resolver.resolve(identifier, date) == expected


def test_latest_meaning_prefers_an_open_alias_then_the_most_recent(
    resolver: IdentifierResolver,
) -> None:
    assert resolver.resolve("ZZ") == "ZZB"
    assert resolver.resolve("ZZ", "2012-01-03") == "ZZA"
    assert resolver.resolve("ZZ", "2016-01-04") == "ZZB"
    assert resolver.resolve("QQ") == "QQB"
    assert resolver.resolve("QQ", "2005-01-03") == "QQA"
    with pytest.raises(UnknownIdentifierError, match=r"'QQ' was renamed to 'QQB' on 2015-01-02"):
        resolver.resolve("QQ", "2016-01-04")


def test_curated_date_beats_derived_one_in_messages(resolver: IdentifierResolver) -> None:
    assert resolver.resolve("PKI", "2023-05-17") == "RVTY"  # derived interval still open
    with pytest.raises(UnknownIdentifierError, match=r"renamed to 'RVTY' on 2023-05-16;"):
        resolver.resolve("PKI", "2023-06-01")
    with pytest.raises(
        UnknownIdentifierError, match=r"'OLD' was renamed to 'RVTY' on or before 2020-01-02"
    ):
        resolver.resolve("OLD", "2021-01-04")


def test_alias_to_a_ticker_outside_the_store_is_ignored(resolver: IdentifierResolver) -> None:
    with pytest.raises(UnknownIdentifierError, match="'GONE'"):
        resolver.resolve("GONE", "2019-01-02")
    with pytest.raises(UnknownIdentifierError, match="Ghost Corp"):
        resolver.resolve("Ghost Corp")


@pytest.mark.parametrize(
    "date", [dt.datetime(2021, 1, 4, 15, 30), T("2021-01-04 09:00", tz="America/New_York")]
)
def test_dates_with_time_and_zone_are_calendar_dates(
    resolver: IdentifierResolver, date: dt.datetime
) -> None:
    assert resolver.resolve("FB", date) == "META"


@pytest.mark.parametrize("bad", ["yesterday-ish", "2021-13-45", NaT])
def test_bad_date_is_a_configuration_error(resolver: IdentifierResolver, bad: object) -> None:
    with pytest.raises(ConfigurationError, match="date"):
        resolver.resolve("AAPL", bad)  # type: ignore[arg-type]


def test_company_name_resolves_case_and_space_insensitively(resolver: IdentifierResolver) -> None:
    assert resolver.resolve("Apple Inc.") == "AAPL"
    assert resolver.resolve("  apple   INC. ") == "AAPL"
    assert resolver.resolve("microsoft", "2010-01-04") == "MSFT"


def test_name_of_several_securities_asks_for_a_ticker(resolver: IdentifierResolver) -> None:
    with pytest.raises(
        UnknownIdentifierError,
        match=re.escape("'Alphabet Inc.' is the name of several securities (GOOG, GOOGL)"),
    ) as info:
        resolver.resolve("alphabet inc.")
    assert info.value.suggestions == ["GOOG", "GOOGL"]


def test_unknown_identifier_suggests_close_tickers(resolver: IdentifierResolver) -> None:
    with pytest.raises(
        UnknownIdentifierError, match=r"unknown identifier 'APPL'; did you mean"
    ) as info:
        resolver.resolve("APPL")
    assert "AAPL" in info.value.suggestions
    assert 0 < len(info.value.suggestions) <= 5
    assert "APPL" not in info.value.suggestions


def test_suggestions_include_company_names(resolver: IdentifierResolver) -> None:
    with pytest.raises(UnknownIdentifierError) as info:
        resolver.resolve("Microsft")
    assert "Microsoft" in info.value.suggestions


def test_hopeless_identifier_says_how_to_fix_it(resolver: IdentifierResolver) -> None:
    with pytest.raises(
        UnknownIdentifierError,
        match=r"unknown identifier 'qwxzjkv'; check the spelling or import data that contains it",
    ) as info:
        resolver.resolve("qwxzjkv")
    assert info.value.suggestions == []


def test_unknown_identifier_is_a_key_and_value_error(resolver: IdentifierResolver) -> None:
    with pytest.raises(KeyError):
        resolver.resolve("APPL")
    with pytest.raises(ValueError, match="APPL"):
        resolver.resolve("APPL")


def test_empty_identifier_raises_configuration_error(resolver: IdentifierResolver) -> None:
    with pytest.raises(ConfigurationError, match=r"identifier '  ' is empty"):
        resolver.resolve("  ")


# ----------------------------------------------------------------------------------------
# resolve_many
# ----------------------------------------------------------------------------------------
def test_resolve_many_keeps_order_and_duplicates(resolver: IdentifierResolver) -> None:
    got = resolver.resolve_many(["AAPL UW", "FB", "brk/b us equity", "AAPL"], "2021-01-04")
    assert got == ["AAPL", "META", "BRK-B", "AAPL"]
    assert resolver.resolve_many([]) == []
    assert resolver.resolve_many(iter(["msft"])) == ["MSFT"]


def test_resolve_many_reports_every_unknown_identifier(resolver: IdentifierResolver) -> None:
    with pytest.raises(UnknownIdentifierError) as info:
        resolver.resolve_many(["AAPL", "APPL", "FB", "MSFT", "qwxzjkv"], "2023-06-01")
    err = info.value
    assert err.identifier == "APPL, FB, qwxzjkv"  # as the user typed them
    message = str(err)
    assert message.startswith("unknown identifier 'APPL, FB, qwxzjkv': 3 of 5 identifiers")
    assert re.search(r"'APPL' \(did you mean [^)]*AAPL", message)
    assert "'FB' ('FB' was renamed to 'META' on 2022-06-09; use 'META'" in message
    assert "; 'qwxzjkv';" in message


def test_resolve_many_with_one_failure_raises_what_resolve_would(
    resolver: IdentifierResolver,
) -> None:
    with pytest.raises(UnknownIdentifierError) as many:
        resolver.resolve_many(["AAPL", "FB"], "2023-06-01")
    with pytest.raises(UnknownIdentifierError) as one:
        resolver.resolve("FB", "2023-06-01")
    assert str(many.value) == str(one.value)
    assert many.value.suggestions == one.value.suggestions


def test_resolve_many_rejects_a_bare_string(resolver: IdentifierResolver) -> None:
    with pytest.raises(ConfigurationError, match="got the string 'AAPL'; use resolve"):
        resolver.resolve_many("AAPL")


def test_resolve_many_names_empty_entries(resolver: IdentifierResolver) -> None:
    with pytest.raises(
        ConfigurationError, match=r"2 of 4 identifiers are empty .*\[1\]='', \[3\]=None"
    ):
        resolver.resolve_many(["AAPL", "", "MSFT", None])  # type: ignore[list-item]


def test_resolve_many_is_fast() -> None:
    store = [f"T{i:03d}" for i in range(700)] + ["AAPL", "META", "BRK-B"]
    many = IdentifierResolver(store, ALIASES[ALIASES["alias"] == "FB"], {"AAPL": "Apple Inc."})
    forms = [f"t{i:03d} uw equity" for i in range(0, 700, 2)]
    forms += ["AAPL.OQ", "BRKb.N", "FB", "apple inc.", "BRK/B US"] * 30
    assert len(forms) == 500
    best = min(_timed(lambda: many.resolve_many(forms, "2021-01-04")) for _ in range(5))
    assert best < 0.05, f"500 identifiers took {best * 1e3:.1f} ms"


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# ----------------------------------------------------------------------------------------
# arbitrary text never escapes the error hierarchy
# ----------------------------------------------------------------------------------------
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(
    text=st.text(max_size=30),
    date=st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))),
)
def test_arbitrary_text_raises_only_hedgekit_errors(
    resolver: IdentifierResolver, text: str, date: dt.date | None
) -> None:
    try:
        got = resolver.resolve(text, date)
    except (UnknownIdentifierError, ConfigurationError):
        return
    assert got in resolver.known_tickers


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100)
@given(st.lists(st.text(max_size=12), max_size=6))
def test_arbitrary_lists_raise_only_hedgekit_errors(
    resolver: IdentifierResolver, texts: list[str]
) -> None:
    try:
        got = resolver.resolve_many(texts)
    except (UnknownIdentifierError, ConfigurationError):
        return
    assert len(got) == len(texts)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticker=st.sampled_from(STORE), noise=st.sampled_from(["", " ", "  ", "\t"]))
def test_store_tickers_resolve_to_themselves_in_any_case(
    resolver: IdentifierResolver, ticker: str, noise: str
) -> None:
    for form in (ticker, ticker.lower(), noise + ticker.lower() + noise):
        assert resolver.resolve(form) == ticker


# ----------------------------------------------------------------------------------------
# constructor validation
# ----------------------------------------------------------------------------------------
def test_known_tickers_and_repr(resolver: IdentifierResolver) -> None:
    assert resolver.known_tickers == frozenset(STORE)
    assert repr(resolver).startswith("IdentifierResolver(n_tickers=26, n_aliases=12,")
    lower = IdentifierResolver([" aapl ", "MSFT"])
    assert lower.known_tickers == {"AAPL", "MSFT"}


def test_tickers_given_as_one_string_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"wrap it in a list: \['AAPL'\]"):
        IdentifierResolver("AAPL")


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_blank_store_ticker_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        IdentifierResolver(["AAPL", bad])  # type: ignore[list-item]


def test_alias_table_without_ticker_column_is_malformed() -> None:
    with pytest.raises(MalformedDataError, match=r"aliases, column 'ticker': missing column"):
        IdentifierResolver(["AAPL"], pd.DataFrame({"alias": ["FB"]}))


def test_alias_interval_ending_before_it_starts_is_malformed() -> None:
    bad = alias_frame(
        ("FB", "META", None, "2022-06-09", "curated"),
        ("X1", "META", "2020-01-02", "2019-01-02", "curated"),
    )
    with pytest.raises(
        MalformedDataError,
        match=r"aliases, row 2, column 'end_date': end_date 2019-01-02 is not after start_date",
    ):
        IdentifierResolver(["META"], bad)


def test_alias_with_blank_alias_is_malformed() -> None:
    bad = alias_frame(("FB", "META", None, None, "x"), (" ", "META", None, None, "x"))
    with pytest.raises(MalformedDataError, match=r"row 2, column 'alias': alias must be"):
        IdentifierResolver(["META"], bad)


def test_alias_with_unparseable_date_is_malformed() -> None:
    bad = pd.DataFrame({"alias": ["FB"], "ticker": ["META"], "end_date": ["soon"]})
    with pytest.raises(MalformedDataError, match="end_date holds a value that is not a date"):
        IdentifierResolver(["META"], bad)


def test_alias_table_may_omit_dates_and_source() -> None:
    minimal = IdentifierResolver(["META"], pd.DataFrame({"alias": ["fb"], "ticker": ["meta"]}))
    assert minimal.resolve("FB", "1999-01-04") == "META"
    assert minimal.resolve("FB") == "META"
    empty = IdentifierResolver(["META"], pd.DataFrame(columns=["alias", "ticker"]))
    assert empty.resolve("meta") == "META"


# ----------------------------------------------------------------------------------------
# derive_aliases
# ----------------------------------------------------------------------------------------
S1, S2, S3, S4 = (T(d) for d in ("2023-04-13", "2023-05-11", "2023-05-18", "2023-06-08"))


def snapshots(*rows: tuple[pd.Timestamp, str, int | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["snapshot_date", "ticker", "cik"])
    frame["cik"] = frame["cik"].astype("Int64")
    frame["name"] = "ignored"
    return frame


SNAPSHOTS = snapshots(
    # a rename: PKI then RVTY
    (S1, "PKI", 31791), (S2, "PKI", 31791), (S3, "RVTY", 31791), (S4, "RVTY", 31791),
    # two share classes: never a rename
    *[(s, t, 1652044) for s in (S1, S2, S3, S4) for t in ("GOOGL", "GOOG")],
    # a chain A -> B -> C, all in the store
    (S1, "AA1", 7), (S2, "BB1", 7), (S3, "CC1", 7), (S4, "CC1", 7),
    # interleaved spans are unclear
    (S1, "JJ1", 8), (S2, "KK1", 8), (S3, "JJ1", 8),
    # a rename whose target is not in the store
    (S1, "OLD9", 9), (S4, "NEW9", 9),
    # rows without a cik (early snapshots) and duplicates are ignored
    (S1, "FISV", None), (S4, "FI", None), (S1, "PKI", 31791),
)  # fmt: skip


def test_derive_aliases_finds_renames_not_share_classes() -> None:
    store = ["RVTY", "GOOGL", "GOOG", "AA1", "BB1", "CC1", "JJ1", "KK1", "FI"]
    got = derive_aliases(SNAPSHOTS, store)
    assert list(got.columns) == ["alias", "ticker", "start_date", "end_date", "source"]
    pairs = {(r.alias, r.ticker, r.end_date) for r in got.itertuples()}
    assert pairs == {
        ("PKI", "RVTY", S3),
        ("AA1", "CC1", S2),  # every old name points to the latest name in the store
        ("BB1", "CC1", S3),
    }
    assert got["start_date"].isna().all()
    assert (got["source"] == "derived:gics_history").all()
    assert got["end_date"].dtype == "datetime64[ns]"


def test_derived_chain_stops_at_the_latest_name_in_the_store() -> None:
    got = derive_aliases(SNAPSHOTS, ["BB1"])
    assert got[["alias", "ticker"]].values.tolist() == [["AA1", "BB1"]]


def test_derive_aliases_result_feeds_the_resolver() -> None:
    derived = derive_aliases(SNAPSHOTS, ["RVTY"])
    resolver = IdentifierResolver(["RVTY"], derived)
    assert resolver.resolve("PKI", "2020-01-02") == "RVTY"
    with pytest.raises(UnknownIdentifierError, match="renamed to 'RVTY' on or before 2023-05-18"):
        resolver.resolve("PKI", "2023-06-01")


def test_derive_aliases_without_ciks_or_targets_is_empty() -> None:
    assert derive_aliases(SNAPSHOTS, []).empty
    no_cik = SNAPSHOTS.assign(cik=pd.Series(pd.NA, index=SNAPSHOTS.index, dtype="Int64"))
    got = derive_aliases(no_cik, ["RVTY"])
    assert got.empty
    assert list(got.columns) == ["alias", "ticker", "start_date", "end_date", "source"]


def test_derive_aliases_needs_a_cik_column() -> None:
    with pytest.raises(MalformedDataError, match=r"classifications, column 'cik': missing column"):
        derive_aliases(SNAPSHOTS.drop(columns="cik"), ["RVTY"])


# ----------------------------------------------------------------------------------------
# share_class_groups
# ----------------------------------------------------------------------------------------
def test_share_class_groups() -> None:
    securities = pd.DataFrame(
        {
            "ticker": ["GOOGL", "GOOG", "FOXA", "FOX", "AAPL", "XYZ"],
            "cik": pd.array([1652044, 1652044, 1754301, 1754301, 320193, None], dtype="Int64"),
        }
    )
    groups = share_class_groups(securities)
    assert groups["GOOGL"] == groups["GOOG"] == {"GOOGL", "GOOG"}
    assert groups["FOX"] == {"FOXA", "FOX"}
    assert groups["AAPL"] == {"AAPL"}
    assert groups["XYZ"] == {"XYZ"}
    assert set(groups) == set(securities["ticker"])
    assert all(t in group for t, group in groups.items())


def test_share_class_groups_needs_a_cik_column() -> None:
    with pytest.raises(MalformedDataError, match=r"securities, column 'cik': missing column"):
        share_class_groups(pd.DataFrame({"ticker": ["AAPL"]}))


def test_share_class_groups_rejects_a_ticker_with_two_ciks() -> None:
    clash = pd.DataFrame({"ticker": ["AAPL", "AAPL"], "cik": [1, 2]})
    with pytest.raises(MalformedDataError, match=r"ticker 'AAPL' carries several ciks \(1, 2\)"):
        share_class_groups(clash)


# ----------------------------------------------------------------------------------------
# the bundled curated list
# ----------------------------------------------------------------------------------------
def test_known_ticker_changes_are_well_formed() -> None:
    changes = load_known_ticker_changes()
    assert list(changes.columns) == ["alias", "ticker", "start_date", "end_date", "source"]
    assert (changes["source"] == "curated").all()
    assert changes["end_date"].notna().all()
    dated = changes.dropna(subset=["start_date"])
    assert (dated["end_date"] > dated["start_date"]).all()
    assert not changes.duplicated(["alias", "ticker", "start_date"]).any()
    assert not (changes["alias"] == changes["ticker"]).any()
    assert changes["alias"].str.fullmatch(r"[A-Z]+").all()
    assert "TWTR" not in set(changes["alias"])


@pytest.mark.parametrize(
    ("alias", "ticker", "end"),
    [
        ("FB", "META", "2022-06-09"),
        ("ANTM", "ELV", "2022-06-28"),
        ("UTX", "RTX", "2020-04-03"),
        ("PKI", "RVTY", "2023-05-16"),
        ("FISV", "FI", "2023-06-06"),
        ("RE", "EG", "2023-07-11"),
        ("ABC", "COR", "2023-08-30"),
        ("VIAC", "PARA", "2022-02-16"),
        ("KORS", "CPRI", "2019-01-02"),
        ("COG", "CTRA", "2021-10-04"),
    ],
)
def test_known_ticker_changes_hold_the_landmark_renames(alias: str, ticker: str, end: str) -> None:
    changes = load_known_ticker_changes().set_index("alias")
    assert changes.loc[alias, "ticker"] == ticker
    assert changes.loc[alias, "end_date"] == T(end)


def test_known_ticker_changes_resolve_chains_by_date() -> None:
    resolver = IdentifierResolver(["PARA", "ELV", "GEN"], load_known_ticker_changes())
    assert resolver.resolve("CBS", "2015-01-02") == "PARA"
    assert resolver.resolve("VIAC", "2021-01-04") == "PARA"
    assert resolver.resolve("NLOK", "2021-01-04") == "GEN"
    assert resolver.resolve("SYMC", "2015-01-02") == "GEN"
    with pytest.raises(UnknownIdentifierError, match="'CBS' was renamed to 'PARA' on 2019-12-05"):
        resolver.resolve("CBS", "2021-01-04")


# ----------------------------------------------------------------------------------------
# real data
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_tables(real_data_dir: Path) -> dict[str, pd.DataFrame]:
    prices = pd.read_parquet(real_data_dir / "prices.parquet", columns=["date", "ticker"])
    return {
        "first_price": prices.groupby("ticker")["date"].min(),
        "securities": pd.read_parquet(real_data_dir / "securities.parquet"),
        "gics": pd.read_parquet(real_data_dir / "gics_history.parquet"),
    }


@pytest.fixture(scope="module")
def real_resolver(real_tables: dict[str, pd.DataFrame]) -> IdentifierResolver:
    sec = real_tables["securities"]
    tickers = list(real_tables["first_price"].index)
    aliases = pd.concat(
        [load_known_ticker_changes(), derive_aliases(real_tables["gics"], tickers)],
        ignore_index=True,
    )
    names = {t: n for t, n in zip(sec["ticker"], sec["name"], strict=True) if isinstance(n, str)}
    return IdentifierResolver(tickers, aliases, names)


@pytest.mark.realdata
def test_real_derived_aliases(real_tables: dict[str, pd.DataFrame]) -> None:
    got = derive_aliases(real_tables["gics"], real_tables["first_price"].index)
    pairs = set(zip(got["alias"], got["ticker"], strict=True))
    assert {("PKI", "RVTY"), ("FISV", "FI"), ("RE", "EG"), ("ABC", "COR")} <= pairs
    share_classes = {"GOOGL", "GOOG", "FOXA", "FOX", "NWSA", "NWS"}
    assert not share_classes & (set(got["alias"]) | set(got["ticker"]))
    # the derived date is the first snapshot under the new ticker: on or after the real one
    curated = load_known_ticker_changes().set_index("alias")["end_date"]
    for alias, end in zip(got["alias"], got["end_date"], strict=True):
        if alias in curated.index:
            assert curated[alias] <= end <= curated[alias] + pd.Timedelta(days=10)


@pytest.mark.realdata
def test_real_curated_targets_carry_history_from_before_the_change(
    real_tables: dict[str, pd.DataFrame],
) -> None:
    first = real_tables["first_price"]
    for row in load_known_ticker_changes().itertuples():
        assert row.ticker in first.index, f"{row.alias}->{row.ticker}: target not in prices"
        assert first[row.ticker] < row.end_date, (
            f"{row.ticker} prices start {first[row.ticker]:%Y-%m-%d}, after the change from "
            f"{row.alias} on {row.end_date:%Y-%m-%d}"
        )


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("AAPL UW", "AAPL"),
        ("aapl.oq", "AAPL"),
        ("AAPL US Equity", "AAPL"),
        ("GS UN Equity", "GS"),
        ("GOOGL US Equity", "GOOGL"),
        ("goog.oq", "GOOG"),
        ("FOXA UW", "FOXA"),
        ("FOX.O", "FOX"),
        ("NWSA.OQ", "NWSA"),
        ("nws uq equity", "NWS"),
        ("Meta Platforms", "META"),
    ],
)
def test_real_identifier_forms(
    real_resolver: IdentifierResolver, identifier: str, expected: str
) -> None:
    assert real_resolver.resolve(identifier) == expected


@pytest.mark.realdata
def test_real_berkshire_is_missing_and_says_so(real_resolver: IdentifierResolver) -> None:
    # BRK-B is absent from the real prices (see the data README); the form still parses
    assert normalize_identifier("BRK/B US") == ["BRK-B"]
    with pytest.raises(UnknownIdentifierError, match=r"unknown identifier 'BRK/B US'"):
        real_resolver.resolve("BRK/B US")


@pytest.mark.realdata
def test_real_renames_by_date(real_resolver: IdentifierResolver) -> None:
    assert real_resolver.resolve("FB", "2021-01-04") == "META"
    with pytest.raises(
        UnknownIdentifierError, match=r"renamed to 'META' on 2022-06-09; use 'META'"
    ):
        real_resolver.resolve("FB", "2023-06-01")
    assert real_resolver.resolve("PKI", "2020-01-02") == "RVTY"
    assert real_resolver.resolve("UTX", "2019-01-02") == "RTX"
    assert real_resolver.resolve("IR", "2018-01-02") == "TT"  # before Gardner Denver took IR
    assert real_resolver.resolve("IR", "2021-01-04") == "IR"
    assert real_resolver.resolve("HCP", "2015-01-02") == "PEAK"  # HCP is HashiCorp from 2021


@pytest.mark.realdata
def test_real_suggestions_for_a_typo(real_resolver: IdentifierResolver) -> None:
    with pytest.raises(UnknownIdentifierError, match="did you mean") as info:
        real_resolver.resolve("APPL")
    assert "AAPL" in info.value.suggestions


@pytest.mark.realdata
def test_real_share_class_groups(real_tables: dict[str, pd.DataFrame]) -> None:
    groups = share_class_groups(real_tables["securities"])
    assert groups["GOOGL"] == {"GOOGL", "GOOG"}
    assert groups["FOXA"] == groups["FOX"] == {"FOXA", "FOX"}
    assert groups["NWSA"] == {"NWSA", "NWS"}
    assert groups["AAPL"] == {"AAPL"}
    assert len(groups) == len(real_tables["securities"])


@pytest.mark.realdata
def test_real_resolve_many_is_fast(
    real_resolver: IdentifierResolver, real_tables: dict[str, pd.DataFrame]
) -> None:
    tickers = sorted(real_tables["first_price"].index)[:440]
    forms = [f"{t} US Equity" if i % 2 else f"{t.lower()}.n" for i, t in enumerate(tickers)]
    forms += ["FB", "UTX", "AAPL UW", "goog.oq", "Meta Platforms", "PKI"] * 10
    assert len(forms) == 500
    best = min(_timed(lambda: real_resolver.resolve_many(forms, "2019-01-02")) for _ in range(5))
    assert best < 0.05, f"500 identifiers took {best * 1e3:.1f} ms"
