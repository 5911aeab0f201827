"""The learned emergency detector: character n-gram TF-IDF + logistic regression on the packaged corpus.

Trained at load (about a second) from ``hotline_ml/triage/corpus/`` (two independently written pairs of
``emergencies*.jsonl`` and ``non_emergencies*.jsonl``, one ``{"text", "service"}`` object per line): no pickled
model travels, and the same corpus and settings always give the same model. A second, three-class logistic
regression on the emergencies alone names the line (110/119/120) when no rule does. Settings are under
``detector`` in ``conf/routing/default.yaml``; :func:`cross_validated_scores` backs the choice of its thresholds.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier

from hotline_ml.config import DetectorConfig
from hotline_ml.data.synthetic.text import OrderContext, TextComposer, load_phrase_bank

#: The packaged development corpus: file -> label (1 = emergency). Each pair was written by another author.
CORPUS_DIR = Path(__file__).parent / "corpus"
CORPUS_FILES = {"emergencies.jsonl": 1, "non_emergencies.jsonl": 0,
                "emergencies_2.jsonl": 1, "non_emergencies_2.jsonl": 0}


@dataclass(frozen=True)
class Corpus:
    """Texts (n,), labels (n,) 1 = emergency, services (n,) ``110``/``119``/``120`` or ``None``, sources (n,)
    the corpus file of each text (``synthetic`` for generated negatives)."""

    texts: list[str]
    labels: np.ndarray
    services: list[str | None]
    sources: list[str]


def load_corpus(directory: Path = CORPUS_DIR) -> Corpus:
    """Read the corpus files.

    Raises:
        FileNotFoundError: A corpus file is missing.
        ValueError: A line is not a JSON object with a non-empty ``text`` (the message names file and line).
    """
    texts, labels, services, sources = [], [], [], []
    for name, label in CORPUS_FILES.items():
        path = directory / name
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ValueError(f"{path}:{i}: expected a JSON object with 'text'; fix or remove the line") from None
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}:{i}: empty 'text'; fix or remove the line")
            texts.append(text)
            labels.append(label)
            services.append(row.get("service") if label else None)
            sources.append(name)
    return Corpus(texts, np.array(labels, dtype=int), services, sources)


def synthetic_negatives(n: int) -> Corpus:
    """``n`` ordinary appeals from the synthetic phrase bank, round-robin over its types (seed 0)."""
    if n <= 0:
        return Corpus([], np.zeros(0, dtype=int), [], [])
    bank = load_phrase_bank()
    composer = TextComposer(bank, random.Random(0))
    types = sorted(bank.types)
    texts = [composer.compose(OrderContext(types[i % len(types)], "一般", "朝阳区", 6, 15, False, False)).text
             for i in range(n)]
    return Corpus(texts, np.zeros(n, dtype=int), [None] * n, ["synthetic"] * n)


def training_corpus(cfg: DetectorConfig) -> Corpus:
    """The packaged corpus plus ``cfg.synthetic_negatives`` synthetic ordinary appeals."""
    corpus, extra = load_corpus(), synthetic_negatives(cfg.synthetic_negatives)
    return Corpus(corpus.texts + extra.texts, np.concatenate([corpus.labels, extra.labels]),
                  corpus.services + extra.services, corpus.sources + extra.sources)


def _vectorizer(cfg: DetectorConfig) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(cfg.ngram_min, cfg.ngram_max), min_df=cfg.min_df,
                           sublinear_tf=True, dtype=np.float64)


def _classifier(cfg: DetectorConfig, balanced: bool = True) -> LogisticRegression:
    # liblinear: deterministic, and on a few thousand sparse rows several times faster than lbfgs
    return LogisticRegression(C=cfg.c, class_weight="balanced" if balanced else None, solver="liblinear")


class EmergencyDetector:
    """Scores texts for being a live emergency and names the likely line.

    Args:
        cfg: Detector settings.
        corpus: Training texts; :func:`training_corpus` by default.
    """

    def __init__(self, cfg: DetectorConfig, corpus: Corpus | None = None) -> None:
        for name in ("review_threshold", "transfer_threshold"):
            if not 0.0 <= getattr(cfg, name) <= 1.0:
                raise ValueError(f"routing.detector.{name} must be within [0, 1], got {getattr(cfg, name)}")
        if cfg.transfer_threshold < cfg.review_threshold:
            raise ValueError("routing.detector.transfer_threshold must be >= review_threshold")
        self.cfg = cfg
        corpus = corpus if corpus is not None else training_corpus(cfg)
        self.vectorizer = _vectorizer(cfg)
        x = self.vectorizer.fit_transform(corpus.texts)
        self.model = _classifier(cfg).fit(x, corpus.labels)
        pos = [i for i, s in enumerate(corpus.services) if s]
        self.service_model = OneVsRestClassifier(_classifier(cfg, balanced=False)).fit(
            x[pos], [corpus.services[i] for i in pos])

    def score(self, texts: list[str]) -> np.ndarray:
        """Probability of a live emergency, shape (len(texts),)."""
        if not texts:
            return np.zeros(0)
        return self.model.predict_proba(self.vectorizer.transform(texts))[:, 1]

    def service(self, texts: list[str]) -> list[str]:
        """The most likely emergency line per text."""
        if not texts:
            return []
        return [str(s) for s in self.service_model.predict(self.vectorizer.transform(texts))]


@functools.lru_cache(maxsize=4)
def _cached(key: tuple) -> EmergencyDetector:
    return EmergencyDetector(DetectorConfig(*key))


def load_detector(cfg: DetectorConfig) -> EmergencyDetector:
    """The detector for ``cfg`` on the packaged corpus, trained once per process per setting."""
    return _cached((cfg.enabled, cfg.ngram_min, cfg.ngram_max, cfg.min_df, cfg.c, cfg.review_threshold,
                    cfg.transfer_threshold, cfg.cv_folds, cfg.synthetic_negatives))


def cross_validated_scores(cfg: DetectorConfig, corpus: Corpus | None = None) -> tuple[Corpus, np.ndarray]:
    """Out-of-fold detector scores on the corpus (``cfg.cv_folds`` stratified folds, seed 0); the synthetic
    negatives join every training fold and are not scored."""
    corpus = corpus if corpus is not None else load_corpus()
    extra = synthetic_negatives(cfg.synthetic_negatives)
    scores = np.zeros(len(corpus.texts))
    folds = StratifiedKFold(cfg.cv_folds, shuffle=True, random_state=0)
    texts = np.array(corpus.texts, dtype=object)
    for train, test in folds.split(texts, corpus.labels):
        part = Corpus(list(texts[train]) + extra.texts, np.concatenate([corpus.labels[train], extra.labels]),
                      [corpus.services[i] for i in train] + extra.services,
                      [corpus.sources[i] for i in train] + extra.sources)
        scores[test] = EmergencyDetector(cfg, part).score(list(texts[test]))
    return corpus, scores


def threshold_for_recall(scores: np.ndarray, labels: np.ndarray, recall: float) -> float:
    """The highest threshold whose recall of ``labels == 1`` is at least ``recall``."""
    pos = np.sort(scores[labels == 1])
    k = int(np.floor((1.0 - recall) * len(pos)))
    return float(pos[min(k, len(pos) - 1)]) if len(pos) else 1.0
