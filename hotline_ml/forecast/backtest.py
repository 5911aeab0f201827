"""Rolling-origin backtests: windows, forecasts at each origin, MASE / sMAPE / coverage, and model choice.

Origins are cut-offs ``step`` days apart, the last one ``horizon`` days before the end of the series: origin
``i`` (oldest first) trains on the first ``n - horizon - (n_origins - 1 - i) * step`` days and is scored on
the ``horizon`` days after. MASE divides the mean absolute error by the in-sample mean absolute error of the
seasonal naive forecast (lag ``period``) on that origin's training days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from hotline_ml.config import BacktestConfig, SanityConfig
from hotline_ml.forecast.fallback import FitOutcome, fit_with_fallback
from hotline_ml.forecast.models import Forecaster

METRICS = ("mae", "mase", "smape")


def backtest_cutoffs(n_days: int, cfg: BacktestConfig) -> list[int]:
    """Training lengths of the origins, oldest first; origins with fewer than ``cfg.min_train`` days are left out.

    Args:
        n_days: Length of the series (days).
        cfg: Horizon, number of origins, step and minimum training length.

    Returns:
        Up to ``cfg.n_origins`` cut-offs (an empty list when the series is too short for any origin).
    """
    cutoffs = [n_days - cfg.horizon - (cfg.n_origins - 1 - i) * cfg.step for i in range(cfg.n_origins)]
    return [c for c in cutoffs if c >= max(cfg.min_train, 1)]


def rolling_forecasts(y: pd.Series, make: Callable[[], Forecaster], make_fallback: Callable[[], Forecaster],
                      cutoffs: Sequence[int], h: int, level: Sequence[int], sanity: SanityConfig,
                      refit_every: int = 1, warnings_seen: Counter | None = None) -> pd.DataFrame:
    """Forecast ``h`` days from each cut-off of ``y``.

    Args:
        y: Daily counts.
        make: Builds the model under test; ``make_fallback`` builds the seasonal naive fallback.
        cutoffs: Training lengths (from :func:`backtest_cutoffs`).
        h: Days forecast from each origin.
        level: Interval levels.
        sanity: Absurd-forecast limits.
        refit_every: Re-estimate at every k-th origin; the others re-filter the last estimate on the new data.
        warnings_seen: When given, warning counts per category are added to it.

    Returns:
        One row per origin and forecast day: ``origin`` (last training day), ``date``, ``step`` (1..h),
        ``actual`` (``NaN`` past the end of ``y``), ``mean``, bounds, ``used`` (the model that produced the
        row) and ``fallback_reason``.
    """
    frames, previous = [], None
    for i, cutoff in enumerate(cutoffs):
        reuse = previous if (refit_every > 1 and i % refit_every and previous is not None) else None
        outcome = fit_with_fallback(make, make_fallback, y.iloc[:cutoff], h, level, sanity, previous=reuse)
        previous = outcome.model if outcome.fallback_reason is None else None
        if warnings_seen is not None:
            warnings_seen.update(outcome.warnings)
        frames.append(_rows(outcome, y, cutoff))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _rows(outcome: FitOutcome, y: pd.Series, cutoff: int) -> pd.DataFrame:
    fc = outcome.forecast
    rows = fc.reset_index()
    rows.insert(0, "origin", y.index[cutoff - 1])
    rows.insert(2, "step", np.arange(1, len(fc) + 1))
    rows.insert(3, "actual", y.reindex(fc.index).to_numpy())
    rows["used"] = outcome.used
    rows["fallback_reason"] = outcome.fallback_reason
    return rows


def naive_scale(y_train: np.ndarray, period: int) -> float:
    """In-sample MAE of the seasonal naive forecast (MASE denominator); ``NaN`` with less than period+1 days."""
    if len(y_train) <= period:
        return float("nan")
    return float(np.mean(np.abs(y_train[period:] - y_train[:-period])))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0..200); a day with actual = forecast = 0 counts as a perfect 0."""
    denom = np.abs(actual) + np.abs(forecast)
    terms = np.where(denom > 0, 2 * np.abs(actual - forecast) / np.where(denom > 0, denom, 1), 0.0)
    return float(100 * terms.mean())


def score_origins(cv: pd.DataFrame, y: pd.Series, period: int, level: Sequence[int]) -> pd.DataFrame:
    """Metrics per origin of a :func:`rolling_forecasts` frame.

    Returns:
        One row per origin: ``origin``, ``mae``, ``scale`` (seasonal naive in-sample MAE), ``mase`` (``NaN``
        when the scale is 0, e.g. an all-zero history), ``smape``, ``coverage<l>`` per level (share of days
        inside the interval).
    """
    rows = []
    for origin, g in cv.groupby("origin", sort=True):
        g = g[g["actual"].notna()]
        actual, mean = g["actual"].to_numpy(), g["mean"].to_numpy()
        scale = naive_scale(y.loc[:origin].to_numpy(), period)
        mae = float(np.mean(np.abs(actual - mean)))
        row = {"origin": origin, "mae": mae, "scale": scale, "mase": mae / scale if scale > 0 else float("nan"),
               "smape": smape(actual, mean)}
        for lv in level:
            inside = (actual >= g[f"lo_{lv}"].to_numpy()) & (actual <= g[f"hi_{lv}"].to_numpy())
            row[f"coverage{lv}"] = float(inside.mean())
        rows.append(row)
    return pd.DataFrame(rows)


def choose(scores: dict[str, pd.DataFrame], origins: Sequence | None = None) -> str:
    """The candidate with the lowest mean MAE over ``origins`` (all when ``None``).

    MAE rather than MASE: within one series the MASE scale is nearly constant across origins, and MAE stays
    defined for all-zero histories. Ties go to the earlier candidate (the baseline comes first).
    """
    best, best_mae = None, float("inf")
    for name, s in scores.items():
        rows = s if origins is None else s[s["origin"].isin(origins)]
        mae = float(rows["mae"].mean()) if len(rows) else float("inf")
        if mae < best_mae - 1e-12:
            best, best_mae = name, mae
    return best if best is not None else next(iter(scores))


def cross_selected(scores: dict[str, pd.DataFrame]) -> pd.Series:
    """Honest per-origin choice: origin ``i`` gets the candidate chosen on the origins of the other parity.

    Scoring the chosen model on the same origins that chose it flatters it; choosing on even origins for odd
    ones and vice versa keeps every score out of sample while using all origins.

    Returns:
        Origin -> chosen candidate name.
    """
    origins = sorted(next(iter(scores.values()))["origin"])
    even, odd = origins[0::2], origins[1::2]
    pick_for_odd, pick_for_even = choose(scores, even), choose(scores, odd or even)
    return pd.Series({o: pick_for_even if i % 2 == 0 else pick_for_odd for i, o in enumerate(origins)})
