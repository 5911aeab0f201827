"""Rolling-origin backtests: windows, forecasts at each origin, MASE / sMAPE / coverage, and model choice.

Origins are cut-offs ``step`` days apart, the last one ``horizon`` days before the end of the series: origin
``i`` (oldest first) trains on the first ``n - horizon - (n_origins - 1 - i) * step`` days and is scored on
the ``horizon`` days after. MASE divides the mean absolute error by the in-sample mean absolute error of the
seasonal naive forecast (lag ``period``) on that origin's training days.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from hotline_ml.config import BacktestConfig, SanityConfig
from hotline_ml.forecast.fallback import absurd_rolling, fit_with_fallback
from hotline_ml.forecast.models import Forecaster, Rolling

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

    A model with a fast :meth:`~hotline_ml.forecast.models.Forecaster.rolling` forecasts every origin in one
    call; the others are fitted at every ``refit_every``-th origin and re-filtered (``update``) in between.
    Either way an origin whose model fails, is too short or is absurd gets the fallback, with the reason.

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
    if not cutoffs:
        return pd.DataFrame()
    level = tuple(level)
    counts: Counter = Counter()
    outcomes = _fast_origins(y, make, make_fallback, cutoffs, h, level, sanity, refit_every, counts)
    if outcomes is None:
        outcomes, previous = [], None
        for i, cutoff in enumerate(cutoffs):
            reuse = previous if (refit_every > 1 and i % refit_every and previous is not None) else None
            outcome = fit_with_fallback(make, make_fallback, y.iloc[:cutoff], h, level, sanity, previous=reuse)
            previous = outcome.model if outcome.fallback_reason is None else None
            counts.update(outcome.warnings)
            outcomes.append((Rolling.from_frame(outcome.forecast, level), outcome.used, outcome.fallback_reason))
    if warnings_seen is not None:
        warnings_seen.update(counts)
    return _frame(y, cutoffs, h, level, outcomes)


Origin = tuple[Rolling, str, str | None]  # forecasts of one origin, the model used, the fallback reason


def _fast_origins(y: pd.Series, make: Callable[[], Forecaster], make_fallback: Callable[[], Forecaster],
                  cutoffs: Sequence[int], h: int, level: tuple[int, ...], sanity: SanityConfig, refit_every: int,
                  counts: Counter) -> list[Origin] | None:
    """Every origin from one :meth:`Forecaster.rolling` call (``None`` when the model has no fast path)."""
    model = make()
    usable = [c for c in cutoffs if c >= model.min_history]
    rolled, error = None, None
    if usable:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rolled = model.rolling(y, usable, h, level, refit_every)
            except Exception as err:  # the whole call failed: every origin falls back, with the reason
                error = f"{type(err).__name__}: {err}"
        counts.update(w.category.__name__ for w in caught)
        if rolled is None and error is None:
            return None
    values = y.to_numpy(dtype=float)
    row_of = {c: i for i, c in enumerate(usable)}
    out: list[Origin] = []
    for cutoff in cutoffs:
        reason = error
        if cutoff < model.min_history:
            reason = f"TooShortError: {model.name}: {cutoff} days of history < {model.min_history} needed"
        elif rolled is not None:
            one = rolled.row(row_of[cutoff])
            reason = absurd_rolling(one, float(values[:cutoff].max()), sanity)
            if reason is None:
                out.append((one.clipped(), model.name, None))
                continue
        fallback = make_fallback().fit(y.iloc[:cutoff])
        out.append((Rolling.from_frame(fallback.predict(h, level), level).clipped(), fallback.name, reason))
    return out


def _frame(y: pd.Series, cutoffs: Sequence[int], h: int, level: tuple[int, ...],
           origins: list[Origin]) -> pd.DataFrame:
    """The rows of :func:`rolling_forecasts`, built once from the per-origin arrays."""
    cut = np.asarray(cutoffs)
    steps = np.tile(np.arange(1, h + 1), len(cut))
    positions = np.repeat(cut, h) + steps - 1
    values = y.to_numpy(dtype=float)
    actual = np.where(positions < len(values), values[np.minimum(positions, len(values) - 1)], np.nan)
    origin = y.index[cut - 1]
    out = {"origin": origin.repeat(h), "date": origin.repeat(h) + pd.to_timedelta(steps, unit="D"),
           "step": steps, "actual": actual, "mean": np.concatenate([o[0].mean.ravel() for o in origins])}
    for lv in level:
        out[f"lo_{lv}"] = np.concatenate([o[0].bounds[lv][0].ravel() for o in origins])
        out[f"hi_{lv}"] = np.concatenate([o[0].bounds[lv][1].ravel() for o in origins])
    out["used"] = np.repeat([o[1] for o in origins], h)
    out["fallback_reason"] = np.repeat(np.array([o[2] for o in origins], dtype=object), h)
    return pd.DataFrame(out)


def naive_scales(values: np.ndarray, train_lengths: np.ndarray, period: int) -> np.ndarray:
    """In-sample MAE of the seasonal naive forecast (MASE denominator) on the first ``n`` days of ``values``,
    for each ``n`` of ``train_lengths``, from one cumulative sum; ``NaN`` where ``n <= period``."""
    train = np.asarray(train_lengths)
    diffs = np.concatenate([[0.0], np.cumsum(np.abs(values[period:] - values[:-period]))])
    usable = train > period
    out = np.full(len(train), np.nan)
    out[usable] = diffs[train[usable] - period] / (train[usable] - period)
    return out


def naive_scale(y_train: np.ndarray, period: int) -> float:
    """:func:`naive_scales` of one training series (all its days)."""
    return float(naive_scales(np.asarray(y_train, dtype=float), np.array([len(y_train)]), period)[0])


def smape_terms(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Per-day sMAPE terms (0..2); a day with actual = forecast = 0 counts as a perfect 0."""
    denom = np.abs(actual) + np.abs(forecast)
    return np.where(denom > 0, 2 * np.abs(actual - forecast) / np.where(denom > 0, denom, 1), 0.0)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0..200)."""
    return float(100 * smape_terms(actual, forecast).mean())


def score_origins(cv: pd.DataFrame, y: pd.Series, period: int, level: Sequence[int]) -> pd.DataFrame:
    """Metrics per origin of a :func:`rolling_forecasts` frame (vectorised over origins).

    Returns:
        One row per origin: ``origin``, ``mae``, ``scale`` (seasonal naive in-sample MAE), ``mase`` (``NaN``
        when the scale is 0, e.g. an all-zero history), ``smape``, ``coverage<l>`` per level (share of days
        inside the interval).
    """
    g = cv[cv["actual"].notna()]
    codes, origins = pd.factorize(g["origin"], sort=True)
    n_days = np.bincount(codes, minlength=len(origins))

    def per_origin(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, values, len(origins)) / n_days

    actual, mean = g["actual"].to_numpy(dtype=float), g["mean"].to_numpy(dtype=float)
    mae = per_origin(np.abs(actual - mean))
    scale = naive_scales(y.to_numpy(dtype=float), y.index.get_indexer(origins) + 1, period)
    out = {"origin": origins, "mae": mae, "scale": scale,
           "mase": np.where(scale > 0, mae / np.where(scale > 0, scale, 1), np.nan),
           "smape": 100 * per_origin(smape_terms(actual, mean))}
    for lv in level:
        inside = (actual >= g[f"lo_{lv}"].to_numpy()) & (actual <= g[f"hi_{lv}"].to_numpy())
        out[f"coverage{lv}"] = per_origin(inside.astype(float))
    return pd.DataFrame(out)


def choose(scores: dict[str, pd.DataFrame], origins: Sequence | None = None, baseline_margin: float = 0.0) -> str:
    """The candidate with the lowest mean MAE over ``origins`` (all when ``None``).

    MAE rather than MASE: within one series the MASE scale is nearly constant across origins, and MAE stays
    defined for all-zero histories. Ties go to the earlier candidate (the baseline comes first). The baseline
    (the first entry) is only chosen when its MAE is below ``1 - baseline_margin`` times the best other
    candidate's: on a quiet series a few origins cannot tell a model from last week's noise repeated, and
    the seasonal naive wins such draws by chance more often than on merit.
    """
    maes = {}
    for name, s in scores.items():
        rows = s if origins is None else s[s["origin"].isin(origins)]
        maes[name] = float(rows["mae"].mean()) if len(rows) else float("inf")
    names = list(maes)
    best = min(names, key=lambda n: (maes[n], names.index(n)))
    others = names[1:]
    if best == names[0] and others and baseline_margin > 0:
        rival = min(others, key=lambda n: (maes[n], names.index(n)))
        if maes[best] >= (1 - baseline_margin) * maes[rival] and np.isfinite(maes[rival]):
            return rival
    return best


def cross_selected(scores: dict[str, pd.DataFrame], baseline_margin: float = 0.0) -> pd.Series:
    """Honest per-origin choice: origin ``i`` gets the candidate chosen on the origins of the other parity.

    Scoring the chosen model on the same origins that chose it flatters it; choosing on even origins for odd
    ones and vice versa keeps every score out of sample while using all origins.

    Returns:
        Origin -> chosen candidate name.
    """
    origins = sorted(next(iter(scores.values()))["origin"])
    even, odd = origins[0::2], origins[1::2]
    pick_for_odd = choose(scores, even, baseline_margin)
    pick_for_even = choose(scores, odd or even, baseline_margin)
    return pd.Series({o: pick_for_even if i % 2 == 0 else pick_for_odd for i, o in enumerate(origins)})
