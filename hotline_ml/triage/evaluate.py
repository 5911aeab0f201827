"""How routing performs on labelled orders: where true emergencies went, the share automated, accuracy of the
automated orders and of the automatable grades. Counts are additive (:func:`routing_tallies`), so chunks of a
batch job are summed and evaluated once.
"""

from __future__ import annotations

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
        accuracy_automatable: First-level appeal-type accuracy on those orders (NaN when none): what a machine
            closing every automatable order would get right.
    """

    n: int
    share: dict[str, float]
    accuracy_automated: float
    accuracy_all: float
    emergencies: int
    emergencies_by_route: dict[str, int]
    transfers_not_emergency: int
    automatable: int = 0
    accuracy_automatable: float = float("nan")

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
            automatable=t.get("automatable", 0),
            accuracy_automatable=(t.get("correct_automatable", 0) / t["automatable"] if t.get("automatable")
                                  else float("nan")),
        )

    def summary(self) -> str:
        """A few lines for the terminal."""
        share = ", ".join(f"{r} {self.share.get(r, 0.0):.1%}" for r in ROUTES)
        by_route = ", ".join(f"{r} {self.emergencies_by_route.get(r, 0)}" for r in ROUTES)
        return (f"routing on {self.n} labelled orders: {share}\n"
                f"appeal-type accuracy: automated {self.accuracy_automated:.3f}, all {self.accuracy_all:.3f}\n"
                f"紧急 orders: {self.emergencies} ({by_route}); transfers of non-紧急 orders: "
                f"{self.transfers_not_emergency}\n"
                f"automatable grades: {self.automatable} orders, appeal-type accuracy {self.accuracy_automatable:.3f}")


def routing_tallies(predictions: pd.DataFrame, truth: pd.DataFrame, emergency_label: str = "紧急",
                    is_automatable: Callable[[str], bool] | None = None) -> dict[str, int]:
    """Additive counts behind :class:`RoutingEvaluation` (chunks of a batch job are summed).

    Args:
        predictions: ``predict_batch`` output (``appeal_type``, ``route``), one row per order.
        truth: The same orders in the same order, with ``appeal_type`` (``一级`` or ``一级/二级``) and
            ``urgency`` labels; rows missing either label are left out.
        emergency_label: The urgency label of emergencies.
        is_automatable: The policy's grade check (``Router.policy.is_automatable``), applied to the true type;
            ``None`` leaves the automatable-grade counts out.

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
        grade = np.array([is_automatable(str(v)) for v in truth["appeal_type"].to_numpy()[labelled]], dtype=bool)
        t.update(automatable=int(grade.sum()), correct_automatable=int(correct[grade].sum()))
    for r in ROUTES:
        t[f"route_{r}"] = int((route == r).sum())
        t[f"emergencies_{r}"] = int((route[emergency] == r).sum())
    return t


def evaluate_routing(predictions: pd.DataFrame, truth: pd.DataFrame, emergency_label: str = "紧急",
                     is_automatable: Callable[[str], bool] | None = None) -> RoutingEvaluation:
    """Share automated, accuracy of the automated, and where true emergencies went (see :func:`routing_tallies`)."""
    return RoutingEvaluation.from_tallies(routing_tallies(predictions, truth, emergency_label, is_automatable))


def emergency_probability(probs: Mapping[str, np.ndarray], labels: Mapping[str, list[str]],
                          emergency_label: str) -> np.ndarray | None:
    """Column of ``emergency_label`` in the urgency probabilities, or ``None`` without an urgency head."""
    if "urgency" not in probs or emergency_label not in labels.get("urgency", []):
        return None
    return probs["urgency"][:, labels["urgency"].index(emergency_label)]
