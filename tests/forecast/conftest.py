"""Forecast test helpers: the real conf/forecast settings and seeded daily series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from hotline_ml.config import BacktestConfig, ForecastCandidateConfig, SanityConfig
from hotline_ml.forecast.engine import FitPlan
from tests.helpers import CONF

WEEKLY = np.array([30.0, 32.0, 31.0, 33.0, 35.0, 12.0, 10.0])  # Mon..Sun, a clear weekday/weekend shape


def candidate(name: str) -> ForecastCandidateConfig:
    """A candidate exactly as conf/forecast/<name>.yaml defines it."""
    raw = OmegaConf.to_container(OmegaConf.load(CONF / "forecast" / f"{name}.yaml"))
    return ForecastCandidateConfig(**raw)


def weekly_series(n_days: int, start: str = "2025-01-06", seed: int = 0, scale: float = 1.0) -> pd.Series:
    """Poisson counts around ``WEEKLY * scale`` (starts on a Monday)."""
    days = pd.date_range(start, periods=n_days, freq="D", name="date")
    lam = WEEKLY[days.day_of_week] * scale
    return pd.Series(np.random.default_rng(seed).poisson(lam).astype(float), index=days)


SANITY = SanityConfig(max_negative_mean=0.5, max_upper_ratio=10.0)


@pytest.fixture
def plan() -> FitPlan:
    """Seasonal naive baseline + ETS from conf, a short backtest."""
    return FitPlan(candidate("seasonal_naive"), (candidate("ets"),),
                   BacktestConfig(horizon=14, n_origins=8, step=7, refit_every=4, min_train=56,
                                  baseline_margin=0.0), SANITY,
                   horizon=14, level=(80, 95))
