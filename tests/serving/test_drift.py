"""Drift checks: the classifier job profiles its model, the profile travels with it, and batch scoring flags a
day with an injected new topic but not a quiet day from the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.drift import PROFILE_ARTIFACT, build_profile, psi
from hotline_ml.predict import Predictor
from hotline_ml.predict.batch import score_file
from hotline_ml.predict.loading import ModelInfo
from tests.helpers import classifier_overrides, compose_config

# a topic the synthetic corpus never has: a shortage of a new vaccine, with characters it never uses
NEW_TOPIC = ["猴痘疫苗哪里能打？社区卫生站说没货，已经跑了三家医院了", "想给孩子约猴痘疫苗，预约小程序一直显示已满",
             "猴痘疫苗接种点排队三个小时，工作人员说今天的配额用完了", "问一下猴痘疫苗自费多少钱，医保能不能报销"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path):
    """The real classifier job (linear family only): it profiles its own model."""
    from hotline_ml.classify.job import run_classifier_job

    tmp = tmp_path_factory.mktemp("drift")
    cfg = compose_config("train_classifier", classifier_overrides(tmp, tiny_bert_dir, "classifier.families=[linear]",
                                                                  "classifier.max_train_samples=3000",
                                                                  "classifier.max_eval_samples=1000"))
    record = run_classifier_job(cfg)
    return record, Predictor.from_artifacts(record.model.artifacts, ModelInfo("test"))


def day_file(path: Path, orders: pd.DataFrame, columns: tuple[str, ...] = ("order_id", "created_at", "text")) -> Path:
    orders[list(columns)].to_csv(path, index=False)
    return path


def score(path: Path, out: Path, predictor: Predictor):
    cfg = compose_config("batch_score", [f"input.path={path}", f"output_dir={out}", "day=null",
                                         "chunk_rows=100"])
    return score_file(cfg, predictor, progress=False)


def test_the_profile_travels_with_the_model(trained) -> None:
    record, predictor = trained
    assert PROFILE_ARTIFACT in record.model.artifacts
    p = predictor.profile
    assert p is not None and p.type_task == "type_l1"
    assert sum(p.label_mix.values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(p.length_shares) == pytest.approx(1.0) and len(p.length_shares) == len(p.length_edges) + 1
    assert set(p.routes) <= {"automated", "human_review", "transfer"} and p.rows["validation"] > 0
    assert 0 <= p.unknown_rate < 0.01


def test_a_quiet_day_is_not_flagged(trained, small_corpus, tmp_path: Path) -> None:
    _, predictor = trained
    quiet = small_corpus.orders.tail(300)  # the test period: orders the model never saw, same distribution
    result = score(day_file(tmp_path / "quiet.csv", quiet), tmp_path / "out", predictor)
    assert result.drift["judged"] and result.drift["flagged"] == [], result.drift


def test_a_day_with_a_new_topic_is_flagged(trained, small_corpus, tmp_path: Path) -> None:
    _, predictor = trained
    day = small_corpus.orders.tail(300).copy()
    rng = np.random.default_rng(0)
    topic = rng.choice(len(day), size=150, replace=False)
    day.iloc[topic, day.columns.get_loc("text")] = [NEW_TOPIC[i % len(NEW_TOPIC)] + f"（第{i}次反映）"
                                                    for i in range(150)]
    result = score(day_file(tmp_path / "new.csv", day), tmp_path / "out", predictor)
    drift = result.drift
    assert "type_mix_psi" in drift["flagged"] and "unknown_char_rate" in drift["flagged"], drift
    assert "FLAGGED" in result.summary()
    import json

    assert json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["drift"]["flagged"]


class Biased:
    """A trained model with a bias of its own: one type gets extra probability, so it wins every close call."""

    def __init__(self, inner, label: str, task: str = "type_l1") -> None:
        self.inner, self.settings, self.labels = inner, inner.settings, inner.labels
        self.column, self.task = inner.labels[task].index(label), task

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        probs = self.inner.predict_proba(texts)
        p = probs[self.task].copy()
        p[:, self.column] += 0.9
        probs[self.task] = p / p.sum(axis=1, keepdims=True)
        return probs


def test_a_biased_model_is_judged_against_its_own_validation_mix(trained, small_corpus, tmp_path: Path) -> None:
    """The profile compares the day's predicted mix with the validation predicted mix: a model that
    over-predicts one type is not flagged on a day drawn like validation, and is flagged on a shifted day."""
    record, predictor = trained
    label = predictor.labels["type_l1"][-1]
    biased = Predictor(Biased(predictor.classifier, label), predictor.router, predictor.masker, predictor.info)
    train, val = record.result.train, record.result.validation
    biased.profile = build_profile("type_l1", train["appeal_type"].str.split("/").str[0], train["text"], val["text"],
                                   biased.predict_desensitized(val))
    assert biased.profile.validation_mix[label] > biased.profile.label_mix.get(label, 0.0) + 0.1  # really biased
    like_validation = small_corpus.orders.tail(300)
    columns = ("order_id", "created_at", "title", "text")  # as the validation rows were read
    quiet = score(day_file(tmp_path / "quiet.csv", like_validation, columns), tmp_path / "quiet", biased).drift
    assert quiet["judged"] and "type_mix_psi" not in quiet["flagged"], quiet
    top = like_validation["appeal_type"].str.split("/").str[0].value_counts().index[0]
    shifted_rows = small_corpus.orders[small_corpus.orders["appeal_type"].str.startswith(top)].tail(300)
    shifted = score(day_file(tmp_path / "shifted.csv", shifted_rows, columns), tmp_path / "shifted", biased).drift
    assert "type_mix_psi" in shifted["flagged"], shifted


def test_too_few_orders_are_not_judged(trained, small_corpus, tmp_path: Path) -> None:
    _, predictor = trained
    result = score(day_file(tmp_path / "few.csv", small_corpus.orders.tail(10)), tmp_path / "out", predictor)
    assert not result.drift["judged"] and "min_orders" in result.drift["note"]


def test_psi_is_zero_for_the_same_mix_and_grows_with_the_shift() -> None:
    base = np.array([0.5, 0.3, 0.2])
    assert psi(base, base) == pytest.approx(0.0)
    assert psi(np.array([0.4, 0.35, 0.25]), base) < 0.1 < psi(np.array([0.1, 0.2, 0.7]), base)
