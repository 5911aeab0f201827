"""Forecasters: accuracy on a known weekly pattern, degenerate series, 2027 dates, round trips, fallbacks."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

from hotline_ml.forecast.fallback import fit_with_fallback
from hotline_ml.forecast.models import (
    Forecaster,
    SeasonalNaive,
    TooShortError,
    future_dates,
    gaussian_frame,
    interval_columns,
    make_forecaster,
)
from tests.forecast.conftest import SANITY, WEEKLY, candidate, weekly_series

LEVEL = (80, 95)


def build(name: str) -> Forecaster:
    return make_forecaster(candidate(name).model, name)


@pytest.mark.parametrize("name", ["seasonal_naive", "ets", "sarimax"])
def test_weekly_pattern_is_forecast_within_tolerance(name: str) -> None:
    y = weekly_series(140, seed=1)
    fc = build(name).fit(y).predict(14, LEVEL)
    truth = WEEKLY[fc.index.day_of_week]
    assert list(fc.columns) == interval_columns(LEVEL) and len(fc) == 14
    assert fc.index[0] == y.index[-1] + pd.Timedelta(days=1)
    # Poisson noise around 30/day has sd ~5.5; the seasonal naive repeats one noisy week, the models average
    tolerance = 6.0 if name == "seasonal_naive" else 3.0
    assert np.abs(fc["mean"].to_numpy() - truth).mean() < tolerance
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["mean"]).all()
    assert (fc["mean"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()


def test_seasonal_naive_repeats_last_week_with_growing_intervals() -> None:
    y = weekly_series(28)
    fc = SeasonalNaive(period=7).fit(y).predict(14, LEVEL)
    np.testing.assert_array_equal(fc["mean"].to_numpy(), np.tile(y.to_numpy()[-7:], 2))
    width = (fc["hi_95"] - fc["lo_95"]).to_numpy()
    np.testing.assert_allclose(width[7:], width[:7] * np.sqrt(2))


@pytest.mark.parametrize("name", ["ets", "sarimax"])
def test_all_zero_series_does_not_crash_and_says_what_it_used(name: str) -> None:
    y = pd.Series(0.0, index=pd.date_range("2025-01-01", periods=90, freq="D"))
    out = fit_with_fallback(lambda: build(name), lambda: build("seasonal_naive"), y, 14, LEVEL, SANITY)
    assert out.requested == name
    assert np.allclose(out.forecast.to_numpy(), 0.0, atol=1e-6)
    # either the model coped, or it fell back to the baseline and the reason says why
    assert (out.used == name and out.fallback_reason is None) or (
        out.used == "seasonal_naive" and out.fallback_reason)


def test_very_short_series_falls_back_and_says_so() -> None:
    y = weekly_series(5)
    with pytest.raises(TooShortError, match="5 days of history < 28"):
        build("ets").fit(y)
    out = fit_with_fallback(lambda: build("ets"), lambda: build("seasonal_naive"), y, 14, LEVEL, SANITY)
    assert out.used == "seasonal_naive" and "TooShortError" in out.fallback_reason
    assert out.notes == ["history 5 days < period 7: forecasts the mean"]
    np.testing.assert_allclose(out.forecast["mean"], y.mean())


def test_forecast_reaching_2027_uses_the_holiday_fallback_and_says_so() -> None:
    y = weekly_series(91, start="2026-09-18")  # ends 2026-12-17; 30 days reach 2027-01-16
    model = build("sarimax").fit(y)
    fc = model.predict(30, LEVEL)
    assert fc.index[-1].year == 2027 and np.isfinite(fc.to_numpy()).all()
    assert any("calendar 2027" in n and "fixed-date" in n for n in model.notes)
    assert "calendar 2026" not in " ".join(model.notes)


@pytest.mark.parametrize("name", ["seasonal_naive", "ets", "sarimax"])
def test_fit_pickle_load_forecasts_the_same_and_update_keeps_parameters(name: str) -> None:
    y = weekly_series(98, seed=3)
    model = build(name).fit(y.iloc[:84])
    before = model.predict(21, LEVEL)
    blob = pickle.dumps(model)
    again = pickle.loads(blob)
    pd.testing.assert_frame_equal(again.predict(21, LEVEL), before)
    assert len(blob) < 50_000  # parameters + history, not statsmodels' per-step arrays
    params = copy.deepcopy(getattr(again, "params_", None))
    again.update(y)  # two more weeks of data, no re-estimation
    assert repr(getattr(again, "params_", None)) == repr(params)
    moved = again.predict(7, LEVEL)
    assert moved.index[0] == y.index[-1] + pd.Timedelta(days=1) and np.isfinite(moved.to_numpy()).all()


@pytest.mark.parametrize(("trend", "damped", "seasonal"), [("add", True, "add"), ("add", False, "add"),
                                                           (None, False, "add"), ("add", True, None)])
def test_ets_analytic_forecast_equals_statsmodels_prediction(trend, damped, seasonal) -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = weekly_series(120, seed=6, scale=0.5)
    ours = make_forecaster({**candidate("ets").model, "trend": trend, "damped_trend": damped,
                            "seasonal": seasonal}).fit(y)
    model = ETSModel(y, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                     seasonal_periods=7 if seasonal else None)
    pred = model.smooth(np.array(list(ours.params_.values()))).get_prediction(start=120, end=120 + 15)
    fc = ours.predict(16, LEVEL)
    np.testing.assert_allclose(fc["mean"], pred.predicted_mean, rtol=1e-9, atol=1e-9)
    for lv in LEVEL:
        np.testing.assert_allclose(fc[f"hi_{lv}"], np.asarray(pred.pred_int(alpha=1 - lv / 100))[:, 1], rtol=1e-6)


class _Fixed(Forecaster):
    """Fake model with a fixed forecast (to trigger the absurd-value checks)."""

    name = "fixed"

    def __init__(self, mean: float, sd: float) -> None:
        super().__init__(min_history=1)
        self.mean, self.sd = mean, sd

    def _fit(self, y: pd.Series) -> None:
        pass

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        return gaussian_frame(future_dates(self.y_.index[-1], h), np.full(h, self.mean), np.full(h, self.sd), level)


@pytest.mark.parametrize(("mean", "sd", "reason"), [(-5.0, 1.0, "negative mean"), (10.0, 1e4, "exploding interval"),
                                                    (float("nan"), 1.0, "non-finite")])
def test_absurd_forecasts_fall_back_to_the_baseline(mean: float, sd: float, reason: str) -> None:
    y = weekly_series(28)
    out = fit_with_fallback(lambda: _Fixed(mean, sd), lambda: build("seasonal_naive"), y, 7, LEVEL, SANITY)
    assert out.used == "seasonal_naive" and reason in out.fallback_reason


def test_small_negative_means_are_clipped_not_replaced() -> None:
    y = weekly_series(28)
    out = fit_with_fallback(lambda: _Fixed(-0.2, 1.0), lambda: build("seasonal_naive"), y, 7, LEVEL, SANITY)
    assert out.used == "fixed" and (out.forecast.to_numpy() >= 0).all()


def test_bad_input_names_the_problem() -> None:
    y = weekly_series(30)
    with pytest.raises(ValueError, match=r"consecutive.*between 2025-01-15 and 2025-01-17"):
        SeasonalNaive().fit(y.drop(y.index[10]))
    with pytest.raises(ValueError, match="finite and >= 0"):
        SeasonalNaive().fit(y.where(y.index != y.index[3], -1.0))
    with pytest.raises(ValueError, match="empty"):
        SeasonalNaive().fit(y.iloc[:0])


def test_make_forecaster_errors_name_the_config() -> None:
    with pytest.raises(ValueError, match="cfg-x: no _target_"):
        make_forecaster({"period": 7}, "cfg-x")
    with pytest.raises(ValueError, match="cannot import"):
        make_forecaster({"_target_": "hotline_ml.forecast.models.Nope"}, "cfg-x")
    with pytest.raises(ValueError, match=r"not a hotline_ml.forecast.models.Forecaster"):
        make_forecaster({"_target_": "pandas.DataFrame"}, "cfg-x")
    with pytest.raises(ValueError, match=r"bad settings.*perod"):
        make_forecaster({"_target_": "hotline_ml.forecast.models.SeasonalNaive", "perod": 7}, "cfg-x")
