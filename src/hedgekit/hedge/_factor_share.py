"""The factor share of a hedged portfolio's predicted variance, overall and per factor group.

With ``w`` the hedge's weights (per unit of portfolio notional), the hedged portfolio holds
the positions less the hedge; under the risk model on the hedge date its factor exposures
are ``x = b - B'w`` (``b`` the portfolio's, ``B`` the candidates') and its predicted variance

    total(w) = x' F x + sum_i (net_i s_i)^2

with ``net`` its stock weights and ``s`` the specific volatilities. The factor share is
``x' F x / total``; a group's share (``'Market'``, ``'Sector'``, ``'Style'``, the groups of
:func:`hedgekit.risk.factor_groups`) is the variance of the group's factors alone,
``x_g' F_gg x_g / total``. The group shares do not add up to the factor share: the
covariances between groups are in neither.

:func:`share_groups` resolves the caps of ``max_factor_share_by_group``,
:class:`FactorShareTerms` computes the shares of any weights and the penalty matrices of
the search in :mod:`._factor_share_search`, and :func:`factor_share_report` and
:func:`group_shares` put the achieved shares in a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.hedge._parameters import PerformanceHedgeParameters

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first risk forecast
    from hedgekit.hedge._prepare import Prepared

__all__ = [
    "FactorShareTerms",
    "factor_share_report",
    "group_shares",
    "has_share_caps",
    "share_groups",
]


def has_share_caps(params: PerformanceHedgeParameters) -> bool:
    """True when the parameters cap the factor share, overall or by group."""
    return params.max_factor_share is not None or params.max_factor_share_by_group is not None


def share_groups(
    caps: Mapping[str, float] | None, factors: Sequence[str]
) -> dict[str, tuple[np.ndarray, float]]:
    """The caps of ``max_factor_share_by_group`` on the model's ``factors``.

    Returns
    -------
    dict of str to (ndarray of int, float)
        Group name as the model spells it to the indices of its factors in ``factors``
        and the cap as a fraction (``10`` percent is ``0.1``).

    Raises
    ------
    ConfigurationError
        A name that is no group of the model (names match in any case), or one group given
        twice; the message lists the model's groups.
    """
    if not caps:
        return {}
    from hedgekit.risk import factor_groups

    position = {str(f): i for i, f in enumerate(factors)}
    groups = {
        g: np.array([position[f] for f in members], dtype=np.intp)
        for g, members in factor_groups(factors).items()
    }
    known = {g.lower(): g for g in groups}
    unknown = [name for name in caps if name.strip().lower() not in known]
    if unknown:
        hint = (
            " (gs-quant's 'Industry' category is 'Sector' here: the model's industry factors "
            "are the GICS sectors)"
            if any(u.strip().lower() == "industry" for u in unknown) and "sector" in known
            else ""
        )
        raise ConfigurationError(
            f"max_factor_share_by_group: unknown factor group(s) "
            f"{', '.join(map(repr, unknown))}; the risk model's groups are "
            f"{', '.join(groups)}{hint}"
        )
    out: dict[str, tuple[np.ndarray, float]] = {}
    for name, cap in caps.items():
        g = known[name.strip().lower()]
        if g in out:
            raise ConfigurationError(
                f"max_factor_share_by_group names the group {g!r} twice; give it once"
            )
        out[g] = (groups[g], float(cap) / 100.0)
    return out


@dataclass(frozen=True, eq=False)
class FactorShareTerms:
    """The risk model's view of a hedge's candidates and portfolio, for factor shares.

    Attributes
    ----------
    exposures : ndarray of shape (n_candidates, n_factors)
        ``B``.
    factor_covariance : ndarray of shape (n_factors, n_factors)
        ``F``, annualised.
    target_exposures : ndarray of shape (n_factors,)
        ``b``, the portfolio's exposures per unit of its notional.
    specific_variance : ndarray of shape (n_candidates,)
        ``s_i^2`` of the candidates.
    target_specific_variance : float
        The portfolio's specific variance.
    specific_cross : ndarray of shape (n_candidates,)
        Specific covariance of each candidate with the portfolio (non-zero for a candidate
        the portfolio holds).
    factors : list of str
        Factor names, in the model's order.
    """

    exposures: np.ndarray
    factor_covariance: np.ndarray
    target_exposures: np.ndarray
    specific_variance: np.ndarray
    target_specific_variance: float
    specific_cross: np.ndarray
    factors: list[str]

    @classmethod
    def from_prepared(cls, prep: Prepared) -> FactorShareTerms:
        """The terms of a prepared hedge, under the forecast its factor constraints and
        caps read (``prep.exposure_forecast``)."""
        fc = prep.exposure_forecast
        if fc is None:
            raise ConfigurationError("the factor share needs the risk model's forecast")
        names = list(prep.candidate_returns.columns)
        wt = prep.portfolio["weight"]
        spec = fc.specific_risk.loc[names].to_numpy(dtype="float64")
        s_pos = fc.specific_risk.loc[wt.index].to_numpy(dtype="float64")
        return cls(
            exposures=fc.exposures.loc[names].to_numpy(dtype="float64"),
            factor_covariance=fc.factor_covariance.to_numpy(dtype="float64"),
            target_exposures=fc.exposures.loc[wt.index].to_numpy(dtype="float64").T @ wt.to_numpy(),
            specific_variance=spec**2,
            target_specific_variance=float(np.sum((wt.to_numpy() * s_pos) ** 2)),
            specific_cross=wt.reindex(names).fillna(0.0).to_numpy() * spec**2,
            factors=fc.factors,
        )

    def block(self, members: np.ndarray | None) -> np.ndarray:
        """``F`` with every entry outside the rows and columns of ``members`` set to 0
        (``members`` None: ``F`` itself)."""
        F = self.factor_covariance
        if members is None:
            return F
        out = np.zeros_like(F)
        out[np.ix_(members, members)] = F[np.ix_(members, members)]
        return out

    def shares(
        self, w: np.ndarray, groups: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, Any]:
        """Predicted variance of the portfolio hedged by ``w`` and its factor shares.

        Returns
        -------
        dict
            ``total_variance``, ``factor_variance``, ``specific_variance`` (annualised),
            ``factor_share`` (a fraction) and ``by_group`` (group to its share).
        """
        x = self.target_exposures - self.exposures.T @ w
        F = self.factor_covariance
        fv = float(x @ F @ x)
        sv = float(
            self.target_specific_variance
            - 2.0 * self.specific_cross @ w
            + np.sum(w**2 * self.specific_variance)
        )
        total = fv + sv
        by_group = {
            g: float(x[m] @ F[np.ix_(m, m)] @ x[m]) / total if total > 0 else 0.0
            for g, m in (groups or {}).items()
        }
        return {
            "total_variance": total,
            "factor_variance": fv,
            "specific_variance": sv,
            "factor_share": fv / total if total > 0 else 0.0,
            "by_group": by_group,
        }


def group_shares(
    loads: Mapping[str, np.ndarray], F: np.ndarray, factors: Sequence[str], total: pd.Series
) -> pd.DataFrame:
    """Each leg's share of variance from each factor group alone: one column
    ``<group>_share_of_variance`` per group of ``factors``, one row per leg of ``loads``
    (the leg's factor exposures), ``total`` the legs' predicted variances."""
    from hedgekit.risk import factor_groups

    position = {str(f): i for i, f in enumerate(factors)}
    columns = {}
    for g, members in factor_groups(factors).items():
        m = np.array([position[f] for f in members], dtype=np.intp)
        columns[f"{g.lower()}_share_of_variance"] = {
            leg: float(x[m] @ F[np.ix_(m, m)] @ x[m]) / float(total[leg])
            if float(total[leg]) > 0
            else 0.0
            for leg, x in loads.items()
        }
    return pd.DataFrame(columns)


def factor_share_report(
    prep: Prepared, params: PerformanceHedgeParameters, w: np.ndarray
) -> dict[str, Any] | None:
    """The achieved factor shares of the hedge ``w`` (whole shares) beside the caps, in
    percent, for the result's ``diagnostics['factor_share']``; None without caps."""
    if not has_share_caps(params) or prep.exposure_forecast is None:
        return None
    terms = FactorShareTerms.from_prepared(prep)
    caps = share_groups(params.max_factor_share_by_group, terms.factors)
    got = terms.shares(w, {g: m for g, (m, _) in caps.items()})
    out: dict[str, Any] = {
        "max_factor_share": params.max_factor_share,
        "factor_share": 100.0 * got["factor_share"],
    }
    if caps:
        out["max_factor_share_by_group"] = {g: 100.0 * c for g, (_, c) in caps.items()}
        out["factor_share_by_group"] = {g: 100.0 * v for g, v in got["by_group"].items()}
    above = [
        f"{label} {100.0 * value:.3f}% > {100.0 * cap:g}%"
        for label, value, cap in [
            *(
                [("overall", got["factor_share"], params.max_factor_share / 100.0)]
                if params.max_factor_share is not None
                else []
            ),
            *((g, got["by_group"][g], c) for g, (_, c) in caps.items()),
        ]
        if value > cap
    ]
    if above:
        out["rounding_note"] = (
            "whole-share rounding moved the factor share above the cap the weights met: "
            + ", ".join(above)
        )
    return out
