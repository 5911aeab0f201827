"""What every family shares: the :class:`TextClassifier` interface, the inference settings, and the files that
mark a model directory (``family.json``, the BERT's ``hotline_inference.json``, the ``serving/`` defaults)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hotline_ml.config import Precision

FAMILY_FILE = "family.json"
#: The BERT family's settings file (a directory with it but no ``family.json`` is a BERT written before families).
SETTINGS_FILE = "hotline_inference.json"
#: Where a model directory keeps the routing and masking it serves with (written by the classifier job), so
#: ``Predictor.load(directory)`` needs no other argument, like a registered model.
SERVING_DIR = "serving"
SERVING_CONFIGS = ("routing", "desensitize")


@dataclass(frozen=True)
class InferenceSettings:
    """How texts are fed to the model at prediction time (fixed at training time)."""

    max_length: int
    use_title: bool
    batch_size: int = 64


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
