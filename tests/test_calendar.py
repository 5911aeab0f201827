"""Chinese holidays, make-up workdays, and the fallback past chinesecalendar's last year."""

from __future__ import annotations

import pandas as pd
import pytest

from hotline_ml.calendar import covered_by_chinesecalendar, day_table, days_to_lunar_new_year


def test_official_schedule_within_coverage() -> None:
    t = day_table(pd.DatetimeIndex(["2026-10-01", "2026-10-05", "2026-10-10", "2026-10-12", "2026-10-11"]))
    assert t["is_holiday"].tolist() == [True, True, False, False, False]
    assert t.loc["2026-10-10", "is_makeup_workday"]  # a Saturday worked to make up for National Day
    assert t.loc["2026-10-10", "is_workday"] and t.loc["2026-10-10", "is_weekend"]
    assert not t.loc["2026-10-11", "is_workday"]  # an ordinary Sunday
    assert t.loc["2026-10-12", "is_workday"]


def test_dates_past_coverage_fall_back_with_a_warning() -> None:
    assert not covered_by_chinesecalendar(2029)
    days = pd.date_range("2028-12-20", "2029-02-20")
    with pytest.warns(UserWarning, match="no official holiday schedule for 20(28|29)"):
        t = day_table(days)
    assert t.loc["2029-01-01", "is_holiday"]
    assert t.loc["2029-02-13", "is_holiday"]  # Spring Festival week from the lunar-new-year table
    assert not t["is_makeup_workday"].loc["2029"].any()
    assert t.loc["2029-01-06", "is_weekend"] and not t.loc["2029-01-06", "is_workday"]


def test_days_to_lunar_new_year() -> None:
    d = pd.DatetimeIndex(["2026-02-10", "2026-02-17", "2026-03-01", "2025-12-31"])
    assert days_to_lunar_new_year(d).tolist() == [-7, 0, 12, -48]
