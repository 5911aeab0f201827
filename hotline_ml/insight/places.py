"""Find the places an appeal names: ``A市A3区联丰路``, ``青青家园小区``, ``金鼎村``, ``麓山小学``.

A place is a name that ends in one of its kind's suffixes (``conf/places/default.yaml``). Chinese writes no
spaces, so where the name *starts* is the hard part: from the suffix the extractor reads leftwards over jieba
words (dictionary only, no HMM: an unknown name falls apart into single characters, which are kept) until a word
that cannot be part of a name: a stop word (``住在``, ``反映``), a stop character (``在``, ``的``), a word whose
dictionary tag is a verb, pronoun, preposition and so on, punctuation, or the end of the place before it. So
``我住在朝阳区望京花园西区`` gives ``朝阳区`` (district) and ``望京花园西区`` (estate, with its qualifier ``西区``).

A suffix inside a longer word is not a suffix (``路灯``, ``市场`` read for ``市``, ``区域``), and a name that is a
common noun (``道路``, ``小区``, ``农村``) is not a place, nor is a name with one character before its suffix
(``热物业`` of ``不热物业``), nor a type of place (``热力公司``). The rules are judged on
``tests/fixtures/hot_issues/places.jsonl``, written apart from them (see its README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from hotline_ml.config import PlaceConfig, PlaceKind

_PUNCT = re.compile(r"[\s，。！？；：、,.!?;:（）()【】\[\]“”\"'《》<>…—\-/]")
_CN_DIGITS = str.maketrans("一二三四五六七八九", "123456789")
_ADMIN = frozenset({PlaceKind.city, PlaceKind.district, PlaceKind.street})
_FACILITY = frozenset({PlaceKind.school, PlaceKind.organisation, PlaceKind.landmark})
# a masked name (A市, A3区, K3县 in published data) starts at its code
_CODE = re.compile(r"[A-Z]\d{0,2}$")


@dataclass(frozen=True)
class Place:
    """One place named in a text.

    Attributes:
        name: The name as written, qualifier included (``中海国际社区三期``).
        kind: Its kind (the kind of its suffix).
        start: Offset of the name in the text.
        end: End offset.
    """

    name: str
    kind: PlaceKind
    start: int
    end: int



@lru_cache(maxsize=1)
def _jieba():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)  # jieba logs its dictionary load at INFO
    jieba.initialize()
    return jieba.dt, jieba.posseg.dt.word_tag_tab


class PlaceExtractor:
    """Finds places with the suffix rules of ``cfg``.

    Args:
        cfg: Suffixes per kind, generic words, stop words, characters and tags.
    """

    def __init__(self, cfg: PlaceConfig) -> None:
        self.cfg = cfg
        self._kind_of = {s: PlaceKind(k) for k, suffixes in cfg.suffixes.items() for s in suffixes}
        alternatives = sorted(self._kind_of, key=len, reverse=True)
        self._anchor = re.compile("|".join(map(re.escape, alternatives)))
        self._qualifier = re.compile(cfg.qualifiers)
        self._generic = frozenset(cfg.generic)
        self._stop_words = frozenset(cfg.stop_words)
        self._stop_tags = frozenset(cfg.stop_tags)
        self._single_stop_tags = frozenset(cfg.single_stop_tags)
        self._name_words = frozenset(cfg.name_words)
        self._common = frozenset(cfg.common_noun_tags)
        self._type_kinds = frozenset(PlaceKind(k) for k in cfg.type_kinds)
        self.key_kinds = frozenset(PlaceKind(k) for k in cfg.key_kinds)
        self._key_drop = re.compile(cfg.key_drop)
        self._not_places = re.compile(cfg.not_places)

    @cached_property
    def _cut(self):
        tokenizer, tags = _jieba()

        @lru_cache(maxsize=500_000)  # appeals repeat their place phrases: most windows were cut before
        def cut(window: str) -> tuple[tuple[str, int, int, str | None], ...]:
            out, pos = [], 0
            for word in tokenizer.cut(window, HMM=False):
                out.append((word, pos, pos + len(word), tags.get(word)))
                pos += len(word)
            return tuple(out)

        return cut

    def extract(self, text: str) -> list[Place]:
        """Every place named in ``text``, in order of appearance (an address gives one place per level)."""
        places: list[Place] = []
        boundary = 0
        for m in self._anchor.finditer(text):
            if m.start() < boundary:
                continue
            if places and m.start() == places[-1].end and self._ends_word(text, places[-1].start, m):
                # a suffix right after a place extends it: 咸嘉湖 + 路, 青山新村 + 社区, 青青家园 + 小区
                last = places.pop()
                place = Place(text[last.start:m.end()], self._kind_of[m.group()], last.start, m.end())
            else:
                place = self._read_name(text, max(boundary, m.start() - self.cfg.max_name_chars), m)
                if place is not None and places and place.start == places[-1].end and \
                        places[-1].kind not in _ADMIN and place.kind in _FACILITY:
                    # a facility named after the place right before it is one name: 松涛路小学, 姚家园路过街天桥
                    last = places.pop()
                    place = Place(text[last.start:place.end], place.kind, last.start, place.end)
            if place is not None:
                places.append(place)
                boundary = place.end
        return places

    def key(self, place: Place) -> str:
        """The name for matching: Chinese digits as digits (``三期`` -> ``3期``), ``key_drop`` removed
        (``丽发新城小区`` -> ``丽发新城``)."""
        name = place.name.translate(_CN_DIGITS)
        dropped = self._key_drop.sub("", name)
        return dropped if len(dropped) >= 2 else name

    def keys(self, places: list[Place]) -> set[str]:
        """The matching keys of the places specific enough to tie appeals to one spot (``key_kinds``)."""
        return {self.key(p) for p in places if p.kind in self.key_kinds}

    def _holder(self, text: str, start: int, m: re.Match):
        """The jieba word (word, start, end, tag; offsets relative to ``start``) that holds the suffix's last
        character, when it ends with the suffix and is not a common noun (``垃圾站``, ``道路``); else None."""
        words = self._cut(text[start:min(len(text), m.end() + 3)])
        end_rel = m.end() - start
        holder = next((w for w in words if w[1] < end_rel <= w[2]), None)
        # the word holding the suffix's last character must end with it: 路灯, 市场 (for 市), 区域 are no suffix
        if holder is None or holder[2] != end_rel:
            return None, words
        if holder[1] < m.start() - start and (holder[0] in self._generic or holder[3] in self._common
                                              or holder[3] in self._stop_tags):
            return None, words  # the suffix ends a common noun or a verb (垃圾站, 道路, 糊弄)
        return holder, words

    def _ends_word(self, text: str, start: int, m: re.Match) -> bool:
        return self._holder(text, start, m)[0] is not None

    def _read_name(self, text: str, left: int, m: re.Match) -> Place | None:
        s, e = m.start(), m.end()
        window_start = left
        punct = [p.end() for p in _PUNCT.finditer(text, left, s)]
        if punct:
            window_start = punct[-1]
        holder, words = self._holder(text, window_start, m)
        if holder is None:
            return None
        kind = self._kind_of[m.group()]
        start_rel = min(s - window_start, holder[1])  # a suffix ending a longer word (黄兴路): the word joins
        for word, ws, we, tag in reversed([w for w in words if w[2] <= start_rel]):
            if we != start_rel or not self._name_like(word, tag, kind):
                break
            if e - (window_start + ws) > self.cfg.max_name_chars:
                break
            start_rel = ws
        start = window_start + start_rel
        if kind in _ADMIN:
            code = _CODE.search(text, start, s)
            start = code.start() if code else start
        name = text[start:e]
        if len(name) <= len(m.group()) or name in self._generic or self._not_places.search(name):
            return None
        body = [w for w in words if start_rel <= w[1] and w[2] <= s - window_start]
        if s - start < 2 and not text[start:s].isascii():
            return None  # 建学校, 受小区, 热物业 (不热 + 物业): one character is a fragment; A市 is a code
        while body and len(body[0][0]) == 1 and body[0][3] in self._stop_tags:
            body = body[1:]  # 打热力公司: judge the type rule without a leading verb
        if kind in self._type_kinds and body and all(len(w[0]) > 1 and w[3] in self._common for w in body):
            return None  # 热力公司, 洗车店: a type of place, not a name
        if kind in (PlaceKind.estate, PlaceKind.village):
            q = self._qualifier.match(text, e)
            if q:
                e = q.end()
                name = text[start:e]
        return Place(name, kind, start, e)

    def _name_like(self, word: str, tag: str | None, kind: PlaceKind) -> bool:
        if word in self._stop_words or word in self._generic or _PUNCT.fullmatch(word[0]):
            return False
        if word in self._name_words:
            return True
        if word.isascii() and word.isalnum():
            return True  # 6 of 6路, A3 of A3区, 029 of 029县
        if len(word) == 1:
            return word not in self.cfg.stop_chars and tag not in self._single_stop_tags
        if kind in _ADMIN and tag in self._common:
            return False
        return tag not in self._stop_tags
