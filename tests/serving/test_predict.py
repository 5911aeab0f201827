"""The predictor contract: loaded from the registry with its own routing and masking (overridable), the model's
own prediction on the masked text, typed columns, labels from the model only, empty batches, PII masked before
hashing, operator flags and grades reaching the router, trace fields, int8 agreement on a trained model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hotline_ml import tracking
from hotline_ml.classify.families.bert import BertClassifier
from hotline_ml.config import DesensitizeConfig, PredictorConfig
from hotline_ml.predict import PREDICTION_COLUMNS, Predictor, predictions_from_frame, quantize_int8
from hotline_ml.predict.classifier import input_hash
from hotline_ml.types import RoutingDecision
from tests.serving.conftest import GAS_LEAK, MODEL_NAME, PHONE
from tests.serving.fixed_models import SureClassifier

TEXTS = ["小区门口的路灯坏了一个多月了，晚上出行很不方便", "楼下饭店油烟太大，窗户都不敢开",
         "我叫王小明，电话13812345678，单位拖欠工资三个月了"]


def test_predict_one_is_the_models_own_prediction_on_the_masked_text(predictor: Predictor) -> None:
    names = predictor.labels
    for i, text in enumerate(TEXTS):
        one = predictor.predict_one({"text": text, "order_id": f"A{i}"})
        read = predictor.desensitize(pd.DataFrame({"text": [text]}))["text"][0]
        probs = {task: p[0] for task, p in predictor.classifier.predict_proba([read]).items()}
        best = np.argsort(-probs["type_l1"], kind="stable")[:3]
        assert one.order_id == f"A{i}" and one.input_hash == input_hash(read)
        assert [label for label, _ in one.appeal_type_top3] == [names["type_l1"][j] for j in best]
        assert [score for _, score in one.appeal_type_top3] == pytest.approx(probs["type_l1"][best], abs=1e-6)
        assert (one.appeal_type, one.appeal_type_score) == (names["type_l1"][best[0]],
                                                            pytest.approx(probs["type_l1"][best[0]], abs=1e-6))
        assert one.appeal_subtype == names["type_l2"][int(np.argmax(probs["type_l2"]))]
        assert one.appeal_subtype_score == pytest.approx(probs["type_l2"].max(), abs=1e-6)
        assert one.routing.forced_urgency is None and one.urgency == names["urgency"][int(np.argmax(probs["urgency"]))]


def test_batch_rows_do_not_depend_on_their_neighbours(predictor: Predictor) -> None:
    together = predictor.predict_batch(TEXTS)
    alone = pd.concat([predictor.predict_batch([t]) for t in TEXTS], ignore_index=True)
    cols = ["appeal_type", "urgency", "route", "input_hash"]
    pd.testing.assert_frame_equal(together[cols], alone[cols])
    assert (together["appeal_type_score"] - alone["appeal_type_score"]).abs().max() < 1e-5


def test_labels_come_from_the_model_config_only(predictor: Predictor, tiny_classifier_dir: Path) -> None:
    labels = BertClassifier.load(tiny_classifier_dir).labels
    assert predictor.labels == labels
    out = predictor.predict_batch(TEXTS * 3)
    assert set(out["appeal_type"]) <= set(labels["type_l1"])
    assert set(out["appeal_subtype"]) <= set(labels["type_l2"])
    assert set(out["urgency"]) <= set(labels["urgency"])
    for top3 in out["appeal_type_top3"]:
        names = [t["label"] for t in top3]
        assert len(names) == 3 and set(names) <= set(labels["type_l1"])


def test_columns_are_typed_lists_and_structs(predictor: Predictor) -> None:
    out = predictor.predict_batch([GAS_LEAK, TEXTS[0]])
    top3 = out.at[0, "appeal_type_top3"]
    assert isinstance(top3, list) and set(top3[0]) == {"label", "score"} and isinstance(top3[0]["score"], float)
    assert top3[0]["label"] == out.at[0, "appeal_type"] and top3[0]["score"] == out.at[0, "appeal_type_score"]
    assert [t["score"] for t in top3] == sorted((t["score"] for t in top3), reverse=True)
    assert out.at[0, "route"] == "transfer" and out.at[0, "transfer_to"] == ["119"]
    reasons = out.at[0, "route_reasons"]
    assert isinstance(reasons, list) and reasons and all(isinstance(r, str) for r in reasons)
    assert out.at[1, "transfer_to"] == [] and isinstance(out.at[1, "route_reasons"], list)


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


def test_routing_and_masking_come_from_the_model_unless_overridden(predictor: Predictor, registry_uri: str,
                                                                   routing_cfg) -> None:
    # the model's own: the routing and masking of the train_classifier config it was registered with
    assert predictor.router.cfg == routing_cfg and predictor.masker is not None
    strict = Predictor.load(f"models:/{MODEL_NAME}@champion", tracking_uri=registry_uri,
                            routing=dataclasses.replace(routing_cfg, confidence_threshold=1.0))
    assert strict.predict_one(TEXTS[0]).routing.route == "human_review"
    unmasked = Predictor.load(f"models:/{MODEL_NAME}@champion", tracking_uri=registry_uri,
                              desensitize=DesensitizeConfig(enabled=False, salt="s"))
    assert unmasked.masker is None and unmasked.predict_one(TEXTS[2]).input_hash == input_hash(TEXTS[2])


def test_loads_from_a_run_a_downloaded_model_and_a_directory(predictor: Predictor, registry_uri: str, routing_cfg,
                                                              tiny_classifier_dir: Path, tmp_path: Path) -> None:
    run_id = predictor.info.run_id
    by_run = Predictor.load(f"runs:/{run_id}/model", tracking_uri=registry_uri)
    downloaded = tracking.download_artifacts(f"runs:/{run_id}/model", tmp_path)
    by_download = Predictor.load(str(downloaded))
    by_dir = Predictor.from_config(PredictorConfig(model=str(tiny_classifier_dir), tracking_uri=registry_uri),
                                   routing=routing_cfg)
    assert by_run.info.run_id == by_download.info.run_id == run_id and by_dir.info.run_id is None
    assert by_download.info.name == MODEL_NAME and by_download.router.cfg == routing_cfg
    for other in (by_run, by_download, by_dir):
        a, b = predictor.predict_one(TEXTS[1]), other.predict_one(TEXTS[1])
        assert (a.appeal_type, a.urgency, a.routing, a.input_hash) == (b.appeal_type, b.urgency, b.routing,
                                                                       b.input_hash)


def test_a_bare_checkpoint_needs_routing(tiny_classifier_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"carries no routing config.*pass routing="):
        Predictor.load(str(tiny_classifier_dir))


def test_unknown_alias_names_the_model(registry_uri: str) -> None:
    with pytest.raises(ValueError, match="has no alias 'nope'"):
        Predictor.load(f"models:/{MODEL_NAME}@nope", tracking_uri=registry_uri)


class _SpyRouter:
    """Records what the predictor hands the router."""

    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.calls: list[dict] = []

    def decide_many(self, texts, type_scores, emergency_probs, *, appeal_types=None, human=None):
        self.calls.append({"texts": list(texts), "appeal_types": list(appeal_types), "human": list(human)})
        return [RoutingDecision("automated") for _ in texts]


#: What the sure model of the grade test predicts for each of TEXTS (found by a word of it): a subtype under its
#: type, a subtype under another type, and a subtype under its type again.
SURE_TYPES = {"路灯": ("政务服务", "政务服务/政策咨询"), "油烟": ("城乡建设", "政务服务/政策咨询"),
              "工资": ("城乡建设", "城乡建设/物业管理")}


def _types_by_text(text: str) -> dict[str, str]:
    ((l1, l2),) = [types for word, types in SURE_TYPES.items() if word in text]
    return {"type_l1": l1, "type_l2": l2, "urgency": "一般"}


def test_operator_flags_and_predicted_grades_reach_the_router(predictor: Predictor) -> None:
    spy = _SpyRouter(predictor.router.cfg)
    p = Predictor(SureClassifier(predictor.classifier, _types_by_text), spy, predictor.masker, predictor.info)
    out = p.predict_batch([TEXTS[0], {"text": TEXTS[1], "human": True}, {"text": TEXTS[2], "human": None}])
    p.predict_batch(pd.DataFrame({"text": TEXTS[:2], "human": [True, False]}))
    assert spy.calls[0]["human"] == [False, True, False] and spy.calls[1]["human"] == [True, False]
    assert out["appeal_type"].tolist() == ["政务服务", "城乡建设", "城乡建设"]
    # the grade the policy checks: the 一级/二级 subtype when it lies under the predicted type, else the type
    assert spy.calls[0]["appeal_types"] == ["政务服务/政策咨询", "城乡建设", "城乡建设/物业管理"]
    assert PHONE not in spy.calls[0]["texts"][2]  # the router reads masked text


def test_a_human_flag_goes_to_a_person(predictor: Predictor) -> None:
    assert predictor.predict_one({"text": TEXTS[0], "human": True}).routing.route == "human_review"


def test_a_bad_human_flag_is_refused_naming_the_record(predictor: Predictor) -> None:
    with pytest.raises(ValueError, match=r"record 1: 'human' must be true, false or absent"):
        predictor.predict_batch([TEXTS[0], {"text": TEXTS[1], "human": "yes"}])


@pytest.fixture(scope="module")
def trained(tiny_classifier_dir: Path, small_corpus) -> tuple[BertClassifier, list[str], np.ndarray]:
    """The tiny classifier trained briefly (type head only) on the four commonest appeal types of the small
    corpus, with 200 held-out texts of those types and their type ids: a model whose predictions depend on the
    text (an untrained one predicts one arbitrary type for everything)."""
    torch.manual_seed(0)
    clf = BertClassifier.load(tiny_classifier_dir)
    names = clf.labels["type_l1"]
    orders = small_corpus.orders.assign(type_l1=small_corpus.orders["appeal_type"].str.split("/").str[0])
    four = orders[orders["type_l1"].isin(orders["type_l1"].value_counts().index[:4])].sample(frac=1, random_state=0)
    ids = torch.tensor([names.index(t) for t in four["type_l1"]])
    texts = four["text"].tolist()
    model = clf.model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for epoch in range(10):
        order = torch.randperm(400, generator=torch.Generator().manual_seed(epoch))
        for start in range(0, 400, 32):
            batch = order[start:start + 32]
            enc = clf.tokenizer([texts[i] for i in batch], truncation=True, max_length=clf.settings.max_length,
                                padding=True, return_tensors="pt")
            optimizer.zero_grad()
            model(**enc, labels_type_l1=ids[batch]).loss.backward()
            optimizer.step()
    model.eval()
    return clf, texts[400:600], ids[400:600].numpy()


def test_int8_agrees_with_fp32_on_a_trained_model(trained) -> None:
    clf, texts, truth = trained
    fp32 = clf.predict_proba(texts)["type_l1"].argmax(axis=1)
    quantized = quantize_int8(clf)
    int8 = quantized.predict_proba(texts)["type_l1"].argmax(axis=1)
    assert (fp32 == truth).mean() >= 0.6 and len(set(fp32)) >= 3  # it learned the four types (chance: 0.25)
    assert (fp32 == int8).mean() >= 0.9
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    assert any(isinstance(m, dynamic) for m in quantized.model.modules())  # a quantized copy ...
    assert not any(isinstance(m, dynamic) for m in clf.model.modules())    # ... the float model left as it was
