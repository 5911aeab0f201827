"""Rolling-origin backtests: exact windows with a fake model, metrics by hand, out-of-sample choice."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import BacktestConfig
from hotline_ml.forecast.backtest import (
    backtest_cutoffs,
    choose,
    cross_selected,
    naive_scale,
    rolling_forecasts,
    score_origins,
    smape,
)
from hotline_ml.forecast.models import Forecaster, SeasonalNaive, future_dates, gaussian_frame
from tests.forecast.conftest import SANITY

LEVEL = (80, 95)


class _TrainLength(Forecaster):
    """Forecasts the length of its training series (so each row tells which window produced it)."""

    name = "train_length"
    log: ClassVar[list[tuple[str, int]]] = []

    def __init__(self) -> None:
        super().__init__(min_history=1)

    def _fit(self, y: pd.Series) -> None:
        _TrainLength.log.append(("fit", len(y)))

    def update(self, y: pd.Series) -> Forecaster:
        _TrainLength.log.append(("update", len(y)))
        self.y_ = y
        return self

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        return gaussian_frame(future_dates(self.y_.index[-1], h), np.full(h, float(len(self.y_))), np.ones(h), level)


@pytest.fixture
def y() -> pd.Series:
    return pd.Series(np.arange(100, dtype=float), index=pd.date_range("2025-03-01", periods=100, freq="D"))


def test_windows_are_exact(y: pd.Series) -> None:
    cfg = BacktestConfig(horizon=14, n_origins=8, step=7, refit_every=1, min_train=10, baseline_margin=0.0)
    cutoffs = backtest_cutoffs(len(y), cfg)
    assert cutoffs == [37, 44, 51, 58, 65, 72, 79, 86]
    cv = rolling_forecasts(y, _TrainLength, SeasonalNaive, cutoffs, 14, LEVEL, SANITY)
    assert len(cv) == 8 * 14 and cv["used"].eq("train_length").all() and cv["fallback_reason"].isna().all()
    for cutoff, rows in zip(cutoffs, [g for _, g in cv.groupby("origin")], strict=True):
        assert rows["origin"].iloc[0] == y.index[cutoff - 1]  # last training day
        assert list(rows["date"]) == list(y.index[cutoff:cutoff + 14])  # the 14 days after it, no gap, no overlap
        assert (rows["mean"] == cutoff).all()  # the model saw exactly `cutoff` days
        np.testing.assert_array_equal(rows["actual"], y.iloc[cutoff:cutoff + 14])
        assert list(rows["step"]) == list(range(1, 15))
    # the last window ends on the last day of the series
    assert cv["date"].max() == y.index[-1]


def test_origins_short_of_min_train_are_left_out(y: pd.Series) -> None:
    cfg = BacktestConfig(horizon=14, n_origins=8, step=7, refit_every=1, min_train=60, baseline_margin=0.0)
    assert backtest_cutoffs(len(y), cfg) == [65, 72, 79, 86]
    assert backtest_cutoffs(20, cfg) == []


def test_refit_every_reestimates_only_every_kth_origin(y: pd.Series) -> None:
    _TrainLength.log = []
    rolling_forecasts(y, _TrainLength, SeasonalNaive, [40, 50, 60, 70, 80], 7, LEVEL, SANITY, refit_every=2)
    assert _TrainLength.log == [("fit", 40), ("update", 50), ("fit", 60), ("update", 70), ("fit", 80)]


def test_metrics_by_hand() -> None:
    assert smape(np.array([10.0, 0.0, 5.0]), np.array([10.0, 0.0, 15.0])) == pytest.approx(100 * (0 + 0 + 1.0) / 3)
    assert naive_scale(np.array([1.0, 2, 3, 4, 5, 6, 7, 3, 2, 3]), 7) == pytest.approx((2 + 0 + 0) / 3)
    assert np.isnan(naive_scale(np.ones(7), 7))
    days = pd.date_range("2025-01-01", periods=21, freq="D")
    y = pd.Series(np.r_[np.tile([2.0, 4.0], 7)[:14], [3.0] * 7], index=days)
    cv = pd.DataFrame({"origin": days[13], "date": days[14:], "actual": [3.0, 3, 3, 3, 3, 4, 1],
                       "mean": [3.0, 4.0, 5.0, 3.0, 3.0, 3.0, 3.0],
                       "lo_80": 2.5, "hi_80": 3.5, "lo_95": 2.0, "hi_95": 4.5})
    row = score_origins(cv, y, period=7, level=LEVEL).iloc[0]
    scale = naive_scale(y.iloc[:14].to_numpy(), 7)
    assert row["mae"] == pytest.approx(6 / 7) and row["mase"] == pytest.approx(6 / 7 / scale)
    assert row["coverage80"] == pytest.approx(5 / 7) and row["coverage95"] == pytest.approx(6 / 7)


def test_all_zero_history_has_undefined_mase_not_a_crash() -> None:
    days = pd.date_range("2025-01-01", periods=28, freq="D")
    y = pd.Series(0.0, index=days)
    cv = rolling_forecasts(y, SeasonalNaive, SeasonalNaive, [14], 14, LEVEL, SANITY)
    row = score_origins(cv, y, 7, LEVEL).iloc[0]
    assert row["mae"] == 0 and np.isnan(row["mase"]) and row["smape"] == 0


def _scores(maes: dict[str, list[float]]) -> dict[str, pd.DataFrame]:
    origins = pd.date_range("2025-01-01", periods=4, freq="7D")
    return {name: pd.DataFrame({"origin": origins, "mae": m}) for name, m in maes.items()}


def test_choice_is_by_mean_mae_and_ties_go_to_the_baseline() -> None:
    assert choose(_scores({"seasonal_naive": [2, 2, 2, 2], "ets": [1, 1, 1, 1]})) == "ets"
    assert choose(_scores({"seasonal_naive": [1, 1, 1, 1], "ets": [1, 1, 1, 1]})) == "seasonal_naive"


def test_cross_selection_scores_each_origin_with_a_choice_made_elsewhere() -> None:
    # ets wins on even origins (0, 2), naive on odd ones (1, 3): each origin gets the other parity's winner
    picks = cross_selected(_scores({"seasonal_naive": [5, 1, 5, 1], "ets": [1, 5, 1, 5]}))
    assert list(picks) == ["seasonal_naive", "ets", "seasonal_naive", "ets"]
