"""The routing safety net: emergencies go to 110/119/120 whatever the model says, uncertain or emotionally
charged appeals go to a person, the rest are automated.

Rules, in order of precedence (``conf/routing/default.yaml`` holds the lexicon and the thresholds):

1. An emergency rule fires (fire, gas leak, someone trapped, violence, self-harm, ...): route ``transfer`` to
   the rule's lines, urgency forced to ``紧急``. The model cannot veto a transfer. A rule's ``unless``
   patterns blank out phrasings that are no emergency now (``火灾隐患``, ``万一着火``, ``上周...中毒``).
2. Otherwise the appeal goes to ``human_review`` when any of these holds (all that hold are listed):
   the model's calibrated probability of ``紧急`` reaches ``emergency_review_threshold``; the calibrated
   appeal-type probability is below ``confidence_threshold``; a review signal fires (negative emotion,
   escalation, threats to go higher).
3. Otherwise ``automated``.

Rules run on desensitized text (placeholders such as ``[电话]`` never match a rule). The lexicon favours
transferring too much over too little: there is no general negation handling (``没有着火`` still transfers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotline_ml.config import RoutingConfig
from hotline_ml.types import ROUTES, RoutingDecision

#: Emergency lines a rule may transfer to.
EMERGENCY_LINES = ("110", "119", "120")


@dataclass(frozen=True)
class _Rule:
    name: str
    regex: re.Pattern[str]
    transfer_to: tuple[str, ...] = ()
    unless: re.Pattern[str] | None = None

    def find(self, text: str) -> str | None:
        if self.unless is not None:  # blank out what is not an emergency now, keeping positions
            text = self.unless.sub(lambda m: "\u25a1" * len(m.group(0)), text)
        m = self.regex.search(text)
        return m.group(0) if m else None


def _compile(section: str, name: str, keywords: Sequence[str], patterns: Sequence[str]) -> re.Pattern[str]:
    parts = [re.escape(k) for k in keywords if k] + list(patterns)
    if not parts:
        raise ValueError(f"routing.{section}.{name}: give at least one keyword or pattern")
    try:
        return re.compile("|".join(parts))
    except re.error as e:
        raise ValueError(f"routing.{section}.{name}: invalid pattern ({e}); patterns: {list(patterns)}") from None


class Router:
    """Applies the routing rules of a :class:`RoutingConfig` to predictions.

    Raises:
        ValueError: A threshold outside [0, 1], a rule without keywords or patterns, an invalid regex, or a
            transfer target other than 110/119/120 (the message names the rule).
    """

    def __init__(self, cfg: RoutingConfig) -> None:
        for name in ("confidence_threshold", "emergency_review_threshold"):
            if not 0.0 <= getattr(cfg, name) <= 1.0:
                raise ValueError(f"routing.{name} must be within [0, 1], got {getattr(cfg, name)}")
        self.cfg = cfg
        self.emergency = [self._emergency_rule(name, r) for name, r in cfg.emergency.items()]
        self.review = [_Rule(name, _compile("review", name, r.keywords, r.patterns)) for name, r in cfg.review.items()]

    @staticmethod
    def _emergency_rule(name: str, rule) -> _Rule:
        bad = [t for t in rule.transfer_to if t not in EMERGENCY_LINES]
        if bad or not rule.transfer_to:
            raise ValueError(f"routing.emergency.{name}.transfer_to: {list(rule.transfer_to)}; use {EMERGENCY_LINES}")
        unless = _compile("emergency", f"{name}.unless", [], rule.unless) if rule.unless else None
        return _Rule(name, _compile("emergency", name, rule.keywords, rule.patterns), tuple(rule.transfer_to), unless)

    def emergencies(self, text: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """Emergency rules that fire on ``text``: ``(rule, matched phrase, lines)`` in config order."""
        return [(r.name, hit, r.transfer_to) for r in self.emergency if (hit := r.find(text))]

    def decide(self, text: str, type_score: float, emergency_prob: float | None) -> RoutingDecision:
        """Route one appeal.

        Args:
            text: The desensitized text the model read.
            type_score: Calibrated probability of the predicted appeal type, in [0, 1].
            emergency_prob: The model's calibrated probability of ``紧急``; ``None`` without an urgency head.
        """
        hits = self.emergencies(text)
        if hits:
            lines = tuple(dict.fromkeys(line for _, _, ls in hits for line in ls))
            return RoutingDecision("transfer", lines, tuple(f"emergency:{n}({h})" for n, h, _ in hits),
                                   self.cfg.emergency_label)
        reasons = []
        if emergency_prob is not None and emergency_prob >= self.cfg.emergency_review_threshold:
            reasons.append(f"model_emergency({emergency_prob:.2f}>={self.cfg.emergency_review_threshold:.2f})")
        if type_score < self.cfg.confidence_threshold:
            reasons.append(f"low_confidence({type_score:.2f}<{self.cfg.confidence_threshold:.2f})")
        reasons += [f"{r.name}({hit})" for r in self.review if (hit := r.find(text))]
        return RoutingDecision("human_review" if reasons else "automated", (), tuple(reasons))

    def decide_many(self, texts: Sequence[str], type_scores: Sequence[float],
                    emergency_probs: Sequence[float] | None) -> list[RoutingDecision]:
        """Route a batch; ``emergency_probs`` is ``None`` when the model has no urgency head."""
        probs = emergency_probs if emergency_probs is not None else [None] * len(texts)
        return [self.decide(t, float(s), None if p is None else float(p))
                for t, s, p in zip(texts, type_scores, probs, strict=True)]


@dataclass(frozen=True)
class RoutingEvaluation:
    """How routing performs on labelled orders.

    Attributes:
        n: Labelled orders evaluated.
        share: Route -> share of orders.
        accuracy_automated: First-level appeal-type accuracy of the automated orders (NaN when none).
        accuracy_all: The same over all orders (what full automation would give).
        emergencies: Orders labelled ``紧急``.
        emergencies_by_route: Route -> number of ``紧急`` orders taking it (``automated`` must be 0).
        transfers_not_emergency: Transfers of orders not labelled ``紧急`` (false alarms, the price of the net).
    """

    n: int
    share: dict[str, float]
    accuracy_automated: float
    accuracy_all: float
    emergencies: int
    emergencies_by_route: dict[str, int]
    transfers_not_emergency: int

    @property
    def emergencies_automated(self) -> int:
        """``紧急`` orders that were automated: the safety net requires 0."""
        return self.emergencies_by_route.get("automated", 0)

    @classmethod
    def from_tallies(cls, t: Mapping[str, int]) -> RoutingEvaluation:
        """Build from (summed) :func:`routing_tallies`."""
        n = t.get("n", 0)
        auto = t.get("route_automated", 0)
        return cls(
            n=n, share={r: t.get(f"route_{r}", 0) / n for r in ROUTES} if n else {},
            accuracy_automated=t.get("correct_automated", 0) / auto if auto else float("nan"),
            accuracy_all=t.get("correct", 0) / n if n else float("nan"),
            emergencies=t.get("emergencies", 0),
            emergencies_by_route={r: t.get(f"emergencies_{r}", 0) for r in ROUTES},
            transfers_not_emergency=t.get("transfers_not_emergency", 0),
        )

    def summary(self) -> str:
        """A few lines for the terminal."""
        share = ", ".join(f"{r} {self.share.get(r, 0.0):.1%}" for r in ROUTES)
        by_route = ", ".join(f"{r} {self.emergencies_by_route.get(r, 0)}" for r in ROUTES)
        return (f"routing on {self.n} labelled orders: {share}\n"
                f"appeal-type accuracy: automated {self.accuracy_automated:.3f}, all {self.accuracy_all:.3f}\n"
                f"紧急 orders: {self.emergencies} ({by_route}); transfers of non-紧急 orders: "
                f"{self.transfers_not_emergency}")


def routing_tallies(predictions: pd.DataFrame, truth: pd.DataFrame, emergency_label: str = "紧急") -> dict[str, int]:
    """Additive counts behind :class:`RoutingEvaluation` (chunks of a batch job are summed).

    Args:
        predictions: ``predict_batch`` output (``appeal_type``, ``route``), one row per order.
        truth: The same orders in the same order, with ``appeal_type`` (``一级`` or ``一级/二级``) and
            ``urgency`` labels; rows missing either label are left out.

    Raises:
        ValueError: The two frames differ in length.
    """
    if len(predictions) != len(truth):
        raise ValueError(f"{len(predictions)} predictions for {len(truth)} labelled orders")
    labelled = (truth["appeal_type"].notna() & truth["urgency"].notna()).to_numpy()
    route = predictions["route"].to_numpy()[labelled]
    first_level = np.array([str(v).split("/")[0] for v in truth["appeal_type"].to_numpy()[labelled]], dtype=object)
    correct = predictions["appeal_type"].to_numpy()[labelled] == first_level
    emergency = truth["urgency"].to_numpy()[labelled] == emergency_label
    t = {"n": len(route), "correct": int(correct.sum()), "correct_automated": int(correct[route == "automated"].sum()),
         "emergencies": int(emergency.sum()),
         "transfers_not_emergency": int(((route == "transfer") & ~emergency).sum())}
    for r in ROUTES:
        t[f"route_{r}"] = int((route == r).sum())
        t[f"emergencies_{r}"] = int((route[emergency] == r).sum())
    return t


def evaluate_routing(predictions: pd.DataFrame, truth: pd.DataFrame,
                     emergency_label: str = "紧急") -> RoutingEvaluation:
    """Share automated, accuracy of the automated, and where true emergencies went (see :func:`routing_tallies`)."""
    return RoutingEvaluation.from_tallies(routing_tallies(predictions, truth, emergency_label))


def emergency_probability(probs: Mapping[str, np.ndarray], labels: Mapping[str, list[str]],
                          emergency_label: str) -> np.ndarray | None:
    """Column of ``emergency_label`` in the urgency probabilities, or ``None`` without an urgency head."""
    if "urgency" not in probs or emergency_label not in labels.get("urgency", []):
        return None
    return probs["urgency"][:, labels["urgency"].index(emergency_label)]
