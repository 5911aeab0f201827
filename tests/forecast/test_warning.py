"""Early warning: an injected surge is flagged and a quiet series is not; scoring against ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import EarlyWarningConfig
from hotline_ml.forecast.engine import FitPlan
from hotline_ml.forecast.warning import (
    detect_alerts,
    match_alerts,
    normalise_events,
    replay,
    replay_cutoffs,
    score_against_events,
)
from tests.forecast.conftest import weekly_series

SURGE_DAYS = slice(180, 184)  # 4 days


def _cfg(**kw) -> EarlyWarningConfig:
    base = {"level": 95, "persistence": 2, "min_excess": 1.0, "step": 7, "replay_days": 70, "current_days": 7,
            "top_k": 5, "n_examples": 2, "match_tolerance_days": 1, "score_levels": ["category_district"]}
    return EarlyWarningConfig(**{**base, **kw})


@pytest.fixture
def counts() -> pd.DataFrame:
    quiet = weekly_series(210, seed=11, scale=0.3)
    surging = weekly_series(210, seed=12, scale=0.3)
    surging.iloc[SURGE_DAYS] += 30  # a water-main break: ~+30 calls/day for 4 days on ~3-10/day
    return pd.DataFrame({"城乡建设|朝阳区": surging, "环境保护|海淀区": quiet})


def test_replay_forecasts_each_day_from_an_origin_before_it(counts: pd.DataFrame, plan: FitPlan) -> None:
    cfg = _cfg()
    assert replay_cutoffs(210, cfg) == list(range(140, 210, 7))
    replayed = replay(counts, {k: "ets" for k in counts}, plan, cfg, n_jobs=1, progress=False)
    assert len(replayed) == 2 * 70
    assert (replayed["origin"] < replayed["date"]).all()
    assert (replayed["date"] - replayed["origin"]).max() == pd.Timedelta(days=7)


@pytest.mark.parametrize("model", ["seasonal_naive", "ets"])
def test_injected_surge_is_flagged_and_the_quiet_series_is_not(counts: pd.DataFrame, plan: FitPlan,
                                                                model: str) -> None:
    replayed = replay(counts, {k: model for k in counts}, plan, _cfg(), n_jobs=1, progress=False)
    levels = pd.Series("category_district", index=counts.columns)
    alerts = detect_alerts(replayed, levels, _cfg())
    assert set(alerts["series"]) == {"城乡建设|朝阳区"}
    top = alerts.iloc[0]
    surge = counts.index[SURGE_DAYS]
    assert surge[0] <= top["start"] <= surge[1] and top["end"] <= surge[-1] and top["days"] >= 2
    assert top["growth"] > 1.0 and top["severity"] > 0 and top["excess"] > 0


def test_persistence_and_minimum_excess_are_honoured() -> None:
    days = pd.date_range("2025-01-01", periods=6, freq="D")
    rows = pd.DataFrame({"series": "s", "date": days, "actual": [9.0, 1, 9, 9, 9, 5.5],
                         "mean": 1.0, "hi_95": 5.0})
    levels = pd.Series({"s": "category"})
    alerts = detect_alerts(rows, levels, _cfg(persistence=2, min_excess=1.0))
    assert len(alerts) == 1  # the single day is too short; 5.5 is only 0.5 over the bound
    assert alerts.iloc[0][["start", "end", "days"]].tolist() == [days[2], days[4], 3]
    assert alerts.iloc[0]["excess"] == pytest.approx(12.0)
    assert alerts.iloc[0]["severity"] == pytest.approx(12.0 / np.sqrt(6))
    assert detect_alerts(rows, levels, _cfg(persistence=4)).empty


def test_precision_and_recall_against_ground_truth_events() -> None:
    events = normalise_events(pd.DataFrame({
        "event_id": ["E1", "E2", "E3"],
        "appeal_type": ["城乡建设/物业管理", "环境保护/噪音扰民", "城乡建设/市政设施"],
        "district": ["朝阳区", "海淀区", "朝阳区"],
        "start": ["2025-03-10", "2025-03-20", "2025-09-01"], "end": ["2025-03-12", "2025-03-22", "2025-09-03"]}), 1)
    meta = pd.DataFrame({"level": ["category_district"] * 2, "category": ["城乡建设", "环境保护"],
                         "district": ["朝阳区", "朝阳区"]}, index=["城乡建设|朝阳区", "环境保护|朝阳区"])
    alerts = pd.DataFrame({"series": ["城乡建设|朝阳区", "环境保护|朝阳区", "城乡建设|朝阳区"],
                           "start": pd.to_datetime(["2025-03-13", "2025-03-20", "2025-05-01"]),
                           "end": pd.to_datetime(["2025-03-14", "2025-03-21", "2025-05-02"])})
    matched = match_alerts(alerts, meta, events, tolerance_days=1)
    # within a day of E1's end; right dates but wrong district for E2; nothing in May
    assert matched["event_ids"].tolist() == [["E1"], [], []]
    score = score_against_events(matched, events, (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30")), top_k=2)
    assert score["events"] == 2  # E3 is after the period
    assert score["precision"] == pytest.approx(1 / 3) and score["recall"] == pytest.approx(1 / 2)
    assert score["precision_at_k"] == pytest.approx(1 / 2)
