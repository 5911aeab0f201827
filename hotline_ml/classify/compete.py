"""Model families compete on the same rows: BERT, linear and their ensemble, trained, calibrated and evaluated on
one train / validation / test split; the best on the validation primary macro-F1 wins. A plain linear
``baseline`` (``classifier.baseline``) is trained and evaluated beside them on the same rows and never wins: it is
the bar the registered family must clear.

Metric names: ``test_<task>_<metric>/<family>`` and ``validation_<task>_macro_f1/<family>`` for every family,
and plain ``test_<task>_<metric>`` for the winner (what the registry compares).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hotline_ml.classify.evaluate import Evaluation, evaluate_model
from hotline_ml.classify.families import TextClassifier
from hotline_ml.classify.families.base import InferenceSettings
from hotline_ml.classify.families.bert import BertClassifier
from hotline_ml.classify.families.ensemble import EnsembleClassifier
from hotline_ml.classify.families.linear import LinearClassifier
from hotline_ml.classify.features import (
    LabelSpace,
    encode_dataset,
    label_column,
    label_order,
    model_texts,
    subsample,
    task_values,
)
from hotline_ml.classify.metrics import classification_metrics, softmax
from hotline_ml.classify.model import class_weights, load_for_finetuning
from hotline_ml.classify.tokenizer import load_tokenizer
from hotline_ml.classify.train import fine_tune
from hotline_ml.config import Family, TrainClassifierConfig
from hotline_ml.data.label_tree import label_descriptions

log = logging.getLogger(__name__)
LogFn = Callable[[Mapping[str, float], int], None]
#: The plain linear model trained beside the families (``classifier.baseline``); reported, never registered.
BASELINE = "baseline"


@dataclass
class Competition:
    """Every family's trained model and evaluation on one split, and the winner."""

    models: dict[str, TextClassifier]
    evaluations: dict[str, Evaluation]
    validation_scores: dict[str, float]
    winner: str
    labels: LabelSpace
    metrics: dict[str, float] = field(default_factory=dict)
    #: family -> task -> calibrated probabilities of the validation rows (the drift profile is built from them)
    validation_probs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def model(self) -> TextClassifier:
        """The winning family's model."""
        return self.models[self.winner]

    @property
    def evaluation(self) -> Evaluation:
        """The winner's evaluation (plain metric names)."""
        return self.evaluations[self.winner]


def family_names(cfg: TrainClassifierConfig) -> list[str]:
    """Families to train, checked: the ensemble needs both members."""
    names = [Family(f).value for f in cfg.classifier.families]
    if not names:
        raise ValueError("classifier.families is empty; list at least one of bert, linear, ensemble")
    if "ensemble" in names and not {"bert", "linear"} <= set(names):
        raise ValueError(f"classifier.families {names}: the ensemble needs bert and linear too")
    return names


def compete(cfg: TrainClassifierConfig, train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame,
            work_dir: Path, with_figures: bool, log_fn: LogFn | None = None) -> Competition:
    """Train every configured family on ``train``, calibrate on ``val``, evaluate on ``test``, pick the best.

    The BERT reads ``classifier.max_train_samples`` rows of ``train`` (stratified); the linear family reads
    ``classifier.linear.max_train_samples`` (all by default). Validation and test rows are the same for all.
    """
    c = cfg.classifier
    names = family_names(cfg)
    labels = LabelSpace.from_training_data(train, c.tasks, label_order(cfg.data.taxonomy, cfg.data.urgency_levels))
    settings = InferenceSettings(max_length=cfg.model.max_length, use_title=c.use_title)
    val_texts, test_texts = model_texts(val, c.use_title), model_texts(test, c.use_title)
    val_y = {t: labels.encode(val, t) for t in labels.tasks}
    test_y = {t: labels.encode(test, t) for t in labels.tasks}
    models: dict[str, TextClassifier] = {}
    for name, lin_cfg in (("linear", c.linear), (BASELINE, c.baseline)):
        if name != BASELINE and name not in names:
            continue
        lin_train = subsample(train, lin_cfg.max_train_samples, task_values(train, c.primary_task), cfg.seed)
        # the baseline is the bar on the primary task only (the demo's 65-class type_l2 heads cost it 20 s)
        tasks = {c.primary_task: labels.tasks[c.primary_task]} if name == BASELINE else labels.tasks
        models[name] = LinearClassifier.fit(
            lin_cfg, tasks, settings, model_texts(lin_train, c.use_title),
            {t: labels.encode(lin_train, t) for t in tasks}, val_texts, val_y, c.primary_task, cfg.seed,
            label_descriptions(cfg.data) if name == "linear" else None)
    if "bert" in names:
        bert_train = subsample(train, c.max_train_samples, task_values(train, c.primary_task), cfg.seed)
        models["bert"] = _fine_tune_bert(cfg, labels, settings, bert_train, val, work_dir, log_fn)
    # each family's logits are computed once (members are calibrated before the ensemble mixes them)
    logits: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}
    evaluations: dict[str, Evaluation] = {}
    chosen_on_fit_rows: dict[str, TextClassifier] = {}  # the linear models as they were when the choices were made
    for name in sorted([*names, BASELINE], key=lambda n: n == "ensemble"):  # the ensemble after its members
        if name == "ensemble":
            models[name] = EnsembleClassifier.fit(models["bert"], chosen_on_fit_rows.get("linear", models["linear"]),
                                                  val_texts, val_y, list(c.ensemble_weights))
        val_logits = models[name].logits(val_texts)
        if c.refit_linear and name in ("linear", BASELINE):
            chosen_on_fit_rows[name] = models[name]
            models[name] = _refit(cfg, models[name], name, labels, train, val)
        if name == "ensemble" and "linear" in chosen_on_fit_rows:
            models[name].linear = models["linear"]
        logits[name] = val_logits, models[name].logits(test_texts)
        evaluations[name] = _evaluate(models[name], labels, *logits[name], val_y, test_y, cfg, False)
        if name in chosen_on_fit_rows:
            chosen_on_fit_rows[name].set_temperatures(evaluations[name].temperatures)
    scores = {n: _validation_score(logits[n][0][c.primary_task], val_y[c.primary_task], labels, c.primary_task)
              for n in [*names, BASELINE]}
    winner = max(names, key=lambda n: (scores[n], -names.index(n)))
    log.info("validation %s macro-F1: %s -> %s", c.primary_task,
             ", ".join(f"{n} {s:.4f}" for n, s in scores.items()), winner)
    if with_figures:  # confusion matrices and reliability diagrams of the registered family (same temperatures)
        evaluations[winner] = _evaluate(models[winner], labels, *logits[winner], val_y, test_y, cfg, True)
    comp = Competition(models, evaluations, scores, winner, labels)
    comp.metrics = _metrics(comp, c.primary_task)
    comp.validation_probs = {n: {t: softmax(v, evaluations[n].temperatures.get(t, 1.0))
                                 for t, v in logits[n][0].items()} for n in logits}
    return comp


def _refit(cfg: TrainClassifierConfig, model: LinearClassifier, name: str, labels: LabelSpace, train: pd.DataFrame,
           val: pd.DataFrame) -> LinearClassifier:
    """``classifier.refit_linear``: a linear model chosen on validation learns again from training + validation."""
    c = cfg.classifier
    lin_cfg = c.linear if name == "linear" else c.baseline
    rows = pd.concat([subsample(train, lin_cfg.max_train_samples, task_values(train, c.primary_task), cfg.seed), val])
    return model.refit(lin_cfg, model_texts(rows, c.use_title), {t: labels.encode(rows, t) for t in labels.tasks},
                       c.primary_task, cfg.seed, label_descriptions(cfg.data) if name == "linear" else None)


def _fine_tune_bert(cfg: TrainClassifierConfig, labels: LabelSpace, settings: InferenceSettings,
                    train: pd.DataFrame, val: pd.DataFrame, work_dir: Path, log_fn: LogFn | None) -> BertClassifier:
    c = cfg.classifier
    tokenizer = load_tokenizer(cfg.model.pretrained)
    sets = {name: encode_dataset(f, tokenizer, labels, cfg.model.max_length, c.use_title)
            for name, f in (("train", train), ("validation", val))}
    ids = {t: list(sets["train"][label_column(t)]) for t in labels.tasks}
    model = load_for_finetuning(cfg.model.pretrained, tokenizer, labels,
                                class_weights(labels, ids, c.class_weighting), pooling=cfg.model.pooling)
    trainer_dir = work_dir / "trainer"
    trainer = fine_tune(model, tokenizer, sets["train"], sets["validation"], cfg.trainer, str(trainer_dir),
                        cfg.seed, c.primary_task, c.early_stopping_patience, log_fn)
    shutil.rmtree(trainer_dir, ignore_errors=True)  # intermediate checkpoints; the best model is in memory
    return BertClassifier(trainer.model, tokenizer, settings)


def _evaluate(model: TextClassifier, labels: LabelSpace, val_logits: dict[str, np.ndarray],
              test_logits: dict[str, np.ndarray], val_y: dict[str, np.ndarray], test_y: dict[str, np.ndarray],
              cfg: TrainClassifierConfig, with_figures: bool) -> Evaluation:
    # logits come through the serving path (input order kept); this fits and sets the family's temperatures
    tasks = {t: names for t, names in labels.tasks.items() if t in val_logits}  # the baseline: the primary task
    ev = evaluate_model(tasks, val_logits, val_y, test_logits, test_y, cfg.classifier, with_figures)
    model.set_temperatures(ev.temperatures)
    return ev


def _validation_score(logits: np.ndarray, y: np.ndarray, labels: LabelSpace, task: str) -> float:
    keep = y != -100  # a temperature never changes the argmax
    return classification_metrics(y[keep], logits.argmax(1)[keep], labels.tasks[task])[0]["macro_f1"]


def _metrics(comp: Competition, primary_task: str) -> dict[str, float]:
    out = dict(comp.evaluation.metrics)
    for name, ev in comp.evaluations.items():
        out.update({f"{k}/{name}": v for k, v in ev.metrics.items()})
        out[f"validation_{primary_task}_macro_f1/{name}"] = comp.validation_scores[name]
    if "ensemble" in comp.models:
        for task, w in comp.models["ensemble"].weights.items():
            out[f"ensemble_bert_weight_{task}"] = w
    return out
