"""Calendar regressors for daily demand: yearly Fourier terms and Chinese holiday / make-up workday flags."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hotline_ml.calendar import covered_by_chinesecalendar, day_table

DAYS_PER_YEAR = 365.25


def calendar_features(dates: pd.DatetimeIndex, fourier_order: int, holidays: bool) -> tuple[pd.DataFrame, list[str]]:
    """Regressors for each day.

    Args:
        dates: Days (daily index).
        fourier_order: Number of yearly sine/cosine pairs (0 = none); period 365.25 days, phase anchored at
            the Unix epoch so the same date gets the same values in training and forecasting.
        holidays: Add ``is_holiday`` (day off for a public holiday) and ``is_makeup_workday`` (调休 weekend
            workday) from :func:`hotline_ml.calendar.day_table`.

    Returns:
        ``(frame, notes)``: a float frame indexed by ``dates`` (columns ``sin1, cos1, ..., is_holiday,
        is_makeup_workday``) and notes naming years that used the approximate fixed-date holiday fallback.
    """
    t = np.asarray((dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1))
    cols: dict[str, np.ndarray] = {}
    for k in range(1, fourier_order + 1):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * t / DAYS_PER_YEAR)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * t / DAYS_PER_YEAR)
    notes: list[str] = []
    if holidays:
        with warnings.catch_warnings():
            # the fallback is reported per forecast in `notes` below instead of once per process
            warnings.simplefilter("ignore", UserWarning)
            table = day_table(dates)
        cols["is_holiday"] = table["is_holiday"].to_numpy(dtype=float)
        cols["is_makeup_workday"] = table["is_makeup_workday"].to_numpy(dtype=float)
        notes = [f"calendar {year}: not in chinesecalendar, approximate fixed-date holidays and no make-up workdays"
                 for year in sorted(set(dates.year)) if not covered_by_chinesecalendar(year)]
    return pd.DataFrame(cols, index=dates, dtype=float), notes
