"""Model families: each trained on a tiny separable set, saved, reloaded with the same predictions, and the
ensemble's weight chosen on validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hotline_ml.classify.families import family_of, load_model
from hotline_ml.classify.families.base import InferenceSettings
from hotline_ml.classify.families.ensemble import EnsembleClassifier, fit_weight
from hotline_ml.classify.families.linear import LinearClassifier
from tests.helpers import compose_config

LABELS = {"type_l1": ["城乡建设", "劳动和社会保障"], "urgency": ["紧急", "加急", "一般"]}
TEXTS = ["小区路灯坏了晚上很黑", "楼下道路破损积水严重", "小区电梯经常停运", "路边井盖缺失很危险",
         "公司拖欠工资三个月", "单位不给交社保", "被辞退没有经济补偿", "加班费一直不发"]
TYPE = np.array([0, 0, 0, 0, 1, 1, 1, 1])
URGENCY = np.array([2, 1, 2, 0, 2, 1, 2, 2])


TREE = {"城乡建设": ["路灯 照明", "道路 井盖"], "劳动和社会保障": ["工资 欠薪", "社保 补偿"]}


def _linear(loss: str = "hinge", tree: bool = False, words: bool = False, nb: bool = False) -> LinearClassifier:
    cfg = compose_config("train_classifier").classifier.linear
    cfg.min_df, cfg.loss, cfg.word_block, cfg.nb_weighting = 1, loss, words, [nb]
    ids = {"type_l1": TYPE, "urgency": URGENCY}
    texts = [f"标题{i}。{t}" for i, t in enumerate(TEXTS)]
    return LinearClassifier.fit(cfg, LABELS, InferenceSettings(max_length=64, use_title=True), texts, ids, texts,
                                ids, "type_l1", 0, TREE if tree else None)


@pytest.mark.parametrize(("loss", "tree", "words", "nb"),
                         [("hinge", False, False, False), ("logistic", False, False, False),
                          ("hinge", True, True, False), ("hinge", False, True, True)])
def test_linear_learns_a_separable_set_and_reloads_identically(tmp_path: Path, loss: str, tree: bool,
                                                               words: bool, nb: bool) -> None:
    model = _linear(loss, tree, words, nb)
    assert set(model.features.blocks) == {"text", "title"} | ({"tree"} if tree else set()) | (
        {"words"} if words else set())
    model.set_temperatures({"type_l1": 0.5, "urgency": 2.0})
    probs = model.predict_proba([f"标题{i}。{t}" for i, t in enumerate(TEXTS)])
    assert (probs["type_l1"].argmax(1) == TYPE).all()
    assert np.allclose(probs["type_l1"].sum(1), 1.0)
    saved = model.save(tmp_path / "linear")
    assert family_of(saved) == "linear" and not list(saved.glob("*.pkl"))
    again = load_model(saved)
    new = ["晚上路灯不亮", "老板欠薪不还"]
    for task in LABELS:
        assert np.allclose(again.predict_proba(new)[task], model.predict_proba(new)[task])
    assert again.settings.use_title and again.temperatures == {"type_l1": 0.5, "urgency": 2.0}
    assert again.predict_proba(new)["type_l1"].argmax(1).tolist() == [0, 1]


def test_nb_weighting_folds_the_log_count_ratio_into_the_weights() -> None:
    """The NB-SVM head predicts from the plain features exactly what each class's SVM says on the scaled ones."""
    from sklearn.svm import LinearSVC

    from hotline_ml.classify.families.linear import _fit_nb_head

    model = _linear(nb=True)
    cfg = compose_config("train_classifier").classifier.linear
    x = model.features.transform([f"标题{i}。{t}" for i, t in enumerate(TEXTS)])
    head = _fit_nb_head(cfg, 0.5, x, TYPE, "balanced", seed=0)
    present = (x > 0).astype(float)
    logits = head.logits(x, len(LABELS["type_l1"]))
    binary = len(head.classes) == 2  # one SVM, as two symmetric rows (as sklearn's binary head)
    for label in head.classes[1:] if binary else head.classes:
        inside = np.asarray(TYPE) == label
        p = 1 + np.asarray(present[inside].sum(0)).ravel()
        q = 1 + np.asarray(present[~inside].sum(0)).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC(C=0.5, class_weight="balanced", max_iter=cfg.max_iter, random_state=0)
        svm.fit(x @ np.diag(ratio), inside.astype(int))
        expected = svm.decision_function(x @ np.diag(ratio))
        got = logits[:, label] - logits[:, head.classes[0]] if binary else logits[:, label]
        assert np.allclose(got, expected, atol=1e-4)


def test_a_linear_model_in_an_older_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """A champion registered by an older version must not fail with a bare KeyError at serving time."""
    import json

    saved = _linear("hinge", False).save(tmp_path / "linear")
    settings = next(p for p in saved.glob("*.json") if "blocks" in p.read_text(encoding="utf-8"))
    meta = json.loads(settings.read_text(encoding="utf-8"))
    del meta["blocks"]
    settings.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match=r"older format.*train it again"):
        load_model(saved)


def test_ensemble_weight_follows_the_better_member() -> None:
    y = np.array([0, 1, 0, 1])
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2], [0.1, 0.9]])
    bad = np.full((4, 2), 0.5)
    grid = [0.0, 0.25, 0.5, 0.75, 1.0]
    assert fit_weight(good, bad, y, grid) == 1.0
    assert fit_weight(bad, good, y, grid) == 0.0


def test_bert_linear_and_ensemble_reload_with_the_same_predictions(tmp_path: Path, tiny_bert_dir: Path) -> None:
    import torch

    from hotline_ml.classify.families.bert import BertClassifier
    from hotline_ml.classify.features import LabelSpace
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer

    torch.manual_seed(0)
    tokenizer = load_tokenizer(str(tiny_bert_dir))
    space = LabelSpace(LABELS)
    bert = BertClassifier(load_for_finetuning(str(tiny_bert_dir), tokenizer, space,
                                                {t: [1.0] * len(v) for t, v in LABELS.items()}),
                            tokenizer, InferenceSettings(max_length=64, use_title=True, batch_size=4))
    bert.set_temperatures({"type_l1": 1.5, "urgency": 1.0})
    linear = _linear()
    ensemble = EnsembleClassifier.fit(bert, linear, TEXTS, {"type_l1": TYPE, "urgency": URGENCY}, [0.0, 0.5, 1.0])
    ensemble.set_temperatures({"type_l1": 0.8, "urgency": 1.2})
    new = ["晚上路灯不亮", "老板欠薪不还", "井盖丢了"]
    for name, model in (("bert", bert), ("linear", linear), ("ensemble", ensemble)):
        saved = model.save(tmp_path / name)
        assert family_of(saved) == name
        again = load_model(saved)
        assert again.labels == LABELS
        for task in LABELS:
            assert np.allclose(again.predict_proba(new)[task], model.predict_proba(new)[task], atol=1e-6), name
    # the linear model separates this set, the untrained BERT does not: validation puts weight on the linear
    assert ensemble.weights["type_l1"] < 0.5


def test_every_family_is_served_by_the_predictor_with_the_same_columns(tmp_path: Path, tiny_bert_dir: Path) -> None:
    import torch

    from hotline_ml.classify.families.bert import BertClassifier
    from hotline_ml.classify.features import LabelSpace
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer
    from hotline_ml.predict import Predictor
    from hotline_ml.predict.classifier import PREDICTION_COLUMNS

    torch.manual_seed(0)
    tokenizer = load_tokenizer(str(tiny_bert_dir))
    bert = BertClassifier(load_for_finetuning(str(tiny_bert_dir), tokenizer, LabelSpace(LABELS),
                                                {t: [1.0] * len(v) for t, v in LABELS.items()}),
                            tokenizer, InferenceSettings(max_length=64, use_title=True, batch_size=4))
    linear = _linear()
    ensemble = EnsembleClassifier.fit(bert, linear, TEXTS, {"type_l1": TYPE, "urgency": URGENCY}, [0.0, 0.5, 1.0])
    routing = compose_config("serve", ["routing=default"]).routing
    records = [{"order_id": "1", "title": "路灯", "text": "小区路灯坏了晚上很黑，电话13812345678"},
               {"order_id": "2", "title": "欠薪", "text": "公司拖欠工资三个月"},
               {"order_id": "3", "text": "我家厨房煤气泄漏了味道很大"}]
    frames = {}
    for name, model in (("bert", bert), ("linear", linear), ("ensemble", ensemble)):
        predictor = Predictor.load(str(model.save(tmp_path / name)), routing=routing)
        frames[name] = out = predictor.predict_batch(records)
        assert tuple(out.columns) == PREDICTION_COLUMNS and len(out) == 3
        assert set(out["appeal_type"]) <= set(LABELS["type_l1"])
        assert out.loc[2, "route"] == "transfer" and list(out.loc[2, "transfer_to"]) == ["119"]  # routing applies
        assert predictor.predict_one(records[0]).appeal_type == out.loc[0, "appeal_type"]
        empty = predictor.predict_batch([])  # a batch chunk may hold no order of the day scored
        assert tuple(empty.columns) == PREDICTION_COLUMNS and len(empty) == 0
    # the linear model separates these texts; served, it still does (titles read, PII masked first)
    assert frames["linear"]["appeal_type"].tolist()[:2] == ["城乡建设", "劳动和社会保障"]
    assert frames["bert"].dtypes.to_dict() == frames["linear"].dtypes.to_dict() == frames["ensemble"].dtypes.to_dict()
