"""Drift checks: the classifier job profiles its model, the profile travels with it, and batch scoring flags a
day with an injected new topic but not a quiet day from the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.predict import Predictor
from hotline_ml.predict.batch import score_file
from hotline_ml.predict.drift import PROFILE_ARTIFACT, psi
from hotline_ml.predict.loading import ModelInfo
from tests.conftest import classifier_overrides, compose_config

# a topic the synthetic corpus never has: a shortage of a new vaccine, with characters it never uses
NEW_TOPIC = ["猴痘疫苗哪里能打？社区卫生站说没货，已经跑了三家医院了", "想给孩子约猴痘疫苗，预约小程序一直显示已满",
             "猴痘疫苗接种点排队三个小时，工作人员说今天的配额用完了", "问一下猴痘疫苗自费多少钱，医保能不能报销"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path):
    """The real classifier job (linear family only) wrapped as the entry script wraps it."""
    from hotline_ml.classify.job import run_classifier_job
    from hotline_ml.predict.drift import with_drift_profile

    tmp = tmp_path_factory.mktemp("drift")
    cfg = compose_config("train_classifier", classifier_overrides(tmp, tiny_bert_dir, "classifier.families=[linear]",
                                                                  "classifier.max_train_samples=3000"))
    record = with_drift_profile(run_classifier_job)(cfg)
    return record, Predictor.from_artifacts(record.model.artifacts, ModelInfo("test"))


def day_file(path: Path, orders: pd.DataFrame) -> Path:
    orders[["order_id", "created_at", "text"]].to_csv(path, index=False)
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


def test_too_few_orders_are_not_judged(trained, small_corpus, tmp_path: Path) -> None:
    _, predictor = trained
    result = score(day_file(tmp_path / "few.csv", small_corpus.orders.tail(10)), tmp_path / "out", predictor)
    assert not result.drift["judged"] and "min_orders" in result.drift["note"]


def test_psi_is_zero_for_the_same_mix_and_grows_with_the_shift() -> None:
    base = np.array([0.5, 0.3, 0.2])
    assert psi(base, base) == pytest.approx(0.0)
    assert psi(np.array([0.4, 0.35, 0.25]), base) < 0.1 < psi(np.array([0.1, 0.2, 0.7]), base)
