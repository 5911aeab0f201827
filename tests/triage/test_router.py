"""The router: layers combined, the automation policy, the human hand-off, config errors at compose time."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import pandas as pd
import pytest

from hotline_ml.config import ConceptConfig
from hotline_ml.triage import Router, RoutingEvaluation, evaluate_routing, routing_tallies, triage_only_decisions
from tests.helpers import compose_config

AUTOMATABLE = "政务服务/政策咨询"

# live paraphrases written for this test (not the corpus's or the frozen set's)
PARAPHRASED = {
    "有个年轻人坐在我们楼顶的栏杆外面哭，现在还没下来": {"110"},
    "我外公刚刚在公园散步滑进湖里了，正在水里挣扎": {"119"},
    "我妈刚才吃饭时突然口齿不清，半边脸歪了": {"120"},
    "对门邻居家门缝底下正在冒黑烟，敲门没人应": {"119"},
    "车库里一辆电动车的电池在冒烟，还噼啪响": {"119"},
    "刚才一个男的把一个小女孩拽上了面包车开走了": {"110"},
    "下穿隧道积水很深，我们的车被淹了，水已经到车窗了": {"119"},
    "我儿子刚刚喝了半瓶消毒液，现在一直吐": {"120"},
    "商场门口的大广告牌被风吹得在晃，快掉下来了，下面都是人": {"119"},
    "我被人锁在房间里，手机被拿走了，这是偷偷用别人的手机发的": {"110"},
}
# narratives of the past, hazards and questions that only sound like emergencies
NOT_LIVE = [
    "2019年我在工地干活时中暑昏倒，后来公司一直不给认定工伤，医药费也不报",
    "拆迁的时候开发商派人来打人，当时报了警，到现在也没给说法",
    "附近化工厂经常排放毒气一样的气味，晚上尤其严重，请环保部门查一查",
    "对方在电话里恐吓我说不还钱就上门，这种催收是否违法，我想咨询一下",
    "采石场放炮以后我们村好几户房子开裂，后山去年还出现过塌方，希望有关部门重视",
]


def test_paraphrased_live_emergencies_transfer_even_when_the_model_is_sure(router: Router) -> None:
    for d, (text, lines) in zip(triage_only_decisions(router, list(PARAPHRASED)), PARAPHRASED.items(),
                                strict=True):
        assert d.route == "transfer" and d.forced_urgency == "紧急", (text, d)
        assert lines <= set(d.transfer_to), (text, d)


def test_without_the_new_layers_the_paraphrases_are_missed(routing_cfg) -> None:
    """The test above fails without the layers: lexicon alone (no concepts, no detector) transfers few of
    the paraphrases and automates the rest."""
    bare = dataclasses.replace(routing_cfg, concepts=dataclasses.replace(routing_cfg.concepts, states={}),
                               detector=dataclasses.replace(routing_cfg.detector, enabled=False))
    routes = [d.route for d in triage_only_decisions(Router(bare), list(PARAPHRASED))]
    assert routes.count("transfer") <= len(PARAPHRASED) // 2 and "automated" in routes, routes


@pytest.mark.parametrize("text", NOT_LIVE)
def test_narratives_hazards_and_questions_do_not_transfer(router: Router, text: str) -> None:
    d = triage_only_decisions(router, [text])[0]
    assert d.route != "transfer", d
    # a framed hit still reaches a person
    assert all(any(r.startswith("framed:") for r in d.reasons) for r in d.reasons if r.startswith("lexicon:")), d


def test_reasons_name_layer_and_what_fired(router: Router) -> None:
    live = router.decide("楼下着火了", 1.0, 0.0, appeal_type=AUTOMATABLE)
    assert live.route == "transfer" and "lexicon:fire(着火)" in live.reasons
    framed = router.decide("去年楼下着火了，物业到现在都没赔偿", 1.0, 0.0, appeal_type=AUTOMATABLE)
    assert framed.route == "human_review"
    assert "lexicon:fire(着火)" in framed.reasons and "framed:past(去年)" in framed.reasons


def test_non_automatable_grades_never_automate_even_at_full_confidence(router: Router) -> None:
    text = "小区门口的路灯坏了一个多月了"
    d = router.decide(text, 1.0, 0.0, appeal_type="城乡建设/市政设施")
    assert d.route == "human_review" and d.reasons == ("grade:城乡建设/市政设施 not automatable",)
    assert router.decide(text, 1.0, 0.0, appeal_type=None).reasons == ("grade:unknown not automatable",)
    assert router.decide("想问一下公积金怎么提取", 1.0, 0.0, appeal_type="住房保障/住房公积金").route == "automated"
    assert router.policy.is_automatable("政务服务/政策咨询") and not router.policy.is_automatable("政务服务")


def test_operator_flag_and_a_caller_asking_for_a_person_reach_a_person(router: Router) -> None:
    text = "想问一下公积金怎么提取"
    ds = router.decide_many([text, text + "，我要转人工", "我要和工作人员说，公积金怎么提取"], [1.0] * 3, [0.0] * 3,
                            appeal_types=["住房保障/住房公积金"] * 3, human=[True, False, False])
    assert [d.route for d in ds] == ["human_review"] * 3
    assert ds[0].reasons == ("operator:human",)
    assert ds[1].reasons[0].startswith("caller:asks_for_person(转人工")
    assert ds[2].reasons[0].startswith("caller:asks_for_person(")


def test_decide_many_keeps_the_old_signature(router: Router) -> None:
    ds = router.decide_many(["楼下着火了", "路灯坏了"], [0.9, 0.9], None)
    assert [d.route for d in ds] == ["transfer", "human_review"]
    assert router.decide_many([], [], None) == []


@pytest.mark.parametrize("override", [
    "routing.framing.pastt.keywords=[去年]",              # a typo in a key
    "routing.framing.frame_window=paragraph",             # a choice outside the enum
    "routing.detector.c=high",                            # a wrong type
    "routing.concepts.states.water.transfer_too=[119]",
])
def test_config_typos_fail_at_compose_time(override: str) -> None:
    with pytest.raises(Exception, match=r"pastt|paragraph|high|transfer_too"):
        compose_config("serve", ["routing=default", override])


def test_bad_values_are_errors_naming_the_setting(routing_cfg) -> None:
    with pytest.raises(ValueError, match=r"routing.concepts.states.x.transfer_to"):
        Router(dataclasses.replace(routing_cfg, concepts=ConceptConfig(
            routing_cfg.concepts.window, True, routing_cfg.concepts.person, routing_cfg.concepts.vulnerable,
            routing_cfg.concepts.now, {"x": dataclasses.replace(routing_cfg.concepts.states["water"],
                                                                 transfer_to=["911"])})))
    with pytest.raises(ValueError, match=r"transfer_threshold must be >= review_threshold"):
        Router(dataclasses.replace(routing_cfg, detector=dataclasses.replace(routing_cfg.detector,
                                                                             transfer_threshold=0.1)))


# (true type, predicted type, predicted 一级/二级, route): rows 1-4 have an automatable true type (of the real
# policy), rows 5-8 do not (5 and 7 were automated anyway: the model got the grade wrong)
LABELLED = [
    ("政务服务/政策咨询", "政务服务", "政务服务/政策咨询", "automated"),      # 一级 and 二级 right
    ("住房保障/住房公积金", "住房保障", "住房保障/不动产登记", "automated"),  # 一级 right, 二级 wrong
    ("民政/婚姻登记", "政务服务", "政务服务/证照办理", "automated"),          # 一级 wrong
    ("住房保障/住房公积金", "住房保障", "住房保障/住房公积金", "human_review"),
    ("城乡建设/物业管理", "政务服务", "政务服务/政策咨询", "automated"),
    ("环境保护/噪声", "环境保护", "环境保护/噪声", "human_review"),
    ("政务服务", "政务服务", "政务服务/政策咨询", "automated"),              # a first level alone: not automatable
    ("公共安全/治安", "公共安全", "公共安全/治安", "transfer"),
]


def _labelled() -> tuple[pd.DataFrame, pd.DataFrame]:
    truth, pred_type, pred_grade, route = zip(*LABELLED, strict=True)
    predictions = pd.DataFrame({"appeal_type": pred_type, "appeal_subtype": pred_grade, "route": route})
    return predictions, pd.DataFrame({"appeal_type": truth, "urgency": ["一般"] * 7 + ["紧急"]})


def test_evaluation_over_the_automatable_grades_uses_the_true_type(router: Router) -> None:
    """Counting every order (the grade check ignored) gives 8 and 5/8; checking the predicted grade gives 6."""
    predictions, truth = _labelled()
    ev = evaluate_routing(predictions, truth, is_automatable=router.policy.is_automatable)
    assert (ev.n, ev.share["automated"], ev.accuracy_automated) == (8, 5 / 8, 3 / 5)  # the overall figures
    assert ev.automatable == 4 and ev.share_automatable == 0.5
    assert ev.automatable_automated == 3 and ev.share_automatable_automated == 0.75
    assert ev.accuracy_automatable_automated == 2 / 3 and ev.grade_accuracy_automatable_automated == 1 / 3
    assert ev.accuracy_automatable == 3 / 4 and ev.automated_not_automatable == 2
    assert ("true type an automatable grade: 4 orders (50.0%); automated 3 of them (75.0%), accuracy 一级 0.667, "
            "一级/二级 0.333") in ev.summary()


def test_automatable_figures_sum_over_chunks_and_are_left_out_without_a_policy(router: Router) -> None:
    predictions, truth = _labelled()
    check = router.policy.is_automatable
    summed = Counter(routing_tallies(predictions[:3], truth[:3], is_automatable=check))
    summed.update(routing_tallies(predictions[3:], truth[3:], is_automatable=check))
    assert RoutingEvaluation.from_tallies(summed) == evaluate_routing(predictions, truth, is_automatable=check)
    bare = evaluate_routing(predictions, truth)
    assert math.isnan(bare.share_automatable) and "automatable" not in bare.summary()
    no_subtype = evaluate_routing(predictions.drop(columns="appeal_subtype"), truth, is_automatable=check)
    assert no_subtype.accuracy_automatable_automated == 2 / 3
    assert math.isnan(no_subtype.grade_accuracy_automatable_automated)
