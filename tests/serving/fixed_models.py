"""Stand-in classifiers for serving tests: a model that is sure of what it is told, so that the router's and the
predictor's decisions are exercised where they matter (a confident model), not only below the confidence
threshold where an untrained model always sits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


class SureClassifier:
    """The labels and settings of a real classifier, with probability 1.0 on a chosen label of every task.

    Args:
        inner: The real classifier (labels and inference settings are its own).
        choose: Label per task (``{"type_l1": ..., "type_l2": ..., "urgency": ...}``) for every text, or a
            function of the (desensitized) text returning one.
    """

    def __init__(self, inner, choose: Mapping[str, str] | Callable[[str], Mapping[str, str]]) -> None:
        self.inner = inner
        self.labels = inner.labels
        self.settings = inner.settings
        self.choose = choose if callable(choose) else (lambda _text, fixed=dict(choose): fixed)

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        out = {task: np.zeros((len(texts), len(names))) for task, names in self.labels.items()}
        for i, text in enumerate(texts):
            for task, label in self.choose(text).items():
                out[task][i, self.labels[task].index(label)] = 1.0
        return out
