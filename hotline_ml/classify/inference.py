"""A saved classifier checkpoint, loaded once, predicting calibrated type and urgency for batches of appeals.

The checkpoint directory is a normal HF checkpoint (safetensors weights, tokenizer, config with the label
spaces and calibration temperatures) plus ``hotline_inference.json`` (max length, whether titles are read).
Batches are sorted by length and padded per batch; inference runs under ``torch.inference_mode``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from hotline_ml.classify.metrics import softmax
from hotline_ml.classify.model import HotlineBertClassifier

SETTINGS_FILE = "hotline_inference.json"


@dataclass(frozen=True)
class InferenceSettings:
    """How texts are fed to the model at prediction time (fixed at training time)."""

    max_length: int
    use_title: bool
    batch_size: int = 64


class AppealClassifier:
    """Calibrated multi-task predictions from a fine-tuned ``HotlineBertClassifier``."""

    def __init__(self, model: HotlineBertClassifier, tokenizer: PreTrainedTokenizerBase,
                 settings: InferenceSettings) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.settings = settings

    @property
    def labels(self) -> dict[str, list[str]]:
        """Label spaces per task, from the model's own config."""
        return dict(self.model.tasks)

    @property
    def temperatures(self) -> dict[str, float]:
        """Calibration temperature per task (1.0 = uncalibrated)."""
        return dict(getattr(self.model.config, "temperatures", None) or {t: 1.0 for t in self.model.tasks})

    def set_temperatures(self, temperatures: dict[str, float]) -> None:
        """Calibration temperatures per task, stored in the model config (saved with the weights)."""
        self.model.config.temperatures = dict(temperatures)

    def save(self, directory: str | Path) -> Path:
        """Write the checkpoint (safetensors) and settings to ``directory``."""
        directory = Path(directory)
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        (directory / SETTINGS_FILE).write_text(json.dumps(asdict(self.settings), indent=2), encoding="utf-8")
        from hotline_ml.classify.families import write_family  # families imports this module

        write_family(directory, "bert")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> AppealClassifier:
        """Load from a directory written by :meth:`save` (never touches the network)."""
        directory = Path(directory)
        settings = InferenceSettings(**json.loads((directory / SETTINGS_FILE).read_text(encoding="utf-8")))
        model = HotlineBertClassifier.from_pretrained(directory, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        return cls(model, tokenizer, settings)

    def with_batch_size(self, batch_size: int) -> AppealClassifier:
        """The same model with another inference batch size."""
        return AppealClassifier(self.model, self.tokenizer, replace(self.settings, batch_size=batch_size))

    def quantized_int8(self) -> AppealClassifier:
        """A copy whose ``nn.Linear`` layers run in int8 (dynamic quantization, CPU only)."""
        import copy
        import warnings

        with warnings.catch_warnings():  # torch marks the eager quantization API deprecated in favour of torchao
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(self.model), {torch.nn.Linear},
                                                           dtype=torch.qint8)
        return AppealClassifier(model, self.tokenizer, self.settings)

    def logits(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Raw logits per task, ``(len(texts), n_labels)``, in input order."""
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        chunks: dict[str, list[np.ndarray]] = {t: [] for t in self.model.tasks}
        bs = self.settings.batch_size
        with torch.inference_mode():
            for start in range(0, len(texts), bs):
                batch = [texts[i] for i in order[start:start + bs]]
                enc = self.tokenizer(batch, truncation=True, max_length=self.settings.max_length, padding=True,
                                     return_tensors="pt")
                out = self.model(**enc)
                for task, lg in zip(self.model.tasks, out.logits, strict=True):
                    chunks[task].append(lg.float().numpy())
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        n_labels = {t: len(v) for t, v in self.model.tasks.items()}
        return {t: (np.concatenate(c)[inverse] if c else np.zeros((0, n_labels[t]))) for t, c in chunks.items()}

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Calibrated probabilities per task, ``(len(texts), n_labels)``."""
        temps = self.temperatures
        return {t: softmax(lg, temps.get(t, 1.0)) for t, lg in self.logits(texts).items()}
