"""The baseline in every experiment: char n-gram TF-IDF + logistic regression, one model per task.

Trained on the same training rows and evaluated on the same test rows as the BERT, so every report shows
whether the BERT beats it.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from hotline_ml.classify.features import IGNORE, LabelSpace
from hotline_ml.config import BaselineConfig


class TfidfBaseline:
    """Shared char n-gram TF-IDF features, a multinomial logistic regression per task.

    Args:
        cfg: n-gram range, vocabulary size, regularisation.
        labels: Label spaces (the same as the BERT's, so probabilities align column for column).
    """

    def __init__(self, cfg: BaselineConfig, labels: LabelSpace) -> None:
        self.cfg = cfg
        self.labels = labels
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(cfg.ngram_min, cfg.ngram_max),
                                          max_features=cfg.max_features, sublinear_tf=True)
        self.models: dict[str, LogisticRegression] = {}

    def fit(self, texts: list[str], ids: dict[str, np.ndarray]) -> TfidfBaseline:
        """Fit on training texts and per-task label ids (-100 rows are skipped for that task)."""
        x = self.vectorizer.fit_transform(texts)
        for task in self.labels.tasks:
            keep = ids[task] != IGNORE
            model = LogisticRegression(C=self.cfg.C, max_iter=self.cfg.max_iter)
            self.models[task] = model.fit(x[keep], ids[task][keep])
        return self

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Probabilities per task, shape ``(n, len(labels))`` (classes absent from training get 0)."""
        x = self.vectorizer.transform(texts)
        out = {}
        for task, model in self.models.items():
            probs = np.zeros((x.shape[0], len(self.labels.tasks[task])))
            probs[:, model.classes_] = model.predict_proba(x)
            out[task] = probs
        return out
