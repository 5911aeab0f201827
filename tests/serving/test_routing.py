"""The routing safety net: emergencies always transfer whatever the model says; uncertain or charged appeals
go to a person; the evaluation counts what was automated and where emergencies went. The layers themselves are
tested in tests/triage/. Through the predictor, the model is one that is sure every appeal is an automatable
consultation and never 紧急: only the safety net stands between an emergency and automation, and the same model
automates routine appeals, so the tests tell a working net from a router that never automates."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hotline_ml.config import EmergencyRule
from hotline_ml.predict import Predictor
from hotline_ml.triage import Router, evaluate_routing
from tests.serving.fixed_models import SureClassifier

AUTOMATABLE = "政务服务/政策咨询"  # a grade the policy lets a machine close: only the triage layers protect

# written for these tests (not the synthetic phrase bank): one or more per kind of emergency
EMERGENCIES = {
    "对面楼三层窗户往外冒黑烟，好像着火了": {"119"},
    "楼道里煤气味特别大，敲门也没人应": {"119"},
    "路边电线断了垂在地上，还在冒火花": {"119"},
    "我女儿打的车，司机不按导航走，她很害怕，车一直往郊区开": {"110"},
    "到了以后手机被收了，我们十几个人出不去": {"110"},
    "厨房里一股很浓的煤气味，阀门关不上": {"119"},
    "我们单元电梯卡在两层中间，里面关着两个老人": {"119"},
    "工地脚手架倒塌了，下面好像压着人": {"119", "120"},
    "有个小孩掉进河里了，快来人": {"119", "120"},
    "我爸突然晕倒了，叫他没反应": {"120"},
    "楼下有人拿刀追着砍人": {"110"},
    "我女儿放学到现在联系不上，孩子不见了": {"110"},
    "有人站在桥上说要往下跳": {"110", "120"},
    "我真的不想活了，药都准备好了": {"110", "120"},
}
ROUTINE = ["小区门口的路灯坏了一个多月了", "我家燃气费这个月怎么这么高", "楼上装修噪音太大，能不能只在白天施工"]
# plain consultations of the automatable grade: a sure model's prediction is dispatched without a person
CONSULTATIONS = ["请问新生儿落户需要准备哪些材料", "想咨询一下灵活就业人员怎么缴纳社保"]
# everyday disputes that only sound like being held: never transferred (the detector may send them to a person)
SOUND_HELD = ["小区门口停满了车，早上车出不去", "公交司机过了站不让下车", "店员非要我办卡，不办不让走"]


@pytest.fixture(scope="module")
def sure_predictor(predictor: Predictor) -> Predictor:
    """The registered predictor (its own router and masking) with a model sure, at probability 1.0, that every
    appeal is a 政务服务/政策咨询 of urgency 一般: automated unless the triage layers step in."""
    sure = SureClassifier(predictor.classifier, {"type_l1": AUTOMATABLE.split("/")[0], "type_l2": AUTOMATABLE,
                                                 "urgency": "一般"})
    return Predictor(sure, predictor.router, predictor.masker, predictor.info)


@pytest.mark.parametrize("text", list(EMERGENCIES))
def test_emergencies_transfer_even_when_the_model_is_sure_it_is_routine(router: Router, text: str) -> None:
    d = router.decide(text, type_score=0.99, emergency_prob=0.0, appeal_type=AUTOMATABLE)
    assert d.route == "transfer" and d.forced_urgency == "紧急"
    assert EMERGENCIES[text] <= set(d.transfer_to), d
    assert d.reasons and all(r.startswith(("lexicon:", "concept:", "detector(")) for r in d.reasons)


def test_emergency_texts_through_a_sure_model_are_transferred_and_forced_to_urgent(sure_predictor) -> None:
    out = sure_predictor.predict_batch(list(EMERGENCIES))
    assert (out["appeal_type_score"] == 1.0).all() and (out["appeal_subtype"] == AUTOMATABLE).all()  # no help
    assert out["route"].tolist() == ["transfer"] * len(EMERGENCIES), out[["route", "route_reasons"]]
    assert (out["urgency"] == "紧急").all() and (out["urgency_score"] == 0.0).all()  # forced over the model's 一般
    for (text, lines), got in zip(EMERGENCIES.items(), out["transfer_to"], strict=True):
        assert lines <= set(got), (text, got)


def test_routine_appeals_through_the_same_sure_model_are_automated(sure_predictor) -> None:
    out = sure_predictor.predict_batch(ROUTINE + CONSULTATIONS)
    assert out["route"].tolist() == ["automated"] * len(out), out[["route", "route_reasons"]]
    assert (out["appeal_subtype"] == AUTOMATABLE).all() and (out["urgency"] == "一般").all()
    assert out["transfer_to"].map(len).eq(0).all() and out["route_reasons"].map(len).eq(0).all()


@pytest.mark.parametrize("text", ROUTINE)
def test_routine_confident_appeals_of_an_automatable_grade_are_automated(router: Router, text: str) -> None:
    assert router.decide(text, type_score=0.95, emergency_prob=0.01, appeal_type=AUTOMATABLE).route == "automated"


@pytest.mark.parametrize("text", SOUND_HELD)
def test_everyday_disputes_are_not_transferred(router: Router, text: str) -> None:
    assert router.decide(text, type_score=0.95, emergency_prob=0.01, appeal_type=AUTOMATABLE).route != "transfer"


def test_a_hazard_is_framed_not_transferred(router: Router) -> None:
    d = router.decide("消防通道被杂物堵了，万一着火人都跑不出来", 0.95, 0.01, appeal_type=AUTOMATABLE)
    assert d.route == "human_review" and "framed:hypothetical(万一)" in d.reasons


def test_low_confidence_and_suspected_emergency_go_to_a_person(router: Router) -> None:
    low = router.decide(ROUTINE[0], type_score=0.3, emergency_prob=0.0, appeal_type=AUTOMATABLE)
    assert low.route == "human_review" and low.reasons[0].startswith("low_confidence(0.30<")
    suspect = router.decide(ROUTINE[0], type_score=0.95, emergency_prob=0.5, appeal_type=AUTOMATABLE)
    assert suspect.route == "human_review" and suspect.reasons[0].startswith("model_emergency")


@pytest.mark.parametrize("text,signal", [
    ("这是我第三次反映了，路灯还是不亮", "escalation"),
    ("物业和社区互相推诿，一直没人管", "escalation"),
    ("再不解决我就找媒体曝光", "going_higher"),
    ("我真是忍无可忍了，天天半夜施工", "negative_emotion"),
])
def test_escalation_and_emotion_go_to_a_person(router: Router, text: str, signal: str) -> None:
    d = router.decide(text, type_score=0.95, emergency_prob=0.0, appeal_type=AUTOMATABLE)
    assert d.route == "human_review" and any(r.startswith(signal) for r in d.reasons), d


def test_thresholds_live_in_config(routing_cfg) -> None:
    strict = Router(dataclasses.replace(routing_cfg, confidence_threshold=0.99))
    assert strict.decide(ROUTINE[0], 0.95, 0.0, appeal_type=AUTOMATABLE).route == "human_review"


def test_bad_rules_are_errors_naming_the_rule(routing_cfg) -> None:
    def with_rules(**rules):
        return dataclasses.replace(routing_cfg, emergency=rules)

    with pytest.raises(ValueError, match=r"routing.emergency.x.transfer_to"):
        Router(with_rules(x=EmergencyRule(transfer_to=["911"], keywords=["火"])))
    with pytest.raises(ValueError, match=r"routing.emergency.y: invalid pattern"):
        Router(with_rules(y=EmergencyRule(transfer_to=["119"], patterns=["(火"])))


def test_evaluation_counts_automation_accuracy_and_emergencies() -> None:
    predictions = pd.DataFrame({"appeal_type": ["城乡建设", "城乡建设", "环境保护", "公共安全", "民政"],
                                "route": ["automated", "automated", "human_review", "transfer", "transfer"]})
    truth = pd.DataFrame({"appeal_type": ["城乡建设/物业管理", "环境保护/噪声", "环境保护", "公共安全", None],
                          "urgency": ["一般", "一般", "紧急", "紧急", "一般"]})
    ev = evaluate_routing(predictions, truth)
    assert ev.n == 4  # the row without a type label is left out
    assert ev.share["automated"] == 0.5 and ev.accuracy_automated == 0.5 and ev.accuracy_all == 0.75
    assert ev.emergencies == 2 and ev.emergencies_automated == 0
    assert ev.emergencies_by_route == {"transfer": 1, "human_review": 1, "automated": 0}
    assert "紧急 orders: 2" in ev.summary()


def test_no_emergency_of_the_synthetic_test_data_is_automated_by_a_sure_model(sure_predictor, small_corpus) -> None:
    orders = small_corpus.orders
    emergencies = orders[orders["urgency"] == "紧急"]
    test = pd.concat([emergencies, orders[orders["urgency"] != "紧急"].head(150)])
    ev = evaluate_routing(sure_predictor.predict_batch(test[["order_id", "text"]]), test)
    assert ev.emergencies == len(emergencies) > 0 and ev.emergencies_automated == 0, ev.summary()
    assert ev.emergencies_by_route["transfer"] > ev.emergencies // 2, ev.summary()
    # the same model automates most of the routine orders: the zero above is the safety net's doing
    assert ev.share["automated"] >= 0.5, ev.summary()
