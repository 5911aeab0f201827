"""The registered MLflow model is the whole predictor: loaded as MLflow loads it, it answers exactly as
``Predictor.predict_batch`` (masking, routing and trace included), its signature declares typed columns, its routing
and masking configs round-trip without the salt, and the documented Python API (README, service caller's guide) runs
in a fresh Python."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml import tracking
from hotline_ml.config import DesensitizeConfig
from hotline_ml.predict import PREDICTION_COLUMNS, Predictor
from hotline_ml.predict.classifier import input_hash
from hotline_ml.predict.loading import SALT_ENV, model_masking, model_routing
from tests.helpers import ROOT
from tests.serving.conftest import GAS_LEAK, MODEL_NAME, PHONE, masked

FRAME = pd.DataFrame({"order_id": ["P1", "P2", "P3"],
                      "text": [GAS_LEAK, "楼上装修噪音太大，能不能只在白天施工", "小区门口的路灯坏了一个多月了"],
                      "title": ["煤气", "", None], "human": [False, False, True]})


@pytest.fixture(scope="module")
def served(registry_uri: str):
    """The champion loaded through MLflow's pyfunc loader, as ``mlflow models serve`` and ``spark_udf`` load it."""
    return tracking.load_pyfunc(f"models:/{MODEL_NAME}@champion", registry_uri)


def test_the_pyfunc_returns_the_predictors_frame(served, predictor: Predictor) -> None:
    got = served.predict(FRAME)
    want = predictor.predict_batch(FRAME)
    assert list(got.columns) == list(PREDICTION_COLUMNS)
    # the registered version is not known to the model itself; name and run id trace it
    same = [c for c in PREDICTION_COLUMNS if c not in ("model_version", "predicted_at")]
    pd.testing.assert_frame_equal(got[same], want[same])
    assert got["model_name"].eq(MODEL_NAME).all() and got["run_id"].eq(predictor.info.run_id).all()


def test_the_pyfunc_masks_and_routes(served) -> None:
    got = served.predict(FRAME)
    row = got.iloc[0]
    assert row["route"] == "transfer" and row["transfer_to"] == ["119"] and row["urgency"] == "紧急"
    assert got.at[2, "route"] == "human_review"  # the operator's flag
    # the model read the masked text: its hash is that of the masked text, never of the raw one
    assert PHONE not in masked(GAS_LEAK) and row["input_hash"] == input_hash(masked(GAS_LEAK))
    assert PHONE not in got.to_json(force_ascii=False)


def test_the_signature_declares_typed_columns_and_optional_inputs(served) -> None:
    inputs = {c.name: c for c in served.metadata.get_input_schema().inputs}
    assert inputs["text"].required and not any(inputs[c].required for c in ("order_id", "title", "human"))
    outputs = {c.name: repr(c.type) for c in served.metadata.get_output_schema().inputs}
    assert outputs["appeal_type_top3"].startswith("Array({label: string") and "score: double" in outputs[
        "appeal_type_top3"]
    assert outputs["transfer_to"] == outputs["route_reasons"] == "Array(string)"
    assert served.predict(pd.DataFrame({"text": [GAS_LEAK]}))["transfer_to"].tolist() == [["119"]]  # only text


def test_config_artifacts_round_trip_without_the_salt(predictor_artifacts: dict[str, str], routing_cfg,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text = Path(predictor_artifacts["desensitize"]).read_text(encoding="utf-8")
    assert "salt" not in text and "kinds" in text
    assert model_routing(predictor_artifacts, "test") == routing_cfg
    monkeypatch.setenv(SALT_ENV, "from-the-environment")
    masking = model_masking(predictor_artifacts)
    assert masking.salt == "from-the-environment" and masking.kinds == DesensitizeConfig(salt="x").kinds
    # the rule order survives (it decides the order of the lines to call)
    written = re.findall(r"^  (\w+):$", Path(predictor_artifacts["routing"]).read_text(encoding="utf-8"), re.M)
    assert [n for n in written if n in routing_cfg.emergency] == list(routing_cfg.emergency)


README_BLOCK = re.compile(r"<!-- python-api: tests/serving/test_pyfunc.py -->\s*```python\n(.*?)```", re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/service-caller.md"])
def test_the_documented_python_api_runs_in_a_fresh_python(doc: str, registry_uri: str, tmp_path: Path) -> None:
    (code,) = README_BLOCK.findall((ROOT / doc).read_text(encoding="utf-8"))
    assert 'Predictor.load("models:/hotline-appeal-classifier@champion")' in code
    env = {**os.environ, "MLFLOW_TRACKING_URI": registry_uri, "HOTLINE_PII_SALT": "readme-salt",
           "OMP_NUM_THREADS": "1"}
    no_hydra = "\nimport sys\nassert not any(m.startswith('hydra') for m in sys.modules), 'Hydra was imported'\n"
    done = subprocess.run([sys.executable, "-c", code + no_hydra], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "transfer ('119',) 紧急" in done.stdout and PHONE not in done.stdout
    if "ForecastPredictor" in code:
        assert "lo_80" in done.stdout  # the forecaster's intervals
