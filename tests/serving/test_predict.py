"""The predictor contract: loaded from the registry, one == batch of one, labels from the model only, empty
batches, PII masked before hashing, trace fields, int8 agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.classify.inference import AppealClassifier
from hotline_ml.config import DesensitizeConfig, PredictorConfig
from hotline_ml.predict import PREDICTION_COLUMNS, Predictor, predictions_from_frame, quantize_int8
from hotline_ml.predict.classifier import input_hash
from tests.serving.conftest import MODEL_NAME

TEXTS = ["小区门口的路灯坏了一个多月了，晚上出行很不方便", "楼下饭店油烟太大，窗户都不敢开",
         "我叫王小明，电话13812345678，单位拖欠工资三个月了"]


def test_predict_one_equals_batch_of_one(predictor: Predictor) -> None:
    for text in TEXTS:
        one = predictor.predict_one({"text": text, "order_id": "A1"})
        (batch,) = predictions_from_frame(predictor.predict_batch([{"text": text, "order_id": "A1"}]))
        assert one == batch
        assert one.order_id == "A1"


def test_batch_rows_do_not_depend_on_their_neighbours(predictor: Predictor) -> None:
    together = predictor.predict_batch(TEXTS)
    alone = pd.concat([predictor.predict_batch([t]) for t in TEXTS], ignore_index=True)
    cols = ["appeal_type", "urgency", "route", "input_hash"]
    pd.testing.assert_frame_equal(together[cols], alone[cols])
    assert (together["appeal_type_score"] - alone["appeal_type_score"]).abs().max() < 1e-5


def test_labels_come_from_the_model_config_only(predictor: Predictor, tiny_classifier_dir: Path) -> None:
    labels = AppealClassifier.load(tiny_classifier_dir).labels
    assert predictor.labels == labels
    out = predictor.predict_batch(TEXTS * 3)
    assert set(out["appeal_type"]) <= set(labels["type_l1"])
    assert set(out["appeal_subtype"]) <= set(labels["type_l2"])
    assert set(out["urgency"]) <= set(labels["urgency"])
    for top3 in out["appeal_type_top3"]:
        names = [name for name, _ in json.loads(top3)]
        assert len(names) == 3 and set(names) <= set(labels["type_l1"])


def test_empty_batch_has_the_columns(predictor: Predictor) -> None:
    out = predictor.predict_batch([])
    assert list(out.columns) == list(PREDICTION_COLUMNS) and len(out) == 0
    assert predictions_from_frame(out) == []
    assert list(predictor.predict_batch(pd.DataFrame({"text": []})).columns) == list(PREDICTION_COLUMNS)


def test_every_prediction_is_traceable_to_the_registered_version(predictor: Predictor) -> None:
    p = predictor.predict_one(TEXTS[0])
    assert (p.model_name, p.model_version) == (MODEL_NAME, "1") and p.run_id
    assert p.predicted_at.tzinfo is not None and len(p.input_hash) == 16


def test_input_is_masked_before_it_is_hashed(predictor: Predictor) -> None:
    p = predictor.predict_one(TEXTS[2])
    masked = predictor.desensitize(pd.DataFrame({"text": [TEXTS[2]]}))["text"][0]
    assert "13812345678" not in masked and "[电话]" in masked
    assert p.input_hash == input_hash(masked) != input_hash(TEXTS[2])


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_bad_records_are_refused_naming_the_record(predictor: Predictor, bad) -> None:
    with pytest.raises(ValueError, match=r"record 1: 'text' must be a non-empty string"):
        predictor.predict_batch([TEXTS[0], {"text": bad}])


def test_loads_from_a_run_and_from_a_directory(predictor: Predictor, registry_uri: str, routing_cfg,
                                               tiny_classifier_dir: Path) -> None:
    masking = DesensitizeConfig(salt="test-salt")
    by_run = Predictor.load(PredictorConfig(model=f"runs:/{predictor.info.run_id}/model",
                                            tracking_uri=registry_uri), routing_cfg, masking)
    by_dir = Predictor.load(PredictorConfig(model=str(tiny_classifier_dir), tracking_uri=registry_uri),
                            routing_cfg, masking)
    assert by_run.info.run_id == predictor.info.run_id and by_dir.info.run_id is None
    for other in (by_run, by_dir):
        a, b = predictor.predict_one(TEXTS[1]), other.predict_one(TEXTS[1])
        assert (a.appeal_type, a.urgency, a.routing) == (b.appeal_type, b.urgency, b.routing)


def test_unknown_alias_names_the_model(registry_uri: str, routing_cfg) -> None:
    with pytest.raises(ValueError, match="has no alias 'nope'"):
        Predictor.load(PredictorConfig(model=f"models:/{MODEL_NAME}@nope", tracking_uri=registry_uri), routing_cfg,
                       DesensitizeConfig(salt="s"))


def test_int8_agrees_with_fp32_on_most_predictions(predictor: Predictor, small_corpus) -> None:
    texts = small_corpus.orders["text"].head(60).tolist()
    fp32 = predictor.classifier.predict_proba(texts)["type_l1"].argmax(axis=1)
    int8 = quantize_int8(predictor.classifier).predict_proba(texts)["type_l1"].argmax(axis=1)
    assert (fp32 == int8).mean() >= 0.8
