"""Operator corrections: the file is validated row by row, corrections are learned, and the report measures the
model before and after on held-out corrected orders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.classify.corrections import apply_corrections, join_corrections, read_corrections
from tests.helpers import classifier_overrides, compose_config


@pytest.fixture(scope="module")
def data_cfg():
    return compose_config("train_classifier").data


def test_every_row_is_kept_or_rejected_with_its_reason(tmp_path: Path, data_cfg) -> None:
    path = tmp_path / "corrections.csv"
    pd.DataFrame([
        {"order_id": "1", "appeal_type": "城乡建设 > 物业管理", "urgency": ""},   # normalised label
        {"order_id": "", "appeal_type": "城乡建设/物业管理", "urgency": "一般"},   # no id
        {"order_id": "2", "appeal_type": "", "urgency": ""},                   # no label
        {"order_id": "3", "appeal_type": "火星/殖民", "urgency": ""},            # not in the taxonomy
        {"order_id": "4", "appeal_type": "", "urgency": "特急"},                # not an urgency level
        {"order_id": "5", "appeal_type": "民政/婚姻登记", "urgency": ""},
        {"order_id": "5", "appeal_type": "民政/养老服务", "urgency": "加急"},      # corrected again: this stands
    ]).to_csv(path, index=False)
    c = read_corrections(path, data_cfg.taxonomy, data_cfg.urgency_levels)
    assert c.frame.set_index("order_id")["appeal_type"].to_dict() == {"1": "城乡建设/物业管理", "5": "民政/养老服务"}
    assert c.frame.set_index("order_id").loc["5", "urgency"] == "加急"
    assert c.rejects["reason"].tolist() == ["missing", "missing", "unknown_label", "unknown_label", "superseded"]
    assert c.rejects["row"].tolist() == [2, 3, 4, 5, 6]
    assert len(c.frame) + len(c.rejects) == 7


def test_unknown_orders_are_rejected_and_the_holdout_is_stable(tmp_path: Path, data_cfg, small_corpus) -> None:
    orders = small_corpus.orders.head(400)
    ids = [*orders["order_id"].head(300), "NOT-AN-ORDER"]
    path = tmp_path / "c.csv"
    pd.DataFrame({"order_id": ids, "urgency": "加急"}).to_csv(path, index=False)
    c = read_corrections(path, data_cfg.taxonomy, data_cfg.urgency_levels)
    a, b = apply_corrections(orders, c, 0.5), apply_corrections(orders.sample(frac=1, random_state=1), c, 0.5)
    assert (a.rejects["reason"] == "unknown_order").sum() == 1
    assert len(a.learn) + len(a.check) == 300 and 100 < len(a.check) < 200
    assert set(a.check["order_id"]) == set(b.check["order_id"])  # by a hash of the id, not by row order
    assert (a.learn["urgency"] == "加急").all()
    assert (a.learn["appeal_type"].to_numpy() == orders.set_index("order_id").loc[a.learn["order_id"],
                                                                                   "appeal_type"].to_numpy()).all()


def test_join_marks_right_and_wrong_per_task() -> None:
    predictions = pd.DataFrame({"order_id": ["a", "b", "c"], "appeal_type": ["城乡建设", "民政", "民政"],
                                "urgency": ["一般", "一般", "加急"]})
    corrected = pd.DataFrame({"order_id": ["a", "b", "x"], "urgency": [None, "一般", "一般"],
                              "appeal_type": ["城乡建设/物业管理", "住房保障/公租房", "民政"]})
    j = join_corrections(predictions, corrected).set_index("order_id")
    assert list(j.index) == ["a", "b"]
    assert j["type_l1_right"].tolist() == [True, False]
    assert j.loc["a", "urgency_right"] is pd.NA and bool(j.loc["b", "urgency_right"])


def test_corrections_are_learned_and_measured_before_and_after(tmp_path: Path, tiny_bert_dir: Path,
                                                              small_corpus) -> None:
    """Operators move every 物业管理 appeal to 住房保障: the model that served them got none right; trained with
    half of the corrections it gets the other half right."""
    from hotline_ml.classify.job import run_classifier_job
    from hotline_ml.predict import Predictor
    from hotline_ml.predict.loading import ModelInfo

    base = classifier_overrides(tmp_path, tiny_bert_dir, "classifier.families=[linear]",
                                "classifier.max_train_samples=4000", "classifier.linear.max_train_samples=4000")
    before = run_classifier_job(compose_config("train_classifier", base))
    served = Predictor.from_artifacts(before.model.artifacts, ModelInfo("before"))
    moved = small_corpus.orders[small_corpus.orders["appeal_type"] == "城乡建设/物业管理"]
    assert len(moved) > 80
    served.predict_batch(moved).to_parquet(tmp_path / "predictions.parquet")
    pd.DataFrame({"order_id": moved["order_id"], "appeal_type": "住房保障/公租房"}).to_csv(
        tmp_path / "corrections.csv", index=False)
    corrections = ["corrections=file", f"corrections.path={tmp_path}/corrections.csv",
                   f"corrections.predictions={tmp_path}/predictions.parquet"]
    after = run_classifier_job(compose_config("train_classifier", [*base, *corrections,
                                                                   f"output_dir={tmp_path}/out2"]))
    m = after.metrics
    assert m["corrections_held_out"] > 30 and m["corrections_learned"] > 30
    assert m["corrections_before_type_l1_accuracy"] < 0.2
    assert m["corrections_after_type_l1_accuracy"] > 0.6
    assert "## Operator corrections" in after.texts["reports/report.md"]
