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
