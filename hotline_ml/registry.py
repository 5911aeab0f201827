"""The promotion rule for every registered model kind: when a new version becomes ``champion``.

Pure decisions, no MLflow: :func:`hotline_ml.tracking.log_record` registers the version, points ``candidate``
at it, fetches the current champion's metrics and tags, and asks the rule here.

A version is compared with the champion only when both were measured on the same data (the rule's
``same_data_tag`` holds the digest of the test rows or series); a champion measured on other data is kept,
since its score says nothing about the new one's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hotline_ml.config import Promote


@dataclass(frozen=True)
class Champion:
    """The version the ``champion`` alias points at, with its run's metrics and tags."""

    version: str
    metrics: Mapping[str, float]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class PromotionRule:
    """When a new version replaces the champion.

    Attributes:
        metric: The run metric compared (e.g. ``test_type_l1_macro_f1``).
        higher_is_better: Direction of ``metric``.
        same_data_tag: Run tag that must be equal on both runs for the metric to be comparable.
        mode: ``if_better`` (the rule), ``always`` or ``never`` (``registry.promote`` in the config).
    """

    metric: str
    higher_is_better: bool
    same_data_tag: str
    mode: Promote = Promote.if_better

    def decide(self, metrics: Mapping[str, float], tags: Mapping[str, str],
               champion: Champion | None) -> tuple[bool, str]:
        """Whether the new version (its run's ``metrics`` and ``tags``) becomes champion, and why."""
        if self.mode != Promote.if_better:
            return self.mode == Promote.always, f"promote={self.mode}"
        if champion is None:
            return True, "no champion yet"
        if champion.tags.get(self.same_data_tag) != tags.get(self.same_data_tag):
            return False, f"champion v{champion.version} was measured on other data; not comparable, kept"
        key = self.metric
        worst = float("-inf") if self.higher_is_better else float("inf")
        theirs, ours = champion.metrics.get(key, worst), metrics[key]
        better = ours > theirs if self.higher_is_better else ours < theirs
        sign = (">" if better else "<=") if self.higher_is_better else ("<" if better else ">=")
        reason = f"{key} {ours:.4f} {sign} champion v{champion.version} {theirs:.4f}"
        return better, reason if better else reason + ", kept"


def classifier_rule(primary_task: str, mode: Promote) -> PromotionRule:
    """Appeal classifiers: higher test macro-F1 of the primary task, on the same test rows."""
    return PromotionRule(f"test_{primary_task}_macro_f1", True, "test_digest", Promote(mode))


def forecaster_rule(mode: Promote) -> PromotionRule:
    """Demand forecasters: lower backtest MASE relative to the seasonal naive baseline, on the same series."""
    return PromotionRule("backtest_relative_mase", False, "data_digest", Promote(mode))
