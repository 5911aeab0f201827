"""Per-series choice: backtest, choose, fit; degenerate series say what they fell back to; parallel = serial."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotline_ml.forecast.engine import FitPlan, fit_panel, fit_series
from tests.forecast.conftest import weekly_series


def test_a_regular_series_is_backtested_and_fitted(plan: FitPlan) -> None:
    fit = fit_series("s", weekly_series(140, seed=5), plan)
    assert set(fit.scores) == {"seasonal_naive", "ets"} and all(len(s) == 8 for s in fit.scores.values())
    assert fit.chosen == "ets"  # noise averaged beats one noisy week repeated
    assert fit.model.name == "ets" and fit.fallback_reason is None and fit.backtest_note is None
    assert len(fit.forecast) == plan.horizon and set(fit.cv["candidate"]) == {"seasonal_naive", "ets"}
    assert set(fit.auto_by_origin) <= {"seasonal_naive", "ets"} and len(fit.auto_by_origin) == 8


def test_all_zero_series_gets_a_zero_forecast_and_a_stated_model(plan: FitPlan) -> None:
    y = pd.Series(0.0, index=pd.date_range("2025-01-01", periods=140, freq="D"))
    fit = fit_series("zeros", y, plan)
    assert np.allclose(fit.forecast.to_numpy(), 0.0, atol=1e-6)
    assert fit.chosen == "seasonal_naive"  # ties go to the baseline
    assert fit.model.name == "seasonal_naive"
    for scores in fit.scores.values():
        assert scores["mase"].isna().all() and (scores["mae"] < 1e-6).all()  # MASE undefined, said as NaN


def test_very_short_series_is_not_backtested_and_says_why(plan: FitPlan) -> None:
    fit = fit_series("short", weekly_series(5), plan)
    assert fit.scores == {} and fit.cv.empty
    assert fit.backtest_note.startswith("not backtested: 5 days < 56 training days")
    assert fit.chosen == "seasonal_naive" and fit.notes == ["history 5 days < period 7: forecasts the mean"]
    assert len(fit.forecast) == plan.horizon


def test_volume_gate_keeps_slow_candidates_off_quiet_series(plan: FitPlan) -> None:
    gated = FitPlan(plan.baseline, (plan.candidates[0].__class__(name="ets", min_mean_per_day=100.0,
                                                                 model=plan.candidates[0].model),),
                    plan.backtest, plan.sanity, plan.horizon, plan.level)
    fit = fit_series("s", weekly_series(140), gated)
    assert set(fit.scores) == {"seasonal_naive"} and "< min_mean_per_day 100.0" in fit.not_tried["ets"]


def test_parallel_fits_equal_serial_fits(plan: FitPlan) -> None:
    counts = pd.DataFrame({f"s{i}": weekly_series(100, seed=i) for i in range(3)})
    serial = fit_panel(counts, plan, n_jobs=1, progress=False)
    parallel = fit_panel(counts, plan, n_jobs=2, progress=False)
    assert list(parallel) == list(counts.columns)
    for key in counts:
        pd.testing.assert_frame_equal(parallel[key].forecast, serial[key].forecast)
        assert parallel[key].chosen == serial[key].chosen
