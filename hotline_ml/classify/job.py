"""The classifier job: prepared data -> fine-tune -> calibrate -> evaluate with baseline -> MLflow -> registry.

Called by ``training/train_classifier.py`` inside an open MLflow run; everything it logs goes through
``hotline_ml.tracking``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from hotline_ml import tracking
from hotline_ml.classify.baseline import TfidfBaseline
from hotline_ml.classify.evaluate import Evaluation, evaluate_baseline, evaluate_model, markdown_report
from hotline_ml.classify.features import (
    LabelSpace,
    encode_dataset,
    label_column,
    label_order,
    model_texts,
    subsample,
    task_values,
)
from hotline_ml.classify.inference import AppealClassifier, InferenceSettings
from hotline_ml.classify.model import class_weights, load_for_finetuning
from hotline_ml.classify.tokenizer import load_tokenizer
from hotline_ml.classify.train import fine_tune
from hotline_ml.config import PrepareDataConfig, TrainClassifierConfig
from hotline_ml.data.prepare import prepare_data

log = logging.getLogger(__name__)
LOADER = "hotline_ml.classify.inference:load_from_artifacts"


@dataclass
class ClassifierResult:
    """What the job produced: metrics, the saved checkpoint, and the registry outcome."""

    metrics: dict[str, float]
    checkpoint: Path | None
    model_version: str | None
    promoted: bool
    report: str

    def summary(self) -> str:
        lines = [self.report]
        if self.model_version:
            lines.append(f"registered version {self.model_version}" + (" -> champion" if self.promoted else ""))
        return "\n".join(lines)


@dataclass
class _Fitted:
    evaluation: Evaluation
    classifier: AppealClassifier
    labels: LabelSpace


def run_classifier_job(cfg: TrainClassifierConfig) -> ClassifierResult:
    """Run the whole job in the active MLflow run (see module docstring)."""
    out = Path(cfg.output_dir)
    prepared = prepare_data(PrepareDataConfig(data=cfg.data, split=cfg.split, desensitize=cfg.desensitize,
                                              output_dir=str(out / "data")))
    tracking.log_dict(prepared.summary(), "data/summary.json")
    tracking.log_artifact(prepared.files["rejects"], "data")
    frames = {name: ds.to_pandas() for name, ds in prepared.splits.items()}
    if cfg.classifier.cv_folds > 1:
        return _cross_validate(cfg, pd.concat(frames.values(), ignore_index=True), out)
    c = cfg.classifier
    primary = task_values(frames["train"], c.primary_task)
    train = subsample(frames["train"], c.max_train_samples, primary, cfg.seed)
    # evaluation subsets depend on the split's seed only, so models trained with other seeds or settings are
    # compared on the same test set (promotion requires it)
    val = subsample(frames["validation"], c.max_eval_samples, task_values(frames["validation"], c.primary_task),
                    cfg.split.seed)
    test = subsample(frames["test"], c.max_eval_samples, task_values(frames["test"], c.primary_task), cfg.split.seed)
    tracking.set_tags({"data_digest": prepared.digest, "test_digest": test_digest(test)})
    tracking.log_metrics({"data_train_rows": len(train), "data_validation_rows": len(val), "data_test_rows": len(test)})
    fitted = _train_and_evaluate(cfg, train, val, test, out / "trainer", with_figures=True)
    ev = fitted.evaluation
    checkpoint = fitted.classifier.save(out / "model")
    report = markdown_report(ev, fitted.labels.tasks, f"{cfg.model.name} on {cfg.data.name}")
    _log_evaluation(ev, report, fitted.labels)
    version, promoted = _register(cfg, fitted, checkpoint, test, ev.metrics)
    return ClassifierResult(ev.metrics, checkpoint, version, promoted, report)


def _train_and_evaluate(cfg: TrainClassifierConfig, train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame,
                        trainer_dir: Path, with_figures: bool, step_offset: int = 0) -> _Fitted:
    c = cfg.classifier
    labels = LabelSpace.from_training_data(train, c.tasks, label_order(cfg.data.taxonomy, cfg.data.urgency_levels))
    tokenizer = load_tokenizer(cfg.model.pretrained)
    sets = {name: encode_dataset(f, tokenizer, labels, cfg.model.max_length, c.use_title)
            for name, f in (("train", train), ("validation", val), ("test", test))}
    ids = {t: np.array(sets["train"][label_column(t)]) for t in labels.tasks}
    model = load_for_finetuning(cfg.model.pretrained, tokenizer, labels,
                                class_weights(labels, {t: list(v) for t, v in ids.items()}, c.class_weighting),
                                pooling=cfg.model.pooling)

    def log_fn(metrics, step):
        tracking.log_metrics(metrics, step=step + step_offset)

    trainer = fine_tune(model, tokenizer, sets["train"], sets["validation"], cfg.trainer, str(trainer_dir),
                        cfg.seed, c.primary_task, c.early_stopping_patience, log_fn)
    shutil.rmtree(trainer_dir, ignore_errors=True)  # intermediate checkpoints; the best model is in memory
    # Evaluate through the serving path, which keeps input order. Trainer.predict does not when batches are
    # length-grouped: transformers 5 then gives the eval dataloader a seeded random LengthGroupedSampler.
    classifier = AppealClassifier(trainer.model, tokenizer,
                                  InferenceSettings(max_length=cfg.model.max_length, use_title=c.use_title))
    val_y = {t: np.array(sets["validation"][label_column(t)]) for t in labels.tasks}
    test_y = {t: np.array(sets["test"][label_column(t)]) for t in labels.tasks}
    ev = evaluate_model(labels.tasks, classifier.logits(model_texts(val, c.use_title)), val_y,
                        classifier.logits(model_texts(test, c.use_title)), test_y, c, with_figures)
    trainer.model.config.temperatures = ev.temperatures
    baseline = TfidfBaseline(c.baseline, labels).fit(model_texts(train, c.use_title), ids)
    ev.merge(evaluate_baseline(labels.tasks, baseline.predict_proba(model_texts(test, c.use_title)), test_y, c))
    return _Fitted(ev, classifier, labels)


def _log_evaluation(ev: Evaluation, report: str, labels: LabelSpace) -> None:
    tracking.log_metrics(ev.metrics)
    for name, table in ev.tables.items():
        tracking.log_table(table, f"reports/{name}")
    for name, fig in ev.figures.items():
        tracking.log_figure(fig, f"plots/{name}")
        plt.close(fig)
    tracking.log_text(report, "reports/report.md")
    tracking.log_dict(labels.tasks, "model_labels.json")


def test_digest(test: pd.DataFrame) -> str:
    """Identity of a test set (ids, texts, labels): promotion compares models only on the same test set."""
    cols = test[["order_id", "text", "appeal_type", "urgency"]].astype(str)
    return hashlib.sha256(pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes()).hexdigest()[:16]


def _register(cfg: TrainClassifierConfig, fitted: _Fitted, checkpoint: Path, test: pd.DataFrame,
              metrics: dict[str, float]) -> tuple[str, bool]:
    example = test[["text", "title"]].head(3).reset_index(drop=True)
    _, version = tracking.log_pyfunc_model(
        LOADER, {"checkpoint": str(checkpoint)}, example, fitted.classifier.predict_frame(example),
        registered_name=cfg.registry.model_name, pip_requirements=_requirements(),
    )
    name = cfg.registry.model_name
    tracking.set_alias(name, "candidate", version)
    promoted, reason = _should_promote(cfg, metrics, test_digest(test))
    if promoted:
        tracking.set_alias(name, "champion", version)
    tracking.set_tags({"promotion": reason})
    log.info("registered %s version %s (candidate); champion: %s", name, version, reason)
    return version, promoted


def _should_promote(cfg: TrainClassifierConfig, metrics: dict[str, float], digest: str) -> tuple[bool, str]:
    mode, name = cfg.registry.promote, cfg.registry.model_name
    if mode not in ("never", "if_better", "always"):
        raise ValueError(f"registry.promote: {mode!r} is not one of never, if_better, always")
    if mode != "if_better":
        return mode == "always", f"promote={mode}"
    champion = tracking.alias_version(name, "champion")
    if champion is None:
        return True, "no champion yet"
    run_id = tracking.version_run_id(name, champion)
    if tracking.run_tags(run_id).get("test_digest") != digest:
        return False, f"champion v{champion} was tested on other data; not comparable, kept"
    key = f"test_{cfg.classifier.primary_task}_macro_f1"
    theirs, ours = tracking.run_metrics(run_id).get(key, float("-inf")), metrics[key]
    if ours > theirs:
        return True, f"{key} {ours:.4f} > champion v{champion} {theirs:.4f}"
    return False, f"{key} {ours:.4f} <= champion v{champion} {theirs:.4f}, kept"


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("torch", "transformers", "pandas", "numpy", "scikit-learn")]


def _cross_validate(cfg: TrainClassifierConfig, frame: pd.DataFrame, out: Path) -> ClassifierResult:
    """Stratified k-fold over all labelled rows (small data): mean and spread of BERT and baseline metrics."""
    c = cfg.classifier
    y = task_values(frame, c.primary_task)
    frame, y = frame[y.notna()].reset_index(drop=True), y[y.notna()].reset_index(drop=True)
    folds = StratifiedKFold(n_splits=c.cv_folds, shuffle=True, random_state=cfg.seed)
    per_fold = []
    for k, (train_idx, test_idx) in enumerate(folds.split(frame, y)):
        # an inner validation split of the training folds drives early stopping and calibration
        inner = StratifiedKFold(n_splits=max(2, c.cv_folds - 1), shuffle=True, random_state=cfg.seed + k)
        fit_idx, val_idx = next(inner.split(train_idx, y.iloc[train_idx]))
        fitted = _train_and_evaluate(cfg, frame.iloc[train_idx[fit_idx]], frame.iloc[train_idx[val_idx]],
                                     frame.iloc[test_idx], out / f"trainer_fold{k}", with_figures=False,
                                     step_offset=k * 100_000)
        per_fold.append(fitted.evaluation.metrics)
        tracking.log_metrics({f"cv_{m}": v for m, v in fitted.evaluation.metrics.items()}, step=k)
        log.info("fold %d/%d: %s macro-F1 BERT %.4f, baseline %.4f", k + 1, c.cv_folds, c.primary_task,
                 fitted.evaluation.metrics[f"test_{c.primary_task}_macro_f1"],
                 fitted.evaluation.metrics[f"baseline_test_{c.primary_task}_macro_f1"])
    table = pd.DataFrame(per_fold)
    metrics = {**{f"{m}": float(v) for m, v in table.mean().items()},
               **{f"{m}_std": float(v) for m, v in table.std(ddof=1).items()}}
    tracking.log_metrics(metrics)
    tracking.log_table(table.assign(fold=range(len(table))), "reports/cv_folds.csv")
    key = f"{c.primary_task}_macro_f1"
    report = (f"# {cfg.model.name} on {cfg.data.name}: {c.cv_folds}-fold CV\n\n"
              f"| model | {key} mean | std |\n|---|---|---|\n"
              f"| BERT | {metrics['test_' + key]:.4f} | {metrics['test_' + key + '_std']:.4f} |\n"
              f"| TF-IDF + LR baseline | {metrics['baseline_test_' + key]:.4f} | "
              f"{metrics['baseline_test_' + key + '_std']:.4f} |\n")
    tracking.log_text(report, "reports/report.md")
    return ClassifierResult(metrics, None, None, False, report)
