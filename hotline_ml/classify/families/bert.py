"""A saved classifier checkpoint, loaded once, predicting calibrated type and urgency for batches of appeals.

The checkpoint directory is a normal HF checkpoint (safetensors weights, tokenizer, config with the label
spaces and calibration temperatures) plus ``hotline_inference.json`` (max length, whether titles are read).
Batches are sorted by length and padded per batch; inference runs under ``torch.inference_mode``.

Where the model runs is chosen at serving time, not saved: :meth:`BertClassifier.on_device` places it on
``cpu``, ``cuda[:n]`` or ``mps`` (``auto``: CUDA when available, else MPS, else the CPU) and sets the precision
(``fp32``, or the encoder under ``torch.autocast`` to ``fp16`` / ``bf16``). fp16 is refused on the CPU rather
than silently changed to bf16: CPU autocast to fp16 is slower than fp32 and its numbers differ from what the
caller asked for; ``bf16`` is the CPU's reduced precision. int8 (dynamic quantization) runs on the CPU only,
in fp32. On a GPU a larger batch than the saved one pays off (``with_batch_size(256)`` is a good start for
BERT-base-sized encoders at 128 tokens); the batch size is the caller's choice.

While the model runs batch ``k``, a background thread tokenizes batch ``k + 1`` (the fast tokenizer releases
the GIL while it encodes), so tokenization stays off the critical path on a GPU. Batches, their order and their
padding are exactly those of the sequential path (``logits(texts, prefetch=False)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, BatchEncoding, PreTrainedTokenizerBase

from hotline_ml.classify.families.base import SETTINGS_FILE, InferenceSettings, write_family
from hotline_ml.classify.metrics import softmax
from hotline_ml.classify.model import HotlineBertClassifier
from hotline_ml.config import Precision

#: Autocast dtype of each reduced precision.
AUTOCAST_DTYPES = {Precision.fp16: torch.float16, Precision.bf16: torch.bfloat16}
#: A batch size that keeps a data-centre GPU busy with a BERT-base-sized encoder at 128 tokens (see the module
#: docstring); a suggestion for callers, never applied by itself.
SUGGESTED_GPU_BATCH_SIZE = 256


def resolve_device(device: str = "auto") -> torch.device:
    """The torch device for a device name, checked to be usable here.

    Args:
        device: ``auto`` (CUDA when available, else MPS, else CPU), ``cpu``, ``cuda``, ``cuda:<n>`` or ``mps``.

    Returns:
        The device (``cuda`` without an index: torch's current CUDA device).

    Raises:
        ValueError: An unknown device name, or a device that is asked for but not available on this machine
            (the message names it and what this machine has).
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    try:
        target = torch.device(device)
    except RuntimeError as e:
        raise ValueError(f"unknown device {device!r}: use auto, cpu, cuda, cuda:<n> or mps") from e
    if target.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asked for, but CUDA is not available here (torch {torch.__version__}"
                             f", CUDA build {torch.version.cuda or 'none'}); use device=auto or cpu")
        if target.index is not None and target.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} asked for, but this machine has {torch.cuda.device_count()} CUDA "
                             "device(s)")
    elif target.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} asked for, but MPS is not available here; use device=auto or cpu")
    elif target.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {device!r}: use auto, cpu, cuda, cuda:<n> or mps")
    return target


class BertClassifier:
    """Calibrated multi-task predictions from a fine-tuned ``HotlineBertClassifier``.

    Args:
        model: The model; it runs on the device its weights are on (see :meth:`on_device`).
        tokenizer: The model's own tokenizer.
        settings: How texts are fed to the model.
        precision: ``fp32``, or autocast of the forward pass to ``fp16`` / ``bf16``; set by :meth:`on_device`,
            which checks it against the device.
    """

    def __init__(self, model: HotlineBertClassifier, tokenizer: PreTrainedTokenizerBase,
                 settings: InferenceSettings, precision: Precision | str = Precision.fp32) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.settings = settings
        self.precision = Precision(precision)

    @property
    def device(self) -> torch.device:
        """Where the model's weights are (and so where it runs)."""
        return next(self.model.parameters()).device

    @property
    def is_int8(self) -> bool:
        """Whether the linear layers are dynamically quantized (see :meth:`quantized_int8`)."""
        return any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in self.model.modules())

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

        write_family(directory, "bert")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> BertClassifier:
        """Load from a directory written by :meth:`save` (never touches the network)."""
        directory = Path(directory)
        settings = InferenceSettings(**json.loads((directory / SETTINGS_FILE).read_text(encoding="utf-8")))
        model = HotlineBertClassifier.from_pretrained(directory, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        return cls(model, tokenizer, settings)

    def with_batch_size(self, batch_size: int) -> BertClassifier:
        """The same model with another inference batch size."""
        return BertClassifier(self.model, self.tokenizer, replace(self.settings, batch_size=batch_size),
                                self.precision)

    def on_device(self, device: str = "auto", precision: Precision | str = Precision.fp32) -> BertClassifier:
        """The same model placed on ``device``, its forward pass run in ``precision``.

        The weights are moved in place (``nn.Module.to``, no copy): this classifier and the returned one share
        them, and both run where they now are.

        Args:
            device: ``auto`` (CUDA, else MPS, else CPU; always the CPU for an int8 model), ``cpu``, ``cuda``,
                ``cuda:<n>`` or ``mps``.
            precision: ``fp32``; ``fp16`` (GPU only) or ``bf16`` autocast the forward pass.

        Returns:
            A classifier on that device, returning float32 logits whatever the precision.

        Raises:
            ValueError: The device is unknown or not available here; int8 with a device other than the CPU or
                a precision other than fp32; fp16 on the CPU; bf16 on a GPU without bf16 support.
        """
        precision = Precision(precision)
        if self.is_int8:
            if device not in ("auto", "cpu"):
                raise ValueError(f"an int8 model runs on the CPU only, not on {device!r}: use device=cpu (or auto) "
                                 "with int8, or int8=false on a GPU")
            if precision is not Precision.fp32:
                raise ValueError(f"an int8 model runs its own arithmetic: precision must be fp32, not {precision}")
            target = torch.device("cpu")
        else:
            target = resolve_device(device)
        if precision is Precision.fp16 and target.type == "cpu":
            raise ValueError("precision fp16 runs on a GPU only (CPU autocast to fp16 is slower than fp32); use bf16 "
                             "or fp32 on the CPU")
        if precision is Precision.bf16 and target.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError(f"precision bf16 asked for, but {torch.cuda.get_device_name(target)} does not support "
                             "it; use fp16")
        return BertClassifier(self.model.to(target), self.tokenizer, self.settings, precision)

    def quantized_int8(self) -> BertClassifier:
        """A copy whose ``nn.Linear`` layers run in int8 (dynamic quantization, CPU only, fp32 elsewhere).

        Raises:
            ValueError: The model is not on the CPU or runs in a reduced precision (quantize first, on the CPU).
        """
        import copy
        import warnings

        if self.device.type != "cpu" or self.precision is not Precision.fp32:
            raise ValueError(f"int8 quantization needs an fp32 model on the CPU, this one is {self.precision} on "
                             f"{self.device}: quantize before on_device(...), and keep it on the CPU")
        with warnings.catch_warnings():  # torch marks the eager quantization API deprecated in favour of torchao
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(self.model), {torch.nn.Linear},
                                                           dtype=torch.qint8)
        return BertClassifier(model, self.tokenizer, self.settings)

    def logits(self, texts: list[str], prefetch: bool = True) -> dict[str, np.ndarray]:
        """Raw logits per task, in input order.

        Args:
            texts: The model's input texts.
            prefetch: Tokenize the next batch in a background thread while the model runs this one; ``False``
                tokenizes each batch just before its forward pass (same batches, same numbers).

        Returns:
            Task -> float32 ``(len(texts), n_labels)`` logits.
        """
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        chunks: dict[str, list[torch.Tensor]] = {t: [] for t in self.model.tasks}
        device = self.device
        autocast = torch.autocast(device.type, dtype=AUTOCAST_DTYPES.get(self.precision),
                                  enabled=self.precision is not Precision.fp32)
        with torch.inference_mode(), autocast:
            for enc in self._encoded(texts, order, prefetch):
                out = self.model(**enc.to(device, non_blocking=True))
                for task, lg in zip(self.model.tasks, out.logits, strict=True):
                    chunks[task].append(lg.float())  # kept on the device: one transfer at the end, no sync per batch
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        n_labels = {t: len(v) for t, v in self.model.tasks.items()}
        return {t: (torch.cat(c).cpu().numpy()[inverse] if c else np.zeros((0, n_labels[t]), dtype=np.float32))
                for t, c in chunks.items()}

    def _encoded(self, texts: list[str], order: np.ndarray, prefetch: bool) -> Iterator[BatchEncoding]:
        """The tokenized batches of ``texts`` taken in ``order``, each padded to its longest text; with
        ``prefetch``, batch ``k + 1`` is tokenized by a worker thread while the caller uses batch ``k``."""
        bs = self.settings.batch_size
        batches = [[texts[i] for i in order[start:start + bs]] for start in range(0, len(texts), bs)]
        pin = self.device.type == "cuda"
        if not prefetch:
            for batch in batches:
                yield self._encode(batch, pin)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenize") as pool:
            pending = pool.submit(self._encode, batches[0], pin) if batches else None
            for k in range(len(batches)):
                enc = pending.result()
                pending = pool.submit(self._encode, batches[k + 1], pin) if k + 1 < len(batches) else None
                yield enc

    def _encode(self, batch: list[str], pin: bool) -> BatchEncoding:
        """One batch tokenized and padded to its longest text; ``pin``: in page-locked memory, so that the copy
        to a GPU runs asynchronously."""
        enc = self.tokenizer(batch, truncation=True, max_length=self.settings.max_length, padding=True,
                             return_tensors="pt")
        return BatchEncoding({k: v.pin_memory() for k, v in enc.items()}) if pin else enc

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Calibrated probabilities per task, ``(len(texts), n_labels)``."""
        temps = self.temperatures
        return {t: softmax(lg, temps.get(t, 1.0)) for t, lg in self.logits(texts).items()}
