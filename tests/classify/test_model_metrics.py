"""Two-head model (masked losses, class weights), calibration and evaluation metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hotline_ml.classify.features import IGNORE, LabelSpace, subsample, task_values
from hotline_ml.classify.metrics import (
    classification_metrics,
    coverage_table,
    emergency_recall,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from hotline_ml.classify.model import class_weights, load_for_finetuning
from hotline_ml.classify.tokenizer import load_tokenizer

ORDERS = pd.DataFrame({
    "appeal_type": ["城乡建设/物业管理", "环境保护/噪音扰民", "城乡建设", None, "环境保护/噪音扰民"],
    "urgency": ["一般", None, "加急", "一般", "一般"],
    "text": ["a", "b", "c", "d", "e"],
})


def test_task_values_and_label_space() -> None:
    assert task_values(ORDERS, "type_l1").tolist() == ["城乡建设", "环境保护", "城乡建设", None, "环境保护"]
    assert task_values(ORDERS, "type_l2").tolist() == ["城乡建设/物业管理", "环境保护/噪音扰民", None, None,
                                                       "环境保护/噪音扰民"]
    labels = LabelSpace.from_training_data(ORDERS, ["type_l1", "urgency"], {"urgency": ["紧急", "加急", "一般"]})
    assert labels.tasks == {"type_l1": ["城乡建设", "环境保护"], "urgency": ["加急", "一般"]}
    assert labels.encode(ORDERS, "urgency").tolist() == [1, IGNORE, 0, 1, 1]


def test_task_without_labels_is_dropped() -> None:
    no_urgency = ORDERS.assign(urgency=None)
    labels = LabelSpace.from_training_data(no_urgency, ["type_l1", "type_l2", "urgency"])
    assert set(labels.tasks) == {"type_l1", "type_l2"}
    with pytest.raises(ValueError, match="two or more labels"):
        LabelSpace.from_training_data(no_urgency, ["urgency"])


def test_class_weights() -> None:
    labels = LabelSpace({"t": ["a", "b", "c"]})
    ids = {"t": [0, 0, 0, 0, 1, IGNORE]}
    assert class_weights(labels, ids, "none")["t"] == [1.0, 1.0, 1.0]
    w = class_weights(labels, ids, "balanced")["t"]
    assert w[1] == pytest.approx(4 * w[0]) and w[2] == 1.0  # an unseen class keeps weight 1
    s = class_weights(labels, ids, "sqrt")["t"]
    assert s[1] == pytest.approx(2 * s[0])
    with pytest.raises(ValueError, match="ClassWeighting"):
        class_weights(labels, ids, "inverse")


def test_masked_task_losses(tiny_bert_dir) -> None:
    tok = load_tokenizer(str(tiny_bert_dir))
    labels = LabelSpace({"type_l1": ["a", "b", "c"], "urgency": ["紧急", "加急", "一般"]})
    model = load_for_finetuning(str(tiny_bert_dir), tok, labels, {"type_l1": [1, 1, 1], "urgency": [1, 1, 1]})
    enc = tok(["小区停水了", "楼上噪音"], return_tensors="pt", padding=True)
    both = model(**enc, labels_type_l1=torch.tensor([0, 1]), labels_urgency=torch.tensor([2, 2])).loss
    type_only = model(**enc, labels_type_l1=torch.tensor([0, 1]), labels_urgency=torch.tensor([IGNORE, IGNORE])).loss
    assert torch.isfinite(both) and torch.isfinite(type_only) and both > type_only
    none = model(**enc, labels_type_l1=torch.tensor([IGNORE, IGNORE]), labels_urgency=torch.tensor([IGNORE, IGNORE]))
    assert none.loss.item() == 0.0 and none.loss.requires_grad
    assert [lg.shape for lg in none.logits] == [(2, 3), (2, 3)]


def test_temperature_recovers_overconfidence() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 5)) * 2
    y = np.array([rng.choice(5, p=p) for p in softmax(true_logits)])
    over = true_logits * 3  # an overconfident model: logits three times too large
    t = fit_temperature(over, y)
    assert t == pytest.approx(3.0, rel=0.15)
    before = expected_calibration_error(softmax(over), y)
    after = expected_calibration_error(softmax(over, t), y)
    assert after < before / 2


def test_ece_and_coverage_on_known_values() -> None:
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    y = np.array([0, 1, 0, 0])
    # bin (0.8, 0.87]: conf 0.9, acc 0.5 -> 0.4; bin 0.6: conf 0.6, acc 1.0 -> 0.4; weighted 0.4
    assert expected_calibration_error(probs, y, bins=10) == pytest.approx(0.4)
    table = coverage_table(probs, y, [0.5, 0.8, 0.95])
    assert table["automated_share"].tolist() == [1.0, 0.5, 0.0]
    assert table["automated_accuracy"].iloc[1] == pytest.approx(0.5)
    assert np.isnan(table["automated_accuracy"].iloc[2])


def test_classification_metrics_and_emergency_recall() -> None:
    names = ["紧急", "加急", "一般"]
    y = np.array([0, 0, 1, 2, 2, IGNORE])
    pred = np.array([0, 2, 1, 2, 2, 0])
    m, report = classification_metrics(y, pred, names)
    assert m["n"] == 5 and m["accuracy"] == pytest.approx(0.8)
    assert report.set_index("label").loc["紧急", "recall"] == pytest.approx(0.5)
    assert emergency_recall(y, pred, names) == pytest.approx(0.5)
    assert emergency_recall(y, pred, ["a", "b", "c"]) is None


def test_subsample_is_stratified_and_bounded() -> None:
    frame = pd.DataFrame({"k": ["a"] * 80 + ["b"] * 20})
    out = subsample(frame, 50, frame["k"], seed=0)
    assert len(out) == 50 and out["k"].value_counts().to_dict() == {"a": 40, "b": 10}
    assert len(subsample(frame, None, frame["k"], 0)) == 100


def test_fine_tuning_learns_a_separable_task(tmp_path) -> None:
    """The whole fine-tuning path (encode -> model -> Trainer -> best checkpoint -> logits) must learn: water
    complaints against noise complaints, a randomly initialised tiny BERT, 125 steps."""
    from transformers import BertConfig, BertForMaskedLM

    from hotline_ml.classify.families.base import InferenceSettings
    from hotline_ml.classify.families.bert import BertClassifier
    from hotline_ml.classify.features import encode_dataset, label_column
    from hotline_ml.classify.tokenizer import build_tokenizer
    from hotline_ml.classify.train import fine_tune

    rng = np.random.default_rng(0)
    water, noise = ["停水", "没水", "水管", "自来水"], ["噪音", "吵闹", "施工", "装修"]
    frame = pd.DataFrame([{"text": "我家" + "，".join(rng.choice(water if i % 2 else noise, 3)) + "的问题",
                           "appeal_type": "供水" if i % 2 else "噪音", "urgency": None} for i in range(400)])
    tok = build_tokenizer(frame["text"], common_chars=200, min_char_count=1)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, pad_token_id=tok.pad_token_id)
    BertForMaskedLM(config).save_pretrained(tmp_path / "init")
    tok.save_pretrained(tmp_path / "init")
    labels = LabelSpace.from_training_data(frame, ["type_l1"])
    data = encode_dataset(frame, tok, labels, 32, use_title=False)
    model = load_for_finetuning(str(tmp_path / "init"), tok, labels, {"type_l1": [1.0, 1.0]})
    trainer_cfg = {"num_train_epochs": 5, "per_device_train_batch_size": 16, "learning_rate": 1e-3,
                   "warmup_steps": 0.1, "eval_strategy": "epoch", "save_strategy": "epoch", "save_total_limit": 1,
                   "load_best_model_at_end": True, "report_to": "none", "disable_tqdm": True, "use_cpu": True,
                   # length-grouped batches also shuffle Trainer's eval order (transformers 5): predictions must
                   # still line up with the rows they belong to
                   "train_sampling_strategy": "group_by_length"}
    frame["text"] = [t + "。" * (i % 7) for i, t in enumerate(frame["text"])]  # lengths differ, so grouping reorders
    data = encode_dataset(frame, tok, labels, 32, use_title=False)
    trainer = fine_tune(model, tok, data, data, trainer_cfg, str(tmp_path / "out"), 0, "type_l1", 5)
    classifier = BertClassifier(trainer.model, tok, InferenceSettings(max_length=32, use_title=False))
    logits = classifier.logits(frame["text"].tolist())["type_l1"]
    assert (logits.argmax(1) == np.array(data[label_column("type_l1")])).mean() > 0.95


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_padding_does_not_change_predictions(tiny_bert_dir, pooling: str) -> None:
    tok = load_tokenizer(str(tiny_bert_dir))
    labels = LabelSpace({"type_l1": ["a", "b", "c"]})
    model = load_for_finetuning(str(tiny_bert_dir), tok, labels, {"type_l1": [1, 1, 1]}, pooling=pooling).eval()
    alone = tok(["小区停水"], return_tensors="pt")
    padded = tok(["小区停水", "楼上装修噪音从早到晚一直不停"], return_tensors="pt", padding=True)
    with torch.inference_mode():
        a = model(**alone).logits[0][0]
        b = model(**padded).logits[0][0]
    assert torch.allclose(a, b, atol=1e-5)
    assert model.config.pooling == pooling
