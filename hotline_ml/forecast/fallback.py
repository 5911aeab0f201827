"""Fit a forecaster and fall back to the seasonal naive baseline when it fails, does not converge or is absurd.

Every fit runs under a warnings recorder: warnings are counted per category (SARIMAX emits many) instead of
flooding the log, a ``ConvergenceWarning`` triggers the fallback, and the reason is kept in the outcome.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from hotline_ml.config import SanityConfig
from hotline_ml.forecast.models import Forecaster, Rolling


@dataclass
class FitOutcome:
    """A fitted model (the requested one or the fallback), its forecast and what happened.

    Attributes:
        model: The model whose forecast is in ``forecast`` (the fallback when ``fallback_reason`` is set).
        forecast: Forecast frame (counts/day), clipped at 0.
        requested: Name of the forecaster that was asked for.
        fallback_reason: Why the fallback was used (``None`` when the requested model was kept).
        warnings: Warning category name -> number of warnings raised while fitting and forecasting.
        notes: Notes of the model that produced ``forecast`` (e.g. calendar approximations).
    """

    model: Forecaster
    forecast: pd.DataFrame
    requested: str
    fallback_reason: str | None = None
    warnings: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def used(self) -> str:
        """Name of the model that produced the forecast."""
        return self.model.name


def absurd_reason(forecast: pd.DataFrame, y: pd.Series, sanity: SanityConfig) -> str | None:
    """Why ``forecast`` is not believable for history ``y`` (``None`` when it is)."""
    level = [int(c[3:]) for c in forecast.columns if c.startswith("hi_")]
    return absurd_rolling(Rolling.from_frame(forecast, level), float(y.max()), sanity)


def absurd_rolling(forecast: Rolling, y_max: float, sanity: SanityConfig) -> str | None:
    """:func:`absurd_reason` of forecasts as arrays, given the history's maximum ``y_max``."""
    bounds = [b for pair in forecast.bounds.values() for b in pair]
    if not all(np.isfinite(v).all() for v in (forecast.mean, *bounds)):
        return "non-finite forecast"
    if (forecast.mean < -sanity.max_negative_mean).any():
        return f"negative mean forecast ({forecast.mean.min():.2f})"
    cap = sanity.max_upper_ratio * (y_max + 1.0)
    upper = max((hi.max() for _, hi in forecast.bounds.values()), default=-np.inf)
    if upper > cap:
        return f"exploding interval (upper {upper:.1f} > {cap:.1f})"
    return None


def clip_counts(forecast: pd.DataFrame) -> pd.DataFrame:
    """Counts cannot be negative: clip mean and bounds at 0."""
    return forecast.clip(lower=0.0)


def fit_with_fallback(make: Callable[[], Forecaster], make_fallback: Callable[[], Forecaster], y: pd.Series,
                      h: int, level: Sequence[int], sanity: SanityConfig,
                      previous: Forecaster | None = None) -> FitOutcome:
    """Fit (or, given ``previous``, only update) a model on ``y``, forecast ``h`` days, fall back if needed.

    Args:
        make: Builds a fresh, unfitted model.
        make_fallback: Builds the fallback (seasonal naive).
        y: Daily counts.
        h: Days to forecast.
        level: Interval levels in percent.
        sanity: Limits that make a forecast absurd.
        previous: A fitted model to move to ``y`` with its parameters kept (no re-estimation).

    Returns:
        The outcome; never raises for a model failure (bad input data still raises ``ValueError``).
    """
    counts: Counter = Counter()
    model = previous if previous is not None else make()
    reason = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = model.update(y) if previous is not None else model.fit(y)
            forecast = model.predict(h, level)
        except Exception as err:
            reason = f"{type(err).__name__}: {err}"
    counts.update(w.category.__name__ for w in caught)
    if reason is None and any(issubclass(w.category, ConvergenceWarning) for w in caught):
        reason = "did not converge (ConvergenceWarning)"
    if reason is None:
        reason = absurd_reason(forecast, y, sanity)
    if reason is None:
        return FitOutcome(model, clip_counts(forecast), model.name, None, counts, list(model.notes))
    fallback = make_fallback().fit(y)
    return FitOutcome(fallback, clip_counts(fallback.predict(h, level)), model.name, reason, counts,
                      list(fallback.notes))
