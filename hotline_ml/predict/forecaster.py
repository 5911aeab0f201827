"""The demand forecaster API: the registered forecast bundle, loaded once, forecasting given series.

The bundle itself (``hotline_ml.forecast.bundle``) does the forecasting; this adds loading from the registry
and the trace columns every served result carries.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from hotline_ml.forecast.bundle import BUNDLE_FILE, ForecastBundle, load_bundle
from hotline_ml.predict.loading import ModelInfo


class ForecastPredictor:
    """Forecasts of daily demand (mean and prediction intervals) per series.

    Args:
        bundle: The fitted forecaster bundle.
        info: Where it came from.
    """

    def __init__(self, bundle: ForecastBundle, info: ModelInfo) -> None:
        self.bundle = bundle
        self.info = info

    @classmethod
    def load(cls, source: str, tracking_uri: str | None = None) -> ForecastPredictor:
        """Load from ``models:/hotline-demand-forecaster@<alias>``, a run, an MLflow model directory, or a
        bundle folder written by ``ForecastBundle.save``.

        Raises:
            ValueError: The source cannot be resolved or holds no ``bundle`` artifact.
        """
        from hotline_ml import tracking

        if (Path(source) / BUNDLE_FILE).is_file():
            return cls(load_bundle(source), ModelInfo(source))
        with tempfile.TemporaryDirectory(prefix="hotline-forecaster-") as tmp:
            resolved = tracking.resolve_model(source, tmp, tracking_uri)
            if "bundle" not in resolved.artifacts:
                raise ValueError(f"{source}: no 'bundle' artifact (found {sorted(resolved.artifacts)}); "
                                 "is it the demand forecaster?")
            bundle = load_bundle(resolved.artifacts["bundle"])
        return cls(bundle, ModelInfo(source, resolved.name, resolved.version, resolved.run_id))

    @property
    def series(self) -> list[str]:
        """Every series key the forecaster knows."""
        return self.bundle.keys

    def history(self, series: str) -> pd.Series:
        """The daily counts the forecaster for ``series`` was fitted on (the most recent fit).

        Raises:
            KeyError: An unknown series (the message lists a few known ones).
        """
        if series not in self.bundle.models:
            raise KeyError(f"unknown series {series!r}; known: {self.series[:5]} ... ({len(self.series)} in all)")
        return self.bundle.models[series].y_.rename(series)

    def forecast(self, series: str | Sequence[str] | None, horizon: int) -> pd.DataFrame:
        """Forecast ``horizon`` days after each series' history.

        Args:
            series: One key, several, or ``None`` for all.
            horizon: Days ahead, >= 1.

        Returns:
            ``series, date, mean, lo_<l>, hi_<l>`` (orders/day, >= 0), ``horizon`` rows per series, plus
            ``model_name, model_version, run_id, predicted_at``.

        Raises:
            ValueError: ``horizon`` < 1. KeyError: an unknown series (the message lists known ones).
        """
        if int(horizon) < 1:
            raise ValueError(f"horizon must be >= 1 day, got {horizon}")
        keys = [series] if isinstance(series, str) else series
        out = self.bundle.forecast(int(horizon), keys)
        return out.assign(model_name=self.info.name, model_version=self.info.version, run_id=self.info.run_id,
                          predicted_at=pd.Timestamp(datetime.now(timezone.utc)))
