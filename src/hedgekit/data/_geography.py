"""Countries to regions, for exclusions and constraints by region."""

from __future__ import annotations

import pandas as pd

__all__ = ["COUNTRIES", "REGIONS", "region_of", "regions_of"]

_REGION_OF: dict[str, str] = {
    **dict.fromkeys(["United States", "Canada", "Bermuda"], "North America"),
    **dict.fromkeys(
        [
            "Mexico", "Brazil", "Argentina", "Chile", "Colombia", "Peru", "Panama",
            "Puerto Rico", "Cayman Islands", "Bahamas", "Uruguay",
        ],
        "Latin America",
    ),
    **dict.fromkeys(
        [
            "United Kingdom", "Ireland", "Netherlands", "Switzerland", "Germany", "France",
            "Luxembourg", "Belgium", "Sweden", "Denmark", "Norway", "Finland", "Spain",
            "Italy", "Portugal", "Austria", "Jersey", "Guernsey", "Isle of Man", "Greece",
            "Poland", "Czech Republic", "Monaco", "Cyprus", "Malta", "Gibraltar",
        ],
        "Europe",
    ),
    **dict.fromkeys(
        [
            "Israel", "South Africa", "United Arab Emirates", "Saudi Arabia", "Qatar",
            "Egypt", "Nigeria", "Kenya", "Morocco",
        ],
        "Middle East & Africa",
    ),
    **dict.fromkeys(
        [
            "Japan", "China", "Hong Kong", "Taiwan", "South Korea", "Korea", "Singapore",
            "India", "Australia", "New Zealand", "Indonesia", "Thailand", "Malaysia",
            "Philippines", "Vietnam", "Macau",
        ],
        "Asia Pacific",
    ),
}  # fmt: skip

REGIONS: tuple[str, ...] = tuple(sorted(set(_REGION_OF.values())))
#: the countries mapped to a region
COUNTRIES: tuple[str, ...] = tuple(sorted(_REGION_OF))


def region_of(country: str | None) -> str | None:
    """Region of a country name (``'Ireland'`` -> ``'Europe'``); None when unknown."""
    if country is None or pd.isna(country):
        return None
    return _REGION_OF.get(str(country).strip())


def regions_of(countries: pd.Series) -> pd.Series:
    """Vectorised :func:`region_of`."""
    return countries.astype("string").str.strip().map(_REGION_OF).astype("string")
