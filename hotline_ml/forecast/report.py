"""The early-warning report: Markdown with PNG charts, top risks with counts, trend and example texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotline_ml.config import EarlyWarningConfig
from hotline_ml.forecast.plots import alert_figure


@dataclass
class WarningReport:
    """What the report shows.

    Attributes:
        alerts: Ranked alerts (``warning.ALERT_COLUMNS`` plus ``trend`` and, when scored, ``event_ids``).
        replayed: The replay forecasts (for the charts).
        counts: Days x series actual counts.
        examples: Alert row index -> example texts (already desensitized).
        score: Precision / recall against ground-truth events (``None`` when there is no ground truth).
        notes: Lines printed under the heading (e.g. why texts are withheld).
    """

    alerts: pd.DataFrame
    replayed: pd.DataFrame
    counts: pd.DataFrame
    examples: dict[int, list[str]] = field(default_factory=dict)
    score: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)


def write_report(report: WarningReport, cfg: EarlyWarningConfig, out_dir: str | Path) -> Path:
    """Write ``early_warning.md`` and ``charts/*.png`` under ``out_dir``; return the Markdown path."""
    out = Path(out_dir)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    last = report.counts.index[-1]
    first = report.replayed["date"].min() if len(report.replayed) else last
    current_from = last - pd.Timedelta(days=cfg.current_days - 1)
    lines = [
        "# Demand early warning",
        "",
        f"Data up to **{last.date()}**. Each day is compared with the {cfg.level}% upper bound of a forecast made "
        f"before it (replay {first.date()} .. {last.date()}, new forecast every {cfg.step} days). A series is "
        f"flagged after {cfg.persistence} consecutive days at least {cfg.min_excess:g} above the bound; severity "
        "= sum over the days of (actual - upper) / sqrt(upper + 1).",
        "",
        *[f"- {n}" for n in report.notes],
        "",
    ]
    if report.score is not None:
        s = report.score
        lines += ["## Against the ground-truth surge events", "",
                  f"precision **{s['precision']:.2f}** ({s['true_alerts']} of {s['alerts']} alerts match an event), "
                  f"recall **{s['recall']:.2f}** ({s['found_events']} of {s['events']} events found); "
                  f"precision of the top {cfg.top_k} by severity **{s['precision_at_k']:.2f}**.", ""]
    current = report.alerts[report.alerts["end"] >= current_from]
    lines += [f"## Current risks (alerts touching {current_from.date()} .. {last.date()})", "",
              _table(current) if len(current) else "None.", ""]
    top = report.alerts.head(cfg.top_k)
    lines += [f"## Top {len(top)} risks in the replay period (of {len(report.alerts)} alerts)", "",
              _table(top) if len(top) else "None.", ""]
    for rank, (idx, alert) in enumerate(top.iterrows(), start=1):
        lines += _section(rank, idx, alert, report, cfg, out)
    path = out / "early_warning.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _section(rank: int, idx: int, alert: pd.Series, report: WarningReport, cfg: EarlyWarningConfig,
             out: Path) -> list[str]:
    series = alert["series"]
    chart = f"charts/alert_{rank:02d}.png"
    fig = alert_figure(report.counts[series], report.replayed[report.replayed["series"] == series],
                       alert["start"], alert["end"], f"#{rank} {series}", cfg.level)
    fig.savefig(out / chart, dpi=100)
    lines = [f"### {rank}. {series} ({alert['level']}), {alert['start'].date()} .. {alert['end'].date()}", "",
             f"{alert['actual']:.0f} orders in {alert['days']} days against {alert['expected']:.1f} expected "
             f"(upper bound {alert['upper']:.1f}): growth {alert['growth']:+.0%}, 4-week trend "
             f"{_pct(alert.get('trend'))}, severity {alert['severity']:.1f}.", "", f"![{series}]({chart})", ""]
    examples = report.examples.get(idx, [])
    if examples:
        lines += ["Example appeals (desensitized):", ""] + [f"> {t}" for t in examples] + [""]
    return lines


def _table(alerts: pd.DataFrame) -> str:
    cols = ["series", "level", "start", "end", "days", "actual", "expected", "upper", "growth", "trend", "severity"]
    if "event_ids" in alerts:
        cols.append("event_ids")
    rows = ["| # | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for rank, (_, a) in enumerate(alerts.iterrows(), start=1):
        cells = [_cell(col, a.get(col)) for col in cols]
        rows.append(f"| {rank} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _cell(col: str, value) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if col in ("growth", "trend"):
        return _pct(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list):
        return ", ".join(value) or "-"
    return str(value).replace("|", "\\|")  # series keys join fields with | (a Markdown column separator)


def _pct(value) -> str:
    return "n/a" if value is None or pd.isna(value) or value in (float("inf"),) else f"{value:+.0%}"
