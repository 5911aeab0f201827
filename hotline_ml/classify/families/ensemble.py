"""The ensemble family: the BERT's and the linear model's calibrated probabilities, mixed per task.

``p = w * p_bert + (1 - w) * p_linear`` with ``w`` per task chosen on validation (log-loss over a grid), then a
temperature on ``log p`` fitted on validation. Saved as ``bert/`` and ``linear/`` (each its own family's
directory) plus ``ensemble.json`` (weights, temperatures).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hotline_ml.classify.families.base import TextClassifier, write_family
from hotline_ml.classify.families.bert import BertClassifier
from hotline_ml.classify.families.linear import LinearClassifier
from hotline_ml.classify.features import IGNORE
from hotline_ml.classify.metrics import softmax
from hotline_ml.config import Precision

SETTINGS = "ensemble.json"
MEMBERS = ("bert", "linear")


def fit_weight(p_bert: np.ndarray, p_linear: np.ndarray, y: np.ndarray, grid: list[float]) -> float:
    """The grid weight with the lowest validation log-loss (rows with label -100 ignored)."""
    keep = y != IGNORE
    pb, pl, y = p_bert[keep], p_linear[keep], y[keep]
    if len(y) == 0:
        return 0.5

    def nll(w: float) -> float:
        p = w * pb + (1 - w) * pl
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    return min(grid, key=lambda w: (nll(w), abs(w - 0.5)))


class EnsembleClassifier:
    """Weighted mixture of a BERT and a linear model trained on the same rows.

    Args:
        bert: The BERT family member.
        linear: The linear family member (same labels, same title setting).
        weights: Task -> weight of the BERT.
        temperatures: Task -> temperature on the mixture's log-probabilities.
    """

    family = "ensemble"

    def __init__(self, bert: TextClassifier, linear: TextClassifier, weights: dict[str, float],
                 temperatures: dict[str, float]) -> None:
        if bert.labels != linear.labels:
            raise ValueError("ensemble members have different label spaces")
        self.bert, self.linear = bert, linear
        self.weights, self.temperatures = weights, temperatures

    @property
    def settings(self):
        return self.bert.settings

    @property
    def labels(self) -> dict[str, list[str]]:
        return self.bert.labels

    @classmethod
    def fit(cls, bert: TextClassifier, linear: TextClassifier, val_texts: list[str], val_ids: dict[str, np.ndarray],
            grid: list[float]) -> EnsembleClassifier:
        """Mixture weights from the validation split (temperatures 1 until :meth:`set_temperatures`)."""
        pb, pl = bert.predict_proba(val_texts), linear.predict_proba(val_texts)
        weights = {t: fit_weight(pb[t], pl[t], val_ids[t], grid) for t in bert.labels}
        return cls(bert, linear, weights, {t: 1.0 for t in bert.labels})

    def logits(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Log of the mixture of the members' calibrated probabilities, before the ensemble's own temperature."""
        pb, pl = self.bert.predict_proba(texts), self.linear.predict_proba(texts)
        return {t: np.log(np.clip(self.weights[t] * pb[t] + (1 - self.weights[t]) * pl[t], 1e-12, None))
                for t in self.labels}

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        return {t: softmax(lg, self.temperatures.get(t, 1.0)) for t, lg in self.logits(texts).items()}

    def set_temperatures(self, temperatures: dict[str, float]) -> None:
        """Calibration temperatures on the mixture's log-probabilities, per task."""
        self.temperatures = dict(temperatures)

    def with_batch_size(self, batch_size: int) -> EnsembleClassifier:
        return EnsembleClassifier(self.bert.with_batch_size(batch_size), self.linear, self.weights,
                                  self.temperatures)

    def quantized_int8(self) -> EnsembleClassifier:
        return EnsembleClassifier(self.bert.quantized_int8(), self.linear, self.weights, self.temperatures)

    def on_device(self, device: str = "auto", precision: Precision | str = Precision.fp32) -> EnsembleClassifier:
        """The BERT member placed on ``device`` in ``precision`` (its ``on_device``); the linear one unchanged."""
        return EnsembleClassifier(self.bert.on_device(device, precision), self.linear.on_device(device, precision),
                                  self.weights, self.temperatures)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.bert.save(directory / "bert")
        self.linear.save(directory / "linear")
        (directory / SETTINGS).write_text(json.dumps({"weights": self.weights, "temperatures": self.temperatures},
                                                     ensure_ascii=False, indent=2), encoding="utf-8")
        write_family(directory, self.family)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> EnsembleClassifier:
        directory = Path(directory)
        meta = json.loads((directory / SETTINGS).read_text(encoding="utf-8"))
        return cls(BertClassifier.load(directory / "bert"), LinearClassifier.load(directory / "linear"),
                   meta["weights"], meta["temperatures"])
