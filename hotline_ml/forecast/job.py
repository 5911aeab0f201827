"""The forecasting job: aggregate -> backtest + choose + fit per series -> reconcile -> early warning -> record.

:func:`forecast_all` computes (no files, no MLflow); :func:`run_forecast_job` also writes the files under
``output_dir`` (:mod:`hotline_ml.forecast.outputs`) and returns the run record the entry script logs with
``hotline_ml.tracking.log_record``; the bundle is registered under the forecaster promotion rule. With
``engine=spark`` one Spark session runs the per-series fits and the early-warning replay
(:mod:`hotline_ml.forecast.spark`); the results are the same as the local engine's.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path

import pandas as pd

from hotline_ml.config import BacktestConfig, Engine, FitForecastsConfig, Reconcile, SeriesSource
from hotline_ml.data.prepared import prepared_orders
from hotline_ml.data.synthetic import read_ground_truth
from hotline_ml.forecast.aggregate import SeriesPanel, category_of, daily_counts_panel, orders_panel
from hotline_ml.forecast.bundle import PYFUNC_LOADER, ForecastBundle
from hotline_ml.forecast.engine import FitPlan, SeriesFit, fit_panel
from hotline_ml.forecast.models import SeasonalNaive, make_forecaster
from hotline_ml.forecast.outputs import forecast_figures, format_summary, write_outputs
from hotline_ml.forecast.report import WarningReport
from hotline_ml.forecast.result import ForecastJobResult
from hotline_ml.forecast.spark import SparkWorkers, spark_workers
from hotline_ml.forecast.summary import headline_metrics, level_summary, per_category_metrics, score_table
from hotline_ml.forecast.warning import (
    detect_alerts,
    four_week_trend,
    match_alerts,
    normalise_events,
    replay,
    score_against_events,
)
from hotline_ml.record import ModelToRegister, RunRecord
from hotline_ml.registry import forecaster_rule


def run_forecast_job(cfg: FitForecastsConfig, progress: bool = True) -> RunRecord:
    """Compute, write the files under ``cfg.output_dir``, and return the run record (``record.result`` holds
    the :class:`ForecastJobResult`, files included)."""
    result = forecast_all(cfg, progress=progress)
    result = replace(result, files=write_outputs(result, cfg.warning, Path(cfg.output_dir)))
    return forecast_record(result, cfg)


def forecast_all(cfg: FitForecastsConfig, progress: bool = True) -> ForecastJobResult:
    """The whole computation: panel, per-series fits, bundle, backtest scores, early warning."""
    panel, orders = load_panel(cfg, progress=progress)
    children = _children(panel, cfg)
    plan = make_plan(cfg)
    with _workers(cfg) as spark:  # one session for the fits and the replay (None: local processes)
        fits = fit_panel(panel.counts, plan, cfg.n_jobs, progress=progress, spark=spark)
        bundle = ForecastBundle({k: f.model for k, f in fits.items()}, children, panel.meta["level"].to_dict(),
                                plan.level, {k: f.chosen for k, f in fits.items()})
        scores = score_table(fits, panel, children, plan.level, plan.period)
        warning, warning_metrics = early_warning(panel, bundle, cfg, plan, orders, progress, spark)
    metrics = {**headline_metrics(scores, plan.baseline.name, plan.level), **_fit_counts(fits),
               **per_category_metrics(scores, [panel.category_level()], plan.baseline.name), **warning_metrics}
    return ForecastJobResult(panel, fits, bundle, scores, level_summary(scores, plan.baseline.name), metrics,
                             bundle.forecast(cfg.horizon), fit_report(fits, panel), warning)


def _workers(cfg: FitForecastsConfig) -> AbstractContextManager[SparkWorkers | None]:
    """A Spark session for ``engine=spark``; nothing (the local process pool of ``n_jobs``) for ``local``."""
    return spark_workers(cfg.spark) if cfg.engine == Engine.spark else nullcontext()


def forecast_record(result: ForecastJobResult, cfg: FitForecastsConfig) -> RunRecord:
    """What the run logs: metrics, tables, plots, the warning report and its charts, the bundle to register."""
    files = result.files
    record = RunRecord(metrics=dict(result.metrics), tags={"data_digest": panel_digest(result.panel, cfg.backtest)},
                       result=result, summary=format_summary(result))
    record.tables = {"tables/forecasts.parquet": result.forecasts, "tables/backtest_scores.parquet": result.scores,
                     "tables/backtest_by_level.csv": result.levels.reset_index(),
                     "tables/fit_report.csv": result.fit_report,
                     "tables/skipped.csv": result.panel.skipped.reset_index()}
    record.figures = forecast_figures(result, cfg.plot_top)
    report = Path(files["warning_report"])
    record.add_artifact(report.parent / "charts", "early_warning/charts")
    record.add_artifact(report, "early_warning")
    record.add_artifact(files["alerts"], "early_warning")
    keys = result.bundle.keys[:2]
    example = pd.DataFrame({"series": keys, "horizon": [cfg.backtest.horizon] * len(keys)})
    record.model = ModelToRegister(cfg.registry.model_name, PYFUNC_LOADER, {"bundle": files["bundle"]}, example,
                                   forecaster_rule(cfg.registry.promote),
                                   pip_requirements=["statsmodels", "pandas", "numpy", "scipy", "chinesecalendar"])
    return record


def panel_digest(panel: SeriesPanel, backtest: BacktestConfig | None = None) -> str:
    """Identity of the daily series (dates, keys, counts) and of the backtest windows (horizon, origins, step,
    minimum training days): forecasters are compared only on the same series and the same windows."""
    hashed = pd.util.hash_pandas_object(panel.counts.reset_index(), index=False).to_numpy()
    windows = "" if backtest is None else (f"|h={backtest.horizon},n={backtest.n_origins},step={backtest.step},"
                                           f"min_train={backtest.min_train}")
    key = hashed.tobytes() + ("|".join(map(str, panel.counts.columns)) + windows).encode()
    return hashlib.sha256(key).hexdigest()[:16]


def load_panel(cfg: FitForecastsConfig, progress: bool = True) -> tuple[SeriesPanel, pd.DataFrame | None]:
    """The daily series of ``cfg.series`` and, for the ``orders`` source, the validated orders.

    The orders are the prepared data (masked once, every split: :mod:`hotline_ml.data.prepared`).
    """
    if cfg.series.source == SeriesSource.daily_counts:
        return daily_counts_panel(cfg.series), None
    orders = prepared_orders(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=progress).orders
    return orders_panel(orders, cfg.series), orders


def make_plan(cfg: FitForecastsConfig) -> FitPlan:
    """The per-series plan; checks that the baseline is a seasonal naive model.

    Raises:
        ValueError: The baseline is not :class:`SeasonalNaive`, or a candidate has the baseline's name.
    """
    baseline = make_forecaster(cfg.baseline.model, f"conf/forecast: {cfg.baseline.name}")
    if not isinstance(baseline, SeasonalNaive):
        raise ValueError(f"baseline {cfg.baseline.name!r} must be a SeasonalNaive (the MASE reference and fallback)")
    if cfg.baseline.name in cfg.candidates:
        raise ValueError(f"candidate name {cfg.baseline.name!r} is taken by the baseline")
    return FitPlan(cfg.baseline, tuple(cfg.candidates.values()), cfg.backtest, cfg.sanity, cfg.horizon,
                   tuple(cfg.interval_levels), baseline.period)


def _children(panel: SeriesPanel, cfg: FitForecastsConfig) -> dict[str, list[str]]:
    if cfg.reconcile == Reconcile.none:
        return {}
    if panel.bottom_level is None:
        raise ValueError(f"series config {cfg.series.name!r}: levels {panel.levels} are not nested, so they cannot "
                         "be reconciled bottom-up; use reconcile=none")
    skipped_bottom = panel.skipped[panel.skipped["level"] == panel.bottom_level]
    if len(skipped_bottom):
        raise ValueError(f"{len(skipped_bottom)} bottom series are below min_total and would be missing from the "
                         "bottom-up sums; set series.min_total=0 or reconcile=none")
    return panel.children()


def fit_report(fits: dict[str, SeriesFit], panel: SeriesPanel) -> pd.DataFrame:
    """One row per series: level, chosen, used, fallback reason, warnings, notes, candidates not tried."""
    rows = [{"series": k, "level": panel.meta.loc[k, "level"], "chosen": f.chosen, "used": f.model.name,
             "fallback_reason": f.fallback_reason, "warnings": json.dumps(dict(f.warnings)),
             "notes": "; ".join(f.notes), "not_tried": json.dumps(f.not_tried, ensure_ascii=False),
             "backtest_note": f.backtest_note} for k, f in fits.items()]
    return pd.DataFrame(rows)


def _fit_counts(fits: dict[str, SeriesFit]) -> dict[str, float]:
    chosen = Counter(f.chosen for f in fits.values())
    warned = Counter()
    for f in fits.values():
        warned.update(f.warnings)
    out = {"n_series": len(fits), "n_fallback": sum(f.fallback_reason is not None for f in fits.values()),
           "n_not_backtested": sum(f.backtest_note is not None for f in fits.values())}
    out.update({f"n_chosen_{name}": n for name, n in chosen.items()})
    out.update({f"n_warnings_{name}": n for name, n in warned.items()})
    return out


def early_warning(panel: SeriesPanel, bundle: ForecastBundle, cfg: FitForecastsConfig, plan: FitPlan,
                  orders: pd.DataFrame | None, progress: bool,
                  spark: SparkWorkers | None = None) -> tuple[WarningReport, dict[str, float]]:
    """Replay (on ``spark`` when given), detect and rank alerts, score them against ground truth (when there is
    one), pick examples.

    Returns:
        The report and its metrics (``warning_n_alerts``, and ``warning_<score>`` when scored).
    """
    wcfg = cfg.warning
    replayed = replay(panel.counts, bundle.chosen, plan, wcfg, cfg.n_jobs, progress=progress, spark=spark)
    alerts = detect_alerts(replayed, panel.meta["level"], wcfg)
    alerts["trend"] = [four_week_trend(panel.counts[a.series], a.end) for a in alerts.itertuples()]
    events = _ground_truth(cfg)
    score, notes, metrics = None, [], {}
    if events is not None:
        events = normalise_events(events, cfg.series.category_depth)
        alerts = match_alerts(alerts, panel.meta, events, wcfg.match_tolerance_days)
        scored = alerts[alerts["level"].isin(wcfg.score_levels)]
        period = (replayed["date"].min(), replayed["date"].max())
        score = score_against_events(scored, events, period, wcfg.top_k)
        notes.append(f"scored levels: {', '.join(wcfg.score_levels)}; event ids listed per alert")
        metrics = {f"warning_{k}": v for k, v in score.items()}
    metrics["warning_n_alerts"] = len(alerts)
    examples, note = _examples(alerts.head(wcfg.top_k), panel, orders, cfg)
    notes += [note] if note else []
    return WarningReport(alerts, replayed, panel.counts, examples, score, notes), metrics


def _ground_truth(cfg: FitForecastsConfig) -> pd.DataFrame | None:
    """The synthetic generator's surge events (``<orders>_events.csv`` beside the orders), when there."""
    if cfg.series.source != SeriesSource.orders:
        return None
    truth = read_ground_truth(cfg.data)
    return None if truth is None else truth[1]


def _examples(alerts: pd.DataFrame, panel: SeriesPanel, orders: pd.DataFrame | None,
              cfg: FitForecastsConfig) -> tuple[dict[int, list[str]], str | None]:
    """Up to ``n_examples`` texts of each alert's series and days (masked when the data was prepared)."""
    if orders is None:
        return {}, "no example texts: the series source has no work-order texts"
    if not cfg.desensitize.enabled:
        return {}, "example texts withheld: desensitization is disabled"
    day = pd.to_datetime(orders["created_at"]).dt.normalize()
    category = category_of(orders["appeal_type"], cfg.series.category_depth)
    out = {}
    for idx, alert in alerts.iterrows():
        row = panel.meta.loc[alert["series"]]
        mask = (day >= alert["start"]) & (day <= alert["end"])
        if isinstance(row.get("category"), str):
            mask &= category == row["category"]
        if isinstance(row.get("district"), str):
            mask &= orders["district"] == row["district"]
        texts = orders.loc[mask, "text"].head(cfg.warning.n_examples).tolist()
        out[idx] = texts
    return out, None
