"""Lifecycle indicators of work orders: response, resolution, timeliness, satisfaction and repeat calls, for the
whole and per reporting period x district / appeal type / channel, with the change against the previous period.

Everything is judged as of ``as_of``, the end of the data: a response or closure stamped after it has not
happened yet, and an open order is measured against its time limit at ``as_of``. Periods are assigned by
``created_at`` (``IndicatorConfig.period``, e.g. ``W-SUN``: weeks Monday..Sunday). A period is *complete* once
``as_of`` is at or after the start of the next one (pass the midnight after the last day, not its last second).

Per order (:func:`order_facts`):

- ``response_hours``: ``responded_at - created_at`` in hours; NaN without a response by ``as_of``.
- ``resolution_hours``: ``resolved_at - created_at`` in hours; NaN while the order is open.
- ``limit_hours``: the time limit of the order's urgency (``time_limit_hours``); ``default_limit_hours`` when
  the urgency is empty or not listed. The deadline is ``created_at + limit_hours``.
- ``resolved``: closed by ``as_of``.
- ``late``: closed after its deadline, or still open at ``as_of`` with the deadline passed. Closed exactly at
  the deadline is on time.
- ``on_time_known``: closed, or open past its deadline. An order still open within its limit is not judged yet.
- ``satisfied``: satisfaction score >= ``satisfied_min``; NA for an order without a score.
- ``repeat_call``: the same ``caller_id`` has an earlier order (or one at the same instant listed before it)
  created at most ``repeat_window_days`` days before this one; NA without a caller id.
- ``repeat_appeal``: as ``repeat_call``, but the earlier order must also have the same appeal type cut to
  ``type_level`` levels; NA without a caller id or an appeal type.

NA in ``satisfied`` / ``repeat_*`` means "cannot be judged" (the columns are pandas ``boolean``; use
``.fillna(False)`` before masking a frame with them).

Metrics of a set of orders (the whole, one period, one period x dimension value: a *cell*):

- ``n_orders``: orders created in it.
- ``response_median_h`` / ``response_p90_h``: median / 90th percentile of ``response_hours`` (hours) over the
  orders with a response.
- ``resolution_median_h`` / ``resolution_p90_h``: the same of ``resolution_hours`` over the closed orders. Slow
  orders still open are not in it, so in the latest periods it is biased low: read it beside ``open_rate``.
- ``on_time_rate``: judged orders that are not late / judged orders (``on_time_known``), 0..1. Orders still
  within their limit are left out, so the latest period's rate can still fall as some of them run over.
- ``late_orders``: late orders (closed late, or open and overdue), a count.
- ``open_rate``: orders not closed by ``as_of`` / ``n_orders``, 0..1.
- ``satisfaction_mean``: mean score (1..5) over the orders with a score.
- ``satisfied_rate``: orders with a score >= ``satisfied_min`` / orders with a score, 0..1.
- ``repeat_call_rate``: repeat calls / orders with a caller id, 0..1.
- ``repeat_appeal_rate``: repeat appeals / orders with a caller id and an appeal type, 0..1.

A metric with nothing to measure (no scores, no ``responded_at`` column, no judged order) is NaN, never 0; data
that records no closing time at all (``resolved_at`` absent or empty throughout, as on a message board that
only records replies) leaves ``late``, ``resolved`` and the metrics built on them NA rather than calling every
order late.
``<metric>_change`` in :attr:`Indicators.by_period` is the cell's value minus the same cell's value in the
previous calendar period; NaN when either period has fewer than ``min_orders`` orders in the cell or there is
no previous period. Rates change in shares (-0.05 = five percentage points down).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hotline_ml.config import IndicatorConfig
from hotline_ml.forecast.aggregate import MISSING_VALUE, category_of
from hotline_ml.markdown import markdown_table
from hotline_ml.plotting import new_figure

log = logging.getLogger(__name__)

#: The metrics of every set of orders, in report order.
METRICS: tuple[str, ...] = (
    "n_orders", "response_median_h", "response_p90_h", "resolution_median_h", "resolution_p90_h", "on_time_rate",
    "late_orders", "open_rate", "satisfaction_mean", "satisfied_rate", "repeat_call_rate", "repeat_appeal_rate",
)
#: Work-order fields an indicator breakdown may use (``IndicatorConfig.dimensions``).
BREAKDOWN_FIELDS: tuple[str, ...] = ("district", "appeal_type", "channel", "urgency")
#: Metrics :func:`latest_changes` ranks, with the direction that is worse (+1: a rise is worse). Volume growth
#: is a rise in workload; the others are what callers feel (delay, lateness, dissatisfaction, calling again).
WORSE_IF: dict[str, int] = {
    "n_orders": 1, "on_time_rate": -1, "resolution_p90_h": 1, "response_p90_h": 1, "satisfied_rate": -1,
    "repeat_appeal_rate": 1,
}
ALL = "all"
CHANGE_COLUMNS: tuple[str, ...] = (
    "period", "previous_period", "dimension", "value", "metric", "previous", "latest", "change", "worse_by",
    "n_orders",
)
_COUNTS = ("n_orders", "late_orders")


@dataclass(frozen=True)
class Indicators:
    """The indicators of one set of work orders, judged as of one instant.

    Attributes:
        overall: Metric -> value over all orders (see the module docstring; rates 0..1, durations in hours).
        by_period: One row per period x dimension x value (dimension and value ``all`` for the whole):
            ``period`` (text, ``2026-10-26/2026-11-01``), ``period_start``, ``complete``, ``dimension``,
            ``value``, the metrics, and ``<metric>_change`` against the previous period.
        facts: The per-order frame of :func:`order_facts`.
        cfg: The settings they were computed with.
        as_of: The instant open orders were judged at.
    """

    overall: dict[str, float]
    by_period: pd.DataFrame
    facts: pd.DataFrame
    cfg: IndicatorConfig
    as_of: pd.Timestamp


def order_facts(orders: pd.DataFrame, cfg: IndicatorConfig, as_of: pd.Timestamp | str) -> pd.DataFrame:
    """Per-order lifecycle facts (definitions in the module docstring).

    Args:
        orders: Validated work orders, one row per order. Only ``created_at`` is required; ``responded_at``,
            ``resolved_at``, ``satisfaction``, ``caller_id``, ``urgency`` and the breakdown fields may be
            absent or empty, which leaves the facts that need them NaN/NA.
        cfg: Time limits, period, dimensions, type level, repeat window, satisfaction threshold.
        as_of: The end of the data (naive local time, like the orders).

    Returns:
        A frame with the index of ``orders``: ``order_id`` (when present), ``created_at``, ``period``,
        ``period_start``, one column per breakdown dimension present (empty values as ``(未填)``; appeal types
        cut to ``type_level``), ``response_hours``, ``resolution_hours``, ``limit_hours`` (hours),
        ``resolved``, ``late``, ``on_time_known`` (bool), ``satisfaction`` (float), ``satisfied``,
        ``repeat_call``, ``repeat_appeal`` (pandas ``boolean``, NA when not judgeable).

    Raises:
        ValueError: No ``created_at`` column, empty creation times, orders created after ``as_of``, or a
            dimension that is not a breakdown field.
    """
    as_of = pd.Timestamp(as_of)
    created = _created(orders, as_of)
    facts = pd.DataFrame(index=orders.index)
    if "order_id" in orders:
        facts["order_id"] = orders["order_id"]
    facts["created_at"] = created
    periods = created.dt.to_period(cfg.period)
    facts["period"] = periods.astype(str)
    facts["period_start"] = periods.dt.start_time
    appeal = _appeal_types(orders, cfg.type_level)
    for dim in _dimensions(orders, cfg):
        values = appeal if dim == "appeal_type" else orders[dim].astype("string")
        facts[dim] = values.fillna(MISSING_VALUE)  # counted under (未填), never dropped
    facts = pd.concat([facts, _timeliness(orders, created, cfg, as_of)], axis=1)
    facts["satisfaction"] = _scores(orders)
    facts["satisfied"] = pd.Series(facts["satisfaction"] >= cfg.satisfied_min, dtype="boolean").mask(
        facts["satisfaction"].isna())
    caller = _optional(orders, "caller_id")
    facts["repeat_call"] = _repeats(created, [caller], cfg.repeat_window_days)
    facts["repeat_appeal"] = _repeats(created, [caller, appeal], cfg.repeat_window_days)
    return facts


def compute_indicators(orders: pd.DataFrame, cfg: IndicatorConfig, as_of: pd.Timestamp | str) -> Indicators:
    """The lifecycle indicators of ``orders`` as of ``as_of``: overall, and per period x dimension value.

    Args:
        orders: Validated work orders (see :func:`order_facts`).
        cfg: Indicator settings.
        as_of: The end of the data; open orders are judged against it.

    Raises:
        ValueError: As :func:`order_facts`.
    """
    as_of = pd.Timestamp(as_of)
    facts = order_facts(orders, cfg, as_of)
    flat = facts.reset_index(drop=True)  # the orders' index may repeat labels; grouping keys must align by position
    values = _metric_inputs(flat)
    whole = _aggregate(values, [pd.Series(ALL, index=flat.index)])
    overall = {m: float(whole[m].iloc[0]) if len(whole) else (0.0 if m in _COUNTS else np.nan) for m in METRICS}
    dims = [d for d in cfg.dimensions if d in facts]  # those the orders have (order_facts warned of the rest)
    return Indicators(overall=overall, by_period=_by_period(flat, values, dims, cfg, as_of), facts=facts, cfg=cfg,
                      as_of=as_of)


def latest_changes(ind: Indicators, top: int | None = None) -> pd.DataFrame:
    """The cells that worsened most in the last complete period against the one before it.

    For each dimension (not the whole: that is the ``all`` row of ``by_period``) and each metric of
    :data:`WORSE_IF`, the ``top`` cells with the largest worsening, where the change is known (both periods
    have at least ``min_orders`` orders in the cell).

    Args:
        ind: Computed indicators.
        top: Cells per dimension and metric; ``None`` takes ``ind.cfg.top``.

    Returns:
        Columns :data:`CHANGE_COLUMNS`: ``previous`` / ``latest`` values of ``metric``, ``change`` (latest -
        previous, in the metric's unit), ``worse_by`` (the change signed so that > 0 is worse), ``n_orders``
        of the cell in the latest period. Ordered by dimension (config order), metric, ``worse_by`` descending.
        Empty when there is no complete period with a previous one.
    """
    top = ind.cfg.top if top is None else top
    latest = _latest_period(ind.by_period)
    if latest is None:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    cells = ind.by_period[(ind.by_period["period_start"] == latest) & (ind.by_period["dimension"] != ALL)]
    parts = [_worsening(cells, metric, sign, _previous_label(latest, ind.cfg)) for metric, sign in WORSE_IF.items()]
    out = pd.concat(parts, ignore_index=True)
    out = out[out["worse_by"] > 0].sort_values("worse_by", ascending=False, kind="stable")
    out = out.groupby(["dimension", "metric"], sort=False).head(top)
    dim_rank = {d: i for i, d in enumerate(pd.unique(cells["dimension"]))}
    metric_rank = {m: i for i, m in enumerate(WORSE_IF)}
    order = np.lexsort((-out["worse_by"].to_numpy(), out["metric"].map(metric_rank), out["dimension"].map(dim_rank)))
    return out.iloc[order].reset_index(drop=True)[list(CHANGE_COLUMNS)]


def indicator_figures(ind: Indicators) -> dict[str, Figure]:
    """Charts of the indicators, keyed by the file name to save them under.

    - ``indicators/volume_on_time.png``: orders per period (bars; the incomplete period faded) and the on-time
      rate (%, line), for the whole.
    - ``indicators/resolution_hours.png``: median and 90th percentile of the resolution time (hours) per period.
    - ``indicators/on_time_by_<dimension>.png``, one per dimension, when there is a complete period: on-time rate
      (%) of the ``cfg.top`` largest values in the last complete period against the one before.
    """
    whole = ind.by_period[ind.by_period["dimension"] == ALL]
    figures = {"indicators/volume_on_time.png": _volume_on_time_figure(whole, ind.cfg.period),
               "indicators/resolution_hours.png": _resolution_figure(whole, ind.cfg.period)}
    latest = _latest_period(ind.by_period)
    if latest is not None:
        for dim in pd.unique(ind.by_period["dimension"]):
            if dim != ALL:
                figures[f"indicators/on_time_by_{dim}.png"] = _cells_on_time_figure(ind, dim, latest)
    return figures


def indicator_report(ind: Indicators, figures: Sequence[str] = ()) -> str:
    """A Markdown report: overall figures, definitions, the last complete period against the previous one.

    Args:
        ind: Computed indicators.
        figures: Figure file names (keys of :func:`indicator_figures`) to link, relative to the report.
    """
    facts = ind.facts
    span = (f"{facts['created_at'].min():%Y-%m-%d} .. {facts['created_at'].max():%Y-%m-%d}" if len(facts)
            else "(no orders)")
    lines = ["# Work-order lifecycle indicators", "",
             f"Orders created {span}, judged as of **{ind.as_of}**; periods `{ind.cfg.period}`.", "",
             "## Overall", "", markdown_table(_overall_table(ind.overall)), "",
             "## Definitions", "", *_definitions(ind.cfg), ""]
    lines += _latest_section(ind)
    if figures:
        lines += ["## Charts", "", *[f"![{name}]({name})" for name in figures], ""]
    return "\n".join(lines)


# --- per-order facts -------------------------------------------------------------------------------------------


def _created(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    if "created_at" not in orders:
        raise ValueError(f"work orders have no `created_at` column (have {sorted(orders.columns)}); load them "
                         "through hotline_ml.data, which validates and names it")
    created = pd.to_datetime(orders["created_at"])
    if created.isna().any():
        rows = list(orders.index[created.isna()][:5])
        raise ValueError(f"{int(created.isna().sum())} work orders have no created_at (index {rows}...); "
                         "validated orders always have one: load them through hotline_ml.data")
    after = created > as_of
    if after.any():
        raise ValueError(f"{int(after.sum())} work orders were created after as_of={as_of} (latest "
                         f"{created.max()}, index {list(orders.index[after][:5])}); pass as_of at or after the end "
                         "of the data, or filter the orders first")
    return created


def _optional(orders: pd.DataFrame, column: str) -> pd.Series:
    """A text column, all NA when the orders do not have it."""
    if column not in orders:
        return pd.Series(pd.NA, index=orders.index, dtype="string")
    return orders[column].astype("string")


def _known_time(orders: pd.DataFrame, column: str, as_of: pd.Timestamp) -> pd.Series:
    """A timestamp column, NaT where absent or after ``as_of`` (not known yet at ``as_of``)."""
    if column not in orders:
        return pd.Series(pd.NaT, index=orders.index, dtype="datetime64[ns]")
    times = pd.to_datetime(orders[column])
    return times.where(times <= as_of)


def _dimensions(orders: pd.DataFrame, cfg: IndicatorConfig) -> list[str]:
    """The configured dimensions the orders have (an absent one is skipped with a warning)."""
    unknown = [d for d in cfg.dimensions if d not in BREAKDOWN_FIELDS]
    if unknown:
        raise ValueError(f"indicator config: dimensions {unknown} are not breakdown fields; use some of "
                         f"{list(BREAKDOWN_FIELDS)} in `dimensions`")
    absent = [d for d in cfg.dimensions if d not in orders]
    if absent:
        log.warning("indicator dimensions %s skipped: the work orders have no such column", absent)
    return [d for d in cfg.dimensions if d in orders]


def _appeal_types(orders: pd.DataFrame, level: int) -> pd.Series:
    """Appeal types cut to ``level`` levels, NA where empty. Cut once per distinct type: splitting 100,000
    strings one by one is most of the time of :func:`order_facts`."""
    codes, uniques = pd.factorize(_optional(orders, "appeal_type"))
    cut = category_of(pd.Series(uniques, dtype="string"), level).astype("string")
    return pd.Series(cut.array.take(codes, allow_fill=True), index=orders.index)  # code -1 (empty) -> NA


def _timeliness(orders: pd.DataFrame, created: pd.Series, cfg: IndicatorConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    hour = pd.Timedelta(hours=1)
    responded = _known_time(orders, "responded_at", as_of)
    resolved_at = _known_time(orders, "resolved_at", as_of)
    limit = _optional(orders, "urgency").map(cfg.time_limit_hours).astype(float).fillna(cfg.default_limit_hours)
    deadline = created + pd.to_timedelta(limit, unit="h")
    resolved = resolved_at.notna()
    overdue = pd.Series(deadline < as_of, index=orders.index)
    # data that records no closing at all (a message board with replies only) cannot say who is late or open
    tracked = pd.Series("resolved_at" in orders and bool(orders["resolved_at"].notna().any()), index=orders.index)
    return pd.DataFrame({
        "response_hours": (responded - created) / hour,
        "resolution_hours": (resolved_at - created) / hour,
        "limit_hours": limit,
        "resolved": pd.Series(resolved, dtype="boolean").where(tracked),
        "late": pd.Series((resolved & (resolved_at > deadline)) | (~resolved & overdue),
                          dtype="boolean").where(tracked),
        "on_time_known": (resolved | overdue) & tracked,
    }, index=orders.index)


def _scores(orders: pd.DataFrame) -> pd.Series:
    if "satisfaction" not in orders:
        return pd.Series(np.nan, index=orders.index)
    scores = pd.to_numeric(orders["satisfaction"])
    return pd.Series(scores.to_numpy(dtype=float, na_value=np.nan), index=orders.index)


def _repeats(created: pd.Series, keys: list[pd.Series], window_days: int) -> pd.Series:
    """True where the previous order with the same keys was created at most ``window_days`` before (NA where
    a key is missing). One sort by keys and time: the previous order of a key is the row just before."""
    codes = [pd.factorize(k)[0] for k in keys]  # -1 = missing
    stamps = created.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((stamps, *reversed(codes)))  # lexsort's last key is the primary one
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for c in codes:
        same &= c[order][1:] == c[order][:-1]
    close = np.diff(stamps[order]) <= pd.Timedelta(days=window_days).value
    flags = np.zeros(len(order), dtype=bool)
    flags[order[1:]] = same & close
    known = np.logical_and.reduce([c >= 0 for c in codes])
    return pd.Series(flags, index=created.index, dtype="boolean").mask(~known)


# --- aggregation -----------------------------------------------------------------------------------------------


def _metric_inputs(facts: pd.DataFrame) -> pd.DataFrame:
    """Per-order floats whose group mean / median / quantile / sum is a metric; NaN = not counted in it."""
    def share(flags: pd.Series) -> np.ndarray:
        return flags.astype("boolean").to_numpy(dtype=float, na_value=np.nan)

    return pd.DataFrame({
        "response_hours": facts["response_hours"],
        "resolution_hours": facts["resolution_hours"],
        "on_time": share(~facts["late"]) * np.where(facts["on_time_known"], 1.0, np.nan),
        "late": share(facts["late"]),
        "open": share(~facts["resolved"]),
        "satisfaction": facts["satisfaction"],
        "satisfied": share(facts["satisfied"]),
        "repeat_call": share(facts["repeat_call"]),
        "repeat_appeal": share(facts["repeat_appeal"]),
    }, index=facts.index)


def _aggregate(values: pd.DataFrame, keys: list[pd.Series]) -> pd.DataFrame:
    """The metrics per group of ``keys`` (one row per group, indexed by the keys)."""
    g = values.groupby(keys, sort=True)
    return pd.DataFrame({
        "n_orders": g.size(),
        "response_median_h": g["response_hours"].median(),
        "response_p90_h": g["response_hours"].quantile(0.9),
        "resolution_median_h": g["resolution_hours"].median(),
        "resolution_p90_h": g["resolution_hours"].quantile(0.9),
        "on_time_rate": g["on_time"].mean(),
        "late_orders": g["late"].sum(),
        "open_rate": g["open"].mean(),
        "satisfaction_mean": g["satisfaction"].mean(),
        "satisfied_rate": g["satisfied"].mean(),
        "repeat_call_rate": g["repeat_call"].mean(),
        "repeat_appeal_rate": g["repeat_appeal"].mean(),
    })


def _by_period(facts: pd.DataFrame, values: pd.DataFrame, dims: list[str], cfg: IndicatorConfig,
               as_of: pd.Timestamp) -> pd.DataFrame:
    parts = []
    for dim in [ALL, *dims]:
        value = pd.Series(ALL, index=facts.index) if dim == ALL else facts[dim]
        table = _aggregate(values, [facts["period_start"], value.rename("value")]).reset_index()
        table.insert(1, "dimension", dim)
        parts.append(table)
    table = pd.concat(parts, ignore_index=True)
    periods = table["period_start"].dt.to_period(cfg.period)
    table.insert(0, "period", periods.astype(str))
    table.insert(2, "complete", (periods + 1).dt.start_time <= as_of)
    table["value"] = table["value"].astype(str)
    return pd.concat([table, _changes(table, cfg)], axis=1)


def _changes(table: pd.DataFrame, cfg: IndicatorConfig) -> pd.DataFrame:
    """``<metric>_change``: each cell minus the same cell one calendar period earlier (see the module docstring)."""
    keys = ["dimension", "value", "period_start"]
    previous = table[[*keys, *METRICS]].copy()
    previous["period_start"] = (previous["period_start"].dt.to_period(cfg.period) + 1).dt.start_time
    merged = table[keys].merge(previous, on=keys, how="left")  # a left merge keeps the rows of `table` in order
    enough = (table["n_orders"] >= cfg.min_orders) & (merged["n_orders"] >= cfg.min_orders)
    return pd.DataFrame({f"{m}_change": (table[m] - merged[m]).where(enough) for m in METRICS}, index=table.index)


def _latest_period(by_period: pd.DataFrame) -> pd.Timestamp | None:
    complete = by_period.loc[by_period["complete"], "period_start"]
    return None if complete.empty else complete.max()


def _previous_label(latest: pd.Timestamp, cfg: IndicatorConfig) -> str:
    return str(latest.to_period(cfg.period) - 1)


def _worsening(cells: pd.DataFrame, metric: str, sign: int, previous_period: str) -> pd.DataFrame:
    change = cells[f"{metric}_change"]
    return pd.DataFrame({
        "period": cells["period"], "previous_period": previous_period, "dimension": cells["dimension"],
        "value": cells["value"], "metric": metric, "previous": cells[metric] - change, "latest": cells[metric],
        "change": change, "worse_by": sign * change, "n_orders": cells["n_orders"],
    }).dropna(subset=["change"])


# --- figures ---------------------------------------------------------------------------------------------------


def _period_days(starts: pd.Series, period: str) -> float:
    """Length of the first period in days (matplotlib's unit of a date axis); 1 without periods."""
    if starts.empty:
        return 1.0
    return ((starts.iloc[0].to_period(period) + 1).start_time - starts.iloc[0]) / pd.Timedelta(days=1)


def _volume_on_time_figure(whole: pd.DataFrame, period: str) -> Figure:
    fig, ax = new_figure(9, 4)
    days = _period_days(whole["period_start"], period)
    middle = whole["period_start"] + pd.Timedelta(days=days / 2)
    colors = ["C0" if done else "0.75" for done in whole["complete"]]  # the incomplete period is still filling
    ax.bar(middle, whole["n_orders"], width=0.8 * days, color=colors, label="orders")
    ax.set_ylim(0, 1.3 * max(whole["n_orders"].max(), 1) if len(whole) else 1)  # headroom for the legend
    ax.set_ylabel("orders / period")
    rate = ax.twinx()
    rate.plot(middle, 100 * whole["on_time_rate"], color="C3", marker="o", lw=1.5, label="on-time rate")
    rate.set_ylim(0, 130)
    rate.set_yticks(range(0, 101, 20))
    rate.set_ylabel("on-time rate (%)")
    _finish(ax, f"Orders and on-time rate per period ({period})", extra=rate)
    return fig


def _resolution_figure(whole: pd.DataFrame, period: str) -> Figure:
    fig, ax = new_figure(9, 4)
    middle = whole["period_start"] + pd.Timedelta(days=_period_days(whole["period_start"], period) / 2)
    ax.plot(middle, whole["resolution_median_h"], marker="o", label="median")
    ax.plot(middle, whole["resolution_p90_h"], marker="o", label="90th percentile")
    top = whole["resolution_p90_h"].max()
    ax.set_ylim(0, 1.3 * top if pd.notna(top) and top > 0 else 1)  # from zero, with headroom for the legend
    ax.set_ylabel("hours to close")
    _finish(ax, f"Resolution time of closed orders per period ({period})")
    return fig


def _cells_on_time_figure(ind: Indicators, dim: str, latest: pd.Timestamp) -> Figure:
    cells = ind.by_period[ind.by_period["dimension"] == dim]
    now = cells[cells["period_start"] == latest].nlargest(ind.cfg.top, "n_orders").iloc[::-1]  # largest on top
    before = cells[cells["period_start"] == (latest.to_period(ind.cfg.period) - 1).start_time].set_index("value")
    y = np.arange(len(now))
    fig, ax = new_figure(8, 1.5 + 0.35 * max(len(now), 1))
    ax.barh(y + 0.2, 100 * before["on_time_rate"].reindex(now["value"]).to_numpy(), height=0.4, color="0.7",
            label=_previous_label(latest, ind.cfg))
    ax.barh(y - 0.2, 100 * now["on_time_rate"].to_numpy(), height=0.4, color="C0", label=str(now["period"].iloc[0])
            if len(now) else "latest")
    ax.set_yticks(y, now["value"].tolist())
    ax.set_xlim(0, 135)  # room on the right for the legend
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("on-time rate (%)")
    ax.set_title(f"On-time rate by {dim}: last complete period against the one before")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def _finish(ax: Axes, title: str, extra: Axes | None = None) -> None:
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if extra is not None:
        more = extra.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    ax.figure.autofmt_xdate()
    ax.figure.tight_layout()


# --- report ----------------------------------------------------------------------------------------------------


def _fmt(metric: str, value: float, change: bool = False) -> str:
    """A metric value (or a change of it) for a reader: rates in %, changes of rates in points, hours, counts."""
    if value is None or pd.isna(value):
        return "n/a"
    sign = "+" if change else ""
    if metric.endswith("_rate"):
        return f"{100 * value:{sign}.1f} pp" if change else f"{value:.1%}"
    if metric in _COUNTS:
        return f"{value:{sign},.0f}"
    if metric.endswith("_h"):
        return f"{value:{sign}.1f} h"
    return f"{value:{sign}.2f}"


def _overall_table(overall: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"metric": list(overall), "value": [_fmt(m, v) for m, v in overall.items()]})


def _definitions(cfg: IndicatorConfig) -> list[str]:
    limits = ", ".join(f"{k} {v:g} h" for k, v in cfg.time_limit_hours.items())
    return [
        "- response / resolution times: hours from creation to the first response / to closing, over the orders "
        "that have one by the as-of time (median and 90th percentile; open orders are not in the resolution "
        "time, so read it beside the open rate)",
        f"- time limit: {limits}; {cfg.default_limit_hours:g} h without an urgency",
        "- on-time rate: share of judged orders not late; late = closed after the limit, or open past it; an "
        "order still open within its limit is not judged yet",
        "- open rate: share of orders not closed by the as-of time",
        f"- satisfaction: mean score 1-5 of rated orders; satisfied rate = share of rated orders scoring at least "
        f"{cfg.satisfied_min}",
        f"- repeat call: the same caller called within {cfg.repeat_window_days} days before (share of orders with "
        f"a caller id); repeat appeal: and about the same appeal type (cut to {cfg.type_level} level(s))",
        f"- changes: latest period minus the one before, only for cells with at least {cfg.min_orders} orders in "
        "both; rates change in percentage points (pp)",
    ]


def _latest_section(ind: Indicators) -> list[str]:
    latest = _latest_period(ind.by_period)
    if latest is None:
        return ["## Latest period", "", f"No complete period yet as of {ind.as_of}.", ""]
    whole = ind.by_period[ind.by_period["dimension"] == ALL].set_index("period_start")
    now = whole.loc[latest]
    before_start = (latest.to_period(ind.cfg.period) - 1).start_time
    before = whole.loc[before_start] if before_start in whole.index else pd.Series(np.nan, index=whole.columns)
    table = pd.DataFrame({
        "metric": list(METRICS),
        "previous": [_fmt(m, before[m]) for m in METRICS],
        "latest": [_fmt(m, now[m]) for m in METRICS],
        "change": [_fmt(m, now[f"{m}_change"], change=True) for m in METRICS],
    })
    lines = [f"## {now['period']} against {_previous_label(latest, ind.cfg)}", "", "### Whole", "",
             markdown_table(table), ""]
    changes = latest_changes(ind)
    for dim in [d for d in pd.unique(ind.by_period["dimension"]) if d != ALL]:
        rows = changes[changes["dimension"] == dim]
        lines += [f"### Worst {dim} cells", ""]
        lines += [markdown_table(_changes_table(rows)) if len(rows) else
                  f"No cell worsened (cells need at least {ind.cfg.min_orders} orders in both periods).", ""]
    return lines


def _changes_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "value": rows["value"],
        "metric": rows["metric"],
        "previous": [_fmt(m, v) for m, v in zip(rows["metric"], rows["previous"], strict=True)],
        "latest": [_fmt(m, v) for m, v in zip(rows["metric"], rows["latest"], strict=True)],
        "change": [_fmt(m, v, change=True) for m, v in zip(rows["metric"], rows["change"], strict=True)],
        "orders": [f"{n:,}" for n in rows["n_orders"]],
    })
