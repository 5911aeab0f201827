"""Holt-Winters on a grid: the one-pass backtest equals fitting at every origin, calendars, the combination."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import SanityConfig
from hotline_ml.forecast.backtest import choose, rolling_forecasts
from hotline_ml.forecast.models import Combination, SeasonalNaive
from hotline_ml.forecast.smoothing import HoltWinters, us_holidays

LEVEL = (80, 95)
SANITY = SanityConfig(max_negative_mean=0.5, max_upper_ratio=10.0)


def _series(n: int = 200, start: str = "2025-01-06", seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="D")
    weekly = np.where(idx.day_of_week < 5, 12.0, 4.0)
    return pd.Series(rng.poisson(weekly + np.linspace(0, 4, n)).astype(float), index=idx)


@pytest.mark.parametrize("seasonal", ["add", "mul"])
@pytest.mark.parametrize("refit_every", [1, 3])
def test_one_pass_backtest_equals_fitting_at_every_origin(seasonal: str, refit_every: int) -> None:
    y, cutoffs, h = _series(), [120, 134, 148, 162], 14
    rolled = HoltWinters(seasonal=seasonal, holidays="cn").rolling(y, cutoffs, h, LEVEL, refit_every)
    model = None
    for i, c in enumerate(cutoffs):
        if i % refit_every == 0:
            model = HoltWinters(seasonal=seasonal, holidays="cn").fit(y.iloc[:c])
        else:
            model.update(y.iloc[:c])
        one = model.predict(h, LEVEL)
        np.testing.assert_allclose(rolled.mean[i], one["mean"].to_numpy(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(rolled.bounds[95][1][i], one["hi_95"].to_numpy(), rtol=1e-9, atol=1e-9)


def test_a_clean_weekly_pattern_is_forecast_exactly() -> None:
    idx = pd.date_range("2025-03-03", periods=120, freq="D")
    y = pd.Series(np.where(idx.day_of_week < 5, 10.0, 3.0), index=idx)
    fc = HoltWinters(seasonal="add").fit(y).predict(14, LEVEL)
    expected = np.where(fc.index.day_of_week < 5, 10.0, 3.0)
    np.testing.assert_allclose(fc["mean"].to_numpy(), expected, atol=1e-6)


def test_chinese_holidays_are_forecast_like_a_sunday_and_do_not_move_the_level() -> None:
    from hotline_ml.calendar import day_table

    idx = pd.date_range("2025-06-02", "2026-09-27", freq="D")
    days = day_table(idx)
    off = (days["is_weekend"] & ~days["is_makeup_workday"]) | days["is_holiday"]
    y = pd.Series(np.where(off, 2.0, 10.0), index=idx)
    with_calendar = HoltWinters(holidays="cn").fit(y).predict(14, LEVEL)["mean"]
    national_day = with_calendar.loc["2026-10-01":"2026-10-07"]
    assert (national_day < 3).all()  # a Golden Week of holidays, Thursday to Wednesday
    assert with_calendar.loc["2026-10-08":"2026-10-09"].gt(9).all()  # the workdays after it
    plain = HoltWinters(holidays=None).fit(y).predict(14, LEVEL)["mean"]
    assert plain.loc["2026-10-01":"2026-10-02"].gt(5).all()  # without the calendar: weekday-like


def test_us_holidays_include_observed_days_and_the_friday_after_thanksgiving() -> None:
    days = set(us_holidays(pd.Timestamp("2015-01-01"), pd.Timestamp("2015-12-31")).strftime("%m-%d"))
    assert {"07-03", "11-11", "11-26", "11-27", "12-25"} <= days and "12-24" not in days


def test_combination_is_the_mean_of_its_members() -> None:
    y = _series()
    members = [HoltWinters(seasonal="add"), HoltWinters(seasonal="mul")]
    combo = Combination(members).fit(y).predict(10, LEVEL)
    a, b = (HoltWinters(seasonal=s).fit(y).predict(10, LEVEL) for s in ("add", "mul"))
    pd.testing.assert_frame_equal(combo, (a + b) / 2)
    rolled = Combination([HoltWinters(seasonal="add"), HoltWinters(seasonal="mul")]).rolling(y, [150], 10, LEVEL)
    np.testing.assert_allclose(rolled.mean[0], Combination([HoltWinters(), HoltWinters(seasonal="mul")])
                               .fit(y.iloc[:150]).predict(10, LEVEL)["mean"].to_numpy())


class _SlowNaive(SeasonalNaive):
    def rolling(self, *args, **kwargs):
        return None  # forces the origin-by-origin loop


def test_fast_seasonal_naive_backtest_equals_the_origin_by_origin_loop() -> None:
    y, cutoffs = _series(), [60, 90, 120, 150, 186]
    fast = rolling_forecasts(y, SeasonalNaive, SeasonalNaive, cutoffs, 14, LEVEL, SANITY)
    slow = rolling_forecasts(y, _SlowNaive, SeasonalNaive, cutoffs, 14, LEVEL, SANITY)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["actual"].isna().sum() == 0 and len(fast) == 5 * 14


def test_origins_shorter_than_the_model_needs_fall_back_with_the_reason() -> None:
    y = _series(100)
    rows = rolling_forecasts(y, HoltWinters, SeasonalNaive, [20, 60], 7, LEVEL, SANITY)
    first, second = rows[rows["step"] == 1]["fallback_reason"].tolist()
    assert first.startswith("TooShortError") and pd.isna(second)
    assert rows["used"].tolist()[:7] == ["seasonal_naive"] * 7


def test_the_baseline_needs_a_clear_margin_to_be_chosen() -> None:
    def scores(sn: float, hw: float) -> dict[str, pd.DataFrame]:
        return {"seasonal_naive": pd.DataFrame({"origin": [1, 2], "mae": [sn, sn]}),
                "holt_winters": pd.DataFrame({"origin": [1, 2], "mae": [hw, hw]})}

    assert choose(scores(0.95, 1.0)) == "seasonal_naive"
    assert choose(scores(0.95, 1.0), baseline_margin=0.1) == "holt_winters"
    assert choose(scores(0.85, 1.0), baseline_margin=0.1) == "seasonal_naive"
    assert choose(scores(1.2, 1.0), baseline_margin=0.1) == "holt_winters"
