"""The forecasting job: aggregate -> backtest + choose + fit per series -> reconcile -> early warning -> files.

:func:`run_forecast_job` does the work and writes files; :func:`log_forecast_run` logs the result to the active
MLflow run through :mod:`hotline_ml.tracking` (the entry script opens the run).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from hotline_ml.config import FitForecastsConfig
from hotline_ml.data.prepare import ensure_synthetic, load_orders, make_desensitizer
from hotline_ml.forecast.aggregate import SeriesPanel, category_of, daily_counts_panel, orders_panel
from hotline_ml.forecast.bundle import ForecastBundle
from hotline_ml.forecast.engine import FitPlan, SeriesFit, fit_panel
from hotline_ml.forecast.models import SeasonalNaive, make_forecaster
from hotline_ml.forecast.plots import forecast_figure
from hotline_ml.forecast.report import WarningReport, write_report
from hotline_ml.forecast.summary import headline_metrics, level_summary, per_category_metrics, score_table
from hotline_ml.forecast.warning import (
    detect_alerts,
    four_week_trend,
    match_alerts,
    normalise_events,
    replay,
    score_against_events,
)

log = logging.getLogger(__name__)
SOURCES = ("orders", "daily_counts")


@dataclass
class ForecastJobResult:
    """Everything the job produced.

    Attributes:
        panel: The daily series.
        fits: Series key -> per-series result.
        bundle: The fitted bundle (what is registered).
        scores: Per-origin backtest scores (``summary.score_table``).
        levels: Mean backtest metrics per level and method, with relative MASE.
        metrics: Metrics to log (``backtest_*``, ``warning_*``, counts).
        forecasts: Published forecasts for the next ``horizon`` days (parents reconciled).
        fit_report: One row per series: chosen model, model used, fallback reason, warnings, notes.
        alerts: Early-warning alerts, most severe first.
        warning_score: Precision / recall against ground truth (``None`` without ground truth).
        files: Written files by name.
    """

    panel: SeriesPanel
    fits: dict[str, SeriesFit]
    bundle: ForecastBundle
    scores: pd.DataFrame
    levels: pd.DataFrame
    metrics: dict[str, float]
    forecasts: pd.DataFrame
    fit_report: pd.DataFrame
    alerts: pd.DataFrame
    warning_score: dict[str, float] | None
    files: dict[str, str] = field(default_factory=dict)


def run_forecast_job(cfg: FitForecastsConfig, progress: bool = True) -> ForecastJobResult:
    """Run the forecasting job end to end and write its files under ``cfg.output_dir``."""
    panel, orders = load_panel(cfg, progress=progress)
    children = _children(panel, cfg)
    plan = make_plan(cfg)
    fits = fit_panel(panel.counts, plan, cfg.n_jobs, progress=progress)
    bundle = ForecastBundle({k: f.model for k, f in fits.items()}, children, panel.meta["level"].to_dict(),
                            plan.level, {k: f.chosen for k, f in fits.items()})
    scores = score_table(fits, panel, children, plan.level, plan.period)
    metrics = {**headline_metrics(scores, plan.baseline.name, plan.level), **_fit_counts(fits)}
    metrics.update(per_category_metrics(scores, [panel.category_level()], plan.baseline.name))
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = ForecastJobResult(panel, fits, bundle, scores, level_summary(scores, plan.baseline.name), metrics,
                               bundle.forecast(cfg.horizon), fit_report(fits, panel), pd.DataFrame(), None)
    early_warning(result, cfg, plan, orders, progress)
    _write_files(result, out)
    return result


def load_panel(cfg: FitForecastsConfig, progress: bool = True) -> tuple[SeriesPanel, pd.DataFrame | None]:
    """The daily series of ``cfg.series`` and, for the ``orders`` source, the validated (unmasked) orders."""
    if cfg.series.source == "daily_counts":
        return daily_counts_panel(cfg.series), None
    if cfg.series.source != "orders":
        raise ValueError(f"series config {cfg.series.name!r}: source {cfg.series.source!r} is not one of {SOURCES}")
    if cfg.data.synthetic is not None:
        ensure_synthetic(cfg.data, progress=progress)
    validated = load_orders(cfg.data)
    r = validated.report
    log.info("%s: read %d = kept %d + rejected %d %s", r.source, r.read, r.kept, r.rejected, r.reasons or "")
    return orders_panel(validated.orders, cfg.series), validated.orders


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
    if cfg.reconcile == "none":
        return {}
    if cfg.reconcile != "bottom_up":
        raise ValueError(f"reconcile must be 'bottom_up' or 'none', got {cfg.reconcile!r}")
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


def early_warning(result: ForecastJobResult, cfg: FitForecastsConfig, plan: FitPlan, orders: pd.DataFrame | None,
                  progress: bool) -> None:
    """Replay, detect and rank alerts, score them against ground truth, write the report (fills ``result``)."""
    panel, wcfg = result.panel, cfg.warning
    replayed = replay(panel.counts, result.bundle.chosen, plan, wcfg, cfg.n_jobs, progress=progress)
    alerts = detect_alerts(replayed, panel.meta["level"], wcfg)
    alerts["trend"] = [four_week_trend(panel.counts[a.series], a.end) for a in alerts.itertuples()]
    events = _ground_truth(cfg)
    report = WarningReport(alerts, replayed, panel.counts)
    if events is not None:
        events = normalise_events(events, cfg.series.category_depth)
        alerts = match_alerts(alerts, panel.meta, events, wcfg.match_tolerance_days)
        scored = alerts[alerts["level"].isin(wcfg.score_levels)]
        period = (replayed["date"].min(), replayed["date"].max())
        result.warning_score = score_against_events(scored, events, period, wcfg.top_k)
        report.score = result.warning_score
        report.notes.append(f"scored levels: {', '.join(wcfg.score_levels)}; event ids listed per alert")
        result.metrics.update({f"warning_{k}": v for k, v in result.warning_score.items()})
    result.metrics["warning_n_alerts"] = len(alerts)
    report.alerts = alerts
    report.examples, note = _examples(alerts.head(wcfg.top_k), panel, orders, cfg)
    report.notes += [note] if note else []
    result.alerts = alerts
    result.files["warning_report"] = str(write_report(report, wcfg, Path(cfg.output_dir)))


def _ground_truth(cfg: FitForecastsConfig) -> pd.DataFrame | None:
    """The synthetic generator's surge events (``<orders>_events.csv`` beside the orders), when there."""
    if cfg.series.source != "orders" or cfg.data.synthetic is None:
        return None
    path = Path(cfg.data.path)
    events = path.with_name(path.stem + "_events.csv")
    return pd.read_csv(events, encoding="utf-8-sig") if events.is_file() else None


def _examples(alerts: pd.DataFrame, panel: SeriesPanel, orders: pd.DataFrame | None,
              cfg: FitForecastsConfig) -> tuple[dict[int, list[str]], str | None]:
    """Up to ``n_examples`` desensitized texts of each alert's series and days."""
    if orders is None:
        return {}, "no example texts: the series source has no work-order texts"
    masker = make_desensitizer(cfg.desensitize)
    if masker is None:
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
        out[idx] = masker.mask_many(texts)[0]
    return out, None


def _write_files(result: ForecastJobResult, out: Path) -> None:
    files = result.files
    files["forecasts"] = str(_save(result.forecasts, out / "forecasts.parquet"))
    files["backtest_scores"] = str(_save(result.scores, out / "backtest_scores.parquet"))
    files["backtest_by_level"] = str(_save(result.levels.reset_index(), out / "backtest_by_level.csv"))
    files["fit_report"] = str(_save(result.fit_report, out / "fit_report.csv"))
    files["skipped"] = str(_save(result.panel.skipped.reset_index(), out / "skipped.csv"))
    alerts = result.alerts.assign(event_ids=result.alerts["event_ids"].map(",".join)) \
        if "event_ids" in result.alerts else result.alerts
    files["alerts"] = str(_save(alerts, out / "alerts.csv"))
    files["bundle"] = str(result.bundle.save(out / "bundle.pkl"))


def _save(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def forecast_figures(result: ForecastJobResult, top: int) -> dict[str, object]:
    """Forecast plots of the ``top`` largest series of the category level: artifact name -> figure."""
    panel = result.panel
    figures = {}
    for rank, key in enumerate(panel.keys(panel.category_level())[:top], start=1):
        fc = result.forecasts[result.forecasts["series"] == key].set_index("date")
        figures[f"plots/forecast_{rank:02d}.png"] = forecast_figure(panel.counts[key], fc, f"{key}: next "
                                                                    f"{len(fc)} days ({result.bundle.chosen[key]})",
                                                                    result.bundle.level)
    return figures


def metric_name(name: str) -> str:
    """MLflow accepts letters, digits, ``_ - . / : space``; anything else becomes ``_``."""
    return re.sub(r"[^\w\-./: ]", "_", name)


def log_forecast_run(result: ForecastJobResult, cfg: FitForecastsConfig) -> str | None:
    """Log metrics, tables, plots, the report and the registered pyfunc to the active run; return the version."""
    from hotline_ml import tracking  # the one MLflow module

    tracking.log_metrics({metric_name(k): v for k, v in result.metrics.items()})
    tracking.log_table(result.forecasts, "tables/forecasts.parquet")
    tracking.log_table(result.scores, "tables/backtest_scores.parquet")
    tracking.log_table(result.levels.reset_index(), "tables/backtest_by_level.csv")
    tracking.log_table(result.fit_report, "tables/fit_report.csv")
    tracking.log_table(result.panel.skipped.reset_index(), "tables/skipped.csv")
    for name, fig in forecast_figures(result, cfg.plot_top).items():
        tracking.log_figure(fig, name)
        plt.close(fig)
    report = Path(result.files["warning_report"])
    tracking.log_artifact(report.parent / "charts", "early_warning/charts")
    tracking.log_artifact(report, "early_warning")
    tracking.log_artifact(result.files["alerts"], "early_warning")
    keys = result.bundle.keys[:2]
    example = pd.DataFrame({"series": keys, "horizon": [cfg.backtest.horizon] * len(keys)})
    _, version = tracking.log_pyfunc_model("hotline_ml.forecast.bundle:load_for_pyfunc",
                                           {"bundle": result.files["bundle"]}, example,
                                           result.bundle.predict_frame(example), registered_name=cfg.model_name,
                                           pip_requirements=["statsmodels", "pandas", "numpy", "scipy",
                                                             "chinesecalendar"])
    if version is not None:
        tracking.set_alias(cfg.model_name, "candidate", version)
    return version


def format_summary(result: ForecastJobResult) -> str:
    """Terminal summary: series, choices, backtest per level beside the baseline, warning score, files."""
    m = result.metrics
    lines = [f"series: {len(result.fits)} forecast, {len(result.panel.skipped)} skipped (see skipped.csv); "
             f"fallbacks in final fits: {int(m['n_fallback'])}",
             "chosen: " + ", ".join(f"{k.removeprefix('n_chosen_')} {int(v)}" for k, v in m.items()
                                    if k.startswith("n_chosen_")),
             "backtest (mean over series; auto = choice made on other origins; relative = / seasonal naive):",
             _indent(result.levels.round(3).to_string())]
    if "backtest_relative_mase" in m:
        lines.append(f"overall: MASE {m['backtest_mase']:.3f}, seasonal naive "
                     f"{m['backtest_mase'] / m['backtest_relative_mase']:.3f}: relative MASE "
                     f"{m['backtest_relative_mase']:.3f}")
    if result.warning_score:
        s = result.warning_score
        lines.append(f"early warning vs ground truth: precision {s['precision']:.2f} ({s['true_alerts']}/"
                     f"{s['alerts']}), recall {s['recall']:.2f} ({s['found_events']}/{s['events']})")
    lines.append(f"alerts: {len(result.alerts)}")
    lines += [f"wrote {name}: {path}" for name, path in result.files.items()]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
