"""Aggregation to daily series at several levels, the hierarchy, bottom-up reconciliation, daily-count tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import SeriesConfig
from hotline_ml.forecast.aggregate import MISSING_VALUE, daily_counts_panel, orders_panel
from hotline_ml.forecast.models import gaussian_frame
from hotline_ml.forecast.reconcile import bottom_up

LEVELS = {"total": [], "category": ["category"], "category_district": ["category", "district"]}


def _cfg(**kw) -> SeriesConfig:
    base = {"name": "t", "source": "orders", "levels": LEVELS, "category_depth": 1, "path": None, "columns": {},
            "min_total": 0}
    return SeriesConfig(**{**base, **kw})


@pytest.fixture
def orders() -> pd.DataFrame:
    return pd.DataFrame({
        "created_at": pd.to_datetime(["2025-01-01 08:00", "2025-01-01 09:00", "2025-01-03 10:00", "2025-01-03 11:00",
                                      "2025-01-04 12:00"]),
        "appeal_type": ["城乡建设/物业管理", "城乡建设/市政设施", "环境保护/噪音扰民", "城乡建设/物业管理", "环境保护"],
        "district": ["朝阳区", "海淀区", "朝阳区", "朝阳区", None],
    })


def test_counts_per_level_are_zero_filled_and_nothing_is_dropped(orders: pd.DataFrame) -> None:
    panel = orders_panel(orders, _cfg())
    assert list(panel.counts.index.strftime("%m-%d")) == ["01-01", "01-02", "01-03", "01-04"]
    assert panel.counts["total"].tolist() == [2, 0, 2, 1]
    assert panel.counts["城乡建设"].tolist() == [2, 0, 1, 0]
    assert panel.counts["城乡建设|朝阳区"].tolist() == [1, 0, 1, 0]
    assert panel.counts[f"环境保护|{MISSING_VALUE}"].tolist() == [0, 0, 0, 1]  # missing district kept, named
    assert panel.bottom_level == "category_district"
    assert panel.meta.loc["城乡建设|海淀区", "district"] == "海淀区"
    assert panel.keys("category") == ["城乡建设", "环境保护"]


def test_every_parent_is_the_sum_of_its_bottom_series(orders: pd.DataFrame) -> None:
    panel = orders_panel(orders, _cfg())
    children = panel.children()
    assert sorted(children["城乡建设"]) == ["城乡建设|朝阳区", "城乡建设|海淀区"]
    assert len(children["total"]) == 4
    for parent, keys in children.items():
        np.testing.assert_array_equal(panel.counts[parent], panel.counts[keys].sum(axis=1))


def test_unknown_level_field_and_empty_levels_are_errors(orders: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'street' is not a work-order column"):
        orders_panel(orders, _cfg(levels={"street": ["street"]}))
    with pytest.raises(ValueError, match="`levels` is empty"):
        orders_panel(orders, _cfg(levels={}))


def test_levels_that_are_not_nested_have_no_bottom(orders: pd.DataFrame) -> None:
    panel = orders_panel(orders, _cfg(levels={"category": ["category"], "district": ["district"]}))
    assert panel.bottom_level is None and panel.children() == {}


def test_bottom_up_adds_means_and_variances() -> None:
    days = pd.date_range("2025-01-01", periods=3, freq="D", name="date")
    a = gaussian_frame(days, np.array([1.0, 2, 3]), np.array([1.0, 1, 1]), (80, 95))
    b = gaussian_frame(days, np.array([4.0, 5, 6]), np.array([2.0, 2, 2]), (80, 95))
    parent = bottom_up({"a": a, "b": b}, {"p": ["a", "b"]}, (80, 95))["p"]
    np.testing.assert_allclose(parent["mean"], [5, 7, 9])
    expected = gaussian_frame(days, np.array([5.0, 7, 9]), np.full(3, np.sqrt(5)), (80, 95))
    np.testing.assert_allclose(parent["hi_95"], expected["hi_95"])
    np.testing.assert_allclose(parent["lo_80"], expected["lo_80"])


def test_daily_counts_table_fills_gaps_and_lists_skipped_series(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": ["2015-01-01", "2015-01-03", "2015-01-01", "2015-01-02"],
                  "type": ["Pothole", "Pothole", "Rare (x)", "Rare (x)"], "n": [5, 7, 1, 0]}).to_csv(path, index=False)
    cfg = _cfg(source="daily_counts", path=str(path), columns={"date": "day", "key": "type", "count": "n"},
               min_total=3)
    panel = daily_counts_panel(cfg)
    assert panel.counts["Pothole"].tolist() == [5, 0, 7]
    assert list(panel.counts.columns) == ["Pothole"]
    assert panel.skipped.loc["Rare (x)", "total"] == 1 and "min_total=3" in panel.skipped.loc["Rare (x)", "reason"]
    with pytest.raises(ValueError, match=r"columns \['count'\] not found"):
        daily_counts_panel(_cfg(source="daily_counts", path=str(path), columns={"date": "day", "key": "type"}))
