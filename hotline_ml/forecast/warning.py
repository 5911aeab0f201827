"""Early warning: flag series whose latest actual days run above the intervals of forecasts made before them.

The replay walks forward over the last ``replay_days`` days in steps of ``step`` days: each series' chosen model
is estimated once on the days before the replay and then re-filtered (same parameters, new data) at every
origin, forecasting the next ``step`` days. So each day is compared with a forecast that had not seen it, as a
daily or weekly production run would. A day *exceeds* when ``actual - hi_<level> >= min_excess``; a run of at
least ``persistence`` consecutive exceeding days is an alert. Alerts are ranked by severity, the sum over
their days of ``(actual - upper) / sqrt(upper + 1)`` (a Poisson-like z-score: large excesses, relative to
what the series normally does, and longer runs rank higher); the report also shows the relative growth over
the forecast mean and the 4-week trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hotline_ml.config import EarlyWarningConfig, SanityConfig
from hotline_ml.forecast.aggregate import category_of
from hotline_ml.forecast.backtest import rolling_forecasts
from hotline_ml.forecast.engine import FitPlan
from hotline_ml.forecast.parallel import map_tasks

if TYPE_CHECKING:
    from hotline_ml.forecast.spark import SparkWorkers

ALERT_COLUMNS = ["series", "level", "start", "end", "days", "actual", "expected", "upper", "excess", "growth",
                 "severity"]


def replay_cutoffs(n_days: int, cfg: EarlyWarningConfig) -> list[int]:
    """Training lengths of the replay origins: every ``step`` days over the last ``replay_days`` days."""
    start = max(n_days - cfg.replay_days, 1)
    return list(range(start, n_days, cfg.step))


def _replay_series(key: str, y: pd.Series, plan: FitPlan, chosen: str, cutoffs: list[int], step: int,
                   level: tuple[int, ...], sanity: SanityConfig) -> pd.DataFrame:
    make_fallback = plan.builder(plan.baseline)
    rows = rolling_forecasts(y, plan.builder(plan.candidate(chosen)), make_fallback, cutoffs, step, level, sanity,
                             refit_every=len(cutoffs) + 1)
    rows.insert(0, "series", key)
    return rows[rows["actual"].notna()]


def replay(counts: pd.DataFrame, chosen: dict[str, str], plan: FitPlan, cfg: EarlyWarningConfig, n_jobs: int,
           progress: bool = True, spark: SparkWorkers | None = None) -> pd.DataFrame:
    """Forecasts made before each day of the replay period, for every series.

    Args:
        counts: Days x series counts.
        chosen: Series key -> candidate name to replay (the backtest's choice).
        plan: Candidates, sanity limits and interval levels.
        cfg: Replay length and step.
        n_jobs: Worker processes of the local engine (unused on Spark).
        progress: Show a progress bar (local engine).
        spark: Replay on Spark instead (:class:`~hotline_ml.forecast.spark.SparkWorkers`); same rows.

    Returns:
        Rows ``series, origin, date, step, actual, mean, lo_<l>, hi_<l>, used, fallback_reason``.
    """
    cutoffs = replay_cutoffs(len(counts), cfg)
    tasks = [(key, counts[key], plan, chosen[key], cutoffs, cfg.step, plan.level, plan.sanity)
             for key in counts.columns]
    desc = "early-warning replay"
    frames = (map_tasks(_replay_series, tasks, n_jobs, desc, progress) if spark is None
              else spark.map(_replay_series, tasks, desc))
    return pd.concat(frames, ignore_index=True)


def detect_alerts(replayed: pd.DataFrame, levels: pd.Series, cfg: EarlyWarningConfig) -> pd.DataFrame:
    """Runs of at least ``cfg.persistence`` days above the ``cfg.level`` % upper bound, ranked by severity.

    Args:
        replayed: Rows ``series, date, actual, mean, hi_<level>`` (from :func:`replay`).
        levels: Series key -> level name.
        cfg: Interval level, persistence and minimum excess.

    Returns:
        One row per alert (columns ``ALERT_COLUMNS``), most severe first; ``growth`` is actual / expected - 1.
    """
    upper_col = f"hi_{cfg.level}"
    if replayed.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    data = replayed.sort_values(["series", "date"])
    exceed = (data["actual"] - data[upper_col]) >= cfg.min_excess
    # consecutive exceeding days of one series share a run id
    new_run = exceed & ~(exceed.shift(fill_value=False) & (data["series"] == data["series"].shift()))
    run_id = new_run.cumsum().where(exceed)
    rows = []
    for _, run in data[exceed].groupby(run_id[exceed]):
        if len(run) < cfg.persistence:
            continue
        actual, mean, upper = run["actual"].to_numpy(), run["mean"].to_numpy(), run[upper_col].to_numpy()
        rows.append({
            "series": run["series"].iloc[0], "level": levels[run["series"].iloc[0]],
            "start": run["date"].iloc[0], "end": run["date"].iloc[-1], "days": len(run),
            "actual": float(actual.sum()), "expected": float(mean.sum()), "upper": float(upper.sum()),
            "excess": float((actual - upper).sum()),
            "growth": float(actual.sum() / mean.sum() - 1) if mean.sum() > 0 else float("inf"),
            "severity": float(((actual - upper) / np.sqrt(upper + 1)).sum()),
        })
    alerts = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    return alerts.sort_values("severity", ascending=False, ignore_index=True)


def normalise_events(events: pd.DataFrame, category_depth: int) -> pd.DataFrame:
    """Ground-truth surge events with ``category`` (appeal type cut to ``category_depth``) and parsed dates."""
    out = events.copy()
    out["category"] = category_of(out["appeal_type"], category_depth)
    out["start"], out["end"] = pd.to_datetime(out["start"]), pd.to_datetime(out["end"])
    return out


def match_alerts(alerts: pd.DataFrame, meta: pd.DataFrame, events: pd.DataFrame, tolerance_days: int,
                 fields: Sequence[str] = ("category", "district")) -> pd.DataFrame:
    """Pair each alert with the ground-truth events it matches.

    An alert matches an event when every field the alert's series has (category, district) equals the
    event's, and their date ranges overlap once the event is widened by ``tolerance_days`` on both sides.

    Returns:
        ``alerts`` with an ``event_ids`` column (list, empty for a false alarm).
    """
    tol = pd.Timedelta(days=tolerance_days)
    matched = []
    for alert in alerts.itertuples(index=False):
        row = meta.loc[alert.series]
        hit = (events["start"] - tol <= alert.end) & (events["end"] + tol >= alert.start)
        for f in fields:
            if f in row and isinstance(row[f], str) and row[f]:
                hit &= events[f] == row[f]
        matched.append(list(events.loc[hit, "event_id"]))
    return alerts.assign(event_ids=matched)


def score_against_events(matched: pd.DataFrame, events: pd.DataFrame, period: tuple[pd.Timestamp, pd.Timestamp],
                         top_k: int) -> dict[str, float]:
    """Precision (alerts that match an event) and recall (events in ``period`` with at least one alert).

    Args:
        matched: Alerts ranked by severity with ``event_ids`` (:func:`match_alerts`).
        events: Normalised ground-truth events.
        period: First and last day checked.
        top_k: Also report the precision of the ``top_k`` most severe alerts (what a reader looks at).

    Returns:
        ``precision``, ``precision_at_k``, ``recall``, ``alerts``, ``events``, ``true_alerts``, ``found_events``.
    """
    in_period = events[(events["end"] >= period[0]) & (events["start"] <= period[1])]
    found = {e for ids in matched["event_ids"] for e in ids}
    true_alerts = int(sum(bool(ids) for ids in matched["event_ids"]))
    n_alerts, n_events = len(matched), len(in_period)
    return {
        "precision": true_alerts / n_alerts if n_alerts else float("nan"),
        "precision_at_k": float(np.mean([bool(ids) for ids in matched["event_ids"].head(top_k)]))
        if n_alerts else float("nan"),
        "recall": len(found & set(in_period["event_id"])) / n_events if n_events else float("nan"),
        "alerts": n_alerts, "events": n_events, "true_alerts": true_alerts,
        "found_events": len(found & set(in_period["event_id"])),
    }


def four_week_trend(y: pd.Series, end: pd.Timestamp) -> float:
    """Relative change of the 28 days up to ``end`` over the 28 days before (``NaN`` if the earlier sum is 0)."""
    recent = y.loc[end - pd.Timedelta(days=27):end].sum()
    before = y.loc[end - pd.Timedelta(days=55):end - pd.Timedelta(days=28)].sum()
    return float(recent / before - 1) if before > 0 else float("nan")
