"""Shared fixtures: offline environment, a small synthetic corpus, a tiny BERT, the routing config, Spark.
Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXTERNAL, SMALL_SYNTHETIC, compose_config


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.setenv("HOTLINE_PREPARED_DATA", str(tmp_path / "prepared"))  # conf/paths: never the repo's data/


@pytest.fixture(scope="session")
def small_prepare_cfg(tmp_path_factory: pytest.TempPathFactory):
    """The real prepare_data config, shrunk, writing under a temporary directory."""
    tmp = tmp_path_factory.mktemp("prepared")
    return compose_config("prepare_data", [*SMALL_SYNTHETIC, f"data.path={tmp}/orders.csv",
                                           f"paths.prepared={tmp}/out"])


@pytest.fixture(scope="session")
def small_corpus(small_prepare_cfg):
    """A generated small synthetic corpus (orders with raw PII, events, truth)."""
    from hotline_ml.data.synthetic import generate_corpus

    data = small_prepare_cfg.data
    return generate_corpus(data.synthetic, data.taxonomy, progress=False)


@pytest.fixture
def external_dir() -> Path:
    """../shared/data/external, or skip when this checkout does not have it."""
    if not EXTERNAL.is_dir():
        pytest.skip(f"external benchmark data not found at {EXTERNAL}")
    return EXTERNAL


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory, small_corpus) -> Path:
    """A 2-layer, 32-wide BERT with a character vocabulary built from the small corpus, saved as a local
    HF checkpoint (the shape of transformers' own tiny-config tests)."""
    from transformers import BertConfig, BertForMaskedLM

    from hotline_ml.classify.tokenizer import build_tokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    tok = build_tokenizer(small_corpus.orders["text"].tolist(), common_chars=500, min_char_count=1)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=256, pad_token_id=tok.pad_token_id)
    BertForMaskedLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def spark_test_session():
    """One local[2] Spark session (conf/spark/local.yaml) for every Spark test: modules that open their own
    ``spark_session`` join it, so the JVM and the Python workers start once per test run."""
    pytest.importorskip("pyspark")
    from hotline_ml.spark import spark_session

    with spark_session(compose_config("batch_score").spark) as session:
        yield session


@pytest.fixture(scope="session")
def routing_cfg():
    """The real routing config (conf/routing/default.yaml, chosen explicitly: serving defaults to the model's)."""
    return compose_config("serve", ["routing=default"]).routing


@pytest.fixture(scope="session")
def router(routing_cfg):
    """A router built from the real routing config."""
    from hotline_ml.triage import Router

    return Router(routing_cfg)
