"""Each triage layer on hand-written examples (live vs framed), written for these tests: not taken from the
development corpus or the frozen evaluation set."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hotline_ml.triage import Router
from hotline_ml.triage.concepts import Concepts
from hotline_ml.triage.detector import cross_validated_scores, load_detector
from hotline_ml.triage.framing import Framing
from hotline_ml.triage.lexicon import Lexicon


def _framing_of(framing: Framing, text: str, word: str):
    i = text.index(word)
    return framing.frame(text, i, i + len(word))


@pytest.mark.parametrize("text,word,kind", [
    ("去年冬天我们楼里着火了，到现在物业也没赔", "着火", "past"),
    ("当时他在车间昏倒了，后来公司不认工伤", "昏倒", "past"),
    ("这个路口经常有人打架，晚上都不敢出门", "打架", "habitual"),
    ("楼道堆满杂物，万一着火大家都跑不掉", "着火", "hypothetical"),
    ("充电桩离楼太近，存在火灾隐患，建议搬走", "火灾", "hypothetical"),
    ("请问被人殴打以后验伤怎么办理", "殴打", "consultation"),
    ("听说隔壁小区有人跳楼，是真的吗", "跳楼", "reported"),
])
def test_framed_hits_name_their_framing(routing_cfg, text: str, word: str, kind: str) -> None:
    frame = _framing_of(Framing(routing_cfg.framing), text, word)
    assert frame is not None and frame.kind == kind, frame


@pytest.mark.parametrize("text,word", [
    ("楼下着火了", "着火"),
    ("去年着过一次火，现在厨房又着火了", "又着火"),   # a live cue in the hit's clause overrides the past
    ("万一出事怎么办，救命啊，我家着火了", "着火"),      # a call for help makes the whole (short) text live
])
def test_live_hits_are_not_framed(routing_cfg, text: str, word: str) -> None:
    assert _framing_of(Framing(routing_cfg.framing), text, word) is None


def test_a_long_letter_is_narrative_unless_an_alarm_is_near_the_hit(routing_cfg) -> None:
    framing = Framing(routing_cfg.framing)
    filler = "我们小区的物业管理一直很混乱，" * (routing_cfg.framing.long_letter_chars // 10)
    letter = filler + "楼下打人了，物业不管。"
    assert _framing_of(framing, letter, "打人").kind == "narrative"
    assert _framing_of(framing, filler + "楼下打人了，快来人。", "打人") is not None  # alarm in another clause
    assert _framing_of(framing, filler + "快来人楼下打人了。", "打人") is None


def test_lexicon_hits_carry_positions_and_lines(routing_cfg) -> None:
    hits = Lexicon(routing_cfg.emergency).hits("厨房着火了，煤气也漏了")
    fire = next(h for h in hits if h.name == "fire")
    assert fire.phrase == "着火" and fire.start == 2 and fire.lines == ("119",)
    assert fire.reason() == "lexicon:fire(着火)"


@pytest.mark.parametrize("text,state,strong", [
    ("一个老大爷刚才滑进公园的湖里了，在水里扑腾", "water", True),
    ("有个男的现在坐在天台栏杆外面，一直在哭", "height", True),
    ("我爸刚才突然说话含糊不清，嘴歪了", "stroke_heart", True),
    ("邻居家门缝底下正在往外冒黑烟，敲门没人应", "fire_smoke", True),
    ("车库里有辆电动车电池正在冒烟", "fire_smoke", False),  # no person: a hit, not strong (the lexicon has it)
    ("一个男的刚才把一个女孩硬拽上了面包车", "abduction", True),
    ("孩子在河边玩", None, False),                       # no acute state
    ("湖里的水有点脏，有人在钓鱼", None, False),
])
def test_concepts_compose_person_state_and_now(routing_cfg, text: str, state: str | None, strong: bool) -> None:
    hits = Concepts(routing_cfg.concepts).hits(text)
    if state is None:
        assert not any(h.strong for h in hits), hits
    else:
        assert any(state in h.name and h.strong == strong for h in hits), hits


def test_detector_recall_at_the_review_threshold_on_held_out_folds(routing_cfg) -> None:
    cfg = routing_cfg.detector
    corpus, scores = cross_validated_scores(cfg)
    positive = corpus.labels == 1
    assert np.mean(scores[positive] >= cfg.review_threshold) >= 0.99
    assert np.mean(scores[~positive] >= cfg.transfer_threshold) <= 0.05


def test_detector_is_deterministic_and_names_a_line(routing_cfg) -> None:
    d = load_detector(routing_cfg.detector)
    texts = ["我家楼下的仓库里冒出很大的烟，火苗都窜出来了", "想问一下公积金贷款的额度怎么算"]
    a, b = d.score(texts), load_detector(dataclasses.replace(routing_cfg.detector)).score(texts)
    assert np.array_equal(a, b) and a[0] > a[1]
    assert d.service(texts[:1]) == ["119"]


def test_detector_only_transfer_uses_its_line_classifier(routing_cfg) -> None:
    router = Router(routing_cfg)
    d = router.decide("某某", 1.0, 0.0, appeal_type="政务服务/政策咨询", detector_score=0.99)
    assert d.route == "transfer" and len(d.transfer_to) == 1 and d.reasons[0].startswith("detector(0.99>=")


# (live, not live) pairs on the same danger words, written for this test: figures of speech, product
# complaints, resolved past events, relayed media and permission questions must not transfer; the live twin must.
LIVE_VS_FRAMED = [
    ("我爸刚才在阳台上突然晕倒了，叫不醒", "装修队吵得我天天睡不好，人都累得快要晕倒了，物业能不能管"),
    ("有个人站在楼顶边上说要跳楼，现在还没下来", "这房价贵得我都想跳楼了，公积金贷款额度能不能提高"),
    ("厨房里的燃气灶旁边着火了，火越来越大", "隔壁饭店油烟大得跟着火了一样，每天中午都这样"),
    ("小区配电房刚刚爆炸了，有人受伤", "快递公司的服务差到爆炸，包裹一周都没送到"),
    ("救命啊，有人拿刀追我，在人民公园东门", "楼下广场舞每晚放到十点，救命啊，谁来管管"),
    ("我家插线板正在冒火花，还有焦味，屋里有老人", "网上买的插线板一插就冒火花，我赶紧拔了，商家不给退货"),
    ("我老婆吃了一整瓶安眠药，现在叫不醒", "我舅舅去年吃了安眠药，幸好抢救过来了，现在想问心理咨询去哪里"),
    ("我们楼下的超市着火了，烟很大", "抖音上说我们区有个超市着火了，是真的吗"),
    ("我妈胸口疼得厉害，快派救护车", "我妈有心脏病，请问晚上可以直接打120去医院吗"),
]


@pytest.mark.parametrize("live,framed", LIVE_VS_FRAMED)
def test_live_twin_transfers_and_framed_twin_does_not(router: Router, live: str, framed: str) -> None:
    a, b = (router.decide(t, 1.0, 0.0, appeal_type="政务服务/政策咨询") for t in (live, framed))
    assert a.route == "transfer", a
    assert b.route != "transfer", b   # a framed twin reaches a person; a blanked figure of speech may automate


def test_figures_of_speech_are_blanked_for_every_layer(routing_cfg) -> None:
    lexicon = Lexicon(routing_cfg.emergency)
    text = "孩子作业写到半夜，我熬得快要晕倒了"
    plain = lexicon.blank(text)
    assert len(plain) == len(text) and "晕倒" not in plain and "孩子作业" in plain
    assert not [h for h in Concepts(routing_cfg.concepts).hits(plain) if h.strong]
    assert "晕倒" in lexicon.blank("孩子刚才晕倒了，叫不醒")


def test_a_done_hurry_is_not_a_live_cue(routing_cfg) -> None:
    framing = Framing(routing_cfg.framing)
    done = "电热毯冒烟了，我赶紧拔了插头，厂家说不保修"
    assert _framing_of(framing, done, "冒烟").kind == "consultation"
    assert framing.live_cue("电热毯冒烟了，赶紧来人", 4, 6) is not None


def test_a_detector_only_transfer_needs_a_text_without_past_or_reported_cues(routing_cfg) -> None:
    framing = Framing(routing_cfg.framing)
    assert framing.text_frame("上个月在地铁站摔了一跤，腿肿了，想问保险怎么报").kind == "past"
    assert framing.text_frame("上个月摔过一次，现在又摔倒了起不来") is None   # a live cue anywhere
    # habitual and hypothetical cues do not frame a whole text
    assert framing.text_frame("我老婆要生了，宫缩很频繁，可能要生在家里了") is None
    router = Router(routing_cfg)
    d = router.decide("上个月在地铁站摔了一跤，腿肿了", 1.0, 0.0, appeal_type="政务服务/政策咨询", detector_score=0.99)
    assert d.route == "human_review" and "framed:past(上个月)" in d.reasons, d
