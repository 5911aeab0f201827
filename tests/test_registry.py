"""The promotion rule of every model kind (pure decisions; the registry I/O is in tests/test_tracking.py)."""

from __future__ import annotations

import pytest

from hotline_ml.config import Promote
from hotline_ml.registry import Champion, PromotionRule, classifier_rule, forecaster_rule


def _champion(value: float, digest: str = "d", metric: str = "m") -> Champion:
    return Champion("3", {metric: value}, {"digest": digest})


@pytest.mark.parametrize(("higher", "ours", "theirs", "promoted"), [
    (True, 0.9, 0.8, True), (True, 0.8, 0.8, False), (True, 0.7, 0.8, False),
    (False, 0.7, 0.8, True), (False, 0.8, 0.8, False), (False, 0.9, 0.8, False),
])
def test_if_better_follows_the_metric_direction(higher: bool, ours: float, theirs: float, promoted: bool) -> None:
    rule = PromotionRule("m", higher, "digest")
    done, reason = rule.decide({"m": ours}, {"digest": "d"}, _champion(theirs))
    assert done is promoted and "champion v3" in reason and reason.endswith(", kept") is not promoted


def test_first_version_other_data_and_modes() -> None:
    rule = PromotionRule("m", True, "digest")
    assert rule.decide({"m": 0.1}, {"digest": "d"}, None) == (True, "no champion yet")
    done, reason = rule.decide({"m": 0.99}, {"digest": "other"}, _champion(0.1))
    assert not done and "other data" in reason
    for mode, expected in [(Promote.always, True), (Promote.never, False)]:
        rule = PromotionRule("m", True, "digest", mode)
        assert rule.decide({"m": 0.0}, {"digest": "x"}, _champion(1.0)) == (expected, f"promote={mode.value}")


def test_each_model_kind_has_its_rule() -> None:
    cls = classifier_rule("type_l1", Promote.if_better)
    assert (cls.metric, cls.higher_is_better, cls.same_data_tag) == ("test_type_l1_macro_f1", True, "test_digest")
    fc = forecaster_rule(Promote("never"))
    assert (fc.metric, fc.higher_is_better, fc.same_data_tag, fc.mode) == ("backtest_relative_mase", False,
                                                                          "data_digest", Promote.never)
    with pytest.raises(ValueError):
        classifier_rule("type_l1", "sometimes")
