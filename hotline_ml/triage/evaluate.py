"""How routing performs on labelled orders: where true emergencies went, the share automated, accuracy of the
automated orders, and how automation does over the orders whose true type is a grade a machine may close
(given the policy's grade check). Counts are additive (:func:`routing_tallies`), so chunks of a batch job are
summed and evaluated once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotline_ml.types import ROUTES


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
        automatable: Orders whose true appeal type is an automatable grade (0 when no policy was given).
        share_automatable: ``automatable / n``; NaN when no policy was given (the figures below are then left
            out of :meth:`summary`).
        accuracy_automatable: First-level appeal-type accuracy on those orders (NaN when none): what a machine
            closing every automatable order would get right.
        automatable_automated: Of the ``automatable`` orders, those routed ``automated``.
        share_automatable_automated: ``automatable_automated / automatable`` (NaN when none is automatable).
        accuracy_automatable_automated: First-level appeal-type accuracy of those automated orders (NaN when
            none).
        grade_accuracy_automatable_automated: ``一级/二级`` accuracy (first level and ``appeal_subtype`` both
            right) of those automated orders whose label has a second level (NaN when none, or when the
            predictions carry no ``appeal_subtype``).
        automated_not_automatable: Automated orders whose true type is not an automatable grade (the model got
            the grade wrong, so a machine closed what the policy reserves for a person).
    """

    n: int
    share: dict[str, float]
    accuracy_automated: float
    accuracy_all: float
    emergencies: int
    emergencies_by_route: dict[str, int]
    transfers_not_emergency: int
    automatable: int = 0
    share_automatable: float = float("nan")
    accuracy_automatable: float = float("nan")
    automatable_automated: int = 0
    share_automatable_automated: float = float("nan")
    accuracy_automatable_automated: float = float("nan")
    grade_accuracy_automatable_automated: float = float("nan")
    automated_not_automatable: int = 0

    @property
    def emergencies_automated(self) -> int:
        """``紧急`` orders that were automated: the safety net requires 0."""
        return self.emergencies_by_route.get("automated", 0)

    @classmethod
    def from_tallies(cls, t: Mapping[str, int]) -> RoutingEvaluation:
        """Build from (summed) :func:`routing_tallies`."""
        n = t.get("n", 0)
        auto = t.get("route_automated", 0)
        grade, grade_auto = t.get("automatable", 0), t.get("automatable_automated", 0)
        return cls(
            n=n, share={r: t.get(f"route_{r}", 0) / n for r in ROUTES} if n else {},
            accuracy_automated=_ratio(t.get("correct_automated", 0), auto),
            accuracy_all=_ratio(t.get("correct", 0), n),
            emergencies=t.get("emergencies", 0),
            emergencies_by_route={r: t.get(f"emergencies_{r}", 0) for r in ROUTES},
            transfers_not_emergency=t.get("transfers_not_emergency", 0),
            automatable=grade,
            share_automatable=_ratio(grade, n) if "automatable" in t else float("nan"),
            accuracy_automatable=_ratio(t.get("correct_automatable", 0), grade),
            automatable_automated=grade_auto,
            share_automatable_automated=_ratio(grade_auto, grade),
            accuracy_automatable_automated=_ratio(t.get("correct_automatable_automated", 0), grade_auto),
            grade_accuracy_automatable_automated=_ratio(t.get("correct_grade_automatable_automated", 0),
                                                        t.get("graded_automatable_automated", 0)),
            automated_not_automatable=auto - grade_auto if "automatable" in t else 0,
        )

    def summary(self) -> str:
        """A few lines for the terminal (the automatable-grade lines only when a policy was given)."""
        share = ", ".join(f"{r} {self.share.get(r, 0.0):.1%}" for r in ROUTES)
        by_route = ", ".join(f"{r} {self.emergencies_by_route.get(r, 0)}" for r in ROUTES)
        lines = [f"routing on {self.n} labelled orders: {share}",
                 f"appeal-type accuracy: automated {self.accuracy_automated:.3f}, all {self.accuracy_all:.3f}",
                 f"紧急 orders: {self.emergencies} ({by_route}); transfers of non-紧急 orders: "
                 f"{self.transfers_not_emergency}"]
        if not math.isnan(self.share_automatable):
            lines += [f"true type an automatable grade: {self.automatable} orders ({self.share_automatable:.1%}); "
                      f"automated {self.automatable_automated} of them ({self.share_automatable_automated:.1%}), "
                      f"accuracy 一级 {self.accuracy_automatable_automated:.3f}, "
                      f"一级/二级 {self.grade_accuracy_automatable_automated:.3f}",
                      f"一级 accuracy over all automatable-grade orders {self.accuracy_automatable:.3f}; automated "
                      f"orders outside the automatable grades: {self.automated_not_automatable}"]
        return "\n".join(lines)


def routing_tallies(predictions: pd.DataFrame, truth: pd.DataFrame, emergency_label: str = "紧急",
                    is_automatable: Callable[[str], bool] | None = None) -> dict[str, int]:
    """Additive counts behind :class:`RoutingEvaluation` (chunks of a batch job are summed).

    Args:
        predictions: ``predict_batch`` output (``appeal_type``, ``route``), one row per order.
        truth: The same orders in the same order, with ``appeal_type`` (``一级`` or ``一级/二级``) and
            ``urgency`` labels; rows missing either label are left out.
        emergency_label: The urgency label of emergencies.
        is_automatable: The policy's grade check (``Router.policy.is_automatable``), applied to the true type;
            ``None`` leaves the automatable-grade counts out. The ``一级/二级`` counts also need an
            ``appeal_subtype`` column in ``predictions``.

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
    if is_automatable is not None:
        labels = truth["appeal_type"].to_numpy()[labelled]
        grade = np.array([is_automatable(str(v)) for v in labels], dtype=bool)
        closed = grade & (route == "automated")
        t.update(automatable=int(grade.sum()), correct_automatable=int(correct[grade].sum()),
                 automatable_automated=int(closed.sum()), correct_automatable_automated=int(correct[closed].sum()))
        if "appeal_subtype" in predictions:
            graded = closed & np.array(["/" in str(v) for v in labels], dtype=bool)
            # the first level must be right too: the policy checks the subtype only under the predicted type
            right = correct & (predictions["appeal_subtype"].to_numpy()[labelled] == labels)
            t.update(graded_automatable_automated=int(graded.sum()),
                     correct_grade_automatable_automated=int(right[graded].sum()))
    for r in ROUTES:
        t[f"route_{r}"] = int((route == r).sum())
        t[f"emergencies_{r}"] = int((route[emergency] == r).sum())
    return t


def evaluate_routing(predictions: pd.DataFrame, truth: pd.DataFrame, emergency_label: str = "紧急",
                     is_automatable: Callable[[str], bool] | None = None) -> RoutingEvaluation:
    """Share automated, accuracy of the automated, where true emergencies went and, given ``is_automatable``
    (``Router.policy.is_automatable``), how automation does over the automatable grades (see
    :func:`routing_tallies`)."""
    return RoutingEvaluation.from_tallies(routing_tallies(predictions, truth, emergency_label, is_automatable))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def emergency_probability(probs: Mapping[str, np.ndarray], labels: Mapping[str, list[str]],
                          emergency_label: str) -> np.ndarray | None:
    """Column of ``emergency_label`` in the urgency probabilities, or ``None`` without an urgency head."""
    if "urgency" not in probs or emergency_label not in labels.get("urgency", []):
        return None
    return probs["urgency"][:, labels["urgency"].index(emergency_label)]
