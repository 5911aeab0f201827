"""The appeal predictor: a registered classifier loaded once, desensitize -> predict -> route -> trace.

``predict_batch`` returns one row per input with :data:`PREDICTION_COLUMNS`; ``predict_one(x)`` is
``predictions_from_frame(predict_batch([x]))[0]``. Labels come from the model's own config only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from hotline_ml.classify.features import model_texts
from hotline_ml.classify.inference import SETTINGS_FILE, AppealClassifier
from hotline_ml.config import DesensitizeConfig, PredictorConfig, RoutingConfig
from hotline_ml.data.desensitize import Desensitizer
from hotline_ml.data.prepare import make_desensitizer
from hotline_ml.routing import Router, emergency_probability
from hotline_ml.types import Prediction, RoutingDecision

log = logging.getLogger(__name__)

#: Columns of ``predict_batch`` output, in order.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "order_id", "appeal_type", "appeal_type_score", "appeal_type_top3", "appeal_subtype", "appeal_subtype_score",
    "urgency", "urgency_score", "route", "transfer_to", "route_reasons", "model_name", "model_version", "run_id",
    "input_hash", "predicted_at",
)
#: Input fields the predictor reads; ``text`` is required.
INPUT_FIELDS: tuple[str, ...] = ("order_id", "text", "title")


@dataclass(frozen=True)
class ModelInfo:
    """Where the loaded model came from (copied onto every prediction)."""

    source: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None


def load_classifier(source: str, tracking_uri: str | None = None) -> tuple[AppealClassifier, ModelInfo]:
    """Load a classifier from the registry, a run, or a local directory.

    Args:
        source: ``models:/<name>@<alias>``, ``models:/<name>/<version>``, ``runs:/<run id>/model``, a
            downloaded MLflow model directory, or a checkpoint directory written by ``AppealClassifier.save``.
        tracking_uri: MLflow tracking URI for registry and run URIs.

    Raises:
        ValueError: The source cannot be resolved (the message names it and says what was expected).
    """
    from hotline_ml import tracking  # the MLflow module; a local checkpoint never needs it

    path = Path(source)
    if path.is_dir() and (path / SETTINGS_FILE).is_file():
        return AppealClassifier.load(path), ModelInfo(source)
    if not source.startswith(("models:/", "runs:/")) and not path.is_dir():
        raise ValueError(f"predictor.model: {source!r} is neither a models:/ or runs:/ URI nor a directory")
    with tempfile.TemporaryDirectory(prefix="hotline-model-") as tmp:
        resolved = tracking.resolve_model(source, tmp, tracking_uri)
        if "checkpoint" not in resolved.artifacts:
            raise ValueError(f"{source}: the model has no 'checkpoint' artifact (found {sorted(resolved.artifacts)}); "
                             "is it the appeal classifier?")
        classifier = AppealClassifier.load(resolved.artifacts["checkpoint"])  # weights are read into memory
    return classifier, ModelInfo(source, resolved.name, resolved.version, resolved.run_id)


def quantize_int8(classifier: AppealClassifier) -> AppealClassifier:
    """A copy of ``classifier`` whose ``nn.Linear`` layers run in int8 (dynamic quantization, CPU only)."""
    import copy

    with warnings.catch_warnings():  # torch marks the eager quantization API deprecated in favour of torchao
        warnings.simplefilter("ignore")
        model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(classifier.model), {torch.nn.Linear},
                                                       dtype=torch.qint8)
    return AppealClassifier(model, classifier.tokenizer, classifier.settings)


def records_frame(records: Sequence[str | Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Normalise texts, records or a frame to a frame of :data:`INPUT_FIELDS`.

    Raises:
        ValueError: A record without ``text``, or a text that is not a non-empty string (names the record).
    """
    if isinstance(records, pd.DataFrame):
        if "text" not in records:
            raise ValueError(f"input frame has no 'text' column (columns: {list(records.columns)})")
        frame = records.reset_index(drop=True)
    else:
        rows = [{"text": r} if isinstance(r, str) else dict(r) for r in records]
        frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*INPUT_FIELDS, *(k for r in rows for k in r)])))
    frame = frame.reindex(columns=list(dict.fromkeys([*INPUT_FIELDS, *frame.columns]))).astype(object)
    frame = frame.where(frame.notna(), None)
    for i, text in enumerate(frame["text"]):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"record {i}: 'text' must be a non-empty string, got {type(text).__name__} {text!r:.40}")
    return frame


class Predictor:
    """Routed, traceable predictions from one classifier, loaded once.

    Args:
        classifier: The loaded classifier (labels come from its config).
        router: The routing safety net.
        masker: PII masker applied to every input before anything else; ``None`` when inputs are already
            desensitized upstream.
        info: Where the model came from.
    """

    def __init__(self, classifier: AppealClassifier, router: Router, masker: Desensitizer | None,
                 info: ModelInfo) -> None:
        self.classifier = classifier
        self.router = router
        self.masker = masker
        self.info = info
        labels = classifier.labels
        self.type_task = "type_l1" if "type_l1" in labels else next(iter(labels))
        self.subtype_task = "type_l2" if "type_l2" in labels else None

    @classmethod
    def load(cls, cfg: PredictorConfig, routing: RoutingConfig, desensitize: DesensitizeConfig) -> Predictor:
        """Load the model named by ``cfg.model`` once and set torch up for inference."""
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        classifier, info = load_classifier(cfg.model, cfg.tracking_uri)
        classifier.settings = dataclasses.replace(classifier.settings, batch_size=cfg.batch_size)
        if cfg.int8:
            classifier = quantize_int8(classifier)
        log.info("loaded %s (name %s, version %s, run %s)%s", info.source, info.name, info.version, info.run_id,
                 " int8" if cfg.int8 else "")
        return cls(classifier, Router(routing), make_desensitizer(desensitize), info)

    @property
    def labels(self) -> dict[str, list[str]]:
        """Label spaces per task, from the model's own config."""
        return self.classifier.labels

    def predict_one(self, x: str | Mapping[str, Any]) -> Prediction:
        """Predict one appeal: a text, or a record with ``text`` (and optionally ``order_id``, ``title``)."""
        return predictions_from_frame(self.predict_batch([x]))[0]

    def predict_batch(self, records: Sequence[str | Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        """Predict many appeals: texts, records, or a frame with ``text``.

        Returns:
            One row per input, in input order, with :data:`PREDICTION_COLUMNS` (an empty frame with those
            columns for an empty input).
        """
        return self.predict_desensitized(self.desensitize(records_frame(records)))

    def desensitize(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Mask PII in ``text`` and ``title`` (a copy; unchanged when masking is off)."""
        if self.masker is None:
            return frame
        out = frame.copy()
        for col in ("text", "title"):
            if col in out:
                out[col] = self.masker.mask_many(out[col].tolist())[0]
        return out

    def predict_desensitized(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predict a frame whose texts are already masked (by :meth:`desensitize` or the data job)."""
        texts = model_texts(frame.reset_index(drop=True), self.classifier.settings.use_title)
        probs = self.classifier.predict_proba(texts)
        labels = self.labels
        t_names, t_top, t_score = _top(probs[self.type_task], labels[self.type_task])
        decisions = self.router.decide_many(
            texts, t_score, emergency_probability(probs, labels, self.router.cfg.emergency_label))
        cols: dict[str, Any] = {
            "order_id": [None if v is None else str(v) for v in frame.get("order_id", [None] * len(texts))],
            "appeal_type": t_names[t_top[:, 0]] if len(texts) else [],
            "appeal_type_score": t_score,
            "appeal_type_top3": [_top3_json(p, idx, t_names) for p, idx in zip(probs[self.type_task], t_top,
                                                                                strict=True)],
        }
        cols.update(self._subtype(probs))
        cols.update(self._urgency(probs, decisions))
        cols.update(_routing_columns(decisions))
        cols.update({"model_name": self.info.name, "model_version": self.info.version, "run_id": self.info.run_id,
                     "input_hash": [input_hash(t) for t in texts],
                     "predicted_at": pd.Timestamp(datetime.now(timezone.utc))})
        return _typed(pd.DataFrame(cols, index=range(len(texts))))

    def _subtype(self, probs: dict[str, np.ndarray]) -> dict[str, Any]:
        n = len(next(iter(probs.values())))
        if self.subtype_task is None:
            return {"appeal_subtype": [None] * n, "appeal_subtype_score": [np.nan] * n}
        names, top, score = _top(probs[self.subtype_task], self.labels[self.subtype_task])
        return {"appeal_subtype": names[top[:, 0]] if n else [], "appeal_subtype_score": score}

    def _urgency(self, probs: dict[str, np.ndarray], decisions: list[RoutingDecision]) -> dict[str, Any]:
        p = probs.get("urgency")
        names = self.labels.get("urgency", [])
        urgency, score = [], []
        for i, d in enumerate(decisions):
            label = d.forced_urgency or (names[int(np.argmax(p[i]))] if p is not None else None)
            urgency.append(label)
            score.append(float(p[i, names.index(label)]) if p is not None and label in names else np.nan)
        return {"urgency": urgency, "urgency_score": score}


def _top(p: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = np.array(labels, dtype=object)
    top = np.argsort(-p, axis=1, kind="stable")[:, :3]
    score = p[np.arange(len(p)), top[:, 0]] if len(p) else np.zeros(0)
    return names, top, score.astype(float)


def _top3_json(p: np.ndarray, idx: np.ndarray, names: np.ndarray) -> str:
    return json.dumps([[str(names[j]), round(float(p[j]), 4)] for j in idx], ensure_ascii=False)


def _routing_columns(decisions: list[RoutingDecision]) -> dict[str, list[str]]:
    return {"route": [d.route for d in decisions],
            "transfer_to": ["/".join(d.transfer_to) for d in decisions],
            "route_reasons": [json.dumps(list(d.reasons), ensure_ascii=False) for d in decisions]}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    floats = ["appeal_type_score", "appeal_subtype_score", "urgency_score"]
    frame[floats] = frame[floats].astype(float)
    text = [c for c in PREDICTION_COLUMNS if c not in (*floats, "predicted_at")]
    frame[text] = frame[text].astype(object)
    frame["predicted_at"] = pd.to_datetime(frame["predicted_at"], utc=True)
    return frame[list(PREDICTION_COLUMNS)]


def input_hash(text: str) -> str:
    """First 16 hex digits of the SHA-256 of the (desensitized) text the model read."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def predictions_from_frame(frame: pd.DataFrame) -> list[Prediction]:
    """Turn ``predict_batch`` rows back into :class:`Prediction` objects."""
    return [_prediction(row) for row in frame.to_dict("records")]


def _prediction(row: dict[str, Any]) -> Prediction:
    def opt(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    routing = RoutingDecision(row["route"], tuple(t for t in row["transfer_to"].split("/") if t),
                              tuple(json.loads(row["route_reasons"])),
                              row["urgency"] if row["route"] == "transfer" else None)
    return Prediction(
        order_id=opt(row["order_id"]), appeal_type=row["appeal_type"], appeal_type_score=row["appeal_type_score"],
        appeal_type_top3=tuple((str(lab), float(p)) for lab, p in json.loads(row["appeal_type_top3"])),
        appeal_subtype=opt(row["appeal_subtype"]), appeal_subtype_score=opt(row["appeal_subtype_score"]),
        urgency=opt(row["urgency"]), urgency_score=opt(row["urgency_score"]), routing=routing,
        model_name=opt(row["model_name"]), model_version=opt(row["model_version"]), run_id=opt(row["run_id"]),
        input_hash=row["input_hash"], predicted_at=row["predicted_at"].to_pydatetime(),
    )


def prediction_dict(p: Prediction) -> dict[str, Any]:
    """JSON-ready dict of a prediction (routing nested, time in ISO 8601)."""
    out = dataclasses.asdict(p)
    out["predicted_at"] = p.predicted_at.isoformat()
    out["appeal_type_top3"] = [list(t) for t in p.appeal_type_top3]
    out["routing"]["transfer_to"] = list(p.routing.transfer_to)
    out["routing"]["reasons"] = list(p.routing.reasons)
    return out
