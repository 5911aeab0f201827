"""Serving fixtures: a tiny untrained classifier checkpoint (labels from the small corpus), registered in a
temporary MLflow store as ``hotline-appeal-classifier@champion``, and a predictor loaded from the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline_ml.config import DesensitizeConfig, PredictorConfig, TrackingConfig
from tests.conftest import compose_config

MODEL_NAME = "hotline-appeal-classifier"


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path, small_corpus) -> Path:
    """A saved AppealClassifier: the tiny BERT with fresh type_l1/type_l2/urgency heads (no training)."""
    import torch

    from hotline_ml.classify.features import LabelSpace, label_order
    from hotline_ml.classify.inference import AppealClassifier, InferenceSettings
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
    return AppealClassifier(model, tokenizer, settings).save(path)


@pytest.fixture(scope="session")
def registry_uri(tmp_path_factory: pytest.TempPathFactory, tiny_classifier_dir: Path) -> str:
    """A sqlite store holding the tiny classifier as version 1, aliases candidate and champion."""
    import pandas as pd

    from hotline_ml import tracking
    from hotline_ml.classify.inference import AppealClassifier
    from hotline_ml.classify.job import LOADER

    uri = f"sqlite:///{tmp_path_factory.mktemp('registry')}/mlflow.db"
    example = pd.DataFrame({"text": ["小区门口路灯坏了一个月了", "楼下饭店油烟太大"], "title": ["", ""]})
    output = AppealClassifier.load(tiny_classifier_dir).predict_frame(example)
    with tracking.start_run(TrackingConfig(tracking_uri=uri, experiment="serving-test")):
        _, version = tracking.log_pyfunc_model(LOADER, {"checkpoint": str(tiny_classifier_dir)}, example, output,
                                               registered_name=MODEL_NAME)
    tracking.set_alias(MODEL_NAME, "candidate", version)
    tracking.set_alias(MODEL_NAME, "champion", version)
    return uri


@pytest.fixture(scope="session")
def routing_cfg():
    """The real routing config (conf/routing/default.yaml)."""
    return compose_config("serve").routing


@pytest.fixture(scope="session")
def predictor(registry_uri: str, routing_cfg):
    """The predictor loaded from ``models:/hotline-appeal-classifier@champion``."""
    from hotline_ml.predict import Predictor

    cfg = PredictorConfig(model=f"models:/{MODEL_NAME}@champion", tracking_uri=registry_uri, batch_size=8)
    return Predictor.load(cfg, routing_cfg, DesensitizeConfig(salt="test-salt"))
