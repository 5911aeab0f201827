"""The insight jobs: hot issues and lifecycle indicators. Each reads the prepared data (every split, masked
once: :mod:`hotline_ml.data.prepared`) and returns one run record (files written under ``output_dir``; the entry
script logs the record to MLflow).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hotline_ml.config import ComputeIndicatorsConfig, FindHotIssuesConfig
from hotline_ml.data.io import write_table
from hotline_ml.data.load import orders_digest
from hotline_ml.data.prepared import prepared_orders
from hotline_ml.data.synthetic import read_ground_truth
from hotline_ml.insight.hot_issues import HotIssues, find_hot_issues
from hotline_ml.insight.indicators import compute_indicators, indicator_figures, indicator_report
from hotline_ml.markdown import markdown_table
from hotline_ml.plotting import new_figure
from hotline_ml.record import DatasetInput, RunRecord

log = logging.getLogger(__name__)


def run_hot_issue_job(cfg: FindHotIssuesConfig, progress: bool = True) -> RunRecord:
    """Find and rank hot issues; write ``hot_issues.csv``, the members, the rejects and a Markdown report.

    On the synthetic corpus the groups are scored against the generator's place-bound surge events
    (``hot_issue_precision``, ``hot_issue_recall``).
    """
    loaded = prepared_orders(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=progress)
    found = find_hot_issues(loaded.orders, cfg.hot_issues, cfg.places, progress=progress)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = found.groups.assign(order_ids=found.groups["order_ids"].map(" ".join))
    files = {"hot_issues": write_table(table, out / "hot_issues.csv"),
             "members": write_table(found.members, out / "hot_issue_members.csv"),
             "rejects": write_table(loaded.rejects, out / "rejects.csv")}
    metrics = {"orders": float(found.n_orders), "orders_with_place": float(found.n_with_place),
               "pairs_compared": float(found.n_pairs), "hot_issues": float(len(found.groups)),
               "steady_groups": float(found.n_steady), "rejected": float(loaded.report.rejected)}
    truth = read_ground_truth(cfg.data)
    scored = None
    if truth is not None:
        scored, per_event = score_against_events(found, *truth)
        metrics |= {f"hot_issue_{k}": float(v) for k, v in scored.items()}
        files["events"] = write_table(per_event, out / "events_found.csv")
    report = hot_issue_report(found, cfg, scored, loaded.report.read)
    (out / "hot_issues.md").write_text(report, encoding="utf-8")
    figure = timeline_figure(found, cfg.hot_issues.top)
    figure.savefig(out / "hot_issues_timeline.png", dpi=110)
    digest = orders_digest(loaded.orders)
    record = RunRecord(metrics=metrics, tags={"data_digest": digest},
                       datasets=[_dataset(cfg, digest, len(loaded.orders))])
    record.texts = {"hot_issues.md": report}
    record.figures = {"hot_issues_timeline.png": figure}
    for path in files.values():
        record.add_artifact(path, "hot_issues")
    record.summary = _summary(found, files, scored, out)
    record.result = found
    return record


def score_against_events(found: HotIssues, truth: pd.DataFrame, events: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Precision and recall of the hot issues against the generator's surge events.

    A hot issue *is* an event when more than half of its orders belong to that event; precision is the share of
    hot issues that are an event, recall the share of events that some hot issue is.

    Returns:
        ``{"precision", "recall", "groups", "true_groups", "events", "found_events"}`` and one row per event
        (``event_id``, place, problem, orders, ``found_as``: the rank of the hot issue that is it, or empty).
    """
    event_of = dict(zip(truth["order_id"].astype(str), truth["event_id"].fillna("").astype(str), strict=True))
    members = found.members.assign(event=found.members["order_id"].astype(str).map(event_of).fillna(""))
    is_event = members.groupby("group")["event"].agg(_majority)
    true_groups = is_event[is_event != ""]
    found_as = true_groups.reset_index().drop_duplicates("event").set_index("event")["group"]
    n_orders = truth.loc[truth["event_id"].fillna("") != ""].groupby("event_id").size()
    per_event = events[["event_id", "appeal_type", "district", "start", "end", "place", "problem"]].assign(
        orders=events["event_id"].map(n_orders).fillna(0).astype(int),
        found_as=events["event_id"].map(found_as).astype("Int64"))
    n_groups, n_events = len(is_event), len(events)
    scores = {"precision": len(true_groups) / n_groups if n_groups else float("nan"),
              "recall": true_groups.nunique() / n_events if n_events else float("nan"),
              "groups": n_groups, "true_groups": len(true_groups), "events": n_events,
              "found_events": int(true_groups.nunique())}
    return scores, per_event


def _majority(events: pd.Series) -> str:
    counts = events.value_counts()
    top = counts.index[0]
    return top if top and counts.iloc[0] * 2 > len(events) else ""


def hot_issue_report(found: HotIssues, cfg: FindHotIssuesConfig, scored: dict | None, read: int) -> str:
    """Markdown: what was searched, the heat index, the top hot issues with desensitized examples."""
    h = cfg.hot_issues
    w = h.heat
    lines = [f"# Hot issues: {cfg.data.name}", "",
             f"{read:,} appeals read, {found.n_orders:,} kept; {found.n_with_place:,} name a specific place; "
             f"{found.n_pairs:,} pairs of appeals at one place compared. **{len(found.groups)} hot issues** "
             f"(at least {h.min_orders} appeals from {h.min_callers} callers, linked within {h.window_days:g} days "
             f"at text similarity >= {h.min_similarity}, a burst at their place: burst_p <= {found.threshold:.2g}, "
             f"{h.family_alpha} over {found.n_tests:,} stretches tested); "
             f"{found.n_steady} more groups were the steady load of a busy place.", "",
             f"Heat = {w.orders}·log1p(orders) + {w.callers}·log1p(callers) + {w.likes}·log1p(likes) + "
             f"{w.duration}·log1p(days from first to last) + {w.growth}·log1p(orders in the last {h.recent_days} "
             "days of the data). Appeals and caller ids are desensitized.", ""]
    if scored is not None:
        lines += [f"Against the synthetic corpus's {scored['events']} place-bound surge events: precision "
                  f"**{scored['precision']:.2f}** ({scored['true_groups']} of {scored['groups']} hot issues are an "
                  f"event), recall **{scored['recall']:.2f}** ({scored['found_events']} events found).", ""]
    top = found.groups.head(h.top)
    if top.empty:
        return "\n".join([*lines, "No hot issue found."]) + "\n"
    shown = top[["rank", "heat", "place", "description", "n_orders", "n_callers", "likes", "first_at", "last_at"]]
    lines += ["## Hottest", "", markdown_table(shown.assign(first_at=shown["first_at"].dt.date,
                                                             last_at=shown["last_at"].dt.date)), ""]
    for g in top.itertuples():
        lines += [f"## {g.rank}. {g.place}: {g.description}", "",
                  f"{g.n_orders} appeals from {g.n_callers} callers, {g.first_at:%Y-%m-%d} to {g.last_at:%Y-%m-%d}"
                  f"; likes {g.likes}; {g.lift:.1f}x the place's usual rate at its peak (burst_p {g.burst_p:.2g}).",
                  ""]
        lines += [f"- {e}" for e in _examples(found.members, g.rank, h.examples)]
        lines.append("")
    return "\n".join(lines)


def _examples(members: pd.DataFrame, rank: int, n: int, chars: int = 140) -> list[str]:
    """``n`` members spread over the group's time span, shortened."""
    rows = members[members["group"] == rank]
    picks = rows.iloc[np.unique(np.linspace(0, len(rows) - 1, num=min(n, len(rows))).round().astype(int))]
    out = []
    for r in picks.itertuples():
        text = str(r.text)
        out.append(f"{r.created_at:%Y-%m-%d} ({r.order_id}): {text[:chars]}{'…' if len(text) > chars else ''}")
    return out


def timeline_figure(found: HotIssues, top: int) -> Figure:
    """When the top hot issues were raised: one row per issue, one dot per appeal (bigger with likes)."""
    fig, ax = new_figure(10, 0.5 * max(3, min(top, len(found.groups))) + 1.5)
    groups = found.groups.head(top)
    for row, g in enumerate(groups.itertuples()):
        m = found.members[found.members["group"] == g.rank]
        likes = m["likes"].fillna(0).to_numpy(dtype=float) if "likes" in m else np.zeros(len(m))
        ax.scatter(m["created_at"], np.full(len(m), row), s=20 + 10 * np.log1p(likes), alpha=0.6)
    ax.set_yticks(range(len(groups)), [f"{g.rank}. {g.place} {g.description[:16]}" for g in groups.itertuples()])
    ax.invert_yaxis()
    ax.set_title("Hot issues: one dot per appeal")
    fig.tight_layout()
    return fig


def _summary(found: HotIssues, files: dict[str, Path], scored: dict | None, out: Path) -> str:
    lines = [f"hot issues: {len(found.groups)} from {found.n_orders} appeals ({found.n_with_place} name a place)"]
    for g in found.groups.head(5).itertuples():
        lines.append(f"  {g.rank}. heat {g.heat:.2f}  {g.place}: {g.description}  ({g.n_orders} appeals, "
                     f"{g.n_callers} callers, {g.first_at:%Y-%m-%d}..{g.last_at:%Y-%m-%d})")
    if scored is not None:
        lines.append(f"against the synthetic events: precision {scored['precision']:.2f} "
                     f"({scored['true_groups']}/{scored['groups']}), recall {scored['recall']:.2f} "
                     f"({scored['found_events']}/{scored['events']})")
    lines.append(f"files: {files['hot_issues']}, {out / 'hot_issues.md'}")
    return "\n".join(lines)


def run_indicator_job(cfg: ComputeIndicatorsConfig, progress: bool = True) -> RunRecord:
    """Lifecycle indicators per period, district and type; write the tables, figures and a Markdown report."""
    loaded = prepared_orders(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=progress)
    orders = loaded.orders
    if orders.empty:
        raise ValueError(f"{cfg.data.path}: no valid orders to compute indicators from "
                         f"({loaded.report.rejected} rejected; see the rejects)")
    as_of = pd.Timestamp(cfg.as_of) if cfg.as_of else orders["created_at"].max().normalize() + pd.Timedelta(days=1)
    ind = compute_indicators(orders, cfg.indicators, as_of)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = indicator_figures(ind)
    for name, fig in figures.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out / name, dpi=110)
    report = indicator_report(ind, figures=list(figures))
    (out / "indicators.md").write_text(report, encoding="utf-8")
    files = {"by_period": write_table(ind.by_period, out / "indicators_by_period.csv"),
             "rejects": write_table(loaded.rejects, out / "rejects.csv")}
    metrics = {k: float(v) for k, v in ind.overall.items() if pd.notna(v)}
    digest = orders_digest(orders)
    record = RunRecord(metrics=metrics, tags={"data_digest": digest, "as_of": str(as_of)},
                       datasets=[_dataset(cfg, digest, len(orders))])
    record.texts = {"indicators.md": report}
    record.figures = figures
    record.tables = {"tables/indicators_by_period.parquet": ind.by_period}
    record.add_artifact(files["rejects"], "data")
    o = ind.overall
    record.summary = (f"indicators as of {as_of:%Y-%m-%d %H:%M}: {int(o['n_orders'])} orders; response median "
                      f"{o['response_median_h']:.1f} h (p90 {o['response_p90_h']:.1f} h); on time "
                      f"{o['on_time_rate']:.1%}, resolution median {o['resolution_median_h']:.1f} h (p90 "
                      f"{o['resolution_p90_h']:.1f} h), satisfied {o['satisfied_rate']:.1%}, repeat calls "
                      f"{o['repeat_call_rate']:.1%} (nan: the data does not record it)\n"
                      f"report: {out / 'indicators.md'}")
    record.result = ind
    return record


def _dataset(cfg: FindHotIssuesConfig | ComputeIndicatorsConfig, digest: str, rows: int) -> DatasetInput:
    """Every split of the prepared data, read as one."""
    return DatasetInput(cfg.data.name, digest, str(Path(cfg.paths.prepared) / cfg.data.name), "all", rows)
