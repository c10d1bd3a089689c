"""Former home of the data quality report, now the package :mod:`hedgekit.data.quality`.

A thin re-export kept so that existing imports of ``hedgekit.data._quality`` (the CLI's
``data check`` command) keep working; import from :mod:`hedgekit.data.quality` instead.
"""

from __future__ import annotations

from hedgekit.data.quality import QualityReport, QualitySection, Status, check_data, plot_coverage

__all__ = ["QualityReport", "QualitySection", "Status", "check_data", "plot_coverage"]
