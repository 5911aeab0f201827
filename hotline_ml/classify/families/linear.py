"""The linear family: char n-gram TF-IDF + a class-balanced linear model (SVM or logistic regression) per task.

Strong on short appeals and cheap, so it competes with the BERT on the same rows and is served by the same
predictor. Features, stacked side by side:

- char n-grams of the title alone (``title_block``) and of ``title。text``;
- jieba words of ``title。text`` (``word_block``): on tipdm2020c_more's grouped 5-fold CV +0.005 macro-F1 over
  char n-grams alone, 4 folds of 5;
- label-tree similarities (``label_tree_weights``): for each first-level class, the max and mean cosine
  similarity of the appeal to the names of that class's tree nodes (``data.label_tree`` or the taxonomy's
  second levels) in a char 2-3-gram space fitted on those names and the training texts (no labels), each
  column divided by its training maximum and multiplied by a weight. On TipDM the official tree's names alone
  classify at 0.86 macro-F1 without training.

``C`` (and the label-tree weight) are chosen on the validation split's primary macro-F1; probabilities are
temperature-calibrated on validation like every family's.

Saved without pickle: ``linear.json`` (settings, labels, temperatures, feature settings, tree names),
``vocabulary.json`` (n-gram -> column per block) and ``weights.npz`` (idf per block, tree column scales and,
per task, coefficients, intercepts and the classes seen in training).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import asdict, replace
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from hotline_ml.classify.families.base import InferenceSettings, write_family
from hotline_ml.classify.features import IGNORE, split_title
from hotline_ml.classify.metrics import classification_metrics, softmax
from hotline_ml.config import LinearConfig, Precision

log = logging.getLogger(__name__)

SETTINGS = "linear.json"
VOCAB = "vocabulary.json"
WEIGHTS = "weights.npz"
TREE_NGRAMS = (2, 3)
_WORD = re.compile(r"[^\W_]")


def _vectorizer(ngrams: tuple[int, int], min_df: int = 1, max_features: int | None = None,
                sublinear: bool = True, vocabulary: dict[str, int] | None = None,
                analyzer: str = "char") -> TfidfVectorizer:
    if analyzer == "word":  # jieba words (n-gram range unused)
        return TfidfVectorizer(analyzer=jieba_words, min_df=min_df, max_features=max_features,
                               sublinear_tf=sublinear, dtype=np.float32, vocabulary=vocabulary)
    return TfidfVectorizer(analyzer="char", ngram_range=ngrams, min_df=min_df, max_features=max_features,
                           sublinear_tf=sublinear, dtype=np.float32, vocabulary=vocabulary)


#: Block vectorizers fitted in this process, with the matrix of the texts they were fitted on, by settings and
#: texts: the linear family and the baseline beside it share their char blocks instead of fitting them twice.
_FITTED: OrderedDict[tuple, tuple[TfidfVectorizer, sp.csr_matrix]] = OrderedDict()
_FITTED_MAX = 4


def _fit_block(settings: tuple, texts: list[str]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """A block's vectorizer fitted on ``texts`` and their matrix; the same settings and texts reuse the last fit."""
    digest = hashlib.blake2b(b"\0".join(t.encode() for t in texts), digest_size=16).hexdigest()
    key = (*settings, len(texts), digest)
    if key in _FITTED:
        _FITTED.move_to_end(key)
        return _FITTED[key]
    analyzer, grams, min_df, max_features = settings
    vectorizer = _vectorizer(grams, min_df, max_features, analyzer=analyzer)
    _FITTED[key] = vectorizer, vectorizer.fit_transform(texts)
    while len(_FITTED) > _FITTED_MAX:
        _FITTED.popitem(last=False)
    return _FITTED[key]


def jieba_words(text: str) -> list[str]:
    """jieba's words of ``text``, punctuation and spaces left out."""
    import jieba

    return [w for w in jieba.lcut(text) if _WORD.search(w)]


class Features:
    """The fitted feature blocks: ``text`` (title。text), optional ``title``, optional label-tree similarities.

    Args:
        blocks: Block name -> fitted vectorizer (``text``, ``title``, ``tree``).
        tree_names: Tree-node names, and the class column (index into ``tree_classes``) of each.
        tree_classes: The first-level classes the similarity columns are about, in column order.
        tree_scale: Per-column divisor (training maximum) of the ``2 * len(tree_classes)`` similarity columns.
        tree_weight: Multiplier of the similarity columns.
    """

    def __init__(self, blocks: dict[str, TfidfVectorizer], use_title: bool, tree_names: list[str] | None = None,
                 tree_class: np.ndarray | None = None, tree_classes: list[str] | None = None,
                 tree_scale: np.ndarray | None = None, tree_weight: float = 0.0) -> None:
        self.blocks, self.use_title = blocks, use_title
        self.tree_names, self.tree_class, self.tree_classes = tree_names or [], tree_class, tree_classes or []
        self.tree_scale, self.tree_weight = tree_scale, tree_weight
        self._tree_matrix = normalize(blocks["tree"].transform(self.tree_names)) if "tree" in blocks else None

    @classmethod
    def fit(cls, cfg: LinearConfig, texts: list[str], use_title: bool,
            descriptions: dict[str, list[str]] | None) -> tuple[Features, dict[str, sp.csr_matrix | np.ndarray]]:
        """The fitted blocks, and each block's matrix of ``texts`` (what :meth:`transform` would give them, block
        by block, the tree similarities unweighted), so the training rows are vectorised once."""
        grams, parts, blocks = (cfg.ngram_min, cfg.ngram_max), {}, {}
        blocks["text"], parts["text"] = _fit_block(("char", grams, cfg.min_df, cfg.max_features), texts)
        if use_title and cfg.title_block:
            titles = [split_title(t)[0] for t in texts]
            blocks["title"], parts["title"] = _fit_block(("char", grams, cfg.min_df, cfg.max_features), titles)
        if cfg.word_block:
            blocks["words"], parts["words"] = _fit_block(("word", (1, 1), cfg.min_df, cfg.max_features), texts)
        if not (cfg.label_tree_weights and descriptions):
            return cls(blocks, use_title), parts
        classes = list(descriptions)
        names = [n for c in classes for n in descriptions[c]]
        owner = np.array([i for i, c in enumerate(classes) for _ in descriptions[c]], dtype=np.int64)
        blocks["tree"] = _vectorizer(TREE_NGRAMS, sublinear=False).fit(names + texts)
        feats = cls(blocks, use_title, names, owner, classes, np.ones(2 * len(classes), dtype=np.float32), 1.0)
        unscaled = feats.similarities(texts)
        feats.tree_scale = unscaled.max(axis=0) + 1e-9
        parts["tree"] = unscaled / feats.tree_scale
        return feats, parts

    def assemble(self, parts: dict[str, sp.csr_matrix | np.ndarray], tree_weight: float | None = None) -> sp.csr_matrix:
        """The feature matrix from :meth:`fit`'s block matrices, with the tree similarities weighted."""
        out = [parts[name] for name in ("text", "title", "words") if name in self.blocks]
        if "tree" in self.blocks:
            w = self.tree_weight if tree_weight is None else tree_weight
            out.append(sp.csr_matrix((w * parts["tree"]).astype(np.float32)))
        return sp.hstack(out, format="csr")

    def similarities(self, texts: list[str]) -> np.ndarray:
        """``(n, 2k)``: max then mean cosine similarity to each class's tree names, scaled (weight not applied)."""
        s = (normalize(self.blocks["tree"].transform(texts)) @ self._tree_matrix.T).toarray()
        k = len(self.tree_classes)
        cols = [s[:, self.tree_class == c].max(1) for c in range(k)] + [s[:, self.tree_class == c].mean(1)
                                                                          for c in range(k)]
        return (np.stack(cols, axis=1) / self.tree_scale).astype(np.float32)

    def transform(self, texts: list[str], tree_weight: float | None = None) -> sp.csr_matrix:
        parts = [self.blocks["text"].transform(texts)]
        if "title" in self.blocks:
            parts.append(self.blocks["title"].transform([split_title(t)[0] for t in texts]))
        if "words" in self.blocks:
            parts.append(self.blocks["words"].transform(texts))
        if "tree" in self.blocks:
            w = self.tree_weight if tree_weight is None else tree_weight
            parts.append(sp.csr_matrix(w * self.similarities(texts)))
        return sp.hstack(parts, format="csr")


class _Head:
    """One task's linear model as plain arrays: ``logits = x @ coef.T + intercept`` over the classes seen."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> None:
        self.coef, self.intercept, self.classes = coef, intercept, classes

    @classmethod
    def from_sklearn(cls, model: LinearSVC | LogisticRegression) -> _Head:
        coef, intercept = model.coef_, np.atleast_1d(model.intercept_)
        if coef.shape[0] == 1:  # binary: sklearn keeps one row; two symmetric rows give the same softmax
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(coef.astype(np.float32), intercept.astype(np.float32), model.classes_.astype(np.int64))

    def logits(self, x: sp.csr_matrix, n_labels: int) -> np.ndarray:
        """Logits over all ``n_labels`` labels; labels unseen in training get a very low logit."""
        out = np.full((x.shape[0], n_labels), -1e4, dtype=np.float64)
        out[:, self.classes] = x @ self.coef.T + self.intercept
        return out


class LinearClassifier:
    """Calibrated per-task probabilities from :class:`Features` and linear heads.

    Args:
        features: The fitted feature blocks.
        heads: Task -> fitted head.
        labels: Task -> label names (id order).
        settings: Inference settings (``use_title`` matters; the others are kept for the shared interface).
        temperatures: Task -> calibration temperature.
        info: Training facts saved with the model (chosen ``C`` and tree weight, validation scores).
    """

    family = "linear"

    def __init__(self, features: Features, heads: dict[str, _Head], labels: dict[str, list[str]],
                 settings: InferenceSettings, temperatures: dict[str, float] | None = None,
                 info: dict[str, Any] | None = None) -> None:
        self.features = features
        self.heads = heads
        self._labels = labels
        self.settings = settings
        self.temperatures = temperatures or {t: 1.0 for t in labels}
        self.info = info or {}

    @property
    def labels(self) -> dict[str, list[str]]:
        """Label spaces per task."""
        return dict(self._labels)

    @classmethod
    def fit(cls, cfg: LinearConfig, labels: dict[str, list[str]], settings: InferenceSettings,
            train_texts: list[str], train_ids: dict[str, np.ndarray], val_texts: list[str],
            val_ids: dict[str, np.ndarray], primary_task: str, seed: int,
            descriptions: dict[str, list[str]] | None = None) -> LinearClassifier:
        """Fit the features on the training texts and a head per task; ``C``, the tree weight and NB weighting
        chosen on the primary task's validation macro-F1 (ties go to the smaller ``C``, a tree weight nearer 1
        and no NB weighting), then used for every task.

        Args:
            descriptions: First-level label -> label-tree names, for the label-tree features.
        """
        features, parts = Features.fit(cfg, train_texts, settings.use_title, descriptions)
        weights = list(cfg.label_tree_weights) if "tree" in features.blocks else [0.0]
        nb_options = sorted(set(cfg.nb_weighting))
        y, yv = train_ids[primary_task], val_ids[primary_task]
        keep = yv != IGNORE
        scores, grid_heads = {}, {}
        for w in weights:
            x, xv = features.assemble(parts, w), features.transform(val_texts, w)
            for c, nb in product(cfg.C_grid, nb_options):
                head = grid_heads[(c, w, nb)] = _fit_head(cfg, c, x, y, seed, nb)
                pred = head.logits(xv, len(labels[primary_task])).argmax(1)
                scores[(c, w, nb)] = classification_metrics(yv[keep], pred[keep],
                                                            labels[primary_task])[0]["macro_f1"]
                if val_texts is not train_texts:  # a refit scores its own rows: nothing to report
                    log.info("linear C=%g tree weight %g NB %s: validation %s macro-F1 %.4f", c, w, nb,
                             primary_task, scores[(c, w, nb)])
        best_c, best_w, best_nb = max(scores, key=lambda k: (scores[k], -k[0], -abs(k[1] - 1), not k[2]))
        features.tree_weight = best_w
        x = features.assemble(parts)
        heads = {t: grid_heads[(best_c, best_w, best_nb)] if t == primary_task
                 else _fit_head(cfg, best_c, x, train_ids[t], seed, best_nb) for t in labels}
        info = {"C": best_c, "tree_weight": best_w, "nb_weighting": best_nb, "n_features": int(x.shape[1]),
                "validation_macro_f1": {f"C={c},w={w},nb={nb}": s for (c, w, nb), s in scores.items()}}
        return cls(features, heads, labels, settings, info=info)

    def refit(self, cfg: LinearConfig, texts: list[str], ids: dict[str, np.ndarray], primary_task: str, seed: int,
              descriptions: dict[str, list[str]] | None = None) -> LinearClassifier:
        """The same choices (``C``, tree weight, NB weighting) and temperatures, learned again from ``texts`` (the
        training and validation rows the choices were made with), so no labelled row of a fold is left unused."""
        tree = [self.info["tree_weight"]] if "tree" in self.features.blocks else []
        chosen = replace(cfg, C_grid=[self.info["C"]], label_tree_weights=tree, max_train_samples=None,
                         nb_weighting=[self.info.get("nb_weighting", False)])
        model = LinearClassifier.fit(chosen, self._labels, self.settings, texts, ids, texts, ids, primary_task, seed,
                                     descriptions)
        model.set_temperatures(self.temperatures)
        model.info = self.info | {"refit_rows": len(texts)}
        return model

    def logits(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Uncalibrated scores per task, ``(len(texts), n_labels)`` (``(0, n_labels)`` for no texts: a batch
        chunk can hold no order of the day scored)."""
        if not len(texts):
            return {t: np.zeros((0, len(self._labels[t]))) for t in self.heads}
        x = self.features.transform(texts)
        return {t: h.logits(x, len(self._labels[t])) for t, h in self.heads.items()}

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Calibrated probabilities per task, ``(len(texts), n_labels)``."""
        return {t: softmax(lg, self.temperatures.get(t, 1.0)) for t, lg in self.logits(texts).items()}

    def set_temperatures(self, temperatures: dict[str, float]) -> None:
        """Calibration temperatures per task (fitted on validation by the evaluation)."""
        self.temperatures = dict(temperatures)

    def with_batch_size(self, batch_size: int) -> LinearClassifier:
        """The same model (batch size does not matter for sparse features; kept for the interface)."""
        return LinearClassifier(self.features, self.heads, self._labels, replace(self.settings, batch_size=batch_size),
                                self.temperatures, self.info)

    def quantized_int8(self) -> LinearClassifier:
        """The linear model is already cheap; int8 returns it unchanged."""
        return self

    def on_device(self, device: str = "auto", precision: Precision | str = Precision.fp32) -> LinearClassifier:
        """The model unchanged: sparse features and linear heads run in numpy on the CPU whatever the device.

        Raises:
            ValueError: ``precision`` is not a :class:`~hotline_ml.config.Precision` value (a typo fails here too).
        """
        Precision(precision)
        return self

    def save(self, directory: str | Path) -> Path:
        """Write ``linear.json``, ``vocabulary.json``, ``weights.npz`` and ``family.json``."""

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        f = self.features
        meta = {"settings": asdict(self.settings), "labels": self._labels, "temperatures": self.temperatures,
                "blocks": {n: {"ngram_range": list(v.ngram_range), "sublinear_tf": v.sublinear_tf,
                               "analyzer": "word" if callable(v.analyzer) else v.analyzer}
                           for n, v in f.blocks.items()},
                "tree": {"names": f.tree_names, "classes": f.tree_classes, "weight": f.tree_weight},
                "tasks": list(self.heads), "info": self.info}
        (directory / SETTINGS).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        vocab = {n: {term: int(i) for term, i in v.vocabulary_.items()} for n, v in f.blocks.items()}
        (directory / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        arrays: dict[str, np.ndarray] = {f"idf.{n}": v.idf_.astype(np.float32) for n, v in f.blocks.items()}
        if f.tree_class is not None:
            arrays.update({"tree.class": f.tree_class, "tree.scale": np.asarray(f.tree_scale, dtype=np.float32)})
        for t, h in self.heads.items():
            arrays.update({f"{t}.coef": h.coef, f"{t}.intercept": h.intercept, f"{t}.classes": h.classes})
        np.savez_compressed(directory / WEIGHTS, **arrays)
        write_family(directory, self.family)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> LinearClassifier:
        """Load from a directory written by :meth:`save` (plain JSON and arrays; no pickle)."""
        directory = Path(directory)
        meta = json.loads((directory / SETTINGS).read_text(encoding="utf-8"))
        missing = [k for k in ("blocks", "tree", "settings", "tasks", "labels") if k not in meta]
        if missing:
            raise ValueError(f"{directory / SETTINGS}: a linear model in an older format (no {missing}); "
                             "train it again with this version (training/train_classifier.py), or serve another "
                             "version (predictor.model=models:/<name>/<version>)")
        vocab = json.loads((directory / VOCAB).read_text(encoding="utf-8"))
        with np.load(directory / WEIGHTS, allow_pickle=False) as w:
            arrays = {k: w[k] for k in w.files}
        blocks = {}
        for name, spec in meta["blocks"].items():
            blocks[name] = _vectorizer(tuple(spec["ngram_range"]), sublinear=spec["sublinear_tf"],
                                       vocabulary=vocab[name], analyzer=spec.get("analyzer", "char"))
            blocks[name].idf_ = arrays[f"idf.{name}"]
        tree = meta["tree"]
        settings = InferenceSettings(**meta["settings"])
        features = Features(blocks, settings.use_title, tree["names"], arrays.get("tree.class"), tree["classes"],
                            arrays.get("tree.scale"), tree["weight"])
        heads = {t: _Head(arrays[f"{t}.coef"], arrays[f"{t}.intercept"], arrays[f"{t}.classes"])
                 for t in meta["tasks"]}
        return cls(features, heads, meta["labels"], settings, meta["temperatures"], meta["info"])


def _fit_head(cfg: LinearConfig, c: float, x: sp.csr_matrix, ids: np.ndarray, seed: int,
              nb_weighting: bool = False) -> _Head:
    keep = ids != IGNORE
    weight = "balanced" if cfg.balanced else None
    if nb_weighting:
        return _fit_nb_head(cfg, c, x[keep], ids[keep], weight, seed)
    if cfg.loss == "hinge":  # liblinear one-vs-rest: fast on large splits; scores calibrated by temperature
        model = LinearSVC(C=c, class_weight=weight, max_iter=cfg.max_iter, random_state=seed)
    else:
        model = LogisticRegression(C=c, class_weight=weight, max_iter=cfg.max_iter, random_state=seed)
    return _Head.from_sklearn(model.fit(x[keep], ids[keep]))


def _fit_nb_head(cfg: LinearConfig, c: float, x: sp.csr_matrix, ids: np.ndarray, weight: str | None,
                 seed: int, alpha: float = 1.0) -> _Head:
    """NB-SVM (Wang and Manning, 2012): for each class, the features scaled by their naive-Bayes log-count
    ratio (how much more often a feature occurs in the class than outside it, add-``alpha`` smoothed), and a
    one-vs-rest linear model on them. The scaling folds into the weights (``coef = ratio * w``), so the head
    predicts from the plain features like any other."""
    present = (x > 0).astype(np.float64).tocsc()
    classes = np.unique(ids)
    coef = np.zeros((len(classes), x.shape[1]), dtype=np.float64)
    intercept = np.zeros(len(classes), dtype=np.float64)
    for k, label in enumerate(classes):
        inside = ids == label
        p = alpha + np.asarray(present[inside].sum(axis=0)).ravel()
        q = alpha + np.asarray(present[~inside].sum(axis=0)).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        scaled = x @ sp.diags(ratio)
        if cfg.loss == "hinge":
            model = LinearSVC(C=c, class_weight=weight, max_iter=cfg.max_iter, random_state=seed)
        else:
            model = LogisticRegression(C=c, class_weight=weight, max_iter=cfg.max_iter, random_state=seed)
        model.fit(scaled, inside.astype(np.int64))
        coef[k], intercept[k] = ratio * model.coef_[0], model.intercept_[0]
    if len(classes) == 2:  # as sklearn's binary head: two symmetric rows give the same softmax
        coef, intercept = np.vstack([-coef[1] / 2, coef[1] / 2]), np.array([-intercept[1] / 2, intercept[1] / 2])
    return _Head(coef.astype(np.float32), intercept.astype(np.float32), classes.astype(np.int64))
