"""Model families behind one interface: whatever the classifier job registers, the predictor serves the same way.

One module per family, each a class with the :class:`~hotline_ml.classify.families.base.TextClassifier` interface:

- :mod:`~hotline_ml.classify.families.bert`: :class:`BertClassifier`, a fine-tuned Chinese BERT;
- :mod:`~hotline_ml.classify.families.linear`: :class:`LinearClassifier`, TF-IDF blocks and a linear SVM;
- :mod:`~hotline_ml.classify.families.ensemble`: :class:`EnsembleClassifier`, the two mixed per task.

A family has

- ``labels``: task -> label names (from the model's own saved config);
- ``settings``: :class:`InferenceSettings` (max length, whether titles are read, batch size);
- ``logits(texts)``: scores before calibration; ``predict_proba(texts) -> {task: (n, k) probabilities}`` =
  softmax(logits / temperature), in input order; ``set_temperatures`` (fitted on validation by the evaluation);
- ``save(directory) -> directory`` and a ``load(directory)`` classmethod (no pickle, never the network);
- ``with_batch_size(n)``, ``quantized_int8()`` and ``on_device(device, precision)``: copies tuned for serving
  (device and precision place a BERT; the linear model has nothing to place and ignores them).

:data:`FAMILIES` maps each name to its class; :func:`load_model` reads any family's directory (``family.json``
names the family; a directory without it is a BERT checkpoint written before families existed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hotline_ml.classify.families.base import (
    FAMILY_FILE,
    SERVING_CONFIGS,
    SERVING_DIR,
    SETTINGS_FILE,
    InferenceSettings,
    TextClassifier,
    family_of,
    is_model_dir,
    write_family,
)
from hotline_ml.classify.families.bert import BertClassifier
from hotline_ml.classify.families.ensemble import EnsembleClassifier
from hotline_ml.classify.families.linear import LinearClassifier

#: Family name -> its class (``load(directory)`` of each reads what its ``save`` wrote).
FAMILIES: dict[str, type] = {"bert": BertClassifier, "linear": LinearClassifier, "ensemble": EnsembleClassifier}

__all__ = ["FAMILIES", "FAMILY_FILE", "SERVING_CONFIGS", "SERVING_DIR", "SETTINGS_FILE", "BertClassifier",
           "EnsembleClassifier", "InferenceSettings", "LinearClassifier", "TextClassifier", "family_of",
           "is_model_dir", "load_model", "predict_frame", "write_family"]


def load_model(directory: str | Path) -> TextClassifier:
    """Load a classifier of any family from a directory written by its ``save``.

    Raises:
        ValueError: The directory holds no classifier, or names an unknown family.
    """
    family = family_of(directory)
    if family not in FAMILIES:
        raise ValueError(f"{directory}: unknown model family {family!r} in {FAMILY_FILE} (known: {list(FAMILIES)})")
    return FAMILIES[family].load(directory)


def predict_frame(model: TextClassifier, frame: Any) -> Any:
    """Raw per-task predictions for a frame with ``text`` (and ``title``): ``<task>``, ``<task>_score``,
    ``<task>_top3`` (JSON). The classifier alone, without masking or routing."""
    import pandas as pd

    from hotline_ml.classify.features import model_texts

    probs = model.predict_proba(model_texts(frame.reset_index(drop=True), model.settings.use_title))
    out = {}
    for task, p in probs.items():
        names = np.array(model.labels[task], dtype=object)
        top = np.argsort(-p, axis=1)[:, :3]
        out[task] = names[top[:, 0]] if len(p) else np.array([], dtype=object)
        out[f"{task}_score"] = p[np.arange(len(p)), top[:, 0]] if len(p) else np.array([], dtype=float)
        out[f"{task}_top3"] = [json.dumps([[str(names[j]), round(float(row[j]), 4)] for j in idx],
                                          ensure_ascii=False) for row, idx in zip(p, top, strict=True)]
    return pd.DataFrame(out)
