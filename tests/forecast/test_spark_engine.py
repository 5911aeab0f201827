"""The Spark engine gives the local engine's results: same choice, forecasts, backtests and replay per series."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import Engine
from hotline_ml.forecast.engine import SeriesFit, fit_panel
from hotline_ml.forecast.job import forecast_all, make_plan
from hotline_ml.forecast.warning import replay
from tests.forecast.conftest import weekly_series
from tests.helpers import SMALL_SYNTHETIC, compose_config

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.spark_extra]  # make test-spark (CI runs it after make test)

N_DAYS = 200


@pytest.fixture(scope="module")
def cfg():
    """The real job config with a short horizon (its candidates: Holt-Winters add/mul and their combination)."""
    return compose_config("fit_forecasts", ["horizon=14", "warning.replay_days=42"])


@pytest.fixture(scope="module")
def spark(cfg, spark_test_session):
    """Workers on the test run's local[2] session (conf/spark/local.yaml)."""
    from hotline_ml.forecast.spark import spark_workers

    with spark_workers(cfg.spark) as workers:
        yield workers


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    """Five series of one panel: busy, ordinary, quiet (below the candidates' volume gate), all zero, surging."""
    surging = weekly_series(N_DAYS, seed=4, scale=0.3)
    surging.iloc[185:189] += 30
    columns = {"total": weekly_series(N_DAYS, seed=1, scale=5.0), "城乡建设": weekly_series(N_DAYS, seed=2),
               "民政|延庆区": weekly_series(N_DAYS, seed=3, scale=0.02), "农村农业|门头沟区": 0.0 * surging,
               "环境保护|海淀区": surging}
    return pd.DataFrame(columns)


def assert_same_fit(got: SeriesFit, want: SeriesFit) -> None:
    """Every field of two fits of one series agrees (frames exactly)."""
    assert (got.key, got.chosen, got.model.name) == (want.key, want.chosen, want.model.name)
    assert (got.fallback_reason, got.warnings, got.notes) == (want.fallback_reason, want.warnings, want.notes)
    assert (got.not_tried, got.backtest_note) == (want.not_tried, want.backtest_note)
    pd.testing.assert_frame_equal(got.forecast, want.forecast)
    pd.testing.assert_frame_equal(got.cv, want.cv)
    assert list(got.scores) == list(want.scores)
    for name in want.scores:
        pd.testing.assert_frame_equal(got.scores[name], want.scores[name])
    pd.testing.assert_series_equal(got.auto_by_origin, want.auto_by_origin)


def test_spark_fits_equal_local_fits(counts: pd.DataFrame, cfg, spark) -> None:
    plan = make_plan(cfg)
    local = fit_panel(counts, plan, n_jobs=1, progress=False)
    on_spark = fit_panel(counts, plan, n_jobs=1, progress=False, spark=spark)
    assert list(on_spark) == list(counts.columns)
    for key in counts:
        assert_same_fit(on_spark[key], local[key])
    chosen = {f.chosen for f in local.values()}
    assert len(chosen) > 1 and local["民政|延庆区"].not_tried  # the panel exercises the choice and the volume gate


def test_spark_replay_equals_local_replay(counts: pd.DataFrame, cfg, spark) -> None:
    plan = make_plan(cfg)
    chosen = dict(zip(counts.columns, ["holt_winters", "holt_winters_mul", "seasonal_naive", "combination",
                                       "holt_winters"], strict=True))
    local = replay(counts, chosen, plan, cfg.warning, n_jobs=1, progress=False)
    on_spark = replay(counts, chosen, plan, cfg.warning, n_jobs=1, progress=False, spark=spark)
    assert list(on_spark["series"].unique()) == list(counts.columns)
    pd.testing.assert_frame_equal(on_spark, local)


def test_a_series_comes_back_with_its_index_and_dtype(spark) -> None:
    y = pd.Series(np.arange(10, dtype="int64"), index=pd.date_range("2025-01-06", periods=10, freq="D", name="day"),
                  name="s")
    (back,) = spark.map(_identity, [("s", y)], "identity")
    pd.testing.assert_series_equal(back, y)
    assert back.index.freq == y.index.freq


def _identity(key: str, y: pd.Series) -> pd.Series:
    return y


def test_whole_job_on_spark_equals_local(tmp_path: Path, spark) -> None:
    """``forecast_all`` with ``engine=spark`` (joining the module's session) and ``engine=local``."""
    cfg = compose_config("fit_forecasts", [
        *SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv", f"output_dir={tmp_path}",
        "~series.levels.category_district", "~forecast@candidates.combination",
        "n_jobs=1", "horizon=14", "warning.replay_days=63", "warning.score_levels=[category]", "engine=spark",
    ])
    on_spark = forecast_all(cfg, progress=False)
    local = forecast_all(replace(cfg, engine=Engine.local), progress=False)
    pd.testing.assert_frame_equal(on_spark.forecasts, local.forecasts)
    pd.testing.assert_frame_equal(on_spark.scores, local.scores)
    pd.testing.assert_frame_equal(on_spark.warning.alerts, local.warning.alerts)
    pd.testing.assert_series_equal(pd.Series(on_spark.metrics), pd.Series(local.metrics))  # NaN == NaN here
