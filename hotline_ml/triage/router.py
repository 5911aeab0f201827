"""The router: combines the triage layers into one decision per appeal.

Order of precedence (all settings in ``conf/routing/default.yaml``):

1. ``transfer`` to 110/119/120, urgency forced to ``紧急``, when a lexicon rule or a strong danger concept
   fires unframed (the model cannot veto it), or when the learned detector scores at least
   ``detector.transfer_threshold`` on a text that is no long letter, has no framed hit and no past,
   consultation or reported cue anywhere unless a live cue is there too (:meth:`Framing.text_frame`). The lines
   come from the hits, else from the detector's line classifier.
2. ``human_review`` when anything below holds (all that hold are listed in ``reasons``): a framed or weak hit,
   a detector score at least ``detector.review_threshold``, the model's ``紧急`` probability at least
   ``emergency_review_threshold``, appeal-type confidence below ``confidence_threshold``, a review signal, an
   operator's ``human`` flag, a caller asking for a person, or an appeal type that is not an automatable grade
   (an unknown type counts as not automatable).
3. ``automated`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hotline_ml.config import RoutingConfig
from hotline_ml.triage.concepts import Concepts
from hotline_ml.triage.cues import compile_rule
from hotline_ml.triage.detector import EmergencyDetector, load_detector
from hotline_ml.triage.evaluate import emergency_probability
from hotline_ml.triage.framing import Frame, Framing
from hotline_ml.triage.lexicon import Hit, Lexicon
from hotline_ml.triage.policy import AutomationPolicy
from hotline_ml.types import RoutingDecision


class Router:
    """Applies the triage layers and the automation policy of a :class:`RoutingConfig` to predictions.

    Raises:
        ValueError: A threshold outside [0, 1], a rule without keywords or patterns, an invalid regex, or a
            transfer target other than 110/119/120 (the message names the rule).
    """

    def __init__(self, cfg: RoutingConfig) -> None:
        for name in ("confidence_threshold", "emergency_review_threshold"):
            if not 0.0 <= getattr(cfg, name) <= 1.0:
                raise ValueError(f"routing.{name} must be within [0, 1], got {getattr(cfg, name)}")
        self.cfg = cfg
        self.lexicon = Lexicon(cfg.emergency)
        self.framing = Framing(cfg.framing)
        self.concepts = Concepts(cfg.concepts)
        self.policy = AutomationPolicy(cfg.policy)
        self.review = [(name, compile_rule(f"routing.review.{name}", r)) for name, r in cfg.review.items()]
        self.detector: EmergencyDetector | None = load_detector(cfg.detector) if cfg.detector.enabled else None

    def framed_hits(self, text: str) -> list[tuple[Hit, Frame | None]]:
        """Every lexicon and concept hit with its framing (``None`` = live), all read on the text with the
        rules' other meanings and figures of speech blanked (:meth:`Lexicon.blank`)."""
        plain = self.lexicon.blank(text)
        return [(h, self.framing.frame(plain, h.start, h.end))
                for h in self.lexicon.hits(plain) + self.concepts.hits(plain)]

    def emergencies(self, text: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """Hits that transfer by rule: ``(layer:name, matched phrase, lines)``, lexicon first."""
        return [(f"{h.layer}:{h.name}", h.phrase, h.lines) for h, f in self.framed_hits(text) if h.strong and f is None]

    def decide(self, text: str, type_score: float, emergency_prob: float | None, *, appeal_type: str | None = None,
               human: bool = False, detector_score: float | None = None) -> RoutingDecision:
        """Route one appeal.

        Args:
            text: The desensitized text the model read.
            type_score: Calibrated probability of the predicted appeal type, in [0, 1].
            emergency_prob: The model's calibrated probability of ``紧急``; ``None`` without an urgency head.
            appeal_type: Predicted appeal type (``一级`` or ``一级/二级``); ``None`` = unknown, not automatable.
            human: The operator asked for a person.
            detector_score: The detector's score when already computed (``decide_many`` batches it).
        """
        if detector_score is None and self.detector is not None:
            detector_score = float(self.detector.score([text])[0])
        found = self.framed_hits(text)
        live = [h for h, f in found if h.strong and f is None]
        if live:
            return self._transfer(live, [self._detector_reason(detector_score, review=True)], ())
        framed = [f for _, f in found if f is not None]
        whole = None
        if detector_score is not None and detector_score >= self.cfg.detector.transfer_threshold and not framed:
            whole = self.framing.text_frame(self.lexicon.blank(text))
            if whole is None and not self.framing.is_long_letter(text):
                return self._transfer([h for h, _ in found], [self._detector_reason(detector_score, review=False)],
                                      tuple(self.detector.service([text])))
        reasons = [r for h, f in found for r in (h.reason(), f.reason() if f else None) if r]
        reasons.append(whole.reason() if whole else None)
        reasons.append(self._detector_reason(detector_score, review=True))
        reasons += self._model_reasons(type_score, emergency_prob)
        reasons += [f"{name}({m.group(0)})" for name, rx in self.review if (m := rx.search(text))]
        reasons += self.policy.reasons(text, appeal_type, human)
        reasons = [r for r in reasons if r]
        return RoutingDecision("human_review" if reasons else "automated", (), tuple(reasons))

    def _transfer(self, hits: list[Hit], extra: list[str | None], fallback: tuple[str, ...]) -> RoutingDecision:
        lines = tuple(dict.fromkeys(line for h in hits for line in h.lines)) or fallback
        reasons = tuple(dict.fromkeys([h.reason() for h in hits] + [r for r in extra if r]))
        return RoutingDecision("transfer", lines, reasons, self.cfg.emergency_label)

    def _detector_reason(self, score: float | None, review: bool) -> str | None:
        if score is None:
            return None
        t = self.cfg.detector.review_threshold if review else self.cfg.detector.transfer_threshold
        return f"detector({score:.2f}>={t:.2f})" if score >= t else None

    def _model_reasons(self, type_score: float, emergency_prob: float | None) -> list[str]:
        out = []
        if emergency_prob is not None and emergency_prob >= self.cfg.emergency_review_threshold:
            out.append(f"model_emergency({emergency_prob:.2f}>={self.cfg.emergency_review_threshold:.2f})")
        if type_score < self.cfg.confidence_threshold:
            out.append(f"low_confidence({type_score:.2f}<{self.cfg.confidence_threshold:.2f})")
        return out

    def decide_many(self, texts: Sequence[str], type_scores: Sequence[float],
                    emergency_probs: Sequence[float] | None, *, appeal_types: Sequence[str | None] | None = None,
                    human: Sequence[bool] | None = None) -> list[RoutingDecision]:
        """Route a batch.

        Args:
            texts: Desensitized texts, n of them.
            type_scores: Calibrated appeal-type probabilities, (n,).
            emergency_probs: The model's ``紧急`` probabilities, (n,); ``None`` without an urgency head.
            appeal_types: Predicted appeal types (``一级`` or ``一级/二级``), (n,); ``None`` = unknown, so no
                order is automated (the policy cannot check the grade: the safe side).
            human: Operator flags (one-click transfer to a person), (n,); ``None`` = all false.
        """
        n = len(texts)
        probs = emergency_probs if emergency_probs is not None else [None] * n
        types = appeal_types if appeal_types is not None else [None] * n
        flags = human if human is not None else [False] * n
        scores = self.detector.score(list(texts)) if self.detector is not None else [None] * n
        return [self.decide(t, float(s), None if p is None else float(p), appeal_type=a, human=bool(h),
                            detector_score=None if d is None else float(d))
                for t, s, p, a, h, d in zip(texts, type_scores, probs, types, flags, scores, strict=True)]


def triage_only_decisions(router: Router, texts: Sequence[str]) -> list[RoutingDecision]:
    """Worst-case decisions where only the triage layers protect: the model is sure (type score 1.0, ``紧急``
    probability 0.0) and predicts an automatable grade (the first key of ``policy.automatable``).

    An emergency automated here would be automated in production whenever the model is confidently wrong.
    """
    grade = next(iter(router.policy.automatable), None)
    n = len(texts)
    return router.decide_many(list(texts), np.ones(n), np.zeros(n), appeal_types=[grade] * n)


@dataclass
class RoutedProbabilities:
    """A classifier's probabilities of a batch, read and routed (:func:`route_probabilities`).

    Attributes:
        type_task: The appeal-type task read (``type_l1``, else the first task).
        type_names: The appeal-type labels, as an object array.
        type_top: Indices of each row's three most probable types, (n, 3).
        type_score: Probability of each row's top type, (n,).
        appeal_types: Each row's top type.
        subtypes: Each row's top ``一级/二级`` subtype (``None`` without a subtype task).
        subtype_scores: Its probability (NaN without a subtype task).
        decisions: The router's decision per row.
    """

    type_task: str
    type_names: np.ndarray
    type_top: np.ndarray
    type_score: np.ndarray
    appeal_types: list[str]
    subtypes: list[str | None]
    subtype_scores: list[float]
    decisions: list[RoutingDecision]


def route_probabilities(router: Router, texts: Sequence[str], probs: Mapping[str, np.ndarray],
                        labels: Mapping[str, list[str]], human: Sequence[bool] | None = None) -> RoutedProbabilities:
    """Read a classifier's probabilities (task -> rows x labels) and route every row: the one path from
    probabilities to a route, shared by the served predictor and the drift profile of the training job.

    The type task is ``type_l1`` (else the first task), the subtype task ``type_l2`` when there is one; the
    policy checks the subtype when it lies under the predicted first level (:func:`policy_grades`).
    """
    type_task = "type_l1" if "type_l1" in labels else next(iter(labels))
    names, top, score = top_labels(probs[type_task], labels[type_task])
    appeal_types = [str(v) for v in names[top[:, 0]]] if len(texts) else []
    n = len(appeal_types)
    if "type_l2" in labels:
        sub_names, sub_top, sub_score = top_labels(probs["type_l2"], labels["type_l2"])
        subtypes, subtype_scores = [str(v) for v in sub_names[sub_top[:, 0]]] if n else [], list(sub_score)
    else:
        subtypes, subtype_scores = [None] * n, [np.nan] * n
    emergency = emergency_probability(probs, labels, router.cfg.emergency_label)
    decisions = router.decide_many(texts, score, emergency, appeal_types=policy_grades(appeal_types, subtypes),
                                   human=human)
    return RoutedProbabilities(type_task, names, top, score, appeal_types, subtypes, subtype_scores, decisions)


def top_labels(p: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label names, each row's top-3 label indices, and each row's top probability."""
    names = np.array(labels, dtype=object)
    top = np.argsort(-p, axis=1, kind="stable")[:, :3]
    score = p[np.arange(len(p)), top[:, 0]] if len(p) else np.zeros(0)
    return names, top, score.astype(float)


def policy_grades(types: list[str], subtypes: list[str | None]) -> list[str]:
    """The grade the automation policy checks: the ``一级/二级`` subtype when it lies under the predicted first
    level (the policy lists second-level grades), else the first level alone (never automatable by itself)."""
    return [s if s is not None and str(s).split("/")[0] == t else t for t, s in zip(types, subtypes, strict=True)]
