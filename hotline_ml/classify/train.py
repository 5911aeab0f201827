"""Fine-tuning with ``transformers.Trainer``: dynamic padding, length-grouped batches, early stopping on the
primary task's validation macro-F1, full seeding. Trainer settings come from ``conf/trainer/`` under
``TrainingArguments``' own field names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

import datasets
import numpy as np
from transformers import (
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    EvalPrediction,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from hotline_ml.classify.features import label_column
from hotline_ml.classify.metrics import classification_metrics

LogFn = Callable[[Mapping[str, float], int], None]


def training_arguments(trainer: Mapping[str, Any], output_dir: str, seed: int, **fixed: Any) -> TrainingArguments:
    """Build ``TrainingArguments`` from the ``trainer`` config group, refusing unknown keys by name.

    Args:
        trainer: TrainingArguments fields by name (from YAML).
        output_dir: Where the Trainer keeps checkpoints.
        seed: Global seed.
        **fixed: Arguments the job sets itself (label names, best-model metric); YAML may not override them.
    """
    valid = {f.name for f in fields(TrainingArguments)}
    unknown = sorted(set(trainer) - valid)
    if unknown:
        hints = {k: difflib.get_close_matches(k, valid, n=1) for k in unknown}
        raise ValueError("trainer: unknown TrainingArguments field(s): " + ", ".join(
            f"{k}" + (f" (did you mean {h[0]!r}?)" if h else "") for k, h in hints.items()))
    clash = sorted(set(trainer) & set(fixed))
    if clash:
        raise ValueError(f"trainer: {clash} are set by the job itself; remove them from the trainer config")
    return TrainingArguments(output_dir=output_dir, seed=seed, **dict(trainer), **fixed)


def split_predictions(predictions: Any, tasks: list[str]) -> dict[str, np.ndarray]:
    """Trainer predictions (one array or a tuple of arrays) -> task -> ``(n, n_labels)`` logits."""
    arrays = predictions if isinstance(predictions, (tuple, list)) else (predictions,)
    return dict(zip(tasks, arrays, strict=True))


def _metrics_fn(tasks: list[str], labels: dict[str, list[str]]) -> Callable[[EvalPrediction], dict[str, float]]:
    def compute(p: EvalPrediction) -> dict[str, float]:
        logits = split_predictions(p.predictions, tasks)
        ys = split_predictions(p.label_ids, tasks)
        out = {}
        for task in tasks:
            m, _ = classification_metrics(ys[task], logits[task].argmax(axis=1), labels[task])
            out[f"{task}_macro_f1"] = m["macro_f1"]
            out[f"{task}_accuracy"] = m["accuracy"]
        return out

    return compute


class _LogCallback(TrainerCallback):
    """Sends every numeric Trainer log (loss, learning rate, eval metrics per epoch) to ``log_fn``."""

    def __init__(self, log_fn: LogFn) -> None:
        self.log_fn = log_fn

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:
        numeric = {k: v for k, v in (logs or {}).items() if isinstance(v, (int, float)) and k != "epoch"}
        if numeric:
            self.log_fn(numeric, state.global_step)


def fine_tune(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, train: datasets.Dataset,
              validation: datasets.Dataset, trainer_cfg: Mapping[str, Any], output_dir: str, seed: int,
              primary_task: str, patience: int, log_fn: LogFn | None = None) -> Trainer:
    """Train ``model`` and return the Trainer, with the best checkpoint (by primary macro-F1) loaded.

    Args:
        model: A ``HotlineBertClassifier`` (its ``tasks`` give the label columns).
        tokenizer: Its tokenizer (dynamic padding per batch).
        train: Tokenised training set (``input_ids``, ``attention_mask``, ``labels_<task>``).
        validation: Tokenised validation set, same columns.
        trainer_cfg: ``conf/trainer`` values.
        output_dir: Trainer checkpoints.
        seed: Global seed (python, numpy, torch, data order).
        primary_task: Task whose validation macro-F1 picks the best model and stops early.
        patience: Evaluations without improvement before stopping.
        log_fn: Receives ``(metrics, step)`` for every log line (e.g. to MLflow).
    """
    set_seed(seed)
    tasks = list(model.tasks)
    if primary_task not in tasks:
        raise ValueError(f"classifier.primary_task {primary_task!r} is not among the trained tasks {tasks}")
    args = training_arguments(
        trainer_cfg, output_dir, seed,
        label_names=[label_column(t) for t in tasks],
        metric_for_best_model=f"{primary_task}_macro_f1", greater_is_better=True,
    )
    callbacks: list[TrainerCallback] = [_LogCallback(log_fn)] if log_fn else []
    if args.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                      data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
                      compute_metrics=_metrics_fn(tasks, model.tasks), callbacks=callbacks)
    trainer.train()
    return trainer

