"""Demand forecasting per category and district: aggregation, statsmodels forecasters behind one interface,
rolling-origin backtests with per-series model choice, bottom-up reconciliation, and the early warning."""

from hotline_ml.forecast.models import (
    ETSForecaster,
    Forecaster,
    SARIMAXForecaster,
    SeasonalNaive,
    make_forecaster,
)

__all__ = ["ETSForecaster", "Forecaster", "SARIMAXForecaster", "SeasonalNaive", "make_forecaster"]
