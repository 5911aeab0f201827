"""What the forecasting job writes and shows: files under ``output_dir``, forecast plots, the terminal summary."""

from __future__ import annotations

from pathlib import Path

from hotline_ml.config import EarlyWarningConfig
from hotline_ml.data.io import write_table
from hotline_ml.forecast.plots import forecast_figure
from hotline_ml.forecast.report import write_report
from hotline_ml.forecast.result import ForecastJobResult


def write_outputs(result: ForecastJobResult, wcfg: EarlyWarningConfig, out: Path) -> dict[str, str]:
    """Write forecasts, backtest scores, fit report, skipped series, alerts, the bundle and the warning report
    (Markdown with charts) under ``out``; return the paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    alerts = result.alerts
    if "event_ids" in alerts:
        alerts = alerts.assign(event_ids=alerts["event_ids"].map(",".join))
    files = {name: str(write_table(frame, out / file)) for name, file, frame in [
        ("forecasts", "forecasts.parquet", result.forecasts),
        ("backtest_scores", "backtest_scores.parquet", result.scores),
        ("backtest_by_level", "backtest_by_level.csv", result.levels.reset_index()),
        ("fit_report", "fit_report.csv", result.fit_report),
        ("skipped", "skipped.csv", result.panel.skipped.reset_index()),
        ("alerts", "alerts.csv", alerts)]}
    files["bundle"] = str(result.bundle.save(out / "bundle"))
    files["warning_report"] = str(write_report(result.warning, wcfg, out))
    return files


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
