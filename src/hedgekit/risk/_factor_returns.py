"""The factor structure of :class:`~hedgekit.risk.FactorRiskModel` and its daily regressions.

A month end's exposures are kept as a table of tickers x (the seven styles, ``gics_sector``,
``market_cap``) (:func:`_exposure_table`). The ``'barra'`` structure's factors are
``market``, one ``sector: <name>`` per GICS sector and the styles; :func:`_design` turns a
table into these loadings. :func:`regress_block` runs the cross-sectional regressions of
the days that use one month end's exposures: weights ``sqrt(market cap)`` (or equal), a
Huber loss and, for ``'barra'``, the constraint ``sum_j cap_j b_sector_j = 0`` that makes
the market factor identifiable next to a full set of sector dummies (the ``sum_to_zero``
constraint of :func:`~hedgekit.risk.huber_irls`). A sector without members that day, an
unclassified stock, and a style without information (all zero, or a sector-median fill
collinear with the sector dummies) stay out of the day's regression; such a factor's
return is 0. The ``'styles'`` structure regresses on an intercept and the styles only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgekit.data import MarketData
from hedgekit.risk._exposures import STYLE_FACTORS, ExposureFrame
from hedgekit.risk._regression import huber_irls

__all__ = ["regress_block"]

#: a style whose within-sector variance is below this share of its variance is collinear
_COLLINEAR_SHARE = 1e-6


def _sector_factor(sector: str) -> str:
    """Name of a GICS sector's factor."""
    return f"sector: {sector}"


def _drop_collinear_styles(styles: pd.DataFrame, sectors: pd.Series) -> np.ndarray:
    """Styles as an array, with 0 for a style that sector membership explains entirely.

    When almost no statement is known (early 2013 in the data), value and leverage are
    sector-median fills: constant within each sector, hence collinear with the sector
    dummies; the regression would split one return between the two arbitrarily. Such a
    style gets exposure 0 that day (its factor return is then 0).
    """
    x = styles.to_numpy(dtype="float64").copy()
    labels = sectors.astype(object).where(sectors.notna(), "__none__").to_numpy()
    for j in range(x.shape[1]):
        col = pd.Series(x[:, j])
        total = float(((col - col.mean()) ** 2).sum())
        within = float(((col - col.groupby(labels).transform("mean")) ** 2).sum())
        if total > 0 and within <= _COLLINEAR_SHARE * total:
            x[:, j] = 0.0
    return x


def _exposure_table(frame: ExposureFrame) -> pd.DataFrame:
    """Styles, sector and market cap of an exposure frame (the stored layout)."""
    table = frame.exposures[list(STYLE_FACTORS)].astype("float64").copy()
    table["gics_sector"] = frame.sectors.reindex(table.index).astype(object)
    table["market_cap"] = frame.weights.reindex(table.index).astype("float64")
    table.index.name = "ticker"
    return table


def _design(table: pd.DataFrame, sectors: list[str], factors: list[str]) -> pd.DataFrame:
    """Tickers x factors loadings (market 1, sector dummies, styles) of a stored table."""
    out = pd.DataFrame(0.0, index=table.index, columns=factors)
    if "market" not in factors:  # the 'styles' structure
        out[list(STYLE_FACTORS)] = table[list(STYLE_FACTORS)].to_numpy(dtype="float64")
        return out
    out["market"] = 1.0
    sec = table["gics_sector"]
    for s in sectors:
        out[_sector_factor(s)] = (sec == s).to_numpy(dtype="float64")
    out[list(STYLE_FACTORS)] = table[list(STYLE_FACTORS)].to_numpy(dtype="float64")
    return out


def regress_block(
    market: MarketData,
    table: pd.DataFrame,
    block: pd.DatetimeIndex,
    *,
    sectors: list[str],
    factors: list[str],
    structure: str,
    weighting: str,
    epsilon: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Factor returns and residuals of the days ``block`` on one month end's exposures.

    Parameters
    ----------
    market : MarketData
        Source of the stock returns (read as of the block's last day).
    table : DataFrame
        The month end's exposure table (:func:`_exposure_table`): tickers x (styles,
        ``gics_sector``, ``market_cap``).
    block : DatetimeIndex
        The trading days after that month end up to the next one (or the model's end).
    sectors : list of str
        Every GICS sector of the model.
    factors : list of str
        The model's factors, the column order of the result.
    structure : {'barra', 'styles'}
        Market, sectors with the cap-weighted constraint and styles, or an intercept and
        the styles.
    weighting : {'sqrt_cap', 'equal'}
        Regression weights.
    epsilon : float
        Huber threshold.

    Returns
    -------
    tuple of (DataFrame, DataFrame, Series, Series)
        Days x factors factor returns (0 for a factor out of the day's regression), days x
        tickers residuals, the weighted R^2 and the stocks in each day's regression.
    """
    names = list(table.index)
    block = block.rename("date")
    sec = table["gics_sector"]
    styles = _drop_collinear_styles(table[list(STYLE_FACTORS)], sec)
    cap = table["market_cap"].to_numpy(dtype="float64")
    if not (np.isfinite(cap) & (cap > 0)).any():
        cap = np.ones(len(names))  # no caps known (before 2013): equal weights
    cap = np.where(np.isfinite(cap) & (cap > 0), cap, np.nanmedian(cap[cap > 0]))
    rets = market.as_of(block[-1]).returns(names, start=block[0]).reindex(block)
    y = rets.to_numpy(dtype="float64")
    w = np.sqrt(cap) if weighting == "sqrt_cap" else np.ones(len(names))
    # a style with no information that day (all zero: no data, or collinear with the
    # sectors) stays out of the regression; its factor return is 0
    live = [j for j in range(styles.shape[1]) if np.any(styles[:, j] != 0.0)]
    live_styles = [STYLE_FACTORS[j] for j in live]
    if structure == "styles":
        X = np.column_stack([np.ones(len(names)), styles[:, live]])
        fit = huber_irls(X, y, np.broadcast_to(w, y.shape), epsilon=epsilon)
        coef = pd.DataFrame(fit.coef[:, 1:], index=block, columns=live_styles)
    else:
        present = [s for s in sectors if bool((sec == s).any())]
        dummies = np.stack([(sec == s).to_numpy(dtype="float64") for s in present], axis=1)
        X = np.column_stack([np.ones(len(names)), dummies, styles[:, live]])
        X[sec.isna().to_numpy()] = np.nan  # unclassified stocks stay out of the regression
        fit = huber_irls(
            X,
            y,
            np.broadcast_to(w, y.shape),
            epsilon=epsilon,
            constraint=(
                "sum_to_zero",
                list(range(1, 1 + len(present))),
                np.broadcast_to(cap, y.shape),
            ),
        )
        columns = ["market", *[_sector_factor(s) for s in present], *live_styles]
        coef = pd.DataFrame(fit.coef, index=block, columns=columns)
    coef = coef.reindex(columns=factors, fill_value=0.0)
    resid = pd.DataFrame(fit.residuals, index=block, columns=pd.Index(names, name="ticker"))
    n = pd.Series(np.isfinite(fit.residuals).sum(axis=1), index=block)
    return coef, resid, pd.Series(fit.r_squared, index=block), n
