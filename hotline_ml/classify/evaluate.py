"""Honest evaluation of one trained model (any family) on the held-out test split.

Per task: temperature fitted on validation; on test: accuracy, macro-/weighted-F1, per-class precision/recall/F1,
confusion matrix, ECE before/after calibration, the human hand-off coverage table, and for urgency the recall
of 紧急. Metric names: ``test_<task>_<metric>`` (``hotline_ml.classify.compete`` adds ``/<family>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotline_ml.classify.metrics import (
    classification_metrics,
    confusion_figure,
    coverage_table,
    emergency_recall,
    expected_calibration_error,
    fit_temperature,
    reliability_figure,
    softmax,
)
from hotline_ml.config import ClassifierConfig
from hotline_ml.markdown import markdown_table


@dataclass
class Evaluation:
    """Metrics (flat, MLflow-ready), tables and figures (by artifact name) and fitted temperatures."""

    metrics: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    temperatures: dict[str, float] = field(default_factory=dict)

    def merge(self, other: Evaluation) -> None:
        self.metrics.update(other.metrics)
        self.tables.update(other.tables)
        self.figures.update(other.figures)
        self.temperatures.update(other.temperatures)


def evaluate_model(labels: dict[str, list[str]], val_logits: dict[str, np.ndarray], val_y: dict[str, np.ndarray],
                   test_logits: dict[str, np.ndarray], test_y: dict[str, np.ndarray], cfg: ClassifierConfig,
                   with_figures: bool = True) -> Evaluation:
    """Calibrate on validation and evaluate on test, task by task (arrays are ``(n, k)`` logits, ``(n,)`` ids)."""
    ev = Evaluation()
    for task, names in labels.items():
        t = fit_temperature(val_logits[task], val_y[task])
        before, after = softmax(test_logits[task]), softmax(test_logits[task], t)
        y = test_y[task]
        ev.temperatures[task] = t
        ev.metrics[f"temperature_{task}"] = t
        _score(ev, f"test_{task}", y, after, names, cfg)
        keep = y != -100
        ev.metrics[f"test_{task}_ece_before"] = expected_calibration_error(before[keep], y[keep], cfg.ece_bins)
        ev.metrics[f"test_{task}_ece_after"] = expected_calibration_error(after[keep], y[keep], cfg.ece_bins)
        ev.tables[f"coverage_{task}.csv"] = coverage_table(after, y, cfg.coverage_thresholds)
        if with_figures:
            ev.figures[f"confusion_{task}.png"] = confusion_figure(y, after.argmax(1), names, f"{task} (test)")
            ev.figures[f"reliability_{task}.png"] = reliability_figure(before, after, y, cfg.ece_bins,
                                                                       f"{task} calibration (test)")
    return ev


def _score(ev: Evaluation, prefix: str, y: np.ndarray, probs: np.ndarray, names: list[str],
           cfg: ClassifierConfig) -> None:
    pred = probs.argmax(axis=1)
    m, report = classification_metrics(y, pred, names)
    ev.metrics.update({f"{prefix}_{k}": v for k, v in m.items()})
    ev.tables[f"{prefix}_per_class.csv"] = report
    rec = emergency_recall(y, pred, names)
    if rec is not None:
        ev.metrics[f"{prefix}_emergency_recall"] = rec


def markdown_report(ev: Evaluation, labels: dict[str, list[str]], title: str) -> str:
    """A short report: metrics per task, calibration, and the hand-off coverage table."""
    lines = [f"# {title}", "", "| task | model | accuracy | macro-F1 | weighted-F1 | 紧急 recall |",
             "|---|---|---|---|---|---|"]
    for task in labels:
        m = ev.metrics
        rec = m.get(f"test_{task}_emergency_recall")
        lines.append(f"| {task} | model | {m[f'test_{task}_accuracy']:.4f} | "
                     f"{m[f'test_{task}_macro_f1']:.4f} | {m[f'test_{task}_weighted_f1']:.4f} | "
                     f"{'' if rec is None else f'{rec:.3f}'} |")
    lines += ["", "## Calibration (temperature fitted on validation)", "",
          "| task | temperature | ECE before | ECE after |", "|---|---|---|---|"]
    for task in labels:
        m = ev.metrics
        lines.append(f"| {task} | {m[f'temperature_{task}']:.3f} | {m[f'test_{task}_ece_before']:.4f} | "
                 f"{m[f'test_{task}_ece_after']:.4f} |")
    for task in labels:
        table = ev.tables[f"coverage_{task}.csv"]
        lines += ["", f"## Human hand-off for {task}: predictions under the threshold go to a person", "",
              markdown_table(table)]
    return "\n".join(lines) + "\n"


