"""Evaluation: classification metrics, calibration (temperature scaling, ECE), human hand-off coverage, plots."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from hotline_ml.classify.features import IGNORE
from hotline_ml.plotting import new_figure

EMERGENCY = "紧急"


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``(n, k)`` logits divided by ``temperature``."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of ``y`` (validation labels; -100 ignored)."""
    keep = y != IGNORE
    logits, y = logits[keep], y[keep]
    if len(y) == 0:
        return 1.0

    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """ECE: mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(ece)


def classification_metrics(y: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> tuple[dict, pd.DataFrame]:
    """Accuracy, macro-F1, weighted-F1 and the per-class report (over labelled rows).

    Returns:
        ``({"accuracy", "macro_f1", "weighted_f1", "n"}, per-class frame: label, precision, recall, f1, support)``.
    """
    keep = y != IGNORE
    y, pred = y[keep], pred[keep]
    present = np.unique(np.concatenate([y, pred]))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=np.arange(len(labels)), zero_division=0)
    report = pd.DataFrame({"label": list(labels), "precision": p, "recall": r, "f1": f, "support": s})
    metrics = {
        "accuracy": float(accuracy_score(y, pred)) if len(y) else float("nan"),
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)) if len(y) else 0.0,
        "weighted_f1": float(f1_score(y, pred, average="weighted", zero_division=0)) if len(y) else 0.0,
        "n": len(y),
    }
    return metrics, report


def coverage_table(probs: np.ndarray, y: np.ndarray, thresholds: Sequence[float]) -> pd.DataFrame:
    """If predictions below a confidence threshold go to a person: share automated and its accuracy.

    Returns:
        One row per threshold: ``threshold, automated_share, automated_accuracy, to_human_share``.
    """
    keep = y != IGNORE
    probs, y = probs[keep], y[keep]
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    rows = []
    for t in thresholds:
        auto = conf >= t
        rows.append({"threshold": t, "automated_share": float(auto.mean()) if len(y) else 0.0,
                     "automated_accuracy": float(correct[auto].mean()) if auto.any() else float("nan"),
                     "to_human_share": float(1 - auto.mean()) if len(y) else 0.0})
    return pd.DataFrame(rows)


def emergency_recall(y: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> float | None:
    """Recall of 紧急 (a missed emergency is the costliest error); ``None`` without emergencies."""
    if EMERGENCY not in labels:
        return None
    k = list(labels).index(EMERGENCY)
    is_emergency = y == k
    return float((pred[is_emergency] == k).mean()) if is_emergency.any() else None


def confusion_figure(y: np.ndarray, pred: np.ndarray, labels: Sequence[str], title: str):
    """Row-normalised confusion matrix as a figure (labels on both axes, counts in cells when few classes)."""
    keep = y != IGNORE
    cm = confusion_matrix(y[keep], pred[keep], labels=np.arange(len(labels)))
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.28 * len(labels) + 3)
    fig, ax = new_figure(size, size * 0.85)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7 if len(labels) > 20 else 9)
    ax.set_yticks(range(len(labels)), labels, fontsize=7 if len(labels) > 20 else 9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(labels) <= 20:
        for i in range(len(labels)):
            for j in range(len(labels)):
                if cm[i, j]:
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def reliability_figure(probs_before: np.ndarray, probs_after: np.ndarray, y: np.ndarray, bins: int, title: str):
    """Reliability diagram before and after temperature scaling."""
    keep = y != IGNORE
    fig, ax = new_figure(5, 5)
    edges = np.linspace(0, 1, bins + 1)
    for probs, name in ((probs_before[keep], "before"), (probs_after[keep], "after")):
        conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y[keep]
        xs, ys = [], []
        for lo, hi in itertools.pairwise(edges):
            in_bin = (conf > lo) & (conf <= hi)
            if in_bin.sum() >= 5:
                xs.append(conf[in_bin].mean())
                ys.append(correct[in_bin].mean())
        ax.plot(xs, ys, marker="o", label=f"{name} (ECE {expected_calibration_error(probs, y[keep], bins):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig
