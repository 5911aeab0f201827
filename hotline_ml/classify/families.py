"""Model families behind one interface: whatever the classifier job registers, the predictor serves the same way.

A family is an object with

- ``labels``: task -> label names (from the model's own saved config);
- ``settings``: :class:`~hotline_ml.classify.inference.InferenceSettings` (max length, whether titles are read,
  batch size);
- ``logits(texts)``: scores before calibration; ``predict_proba(texts) -> {task: (n, k) probabilities}`` =
  softmax(logits / temperature), in input order; ``set_temperatures`` (fitted on validation by the evaluation);
- ``save(directory) -> directory`` and a ``load(directory)`` classmethod (no pickle, never the network);
- ``with_batch_size(n)``, ``quantized_int8()`` and ``on_device(device, precision)``: copies tuned for serving
  (device and precision place a BERT; the linear model has nothing to place and ignores them).

:func:`load_model` reads any family's directory (``family.json`` names the family; a directory without it is
a BERT checkpoint written before families existed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hotline_ml.classify.inference import SETTINGS_FILE, AppealClassifier, InferenceSettings
from hotline_ml.config import Precision

FAMILY_FILE = "family.json"
#: Where a model directory keeps the routing and masking it serves with (written by the classifier job), so
#: ``Predictor.load(directory)`` needs no other argument, like a registered model.
SERVING_DIR = "serving"
SERVING_CONFIGS = ("routing", "desensitize")


class TextClassifier(Protocol):
    """What the predictor and the evaluation need from a trained model of any family."""

    settings: InferenceSettings

    @property
    def labels(self) -> dict[str, list[str]]: ...

    def logits(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]: ...

    def set_temperatures(self, temperatures: dict[str, float]) -> None: ...

    def save(self, directory: str | Path) -> Path: ...

    def with_batch_size(self, batch_size: int) -> TextClassifier: ...

    def quantized_int8(self) -> TextClassifier: ...

    def on_device(self, device: str = "auto", precision: Precision | str = Precision.fp32) -> TextClassifier: ...


def write_family(directory: Path, family: str, **extra: Any) -> None:
    """Mark ``directory`` as holding a model of ``family``."""
    (directory / FAMILY_FILE).write_text(json.dumps({"family": family, **extra}, ensure_ascii=False, indent=2),
                                         encoding="utf-8")


def family_of(directory: str | Path) -> str:
    """The family saved in ``directory``: ``bert``, ``linear`` or ``ensemble``."""
    directory = Path(directory)
    marker = directory / FAMILY_FILE
    if marker.is_file():
        return json.loads(marker.read_text(encoding="utf-8"))["family"]
    if (directory / SETTINGS_FILE).is_file():
        return "bert"
    raise ValueError(f"{directory}: not a saved classifier (no {FAMILY_FILE} or {SETTINGS_FILE})")


def is_model_dir(directory: str | Path) -> bool:
    """Whether ``directory`` holds a classifier of any family."""
    directory = Path(directory)
    return directory.is_dir() and ((directory / FAMILY_FILE).is_file() or (directory / SETTINGS_FILE).is_file())


def load_model(directory: str | Path) -> TextClassifier:
    """Load a classifier of any family from a directory written by its ``save``.

    Raises:
        ValueError: The directory holds no classifier, or names an unknown family.
    """
    family = family_of(directory)
    if family == "bert":
        return AppealClassifier.load(directory)
    if family == "linear":
        from hotline_ml.classify.linear import LinearClassifier

        return LinearClassifier.load(directory)
    if family == "ensemble":
        from hotline_ml.classify.ensemble import EnsembleClassifier

        return EnsembleClassifier.load(directory)
    raise ValueError(f"{directory}: unknown model family {family!r} in {FAMILY_FILE}")


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
