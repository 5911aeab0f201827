"""Lifecycle indicators on hand-built work orders: lateness, open orders at the as-of time, repeat calls,
period changes, missing columns, the report and the charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import IndicatorConfig
from hotline_ml.insight.indicators import (
    ALL,
    METRICS,
    compute_indicators,
    indicator_figures,
    indicator_report,
    latest_changes,
    order_facts,
)

WEEK1 = pd.Timestamp("2026-10-26")  # a Monday: W-SUN weeks run Monday..Sunday
AS_OF = WEEK1 + pd.Timedelta(weeks=3)  # the Monday after three full weeks


def make_cfg(**overrides) -> IndicatorConfig:
    values = {"time_limit_hours": {"紧急": 1.0, "加急": 24.0, "一般": 72.0}, "default_limit_hours": 72.0,
              "period": "W-SUN", "dimensions": ["district", "appeal_type", "channel"], "type_level": 1,
              "repeat_window_days": 7, "satisfied_min": 4, "min_orders": 2, "top": 5}
    return IndicatorConfig(**{**values, **overrides})


def order(created: pd.Timestamp, resolved_h: float | None = None, responded_h: float | None = 1.0,
          **fields) -> dict:
    """One work order; ``resolved_h`` / ``responded_h`` are hours after creation (None: not yet)."""
    hours = pd.Timedelta(hours=1)
    return {"created_at": created,
            "resolved_at": pd.NaT if resolved_h is None else created + resolved_h * hours,
            "responded_at": pd.NaT if responded_h is None else created + responded_h * hours,
            "urgency": "一般", "district": "东区", "appeal_type": "城乡建设/物业管理", "channel": "电话",
            "caller_id": None, "satisfaction": pd.NA, **fields}


def frame(rows: list[dict]) -> pd.DataFrame:
    orders = pd.DataFrame(rows)
    orders.insert(0, "order_id", [f"o{i}" for i in range(len(orders))])
    orders["satisfaction"] = orders["satisfaction"].astype("Int64")
    return orders


def test_an_order_closed_after_its_limit_is_late_and_one_within_it_is_not() -> None:
    start = WEEK1 + pd.Timedelta(days=1)
    orders = frame([order(start, resolved_h=30, urgency="加急"),  # limit 24 h
                    order(start, resolved_h=10, urgency="加急"),
                    order(start, resolved_h=24, urgency="加急"),  # exactly at the limit: on time
                    order(start, resolved_h=80, urgency=None)])  # no urgency: the default 72 h
    facts = order_facts(orders, make_cfg(), AS_OF)
    assert facts["late"].tolist() == [True, False, False, True]
    assert facts["on_time_known"].all()
    assert facts["limit_hours"].tolist() == [24.0, 24.0, 24.0, 72.0]
    assert facts["resolution_hours"].tolist() == [30.0, 10.0, 24.0, 80.0]
    overall = compute_indicators(orders, make_cfg(), AS_OF).overall
    assert overall["late_orders"] == 2
    assert overall["on_time_rate"] == pytest.approx(0.5)
    assert overall["open_rate"] == 0.0


def test_an_open_order_past_its_limit_is_late_and_one_within_it_is_not_judged() -> None:
    orders = frame([order(AS_OF - pd.Timedelta(hours=100)),  # 一般: 72 h, open at as_of
                    order(AS_OF - pd.Timedelta(hours=10)),
                    order(AS_OF - pd.Timedelta(hours=100), resolved_h=110)])  # closed after as_of: open then
    facts = order_facts(orders, make_cfg(), AS_OF)
    assert facts["late"].tolist() == [True, False, True]
    assert facts["on_time_known"].tolist() == [True, False, True]
    assert not facts["resolved"].any()
    assert facts["resolution_hours"].isna().all()
    overall = compute_indicators(orders, make_cfg(), AS_OF).overall
    assert overall["on_time_rate"] == 0.0  # the order within its limit is not in the denominator
    assert overall["late_orders"] == 2
    assert overall["open_rate"] == 1.0


def test_a_repeat_caller_within_the_window_is_flagged_and_one_outside_it_is_not() -> None:
    day = pd.Timedelta(days=1)
    # listed out of time order: the flag must come from time, not from row order
    orders = frame([order(WEEK1 + 3 * day, resolved_h=1, caller_id="a"),  # 3 days after a's first: repeat
                    order(WEEK1, resolved_h=1, caller_id="a"),
                    order(WEEK1 + 11 * day, resolved_h=1, caller_id="a"),  # 8 days after a's last: not
                    order(WEEK1 + 4 * day, resolved_h=1, caller_id="b"),  # another caller's first call
                    order(WEEK1 + 4 * day, resolved_h=1, caller_id=None)])  # no caller: cannot be judged
    facts = order_facts(orders, make_cfg(), AS_OF)
    assert facts["repeat_call"].tolist() == [True, False, False, False, pd.NA]
    overall = compute_indicators(orders, make_cfg(), AS_OF).overall
    assert overall["repeat_call_rate"] == pytest.approx(1 / 4)  # over the orders with a caller id


def test_a_repeat_appeal_needs_the_same_appeal_type() -> None:
    day = pd.Timedelta(days=1)
    orders = frame([order(WEEK1, resolved_h=1, caller_id="a", appeal_type="城乡建设/物业管理"),
                    order(WEEK1 + day, resolved_h=1, caller_id="a", appeal_type="交通运输/公交"),
                    order(WEEK1 + 2 * day, resolved_h=1, caller_id="a", appeal_type="城乡建设/供水"),
                    order(WEEK1 + 3 * day, resolved_h=1, caller_id="a", appeal_type=None)])
    level1 = order_facts(orders, make_cfg(type_level=1), AS_OF)
    assert level1["repeat_call"].tolist() == [False, True, True, True]
    assert level1["repeat_appeal"].tolist() == [False, False, True, pd.NA]  # 城乡建设 again, 2 days later
    level2 = order_facts(orders, make_cfg(type_level=2), AS_OF)
    assert level2["repeat_appeal"].tolist() == [False, False, False, pd.NA]  # 供水 is not 物业管理


def weekly_orders() -> pd.DataFrame:
    """Three weeks. 东区: 3 on-time orders, then 4 with 2 late, then 2 on time. 西区: 1, 1, 2 orders (under
    min_orders until week 3). 南区: 2 orders in weeks 1 and 3, none in week 2. 15 of 17 on time."""
    day, rows = pd.Timedelta(days=1), []
    for week, (n, late) in enumerate([(3, 0), (4, 2), (2, 0)]):
        start = WEEK1 + week * 7 * day
        rows += [order(start + i * day, resolved_h=100 if i < late else 5) for i in range(n)]
        rows += [order(start, resolved_h=5, district="西区")] * (2 if week == 2 else 1)
    rows += [order(WEEK1 + w * 7 * day, resolved_h=5, district="南区") for w in (0, 0, 2, 2)]
    return frame(rows)


def cell(ind, period_start: pd.Timestamp, dimension: str, value: str) -> pd.Series:
    table = ind.by_period
    rows = table[(table["period_start"] == period_start) & (table["dimension"] == dimension)
                 & (table["value"] == value)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_period_changes_are_against_the_previous_period_and_nan_under_min_orders() -> None:
    ind = compute_indicators(weekly_orders(), make_cfg(), AS_OF)
    week2, week3 = WEEK1 + pd.Timedelta(weeks=1), WEEK1 + pd.Timedelta(weeks=2)
    east = cell(ind, week2, "district", "东区")
    assert east["period"] == "2026-11-02/2026-11-08"
    assert east["on_time_rate"] == pytest.approx(0.5)
    assert east["on_time_rate_change"] == pytest.approx(-0.5)  # 2 of 4 on time, after 3 of 3
    assert east["n_orders_change"] == 1
    assert east["late_orders_change"] == 2
    assert np.isnan(cell(ind, WEEK1, "district", "东区")["on_time_rate_change"])  # no previous period
    assert cell(ind, week3, "district", "东区")["on_time_rate_change"] == pytest.approx(0.5)
    assert np.isnan(cell(ind, week2, "district", "西区")["n_orders_change"])  # 1 order < min_orders
    assert np.isnan(cell(ind, week3, "district", "西区")["n_orders_change"])  # 2 orders, but 1 the week before
    # week 3 of 南区 is compared with week 2, where it had no orders, not with week 1
    assert np.isnan(cell(ind, week3, "district", "南区")["n_orders_change"])
    assert cell(ind, week2, ALL, ALL)["n_orders_change"] == (4 + 1) - (3 + 1 + 2)
    assert ind.by_period["complete"].all()


def test_latest_changes_rank_the_cells_that_worsened_in_the_last_complete_period() -> None:
    # as of the Thursday of week 3, week 3 is not over: week 2 is the last complete period
    ind = compute_indicators(weekly_orders(), make_cfg(), WEEK1 + pd.Timedelta(weeks=2, days=3))
    assert ind.by_period.groupby("period")["complete"].first().tolist() == [True, True, False]
    changes = latest_changes(ind)
    on_time = changes[changes["metric"] == "on_time_rate"]
    # every order is 城乡建设 by 电话: those cells worsened as much as 东区 (dimensions in config order)
    assert on_time[["dimension", "value"]].values.tolist() == [["district", "东区"], ["appeal_type", "城乡建设"],
                                                               ["channel", "电话"]]
    assert on_time["latest"].iloc[0] == pytest.approx(0.5)
    assert on_time["worse_by"].iloc[0] == pytest.approx(0.5)
    assert (changes["worse_by"] > 0).all()
    assert set(changes["period"]) == {"2026-11-02/2026-11-08"}
    assert "西区" not in set(changes["value"])  # under min_orders: no change to rank
    assert ALL not in set(changes["dimension"])


def test_missing_optional_columns_give_nan_metrics() -> None:
    full = weekly_orders()
    bare = full[["order_id", "created_at", "resolved_at"]]
    ind = compute_indicators(bare, make_cfg(), AS_OF)
    for metric in ("response_median_h", "response_p90_h", "satisfaction_mean", "satisfied_rate",
                   "repeat_call_rate", "repeat_appeal_rate"):
        assert np.isnan(ind.overall[metric]), metric
    assert ind.overall["on_time_rate"] == pytest.approx(15 / 17)  # no urgency: the default limit for all
    assert set(ind.by_period["dimension"]) == {ALL}  # absent dimensions are skipped, not errors
    # present but empty: the same as absent
    empty = full.assign(responded_at=pd.NaT, satisfaction=pd.array([pd.NA] * len(full), dtype="Int64"),
                        caller_id=None)
    overall = compute_indicators(empty, make_cfg(), AS_OF).overall
    assert np.isnan(overall["response_p90_h"]) and np.isnan(overall["satisfied_rate"])
    assert np.isnan(overall["repeat_call_rate"])


def test_data_without_any_closing_time_judges_no_order_late() -> None:
    """A message board records replies, not closings: no order is called late or open for want of one."""
    start = WEEK1 + pd.Timedelta(days=1)
    orders = frame([order(start, resolved_h=None, responded_h=h) for h in (5, 50, 100)])
    ind = compute_indicators(orders, make_cfg(), AS_OF)
    assert np.isnan(ind.overall["on_time_rate"]) and np.isnan(ind.overall["open_rate"])
    assert ind.overall["response_median_h"] == pytest.approx(50)
    orders.loc[0, "resolved_at"] = start + pd.Timedelta(hours=2)  # one closing: now open orders are judged
    assert compute_indicators(orders, make_cfg(), AS_OF).overall["late_orders"] == 2


def test_satisfaction_counts_only_rated_orders() -> None:
    start = WEEK1 + pd.Timedelta(days=1)
    orders = frame([order(start, resolved_h=5, satisfaction=s) for s in (5, 4, 2, pd.NA)])
    ind = compute_indicators(orders, make_cfg(satisfied_min=4), AS_OF)
    assert ind.overall["satisfaction_mean"] == pytest.approx(11 / 3)
    assert ind.overall["satisfied_rate"] == pytest.approx(2 / 3)
    assert ind.facts["satisfied"].tolist() == [True, True, False, pd.NA]


def test_bad_input_is_refused_with_what_to_do() -> None:
    orders = weekly_orders()
    with pytest.raises(ValueError, match="created after as_of"):
        compute_indicators(orders, make_cfg(), WEEK1 + pd.Timedelta(days=3))
    with pytest.raises(ValueError, match="distrct"):
        compute_indicators(orders, make_cfg(dimensions=["distrct"]), AS_OF)


def test_the_report_and_the_figures_are_written(tmp_path: Path) -> None:
    ind = compute_indicators(weekly_orders(), make_cfg(), AS_OF)
    figures = indicator_figures(ind)
    assert {"indicators/volume_on_time.png", "indicators/resolution_hours.png",
            "indicators/on_time_by_district.png"} <= set(figures)
    for name, fig in figures.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=50)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = indicator_report(ind, figures=list(figures))
    assert "## Overall" in report and "## Definitions" in report
    assert "| on_time_rate | 88.2% |" in report  # 15 of 17 judged orders on time
    assert "## 2026-11-09/2026-11-15 against 2026-11-02/2026-11-08" in report
    assert "### Worst district cells" in report
    assert "| 东区 | n_orders |" not in report  # 东区 went from 4 orders to 2: no worsening in volume
    assert "![indicators/on_time_by_district.png](indicators/on_time_by_district.png)" in report
    assert all(m in report for m in METRICS)
