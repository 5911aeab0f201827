"""A saved forecast bundle is JSON + npz (no pickle), reloads offline, forecasts the same, and loads only
hotline_ml.forecast classes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.forecast.bundle import ForecastBundle, load_bundle
from hotline_ml.forecast.models import Combination, SeasonalNaive, make_forecaster
from hotline_ml.forecast.smoothing import HoltWinters

from .conftest import candidate, weekly_series


@pytest.fixture(scope="module")
def bundle() -> ForecastBundle:
    y = weekly_series(150, scale=3.0)
    models = {"naive": SeasonalNaive().fit(y), "hw": HoltWinters(holidays="cn").fit(y),
              "combo": Combination([HoltWinters(), HoltWinters(seasonal="mul")]).fit(y),
              "ets": make_forecaster(candidate("ets").model).fit(y),
              "sarimax": make_forecaster(candidate("sarimax").model).fit(y)}
    children = {"all": ["naive", "hw", "combo", "ets", "sarimax"]}
    levels = {**dict.fromkeys(models, "bottom"), "all": "total"}
    return ForecastBundle(models, children, levels, (80, 95), {k: k for k in models})


def test_bundle_is_json_and_npz_and_forecasts_the_same_after_loading(bundle: ForecastBundle, tmp_path: Path) -> None:
    path = bundle.save(tmp_path / "bundle")
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "bundle.json"]
    with np.load(path / "arrays.npz", allow_pickle=False) as arrays:  # would raise on pickled objects
        assert all(arrays[k].dtype != object for k in arrays.files)
    again = load_bundle(path)
    pd.testing.assert_frame_equal(again.forecast(30), bundle.forecast(30))
    assert again.chosen == bundle.chosen and again.children == bundle.children
    for key in ("hw", "ets", "sarimax"):  # update() needs the kept parameters
        longer = weekly_series(157, scale=3.0)
        np.testing.assert_allclose(again.models[key].update(longer).predict(7)["mean"],
                                   bundle.models[key].__class__(**bundle.models[key]._settings)
                                   .fit(weekly_series(150, scale=3.0)).update(longer).predict(7)["mean"], rtol=1e-6)


@pytest.mark.parametrize("target", ["os.system", "no_such_module.Forecaster",
                                    "tests.forecast.test_smoothing._SlowNaive"])  # a Forecaster, but not ours
def test_a_bundle_naming_a_foreign_class_is_refused(bundle: ForecastBundle, tmp_path: Path, target: str) -> None:
    path = bundle.save(tmp_path / "bundle")
    meta = json.loads((path / "bundle.json").read_text(encoding="utf-8"))
    meta["models"]["hw"]["spec"]["_target_"] = target
    (path / "bundle.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match=r"only hotline_ml\.forecast"):
        load_bundle(path)
    with pytest.raises(ValueError, match="not a hotline-ml forecast bundle"):
        load_bundle(tmp_path)
