"""Schemas of the forecasting job: series, candidates, backtest, early warning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from hotline_ml.config.common import (
    Engine,
    HolidayCalendar,
    PathsConfig,
    Reconcile,
    RegistryConfig,
    SeriesSource,
    SparkConfig,
    TrackingConfig,
)
from hotline_ml.config.data import DataConfig, DesensitizeConfig, SplitConfig


@dataclass
class SeriesConfig:
    """Which daily count series the forecaster sees.

    Attributes:
        name: Short name, used in output paths and run names.
        source: ``orders`` (count the work orders of the ``data`` config) or ``daily_counts`` (a table that
            already holds one count per day and series, e.g. the Boston 311 benchmark at ``path``).
        levels: Level name -> work-order fields that define its series (``[]`` is the grand total). The
            field ``category`` is the appeal type cut to ``category_depth`` levels. The level with the most
            fields is the bottom of the hierarchy; every other level must use a subset of its fields.
        category_depth: 1 = first-level type (``城乡建设``), 2 = ``一级/二级``.
        path: ``daily_counts`` only: the table (CSV or Parquet).
        columns: ``daily_counts`` only: ``date``, ``key`` and ``count`` -> column names in the table.
        min_total: Series with fewer counts than this over the whole history are not forecast (listed with
            the reason).
        holidays: Holiday calendar of the series' place (``null`` for none); forecasters that know holidays
            read it (``${series.holidays}`` in ``conf/forecast/``).
    """

    name: str = MISSING
    source: SeriesSource = MISSING
    levels: dict[str, list[str]] = MISSING
    category_depth: int = MISSING
    path: str | None = MISSING
    columns: dict[str, str] = MISSING
    min_total: int = MISSING
    holidays: HolidayCalendar | None = MISSING


@dataclass
class ForecastCandidateConfig:
    """One forecaster that may be chosen per series (``conf/forecast/``).

    Attributes:
        name: Name in reports and metrics.
        min_mean_per_day: Only series whose mean daily count over the last 8 weeks reaches this are tried
            (keeps slow models such as SARIMAX to the series with enough volume to gain from them).
        model: ``_target_`` (a ``hotline_ml.forecast.models.Forecaster`` class) plus its ``__init__`` settings.
    """

    name: str = MISSING
    min_mean_per_day: float = MISSING
    model: dict[str, Any] = MISSING


@dataclass
class BacktestConfig:
    """Rolling-origin backtest: ``n_origins`` cut-offs ``step`` days apart, each forecasting ``horizon`` days.

    Attributes:
        refit_every: Re-estimate parameters at every k-th origin and only re-filter (same parameters, new
            data) at the others; 1 re-estimates everywhere.
        min_train: Days of history a series needs at the earliest origin to be backtested.
        baseline_margin: The seasonal naive is chosen over the best candidate only when its backtest MAE is
            lower by more than this share (0 = plain lowest MAE; see ``backtest.choose``).
    """

    horizon: int = MISSING
    n_origins: int = MISSING
    step: int = MISSING
    refit_every: int = MISSING
    min_train: int = MISSING
    baseline_margin: float = MISSING


@dataclass
class SanityConfig:
    """When a forecast counts as absurd and is replaced by the seasonal naive baseline.

    Attributes:
        max_negative_mean: A mean below ``-max_negative_mean`` anywhere is absurd (smaller negatives are
            clipped to 0: counts cannot be negative).
        max_upper_ratio: An upper bound above ``max_upper_ratio * (max(history) + 1)`` is an exploding interval.
    """

    max_negative_mean: float = MISSING
    max_upper_ratio: float = MISSING


@dataclass
class EarlyWarningConfig:
    """Early warning: actual days above the upper bound of forecasts made before them.

    Attributes:
        level: Which prediction interval's upper bound (80 or 95).
        persistence: Consecutive days above the bound before a series is flagged.
        min_excess: Counts above the bound a day needs to count (keeps 1-call blips in quiet series out).
        step: Days between forecast origins when replaying (each forecast covers the next ``step`` days).
        replay_days: How far back the replay starts (the last ``replay_days`` days are checked).
        current_days: Alerts touching the last ``current_days`` days are the current risks in the report.
        top_k: Risks listed (with charts) in the report.
        n_examples: Example texts (desensitized) per listed risk.
        match_tolerance_days: An alert matches a ground-truth surge event of its category and district when
            their dates overlap within this many days.
        score_levels: Levels whose alerts are scored against the ground-truth events (where events live).
    """

    level: int = MISSING
    persistence: int = MISSING
    min_excess: float = MISSING
    step: int = MISSING
    replay_days: int = MISSING
    current_days: int = MISSING
    top_k: int = MISSING
    n_examples: int = MISSING
    match_tolerance_days: int = MISSING
    score_levels: list[str] = MISSING


@dataclass
class FitForecastsConfig:
    """Entry config of ``training/fit_forecasts.py``: aggregate, backtest, choose, fit, warn, register.

    Attributes:
        baseline: The seasonal naive baseline: always fitted, the MASE reference and the fallback.
        candidates: Other forecasters tried per series (``conf/forecast/``); the backtest chooses.
        horizon: Days forecast ahead in the published forecasts table.
        interval_levels: Prediction interval levels in percent.
        reconcile: ``bottom_up`` (parent series = sums of the bottom series) or ``none``.
        n_jobs: Worker processes for the per-series fits (BLAS pinned to one thread each), engine ``local``.
        engine: ``local`` (``n_jobs`` processes) or ``spark`` (the per-series fits as ``applyInPandas`` over
            series groups, on the session of ``spark``).
        spark: The Spark session of the ``spark`` engine (``conf/spark/``).
        plot_top: Forecast plots for this many of the largest categories.
        registry: Registered model name of the fitted bundle and its promotion mode.
        output_dir: Where the forecasts, backtest tables and the early-warning report are written.
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    series: SeriesConfig = MISSING
    baseline: ForecastCandidateConfig = MISSING
    # empty, not MISSING: the defaults list adds the candidates (conf/forecast/), and removing them all
    # ('~forecast@candidates.ets' ...) is a baseline-only run
    candidates: dict[str, ForecastCandidateConfig] = field(default_factory=dict)
    backtest: BacktestConfig = MISSING
    sanity: SanityConfig = MISSING
    warning: EarlyWarningConfig = MISSING
    tracking: TrackingConfig = MISSING
    horizon: int = MISSING
    interval_levels: list[int] = MISSING
    reconcile: Reconcile = MISSING
    n_jobs: int = MISSING
    engine: Engine = MISSING
    spark: SparkConfig = MISSING
    plot_top: int = MISSING
    registry: RegistryConfig = MISSING
    output_dir: str = MISSING
