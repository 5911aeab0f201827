"""Serving fixtures: a tiny untrained classifier checkpoint (labels from the small corpus), registered in a
temporary MLflow store as ``hotline-appeal-classifier@champion`` the way the classifier job registers it (the
whole predictor, with the real routing and masking configs), a tiny demand forecaster
beside it, and a predictor loaded from the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline_ml.config import TrackingConfig
from hotline_ml.config_files import write_config_files
from tests.helpers import compose_config

MODEL_NAME = "hotline-appeal-classifier"
FORECASTER_NAME = "hotline-demand-forecaster"
#: A gas leak with a caller's number: the safety net must transfer it to 119, and no output may hold the number.
GAS_LEAK = "我家厨房煤气泄漏了味道很大，电话13812345678"
PHONE = "13812345678"


def masked(text: str) -> str:
    """``text`` as the default masking config masks it (placeholders do not depend on the salt)."""
    from hotline_ml.config import DesensitizeConfig
    from hotline_ml.data.desensitize import make_desensitizer

    return make_desensitizer(DesensitizeConfig(salt="any")).mask_many([text])[0][0]


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path, small_corpus) -> Path:
    """A saved BertClassifier: the tiny BERT with fresh type_l1/type_l2/urgency heads (no training)."""
    import torch

    from hotline_ml.classify.families.base import InferenceSettings
    from hotline_ml.classify.families.bert import BertClassifier
    from hotline_ml.classify.features import LabelSpace, label_order
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer

    torch.manual_seed(0)
    data = compose_config("prepare_data").data
    labels = LabelSpace.from_training_data(small_corpus.orders, ["type_l1", "type_l2", "urgency"],
                                           label_order(data.taxonomy, data.urgency_levels))
    tokenizer = load_tokenizer(str(tiny_bert_dir))
    model = load_for_finetuning(str(tiny_bert_dir), tokenizer, labels, {t: [1.0] * len(v) for t, v in
                                                                        labels.tasks.items()})
    model.config.temperatures = {t: 1.0 for t in labels.tasks}
    path = tmp_path_factory.mktemp("tiny-classifier")
    settings = InferenceSettings(max_length=64, use_title=False, batch_size=8)
    return BertClassifier(model, tokenizer, settings).save(path)


@pytest.fixture(scope="session")
def predictor_artifacts(tmp_path_factory: pytest.TempPathFactory, tiny_classifier_dir: Path) -> dict[str, str]:
    """What the classifier job logs: the checkpoint and the routing / masking YAML of the groups its config
    chooses (conf/routing/default.yaml, conf/desensitize/default.yaml)."""

    cfg = compose_config("serve", ["routing=default", "desensitize=default"])
    configs = write_config_files(tmp_path_factory.mktemp("predictor-config"), routing=cfg.routing,
                                               desensitize=cfg.desensitize)
    return {"checkpoint": str(tiny_classifier_dir), **configs}


@pytest.fixture(scope="session")
def registry_uri(tmp_path_factory: pytest.TempPathFactory, predictor_artifacts: dict[str, str]) -> str:
    """A sqlite store holding the predictor as version 1 (aliases candidate and champion) and a seasonal-naive
    forecaster of series ``total`` and ``城乡建设`` (alias candidate)."""
    import numpy as np
    import pandas as pd

    from hotline_ml import tracking
    from hotline_ml.classify.job import LOADER
    from hotline_ml.forecast.bundle import PYFUNC_LOADER, ForecastBundle
    from hotline_ml.forecast.models import SeasonalNaive

    tmp = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{tmp}/mlflow.db"
    example = pd.DataFrame({"order_id": ["E1", "E2"], "text": ["小区门口路灯坏了一个月了", GAS_LEAK],
                            "title": ["", "煤气"], "human": [False, False]})
    with tracking.start_run(TrackingConfig(tracking_uri=uri, experiment="serving-test")):
        _, version = tracking.log_predictor_model(LOADER, predictor_artifacts, example, registered_name=MODEL_NAME)
    tracking.set_alias(MODEL_NAME, "candidate", version)
    tracking.set_alias(MODEL_NAME, "champion", version)

    days = pd.date_range("2026-01-05", periods=56, freq="D")
    y = {k: pd.Series(np.tile([5.0, 6, 7, 8, 9, 3, 2], 8) * s, index=days) for k, s in (("total", 3), ("城乡建设", 1))}
    bundle = ForecastBundle({k: SeasonalNaive().fit(v) for k, v in y.items()}, {}, dict.fromkeys(y, "bottom"),
                            (80, 95))
    path = bundle.save(tmp / "bundle")
    fc_example = pd.DataFrame({"series": ["total"], "horizon": [3]})
    with tracking.start_run(TrackingConfig(tracking_uri=uri, experiment="serving-test-forecast")):
        _, version = tracking.log_pyfunc_model(PYFUNC_LOADER, {"bundle": str(path)}, fc_example,
                                               bundle.predict_frame(fc_example), registered_name=FORECASTER_NAME)
    tracking.set_alias(FORECASTER_NAME, "candidate", version)
    return uri


@pytest.fixture(scope="session")
def predictor(registry_uri: str):
    """The predictor loaded from ``models:/hotline-appeal-classifier@champion`` with the model's own routing and
    masking (the one-line API)."""
    from hotline_ml.predict import Predictor

    return Predictor.load(f"models:/{MODEL_NAME}@champion", tracking_uri=registry_uri, batch_size=8)
