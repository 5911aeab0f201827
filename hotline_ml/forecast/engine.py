"""Per-series automatic choice: backtest the baseline and every eligible candidate, pick one, fit it on all data.

:func:`fit_series` is the unit of work sent to a worker process; :func:`fit_panel` runs it over every series, on
``n_jobs`` local processes or on Spark (:mod:`hotline_ml.forecast.spark`, the same function per series group).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from hotline_ml.config import BacktestConfig, ForecastCandidateConfig, SanityConfig
from hotline_ml.forecast.backtest import (
    backtest_cutoffs,
    choose,
    cross_selected,
    rolling_forecasts,
    score_origins,
)
from hotline_ml.forecast.fallback import fit_with_fallback
from hotline_ml.forecast.models import Forecaster, make_forecaster
from hotline_ml.forecast.parallel import map_tasks

if TYPE_CHECKING:
    from hotline_ml.forecast.spark import SparkWorkers

RECENT_DAYS = 56  # volume gate of a candidate: mean daily count over the last 8 weeks


@dataclass(frozen=True)
class FitPlan:
    """Everything a worker needs to handle one series (picklable).

    Attributes:
        baseline: The seasonal naive baseline (also the fallback and the MASE reference).
        candidates: Other forecasters to try, in order.
        backtest: Backtest windows.
        sanity: Absurd-forecast limits.
        horizon: Days forecast ahead from the end of the history.
        level: Interval levels (percent).
        period: Seasonal period used for the MASE scale (days).
    """

    baseline: ForecastCandidateConfig
    candidates: tuple[ForecastCandidateConfig, ...]
    backtest: BacktestConfig
    sanity: SanityConfig
    horizon: int
    level: tuple[int, ...]
    period: int = 7

    def builder(self, cand: ForecastCandidateConfig):
        """A zero-argument factory of fresh models for ``cand``."""
        return functools.partial(make_forecaster, cand.model, f"conf/forecast: {cand.name}")

    def candidate(self, name: str) -> ForecastCandidateConfig:
        """The baseline or candidate called ``name``."""
        return next(c for c in (self.baseline, *self.candidates) if c.name == name)


@dataclass
class SeriesFit:
    """Result for one series.

    Attributes:
        key: Series key.
        chosen: Candidate chosen by the backtest (the baseline when there was no backtest).
        model: Model fitted on the full history (the fallback when the chosen one failed).
        forecast: Forecast frame for the next ``horizon`` days.
        fallback_reason: Why the final fit fell back to the baseline (``None`` when it did not).
        warnings: Warning category -> count, over all fits of this series (backtests and the final fit).
        notes: What the final model said (calendar approximations, short history).
        cv: Backtest forecasts of every tried candidate (column ``candidate``); empty when not backtested.
        scores: Candidate -> per-origin metrics (:func:`score_origins`).
        auto_by_origin: Origin -> candidate chosen out of sample (:func:`cross_selected`).
        not_tried: Candidate -> why it was not tried on this series.
        backtest_note: Why the series was not backtested (``None`` when it was).
    """

    key: str
    chosen: str
    model: Forecaster
    forecast: pd.DataFrame
    fallback_reason: str | None
    warnings: Counter
    notes: list[str]
    cv: pd.DataFrame
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)
    auto_by_origin: pd.Series | None = None
    not_tried: dict[str, str] = field(default_factory=dict)
    backtest_note: str | None = None


def fit_series(key: str, y: pd.Series, plan: FitPlan) -> SeriesFit:
    """Backtest the baseline and eligible candidates on ``y``, choose by mean MAE, fit the choice on all of ``y``."""
    make_fallback = plan.builder(plan.baseline)
    tried, not_tried = _eligible(y, plan)
    cutoffs = backtest_cutoffs(len(y), plan.backtest)
    warnings_seen: Counter = Counter()
    cv_frames, scores = [], {}
    for cand in tried if cutoffs else []:
        cv = rolling_forecasts(y, plan.builder(cand), make_fallback, cutoffs, plan.backtest.horizon, plan.level,
                               plan.sanity, plan.backtest.refit_every, warnings_seen)
        cv.insert(0, "candidate", cand.name)
        cv_frames.append(cv)
        scores[cand.name] = score_origins(cv, y, plan.period, plan.level)
    chosen = choose(scores, None, plan.backtest.baseline_margin) if scores else plan.baseline.name
    final = fit_with_fallback(plan.builder(plan.candidate(chosen)), make_fallback, y, plan.horizon, plan.level,
                              plan.sanity)
    warnings_seen.update(final.warnings)
    note = None if cutoffs else (f"not backtested: {len(y)} days < {plan.backtest.min_train} training days + "
                                 f"{plan.backtest.horizon} horizon needed for one origin")
    return SeriesFit(key, chosen, final.model, final.forecast, final.fallback_reason, warnings_seen, final.notes,
                     pd.concat(cv_frames, ignore_index=True) if cv_frames else pd.DataFrame(), scores,
                     cross_selected(scores, plan.backtest.baseline_margin) if scores else None, not_tried, note)


def _eligible(y: pd.Series, plan: FitPlan) -> tuple[list[ForecastCandidateConfig], dict[str, str]]:
    recent = float(y.iloc[-RECENT_DAYS:].mean())
    tried, not_tried = [plan.baseline], {}
    for cand in plan.candidates:
        if recent >= cand.min_mean_per_day:
            tried.append(cand)
        else:
            not_tried[cand.name] = (f"recent mean {recent:.2f}/day < min_mean_per_day {cand.min_mean_per_day}")
    return tried, not_tried


def fit_panel(counts: pd.DataFrame, plan: FitPlan, n_jobs: int, progress: bool = True,
              spark: SparkWorkers | None = None) -> dict[str, SeriesFit]:
    """:func:`fit_series` for every column of ``counts`` (days x series), in parallel.

    Args:
        counts: Days x series counts (a daily ``DatetimeIndex``).
        plan: Candidates, backtest windows and sanity limits.
        n_jobs: Worker processes of the local engine (unused on Spark).
        progress: Show a progress bar (local engine).
        spark: Run the fits on Spark instead (:class:`~hotline_ml.forecast.spark.SparkWorkers`); same results.

    Returns:
        Series key -> result, in the column order of ``counts``.
    """
    for cand in (plan.baseline, *plan.candidates):
        make_forecaster(cand.model, f"conf/forecast: {cand.name}")  # bad settings fail here, not in a worker
    tasks = [(key, counts[key], plan) for key in counts.columns]
    desc = "fit + backtest"
    fits = map_tasks(fit_series, tasks, n_jobs, desc, progress) if spark is None else spark.map(fit_series, tasks, desc)
    return {f.key: f for f in fits}
