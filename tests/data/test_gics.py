"""Tests of the bundled GICS hierarchy and its lookups (hedgekit.data._gics)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._gics import (
    GICS_LEVELS,
    GICS_SECTORS,
    _key,
    fill_gics_levels,
    gics_levels,
    load_gics,
    resolve_gics_name,
)

# Labels in the real sub-industry column that are no GICS name at all: a typo
# (DHR, Dec 2023), an industry instead of a sub-industry (BKNG, EXPE, Jul-Aug 2023)
# and free text (PANW, Jun 2023). They must stay unresolved rather than be guessed.
NON_GICS_SUB_INDUSTRY_LABELS = frozenset(
    {"Life Sciences Tolls & Services", "Hotels, Restaurants & Leisure", "Cybersecurity Company"}
)
# Labels in the real sector column that are neither a current sector nor a
# sub-industry: typos and the pre-2018 Telecommunication Services sector.
NON_GICS_SECTOR_LABELS = frozenset(
    {"Industries", "Technology", "Telecommunication Services", "Telecommunications Services"}
)
LEVEL_COLUMNS = [f"gics_{level}" for level in GICS_LEVELS]


@pytest.fixture(scope="module")
def gics() -> pd.DataFrame:
    return load_gics()


@pytest.fixture(scope="module")
def current(gics: pd.DataFrame) -> pd.DataFrame:
    return gics[gics["status"] == "current"]


@pytest.fixture(scope="module")
def securities(real_data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(real_data_dir / "securities.parquet")


@pytest.fixture(scope="module")
def gics_history(real_data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(real_data_dir / "gics_history.parquet")


@pytest.fixture(scope="module")
def real_pairs(securities: pd.DataFrame, gics_history: pd.DataFrame) -> pd.DataFrame:
    """Distinct (sub-industry, sector) pairs recorded in the real data."""
    cols = ["gics_sub_industry", "gics_sector"]
    both = pd.concat([securities[cols], gics_history[cols]], ignore_index=True)
    return both.dropna(subset=["gics_sub_industry"]).drop_duplicates().reset_index(drop=True)


# --- the bundled table -------------------------------------------------------


def test_load_gics_returns_a_copy() -> None:
    first = load_gics()
    first.loc[:, "sector"] = "changed"
    assert (load_gics()["sector"] != "changed").all()


def test_table_columns_and_status(gics: pd.DataFrame) -> None:
    assert list(gics.columns) == [*GICS_LEVELS, "status"]
    assert set(gics["status"]) == {"current", "legacy"}
    assert gics.notna().all().all()
    for column in GICS_LEVELS:
        assert (gics[column] == gics[column].str.strip()).all(), column
        assert (gics[column] != "").all(), column


def test_current_structure_counts(current: pd.DataFrame) -> None:
    assert current["sector"].nunique() == 11
    assert current["industry_group"].nunique() == 25
    assert current["industry"].nunique() == 74
    assert current["sub_industry"].nunique() == 163
    assert current["sub_industry"].is_unique


def test_sectors_constant_matches_table(gics: pd.DataFrame, current: pd.DataFrame) -> None:
    assert tuple(current["sector"].drop_duplicates()) == GICS_SECTORS
    assert set(gics["sector"]) == set(GICS_SECTORS)


def test_hierarchy_is_a_tree(current: pd.DataFrame) -> None:
    assert (current.groupby("industry")["industry_group"].nunique() == 1).all()
    assert (current.groupby("industry_group")["sector"].nunique() == 1).all()


def test_legacy_rows_are_unique_and_differ_from_current(
    gics: pd.DataFrame, current: pd.DataFrame
) -> None:
    legacy = gics[gics["status"] == "legacy"]
    assert legacy["sub_industry"].is_unique
    place = {
        row[3]: row[:3] for row in current[list(GICS_LEVELS)].itertuples(index=False, name=None)
    }
    for row in legacy[list(GICS_LEVELS)].itertuples(index=False, name=None):
        if row[3] in place:  # a name kept but moved: its place must differ
            assert row[:3] != place[row[3]]


@pytest.mark.parametrize("level", GICS_LEVELS)
def test_tolerant_keys_are_unambiguous(gics: pd.DataFrame, level: str) -> None:
    names = gics[level].drop_duplicates()
    assert names.map(_key).is_unique


@pytest.mark.parametrize(
    ("sub_industry", "sector", "industry_group", "industry"),
    [
        (
            "Technology Hardware, Storage & Peripherals",
            "Information Technology",
            "Technology Hardware & Equipment",
            "Technology Hardware, Storage & Peripherals",
        ),
        ("Application Software", "Information Technology", "Software & Services", "Software"),
        (
            "Data Processing & Outsourced Services",
            "Industrials",
            "Commercial & Professional Services",
            "Professional Services",
        ),
        (
            "Transaction & Payment Processing Services",
            "Financials",
            "Financial Services",
            "Financial Services",
        ),
        (
            "Interactive Media & Services",
            "Communication Services",
            "Media & Entertainment",
            "Interactive Media & Services",
        ),
        (
            "Broadline Retail",
            "Consumer Discretionary",
            "Consumer Discretionary Distribution & Retail",
            "Broadline Retail",
        ),
        (
            "Data Center REITs",
            "Real Estate",
            "Equity Real Estate Investment Trusts (REITs)",
            "Specialized REITs",
        ),
        (
            "Mortgage REITs",
            "Financials",
            "Financial Services",
            "Mortgage Real Estate Investment Trusts (REITs)",
        ),
        ("Oil & Gas Drilling", "Energy", "Energy", "Energy Equipment & Services"),
        # legacy names, at their pre-2023 place
        ("Specialty Stores", "Consumer Discretionary", "Retailing", "Specialty Retail"),
        (
            "Internet & Direct Marketing Retail",
            "Consumer Discretionary",
            "Retailing",
            "Internet & Direct Marketing Retail",
        ),
        ("Industrial Machinery", "Industrials", "Capital Goods", "Machinery"),
        (
            "Residential REITs",
            "Real Estate",
            "Real Estate",
            "Equity Real Estate Investment Trusts (REITs)",
        ),
    ],
)
def test_known_placements(
    sub_industry: str, sector: str, industry_group: str, industry: str
) -> None:
    assert gics_levels(sub_industry) == {
        "gics_sector": sector,
        "gics_industry_group": industry_group,
        "gics_industry": industry,
        "gics_sub_industry": sub_industry,
    }


# --- gics_levels ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("  application software ", "Application Software"),
        ("HOTELS, RESORTS AND CRUISE LINES", "Hotels, Resorts & Cruise Lines"),
        (
            "Technology Hardware, Storage and Peripherals",
            "Technology Hardware, Storage & Peripherals",
        ),
        (
            "independent power producers  and energy traders",
            "Independent Power Producers & Energy Traders",
        ),
        ("Multiline Insurance", "Multi-line Insurance"),
        ("oil and gas exploration & production", "Oil & Gas Exploration & Production"),
    ],
)
def test_gics_levels_is_tolerant(given: str, canonical: str) -> None:
    levels = gics_levels(given)
    assert levels["gics_sub_industry"] == canonical
    assert levels["gics_industry"] is not None


def test_gics_levels_unknown_keeps_sector() -> None:
    assert gics_levels("Cybersecurity Company", "information technology") == {
        "gics_sector": "Information Technology",
        "gics_industry_group": None,
        "gics_industry": None,
        "gics_sub_industry": "Cybersecurity Company",
    }
    assert gics_levels(None, "Industries") == {
        "gics_sector": "Industries",
        "gics_industry_group": None,
        "gics_industry": None,
        "gics_sub_industry": None,
    }
    assert gics_levels(None) == dict.fromkeys(LEVEL_COLUMNS)


def test_sector_selects_the_legacy_place_of_a_moved_sub_industry() -> None:
    name = "Data Processing & Outsourced Services"
    before = gics_levels(name, "Information Technology")
    assert before["gics_sector"] == "Information Technology"
    assert before["gics_industry"] == "IT Services"
    for sector in ("Industrials", None, "Energy"):  # current place unless the sector says otherwise
        assert gics_levels(name, sector)["gics_industry"] == "Professional Services"


# --- fill_gics_levels ------------------------------------------------------------


def test_fill_gics_levels_on_a_small_frame() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["A", "B", "C", "D", "E"],
            "gics_sector": [
                None,
                "consumer discretionary ",
                "Information Technology",
                "Energy",
                None,
            ],
            "gics_sub_industry": [
                "Regional Banks",
                "specialty stores",
                "Data Processing & Outsourced Services",
                "Cybersecurity Company",
                None,
            ],
        },
        index=[10, 11, 12, 13, 14],
    )
    original = frame.copy()
    out = fill_gics_levels(frame)
    pd.testing.assert_frame_equal(frame, original)  # the input is untouched
    assert list(out.columns) == ["ticker", *LEVEL_COLUMNS]
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert list(out.loc[10, LEVEL_COLUMNS]) == ["Financials", "Banks", "Banks", "Regional Banks"]
    assert list(out.loc[11, LEVEL_COLUMNS]) == [
        "Consumer Discretionary",
        "Retailing",
        "Specialty Retail",
        "Specialty Stores",
    ]
    assert out.loc[12, "gics_industry"] == "IT Services"
    assert out.loc[13, "gics_sector"] == "Energy"
    assert out.loc[13, "gics_sub_industry"] == "Cybersecurity Company"
    assert out.loc[13, ["gics_industry_group", "gics_industry"]].isna().all()
    assert out.loc[14, LEVEL_COLUMNS].isna().all()


def test_fill_gics_levels_needs_both_columns() -> None:
    with pytest.raises(MalformedDataError, match=r"missing column.*gics_sub_industry"):
        fill_gics_levels(pd.DataFrame({"gics_sector": ["Energy"]}))


# --- resolve_gics_name -------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "given", "canonical"),
    [
        ("sector", "information technology", "Information Technology"),
        ("sector", " HEALTH CARE", "Health Care"),
        (
            "industry_group",
            "commercial and professional services",
            "Commercial & Professional Services",
        ),
        ("industry", "hotels restaurants and leisure", "Hotels, Restaurants & Leisure"),
        (
            "sub_industry",
            "Internet & Direct Marketing Retail",
            "Internet & Direct Marketing Retail",
        ),
    ],
)
def test_resolve_gics_name(level: str, given: str, canonical: str) -> None:
    assert resolve_gics_name(level, given) == canonical


def test_resolve_gics_name_suggests_close_names() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"unknown GICS sector 'informaton tech'; did you mean 'Information Technology'",
    ) as info:
        resolve_gics_name("sector", "informaton tech")
    assert "The sectors are Energy, Materials" in str(info.value)
    with pytest.raises(
        ConfigurationError,
        match=r"unknown GICS sub-industry 'Aplication Sofware'.*'Application Software'",
    ):
        resolve_gics_name("sub_industry", "Aplication Sofware")
    with pytest.raises(ConfigurationError, match=r"unknown GICS industry group 'Banking'.*'Banks'"):
        resolve_gics_name("industry_group", "Banking")


def test_resolve_gics_name_rejects_unknown_level() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown GICS level 'subindustry'; use one of"):
        resolve_gics_name("subindustry", "Banks")


# --- real data ---------------------------------------------------------------------


@pytest.mark.realdata
def test_every_real_sub_industry_resolves(real_pairs: pd.DataFrame) -> None:
    names = set(real_pairs["gics_sub_industry"])
    assert len(names) == 135
    unresolved = {n for n in names if gics_levels(n)["gics_industry"] is None}
    assert unresolved == NON_GICS_SUB_INDUSTRY_LABELS


@pytest.mark.realdata
def test_real_sectors_agree_with_the_mapping(real_pairs: pd.DataFrame, gics: pd.DataFrame) -> None:
    pairs = real_pairs.dropna(subset=["gics_sector"])
    pairs = pairs[~pairs["gics_sub_industry"].isin(NON_GICS_SUB_INDUSTRY_LABELS)]
    assert len(pairs) > 100
    rows = gics[["sub_industry", "sector", "status"]].itertuples(index=False, name=None)
    now: dict[str, str] = {}
    legacy: set[tuple[str, str]] = set()
    for sub_name, sector_name, status in rows:
        if status == "current":
            now[_key(sub_name)] = sector_name
        else:
            legacy.add((_key(sub_name), _key(sector_name)))
    unexplained = []
    for sub, sector in pairs.itertuples(index=False, name=None):
        current_sector = now.get(_key(sub))
        if current_sector is not None and _key(current_sector) == _key(sector):
            continue
        if (_key(sub), _key(sector)) in legacy:  # moved or renamed: the legacy row explains it
            assert _key(str(gics_levels(sub, sector)["gics_sector"])) == _key(sector)
            continue
        unexplained.append((sub, sector, current_sector))
    assert unexplained == [], f"{len(unexplained)} real (sub-industry, sector) pairs disagree"


@pytest.mark.realdata
def test_real_sector_column_holds_only_known_labels(
    securities: pd.DataFrame, gics_history: pd.DataFrame
) -> None:
    # The 2023-03-07 snapshot carries sub-industry names in its sector column.
    labels = set(securities["gics_sector"].dropna()) | set(gics_history["gics_sector"].dropna())
    odd = set()
    for label in labels:
        try:
            resolve_gics_name("sector", label)
        except ConfigurationError:
            if gics_levels(label)["gics_industry"] is None:
                odd.add(label)
    assert odd == NON_GICS_SECTOR_LABELS


@pytest.mark.realdata
def test_every_legacy_row_is_needed_by_real_data(
    gics: pd.DataFrame, securities: pd.DataFrame, gics_history: pd.DataFrame
) -> None:
    seen = {
        _key(label)
        for frame in (securities, gics_history)
        for column in ("gics_sector", "gics_sub_industry")
        for label in frame[column].dropna()
    }
    legacy = gics.loc[gics["status"] == "legacy", "sub_industry"]
    assert [name for name in legacy if _key(name) not in seen] == []


@pytest.mark.realdata
def test_fill_gics_levels_on_real_securities(securities: pd.DataFrame) -> None:
    out = fill_gics_levels(securities)
    assert len(out) == len(securities)
    has_sub = securities["gics_sub_industry"].notna()
    bad = securities["gics_sub_industry"].isin(NON_GICS_SUB_INDUSTRY_LABELS)
    good = has_sub & ~bad
    assert good.sum() > 500
    assert out.loc[good, LEVEL_COLUMNS].notna().all().all()
    assert out.loc[has_sub, "gics_sector"].notna().all()
    assert set(out.loc[good, "gics_sector"]) <= set(GICS_SECTORS)
    assert out.loc[bad, ["gics_industry_group", "gics_industry"]].isna().all().all()
    assert out.loc[~has_sub, ["gics_industry_group", "gics_industry"]].isna().all().all()


@pytest.mark.realdata
def test_fill_gics_levels_matches_row_by_row_lookup(gics_history: pd.DataFrame) -> None:
    frame = gics_history[["gics_sector", "gics_sub_industry"]].drop_duplicates()
    out = fill_gics_levels(frame)
    expected = [gics_levels(sub, sector) for sector, sub in frame.itertuples(index=False)]
    for column in LEVEL_COLUMNS:
        got = [None if pd.isna(value) else value for value in out[column]]
        want = [levels[column] for levels in expected]
        assert got == want, column
