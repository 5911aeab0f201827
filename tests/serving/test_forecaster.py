"""The forecaster API: the registered demand forecaster's mean and intervals for given series and horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml import tracking
from hotline_ml.config import TrackingConfig
from hotline_ml.forecast.bundle import PYFUNC_LOADER, ForecastBundle
from hotline_ml.forecast.models import SeasonalNaive
from hotline_ml.predict import ForecastPredictor


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ForecastBundle]:
    tmp = tmp_path_factory.mktemp("forecaster")
    days = pd.date_range("2026-01-05", periods=56, freq="D")
    y = {k: pd.Series(np.tile([5.0, 6, 7, 8, 9, 3, 2], 8) * s, index=days) for k, s in (("a", 1), ("b", 2))}
    bundle = ForecastBundle({k: SeasonalNaive().fit(v) for k, v in y.items()}, {}, {"a": "bottom", "b": "bottom"},
                            (80, 95))
    path = bundle.save(tmp / "bundle")
    uri = f"sqlite:///{tmp}/mlflow.db"
    example = pd.DataFrame({"series": ["a"], "horizon": [3]})
    with tracking.start_run(TrackingConfig(tracking_uri=uri, experiment="forecast-test")):
        _, version = tracking.log_pyfunc_model(PYFUNC_LOADER, {"bundle": str(path)}, example,
                                               bundle.predict_frame(example),
                                               registered_name="hotline-demand-forecaster")
    tracking.set_alias("hotline-demand-forecaster", "candidate", version)
    return uri, bundle


def test_forecasts_mean_and_intervals_from_the_registry(registered) -> None:
    uri, bundle = registered
    fc = ForecastPredictor.load("models:/hotline-demand-forecaster@candidate", uri)
    out = fc.forecast(["a", "b"], horizon=10)
    assert len(out) == 20 and set(out["series"]) == {"a", "b"} and fc.series == ["a", "b"]
    assert (out["lo_95"] <= out["mean"]).all() and (out["mean"] <= out["hi_95"]).all()
    pd.testing.assert_frame_equal(out[["series", "date", "mean", "lo_80", "hi_80"]],
                                  bundle.forecast(10, ["a", "b"])[["series", "date", "mean", "lo_80", "hi_80"]])
    assert out["model_version"].eq("1").all() and out["run_id"].notna().all()
    history = fc.history("b")
    assert history.name == "b" and len(history) == 56 and history.iloc[0] == 10.0
    assert out[out["series"] == "b"]["date"].min() == history.index[-1] + pd.Timedelta(days=1)


def test_bad_horizon_and_unknown_series_are_errors(registered, tmp_path: Path) -> None:
    _, bundle = registered
    fc = ForecastPredictor.load(str(bundle.save(tmp_path / "b")))
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        fc.forecast("a", 0)
    with pytest.raises(KeyError, match="unknown series"):
        fc.forecast("zz", 3)
    with pytest.raises(KeyError, match="unknown series"):
        fc.history("zz")
