"""The classifier job end to end through the real Hydra configs, shrunk: 2 training steps on a tiny BERT,
logged to a temporary sqlite MLflow store, registered, reloaded."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest

from hotline_ml import tracking
from hotline_ml.classify.families import family_of, load_model, predict_frame
from hotline_ml.classify.job import run_classifier_job
from tests.helpers import classifier_overrides, compose_config

MODELS = ["hotline-bert-mini", "bert-base-chinese", "chinese-roberta-wwm-ext", "rbt3"]


@pytest.mark.parametrize("model", MODELS)
def test_train_config_composes_for_every_model_preset(model: str) -> None:
    cfg = compose_config("train_classifier", [f"model={model}", "trainer=bert-base"])
    assert cfg.model.name == model and cfg.trainer["eval_strategy"] == "epoch"
    assert cfg.tracking.experiment == "hotline-classifier"


def test_experiment_and_pretrain_configs_compose() -> None:
    cfg = compose_config("train_classifier", ["+experiment=tipdm2020c"])
    assert cfg.data.name == "tipdm2020c" and cfg.classifier.cv_folds == 5 and cfg.classifier.tasks == ["type_l1"]
    mlm = compose_config("pretrain_mlm")
    assert mlm.init_from == "scratch" and mlm.architecture.num_hidden_layers == 4
    assert mlm.tracking.experiment == "hotline-pretraining"
    mlm = compose_config("pretrain_mlm", ["+experiment=tipdm2020c_mlm"])
    assert mlm.holdout is not None and mlm.holdout.name == "tipdm2020c" and len(mlm.extra_texts) == 1


def test_unknown_trainer_field_names_the_closest(tmp_path: Path, tiny_bert_dir: Path) -> None:
    from hotline_ml.classify.train import training_arguments

    with pytest.raises(ValueError, match=r"learning_rat.*did you mean 'learning_rate'"):
        training_arguments({"learning_rat": 1e-4}, str(tmp_path), 0)


def _run(cfg) -> tuple[str, object, object]:
    with tracking.start_run(cfg.tracking, run_name="test", config=cfg) as run_id:
        record = run_classifier_job(cfg)
        registered = tracking.log_record(record)
    return run_id, record, registered


def _checkpoint(record) -> Path:
    return Path(record.model.artifacts["checkpoint"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_bert_dir):
    tmp = tmp_path_factory.mktemp("cls")
    cfg = compose_config("train_classifier", classifier_overrides(tmp, tiny_bert_dir))
    import os

    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"  # one store shared by this module's tests
    cfg.tracking.tracking_uri = os.environ["MLFLOW_TRACKING_URI"]
    return cfg, *_run(cfg)


def test_run_logs_metrics_artifacts_and_registers(trained) -> None:
    cfg, run_id, record, registered = trained
    winner = record.tags["family"]
    mlflow.set_tracking_uri(cfg.tracking.tracking_uri)
    run = mlflow.MlflowClient().get_run(run_id)
    m = run.data.metrics
    for task in ["type_l1", "type_l2", "urgency"]:
        for key in [f"test_{task}_macro_f1", f"test_{task}_ece_after", f"temperature_{task}"]:
            assert key in m, key
            for family in ("bert", "linear", "ensemble"):  # every family side by side, on the same rows
                assert f"{key}/{family}" in m, f"{key}/{family}"
    assert {f"validation_type_l1_macro_f1/{f}" for f in ("bert", "linear", "ensemble")} <= set(m)
    assert "eval_type_l1_macro_f1" in m and "train_loss" in m
    assert run.data.tags["test_digest"] and run.data.tags["git_commit"]
    # the prepared splits it read are the run's dataset inputs, tied to the prepared data by its digest
    inputs = {next(t.value for t in d.tags if t.key == "mlflow.data.context"): d for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "validation", "test"}
    digest = run.data.tags["data_digest"]
    assert all(d.dataset.digest == digest[:32] and d.dataset.name == f"synthetic/{c}" for c, d in inputs.items())
    assert inputs["train"].dataset.source.endswith('train.parquet"}')
    assert run.data.tags["family"] == winner and run.data.tags["promotion"] == registered.reason
    # the registered family is the best on validation, and its test score is the unsuffixed one
    best = max(("bert", "linear", "ensemble"), key=lambda f: m[f"validation_type_l1_macro_f1/{f}"])
    assert m[f"validation_type_l1_macro_f1/{winner}"] == m[f"validation_type_l1_macro_f1/{best}"]
    assert m["test_type_l1_macro_f1"] == m[f"test_type_l1_macro_f1/{winner}"]
    # a 2-step BERT is clearly worse than the linear model on the same rows: it must not be the one registered
    assert m["validation_type_l1_macro_f1/linear"] > m["validation_type_l1_macro_f1/bert"] + 0.2
    assert winner != "bert"  # figures of the registered family, under its name
    plots = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, f"plots/{winner}")}
    assert f"plots/{winner}/confusion_type_l1.png" in plots and f"plots/{winner}/reliability_urgency.png" in plots
    report = mlflow.artifacts.load_text(f"runs:/{run_id}/reports/report.md")
    assert all(f"| type_l1 | {f}" in report for f in ("bert", "linear", "ensemble"))
    assert registered.version == "1" and registered.promoted
    assert tracking.alias_version("hotline-appeal-classifier", "candidate") == "1"
    assert tracking.alias_version("hotline-appeal-classifier", "champion") == "1"
    assert family_of(_checkpoint(record)) == winner


def test_registered_model_reloads_with_the_same_predictions(trained, small_corpus) -> None:
    cfg, _, record, _ = trained
    checkpoint = _checkpoint(record)
    mlflow.set_tracking_uri(cfg.tracking.tracking_uri)
    from hotline_ml.data.desensitize import make_desensitizer

    frame = small_corpus.orders[["text", "title"]].head(20).reset_index(drop=True)
    masker = make_desensitizer(cfg.desensitize)  # the served model masks PII before the model reads the text
    masked = frame.assign(**{c: masker.mask_many(frame[c].tolist())[0] for c in ("text", "title")})
    before = predict_frame(load_model(checkpoint), masked)
    # the registered model wraps the whole predictor; its type and scores are the saved family's
    served = tracking.load_pyfunc("models:/hotline-appeal-classifier@candidate").predict(frame)
    assert served["appeal_type"].tolist() == before["type_l1"].tolist()
    assert np.allclose(served["appeal_type_score"], before["type_l1_score"], atol=1e-6)
    labels = load_model(checkpoint).labels
    assert set(served["appeal_type"]) <= set(labels["type_l1"]) and set(served["urgency"]) <= {"紧急", "加急", "一般"}


def test_second_run_is_promoted_only_if_better(trained, tiny_bert_dir) -> None:
    cfg, _, first, _ = trained
    cfg.seed = 7  # same data and test set, another model
    _, second, registered = _run(cfg)
    assert registered.version == "2"
    key = "test_type_l1_macro_f1"
    better = second.metrics[key] > first.metrics[key]
    assert registered.promoted == better
    assert tracking.alias_version("hotline-appeal-classifier", "champion") == ("2" if better else "1")
    assert tracking.alias_version("hotline-appeal-classifier", "candidate") == "2"


def test_dataset_without_urgency_trains_type_only(tmp_path: Path, tiny_bert_dir: Path, small_corpus) -> None:
    orders = small_corpus.orders.drop(columns=["urgency"]).head(600)
    orders.to_csv(tmp_path / "no_urgency.csv", index=False)
    overrides = [o for o in classifier_overrides(tmp_path, tiny_bert_dir) if not o.startswith("data.")]
    cfg = compose_config("train_classifier", [*overrides, "data.synthetic=null", f"data.path={tmp_path}/no_urgency.csv",
                                              "data.required=[order_id,created_at,text,appeal_type]",
                                              "registry.promote=never"])
    with tracking.start_run(cfg.tracking, run_name="no-urgency"):
        record = run_classifier_job(cfg)
        registered = tracking.log_record(record)
    assert "test_type_l1_macro_f1" in record.metrics and "test_type_l2_macro_f1" in record.metrics
    assert not any("urgency" in k for k in record.metrics)
    assert set(load_model(_checkpoint(record)).labels) == {"type_l1", "type_l2"}
    assert not registered.promoted and registered.reason == "promote=never"


def test_multirun_sweep_gives_one_tagged_run_per_job(tmp_path: Path, tiny_bert_dir: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    db = f"sqlite:///{tmp_path}/mlflow.db"
    overrides = classifier_overrides(tmp_path, tiny_bert_dir, "registry.promote=never",
                                     "classifier.max_train_samples=40", "classifier.max_eval_samples=30",
                                     "classifier.families=[bert]")  # the sweep is over the BERT's trainer
    cmd = [sys.executable, "training/train_classifier.py", "-m", "trainer.learning_rate=1e-3,5e-4",
           *overrides, f"hydra.sweep.dir={tmp_path}/sweep"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": db, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    mlflow.set_tracking_uri(db)
    client = mlflow.MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("hotline-classifier").experiment_id])
    assert len(runs) == 2
    assert {r.data.tags["sweep"] for r in runs} == {f"{tmp_path}/sweep"}
    assert {r.data.tags["sweep_job"] for r in runs} == {"0", "1"}
    assert {r.data.params["trainer.learning_rate"] for r in runs} == {"0.001", "0.0005"}
