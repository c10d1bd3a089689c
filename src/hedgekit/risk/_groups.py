"""The factor groups of :class:`~hedgekit.risk.FactorRiskModel`: which factors are the market,
which the GICS sectors (the model's industry factors) and which the styles.

The ``'barra'`` structure names its factors ``market``, ``sector: <GICS sector>`` and the seven
styles (:data:`~hedgekit.risk.STYLE_FACTORS`); the ``'styles'`` structure has the styles only.
A group is the set of a model's factors of one kind, in the model's order; a risk report or a
hedge limit per group (the share of a portfolio's variance from its sector factors, say) reads
the groups from here rather than from the factor names.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FACTOR_GROUPS", "factor_group", "factor_groups"]

#: the groups, in the order the model lists its factors
FACTOR_GROUPS: tuple[str, ...] = ("Market", "Sector", "Style")
_SECTOR_PREFIX = "sector: "


def factor_group(factor: str) -> str:
    """The group of one factor: ``'Market'``, ``'Sector'`` or ``'Style'``.

    Examples
    --------
    >>> factor_group("sector: Energy"), factor_group("momentum"), factor_group("market")
    ('Sector', 'Style', 'Market')
    """
    name = str(factor)
    if name == "market":
        return "Market"
    if name.startswith(_SECTOR_PREFIX):
        return "Sector"
    return "Style"


def factor_groups(factors: Iterable[str]) -> dict[str, list[str]]:
    """The groups present among ``factors``, each with its factors in the given order.

    Parameters
    ----------
    factors : iterable of str
        Factor names of a model (``RiskForecast.factors``, ``FactorRiskModel.factors_``).

    Returns
    -------
    dict of str to list of str
        Group name to factor names, groups in :data:`FACTOR_GROUPS` order; a group without
        a factor (the market and sectors of a ``'styles'`` model) is absent.

    Examples
    --------
    >>> factor_groups(["market", "sector: Energy", "size", "value"])
    {'Market': ['market'], 'Sector': ['sector: Energy'], 'Style': ['size', 'value']}
    """
    out: dict[str, list[str]] = {g: [] for g in FACTOR_GROUPS}
    for f in factors:
        out[factor_group(f)].append(str(f))
    return {g: names for g, names in out.items() if names}
