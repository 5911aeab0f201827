"""The appeal predictor: one classifier loaded once, desensitize -> predict -> route -> trace.

    predictor = Predictor.load("models:/hotline-appeal-classifier@champion")   # routing and masking travel with it
    predictor.predict_batch(["小区燃气管道漏气，闻到很浓的煤气味"])              # DataFrame of PREDICTION_COLUMNS

``predict_batch`` returns one row per input with :data:`PREDICTION_COLUMNS`, lists and structs as Python lists
and dicts (``list<struct<label, score>>`` and ``list<string>`` in Parquet); ``predict_one(x)`` is
``predictions_from_frame(predict_batch([x]))[0]``. The registered MLflow model's ``predict`` is
``predict_batch`` (:mod:`hotline_ml.predict.pyfunc`). Labels come from the model's own config only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import torch

from hotline_ml.classify.families import TextClassifier
from hotline_ml.classify.features import model_texts
from hotline_ml.config import DesensitizeConfig, Precision, PredictorConfig, RoutingConfig
from hotline_ml.data.desensitize import Desensitizer, make_desensitizer
from hotline_ml.drift import PROFILE_ARTIFACT, DriftProfile
from hotline_ml.predict.loading import ModelInfo, fetched, load_checkpoint, model_masking, model_routing
from hotline_ml.triage import Router, route_probabilities, routing_tallies
from hotline_ml.types import Prediction, RoutingDecision

log = logging.getLogger(__name__)

#: Columns of ``predict_batch`` output, in order.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "order_id", "appeal_type", "appeal_type_score", "appeal_type_top3", "appeal_subtype", "appeal_subtype_score",
    "urgency", "urgency_score", "route", "transfer_to", "route_reasons", "model_name", "model_version", "run_id",
    "input_hash", "predicted_at",
)
#: Columns holding lists: ``appeal_type_top3`` of ``{"label": str, "score": float}``, the others of str.
LIST_COLUMNS: tuple[str, ...] = ("appeal_type_top3", "transfer_to", "route_reasons")
#: Columns holding floats (NaN where the model has no such head).
FLOAT_COLUMNS: tuple[str, ...] = ("appeal_type_score", "appeal_subtype_score", "urgency_score")
#: Input fields the predictor reads; ``text`` is required. ``human`` (bool) is an operator's one-click
#: hand-off to a person.
INPUT_FIELDS: tuple[str, ...] = ("order_id", "text", "title", "human")


def quantize_int8(classifier: TextClassifier) -> TextClassifier:
    """A copy of ``classifier`` running in int8 (its family's ``quantized_int8``)."""
    return classifier.quantized_int8()


def records_frame(records: Sequence[str | Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Normalise texts, records or a frame to a frame of :data:`INPUT_FIELDS`.

    Raises:
        ValueError: A record without ``text``, a text that is not a non-empty string, or a ``human`` flag that
            is not a bool (names the record).
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
    for i, flag in enumerate(frame["human"]):
        if flag is not None and not isinstance(flag, bool | np.bool_):
            raise ValueError(f"record {i}: 'human' must be true, false or absent, got {type(flag).__name__} "
                             f"{flag!r:.20}")
    return frame


class Predictor:
    """Routed, traceable predictions from one classifier, loaded once.

    Args:
        classifier: The loaded classifier, any family (labels come from its config).
        router: The routing safety net.
        masker: PII masker applied to every input before anything else; ``None`` when inputs are already
            desensitized upstream.
        info: Where the model came from.
        profile: What the model was trained on, for drift checks (``None`` for models registered before).
    """

    def __init__(self, classifier: TextClassifier, router: Router, masker: Desensitizer | None,
                 info: ModelInfo, profile: DriftProfile | None = None) -> None:
        self.classifier = classifier
        self.router = router
        self.masker = masker
        self.info = info
        self.profile = profile
        labels = classifier.labels
        self.type_task = "type_l1" if "type_l1" in labels else next(iter(labels))
        self.subtype_task = "type_l2" if "type_l2" in labels else None

    @classmethod
    def load(cls, source: str, *, routing: RoutingConfig | None = None, desensitize: DesensitizeConfig | None = None,
             tracking_uri: str | None = None, int8: bool = False, batch_size: int | None = None,
             num_threads: int | None = None, device: str = "cpu",
             precision: Precision | str = Precision.fp32) -> Predictor:
        """Load a registered (or logged, or saved) classifier with the routing and masking it was trained with.

        Args:
            source: ``models:/<name>@<alias>``, ``models:/<name>/<version>``, ``runs:/<run id>/model``, a
                downloaded MLflow model directory, or a model directory of any family.
            routing: Routing rules instead of the model's own (required for a bare model directory).
            desensitize: Masking instead of the model's own. The salt of caller hashes is this config's, else
                ``HOTLINE_PII_SALT`` (the development salt, with a warning, when unset).
            tracking_uri: MLflow tracking URI; ``None`` keeps MLflow's (``MLFLOW_TRACKING_URI``, else
                ``sqlite:///mlflow.db`` in the working directory).
            int8: Run the model in int8 (dynamic quantization, CPU).
            batch_size: Texts per forward pass; ``None`` keeps the model's.
            num_threads: torch intra-op threads; ``None`` keeps torch's default (one per core).
            device: Where a BERT runs: ``cpu`` (the default here, the same numbers as the registered pyfunc's),
                ``auto`` (what ``conf/predictor/`` chooses), ``cuda``, ``cuda:<n>`` or ``mps``.
            precision: ``fp32``, or ``fp16`` / ``bf16`` autocast of a BERT's forward pass.

        Raises:
            ValueError: The source cannot be resolved, holds no classifier, or carries no routing and none
                was given; or the device, precision and int8 do not go together here (the message says which).
        """
        with fetched(source, tracking_uri) as (artifacts, info):
            predictor = cls.from_artifacts(artifacts, info, routing=routing, desensitize=desensitize)
        predictor = predictor.for_serving(int8=int8, batch_size=batch_size, num_threads=num_threads, device=device,
                                          precision=precision)
        log.info("loaded %s (name %s, version %s, run %s) on %s in %s", info.source, info.name, info.version,
                 info.run_id, device, "int8" if int8 else precision)
        return predictor

    @classmethod
    def from_config(cls, cfg: PredictorConfig, routing: RoutingConfig | None = None,
                    desensitize: DesensitizeConfig | None = None) -> Predictor:
        """:meth:`load` with the settings of ``conf/predictor/``; ``routing`` / ``desensitize`` override the
        model's own only when given (``None``: the model's)."""
        return cls.load(cfg.model, routing=routing, desensitize=desensitize, tracking_uri=cfg.tracking_uri,
                        int8=cfg.int8, batch_size=cfg.batch_size, num_threads=cfg.num_threads, device=cfg.device,
                        precision=cfg.precision)

    def for_serving(self, *, int8: bool = False, batch_size: int | None = None, num_threads: int | None = None,
                    device: str = "cpu", precision: Precision | str = Precision.fp32) -> Predictor:
        """This predictor with its classifier tuned for serving: re-batched, quantized, then placed.

        Args:
            int8: Dynamic int8 quantization (CPU; with ``device=auto`` an int8 model stays on the CPU).
            batch_size: Texts per forward pass; ``None`` keeps the model's.
            num_threads: torch intra-op threads (process-wide); ``None`` keeps torch's.
            device: ``cpu``, ``auto``, ``cuda``, ``cuda:<n>`` or ``mps`` (see ``BertClassifier.on_device``).
            precision: ``fp32``, ``fp16`` or ``bf16``.

        Returns:
            A predictor with the same routing, masking, source and profile.

        Raises:
            ValueError: The device is not available here, or device, precision and int8 do not go together.
        """
        if num_threads:
            torch.set_num_threads(num_threads)
        classifier = self.classifier
        if batch_size:
            classifier = classifier.with_batch_size(batch_size)
        if int8:  # quantization runs on the CPU, so before the model is placed
            classifier = classifier.quantized_int8()
        classifier = classifier.on_device(device, precision)
        return Predictor(classifier, self.router, self.masker, self.info, self.profile)

    @classmethod
    def from_artifacts(cls, artifacts: Mapping[str, Any], info: ModelInfo, routing: RoutingConfig | None = None,
                       desensitize: DesensitizeConfig | None = None) -> Predictor:
        """Build from a logged model's local artifacts (``checkpoint``, ``routing``, ``desensitize``, and
        ``drift_profile`` when logged); the arguments, when given, replace the logged configs."""
        routing_cfg = model_routing(artifacts, info.source, routing)
        masker = make_desensitizer(model_masking(artifacts, desensitize))
        profile = DriftProfile.load(artifacts[PROFILE_ARTIFACT]) if PROFILE_ARTIFACT in artifacts else None
        return cls(load_checkpoint(artifacts, info.source), Router(routing_cfg), masker, info, profile)

    @property
    def labels(self) -> dict[str, list[str]]:
        """Label spaces per task, from the model's own config."""
        return self.classifier.labels

    def predict_one(self, x: str | Mapping[str, Any]) -> Prediction:
        """Predict one appeal: a text, or a record with ``text`` (and optionally ``order_id``, ``title``,
        ``human``)."""
        return predictions_from_frame(self.predict_batch([x]))[0]

    def predict_batch(self, records: Sequence[str | Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        """Predict many appeals: texts, records, or a frame with ``text``.

        Returns:
            One row per input, in input order, with :data:`PREDICTION_COLUMNS` (an empty frame with those
            columns for an empty input).
        """
        return self.predict_desensitized(self.desensitize(records_frame(records)))

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The registered MLflow model's ``predict``: exactly :meth:`predict_batch`."""
        return self.predict_batch(frame)

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
        frame = frame.reset_index(drop=True)
        texts = model_texts(frame, self.classifier.settings.use_title)
        return self.predictions(frame, self.classifier.predict_proba(texts))

    def predictions(self, frame: pd.DataFrame, probs: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """Routed predictions of a masked frame from its classifier's probabilities (task -> rows x labels, in
        the frame's order): what :meth:`predict_desensitized` returns, for probabilities computed already."""
        frame = frame.reset_index(drop=True)
        texts = model_texts(frame, self.classifier.settings.use_title)
        routed = route_probabilities(self.router, texts, probs, self.labels, human=_flags(frame, len(texts)))
        decisions = routed.decisions
        cols: dict[str, Any] = {
            "order_id": [None if v is None else str(v) for v in frame.get("order_id", [None] * len(texts))],
            "appeal_type": routed.appeal_types,
            "appeal_type_score": routed.type_score,
            "appeal_type_top3": [[{"label": str(routed.type_names[j]), "score": float(p[j])} for j in idx]
                                 for p, idx in zip(probs[routed.type_task], routed.type_top, strict=True)],
            "appeal_subtype": routed.subtypes,
            "appeal_subtype_score": routed.subtype_scores,
        }
        cols.update(self._urgency(probs, decisions))
        cols.update({"route": [d.route for d in decisions], "transfer_to": [list(d.transfer_to) for d in decisions],
                     "route_reasons": [list(d.reasons) for d in decisions]})
        cols.update({"model_name": self.info.name, "model_version": self.info.version, "run_id": self.info.run_id,
                     "input_hash": [input_hash(t) for t in texts],
                     "predicted_at": pd.Timestamp(datetime.now(timezone.utc))})
        return _typed(pd.DataFrame(cols, index=range(len(texts))))

    def routing_tallies(self, predictions: pd.DataFrame, truth: pd.DataFrame) -> dict[str, int]:
        """Additive routing-evaluation counts of ``predictions`` against the labelled ``truth`` rows (see
        ``triage.routing_tallies``), by this predictor's emergency label and automation policy."""
        return routing_tallies(predictions, truth, self.router.cfg.emergency_label, self.router.policy.is_automatable)

    def _urgency(self, probs: dict[str, np.ndarray], decisions: list[RoutingDecision]) -> dict[str, Any]:
        p = probs.get("urgency")
        names = self.labels.get("urgency", [])
        urgency, score = [], []
        for i, d in enumerate(decisions):
            label = d.forced_urgency or (names[int(np.argmax(p[i]))] if p is not None else None)
            urgency.append(label)
            score.append(float(p[i, names.index(label)]) if p is not None and label in names else np.nan)
        return {"urgency": urgency, "urgency_score": score}


def _flags(frame: pd.DataFrame, n: int) -> list[bool]:
    """The ``human`` flags of a frame (absent or missing: ``False``)."""
    return [bool(v) if v is not None else False for v in frame.get("human", [None] * n)]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    floats = list(FLOAT_COLUMNS)
    frame[floats] = frame[floats].astype(float)
    other = [c for c in PREDICTION_COLUMNS if c not in (*floats, "predicted_at")]
    frame[other] = frame[other].astype(object)
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

    # list cells are lists from predict_batch and numpy arrays from Parquet: tuple() reads both
    routing = RoutingDecision(row["route"], tuple(str(t) for t in row["transfer_to"]),
                              tuple(str(r) for r in row["route_reasons"]),
                              row["urgency"] if row["route"] == "transfer" else None)
    return Prediction(
        order_id=opt(row["order_id"]), appeal_type=row["appeal_type"], appeal_type_score=row["appeal_type_score"],
        appeal_type_top3=tuple((str(t["label"]), float(t["score"])) for t in row["appeal_type_top3"]),
        appeal_subtype=opt(row["appeal_subtype"]), appeal_subtype_score=opt(row["appeal_subtype_score"]),
        urgency=opt(row["urgency"]), urgency_score=opt(row["urgency_score"]), routing=routing,
        model_name=opt(row["model_name"]), model_version=opt(row["model_version"]), run_id=opt(row["run_id"]),
        input_hash=row["input_hash"], predicted_at=row["predicted_at"].to_pydatetime(),
    )


def prediction_dict(p: Prediction) -> dict[str, Any]:
    """JSON-ready dict of a prediction: routing nested, lists as lists, top 3 as ``{label, score}`` objects (as
    in the frame), time in ISO 8601."""
    out = dataclasses.asdict(p)
    out["predicted_at"] = p.predicted_at.isoformat()
    out["appeal_type_top3"] = [{"label": label, "score": score} for label, score in p.appeal_type_top3]
    out["routing"]["transfer_to"] = list(p.routing.transfer_to)
    out["routing"]["reasons"] = list(p.routing.reasons)
    return out
