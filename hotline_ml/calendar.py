"""Chinese public holidays and make-up workdays (调休), with a fallback for years chinesecalendar lacks.

chinesecalendar carries the State Council's announced schedule, which only exists for years already
announced (up to 2026 in chinesecalendar 1.11). A 30-day forecast made in December reaches the next year, so
for unknown years we fall back to approximate fixed-date holidays (New Year, the Spring Festival week from a
lunar-new-year table, Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day), assume no make-up
workdays, and warn once per year. Nothing here crashes on a date it does not know.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cache

import chinese_calendar
import numpy as np
import pandas as pd

# Lunar New Year's Day (正月初一). Used for Spring-Festival-relative seasonality in every year, and for the
# fallback holiday week in years chinesecalendar does not cover.
LUNAR_NEW_YEAR: dict[int, dt.date] = {
    y: dt.date.fromisoformat(d) for y, d in [
        (2004, "2004-01-22"), (2005, "2005-02-09"), (2006, "2006-01-29"), (2007, "2007-02-18"),
        (2008, "2008-02-07"), (2009, "2009-01-26"), (2010, "2010-02-14"), (2011, "2011-02-03"),
        (2012, "2012-01-23"), (2013, "2013-02-10"), (2014, "2014-01-31"), (2015, "2015-02-19"),
        (2016, "2016-02-08"), (2017, "2017-01-28"), (2018, "2018-02-16"), (2019, "2019-02-05"),
        (2020, "2020-01-25"), (2021, "2021-02-12"), (2022, "2022-02-01"), (2023, "2023-01-22"),
        (2024, "2024-02-10"), (2025, "2025-01-29"), (2026, "2026-02-17"), (2027, "2027-02-06"),
        (2028, "2028-01-26"), (2029, "2029-02-13"), (2030, "2030-02-03"),
    ]
}
# Approximate Gregorian dates of the lunar-calendar holidays for the fallback years.
_DRAGON_BOAT = {2027: "06-09", 2028: "05-28", 2029: "06-16", 2030: "06-05"}
_MID_AUTUMN = {2027: "09-15", 2028: "10-03", 2029: "09-22", 2030: "09-12"}

DAY_COLUMNS = ["is_workday", "is_holiday", "is_makeup_workday", "is_weekend"]


@cache
def covered_by_chinesecalendar(year: int) -> bool:
    """Whether chinesecalendar has the official schedule for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def day_table(dates: pd.DatetimeIndex | pd.Series) -> pd.DataFrame:
    """Classify days as workday / statutory holiday / make-up workday / weekend.

    Args:
        dates: Days (any time of day; only the date counts).

    Returns:
        Frame indexed like ``dates`` (as a DatetimeIndex of normalised days) with boolean columns
        ``is_workday``, ``is_holiday`` (a day off because of a public holiday), ``is_makeup_workday`` (a
        weekend day that is a workday) and ``is_weekend``. Years outside chinesecalendar get the fallback
        (see module docstring) and a warning.
    """
    days = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    unique = days.unique()
    rows = {d: _classify(d.date()) for d in unique}
    table = pd.DataFrame([rows[d] for d in days], index=days, columns=DAY_COLUMNS)
    return table.astype(bool)


@cache  # chinesecalendar scans its whole table on every call; forecasts ask about the same days again and again
def _classify(day: dt.date) -> tuple[bool, bool, bool, bool]:
    weekend = day.weekday() >= 5
    if covered_by_chinesecalendar(day.year):
        workday = chinese_calendar.is_workday(day)
        holiday = chinese_calendar.is_holiday(day) and chinese_calendar.get_holiday_detail(day)[1] is not None
    else:
        holiday = day in _fallback_holidays(day.year)
        workday = not (weekend or holiday)
    return workday, holiday, weekend and workday, weekend


@cache
def _fallback_holidays(year: int) -> frozenset[dt.date]:
    warnings.warn(
        f"chinesecalendar has no official holiday schedule for {year}; using approximate fixed-date holidays "
        "(元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) and no make-up workdays for that year",
        stacklevel=4,
    )
    days: set[dt.date] = {dt.date(year, 1, 1)}
    days |= _span(dt.date(year, 4, 4), 3) | _span(dt.date(year, 5, 1), 5) | _span(dt.date(year, 10, 1), 7)
    if year in LUNAR_NEW_YEAR:
        days |= _span(LUNAR_NEW_YEAR[year] - dt.timedelta(days=1), 8)
    for table in (_DRAGON_BOAT, _MID_AUTUMN):
        if year in table:
            days |= _span(dt.date.fromisoformat(f"{year}-{table[year]}"), 1)
    return frozenset(days)


def _span(start: dt.date, n: int) -> set[dt.date]:
    return {start + dt.timedelta(days=i) for i in range(n)}


def days_to_lunar_new_year(dates: pd.DatetimeIndex) -> np.ndarray:
    """Signed days from each date to the nearest Lunar New Year's Day (negative = before it).

    Dates whose neighbouring years are not in ``LUNAR_NEW_YEAR`` get a large value (no effect).
    """
    out = np.full(len(dates), 10_000, dtype=np.int64)
    for lny in LUNAR_NEW_YEAR.values():
        delta = (dates - pd.Timestamp(lny)).days.to_numpy()
        closer = np.abs(delta) < np.abs(out)
        out[closer] = delta[closer]
    return out
