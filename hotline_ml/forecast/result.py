"""What the forecasting job computed (:func:`hotline_ml.forecast.job.forecast_all`), in one frozen result."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hotline_ml.forecast.aggregate import SeriesPanel
from hotline_ml.forecast.bundle import ForecastBundle
from hotline_ml.forecast.engine import SeriesFit
from hotline_ml.forecast.report import WarningReport


@dataclass(frozen=True)
class ForecastJobResult:
    """Everything the job computed.

    Attributes:
        panel: The daily series.
        fits: Series key -> per-series result.
        bundle: The fitted bundle (what is registered).
        scores: Per-origin backtest scores (``summary.score_table``).
        levels: Mean backtest metrics per level and method, with relative MASE.
        metrics: Metrics to log (``backtest_*``, ``warning_*``, counts).
        forecasts: Published forecasts for the next ``horizon`` days (parents reconciled).
        fit_report: One row per series: chosen model, model used, fallback reason, warnings, notes.
        warning: The early-warning report: ranked alerts, replay, examples, score.
        files: Written files by name (empty until :func:`run_forecast_job` writes them).
    """

    panel: SeriesPanel
    fits: dict[str, SeriesFit]
    bundle: ForecastBundle
    scores: pd.DataFrame
    levels: pd.DataFrame
    metrics: dict[str, float]
    forecasts: pd.DataFrame
    fit_report: pd.DataFrame
    warning: WarningReport
    files: dict[str, str] = field(default_factory=dict)

    @property
    def alerts(self) -> pd.DataFrame:
        """Early-warning alerts, most severe first."""
        return self.warning.alerts

    @property
    def warning_score(self) -> dict[str, float] | None:
        """Precision / recall of the alerts against ground truth (``None`` without ground truth)."""
        return self.warning.score
