"""Appeal text for the synthetic corpus: a phrase bank and a composer that fills it.

The phrase bank lives in ``phrases/``: ``common.yaml`` (slot fillers, caller registers, escalation phrases,
aggravators, connectors, typos, PII templates) and one ``<一级>.yaml`` per first-level type, whose keys are the
second-level types, each with ``titles``, ``bodies`` (routine), ``urgent`` (content that makes it 加急) and
``emergency`` (a threat to life or safety now: 紧急). Templates use ``{slot}`` placeholders:

- list slots, filled from ``common.yaml: slots`` (estate, road, place, company, shop, school, ...);
- order slots, filled from the order itself (district, building, amount, n, bus_line, date);
- PII slots, only in ``common.yaml: pii`` (name, surname, phone, landline, email, id_card, bank_card, plate).

A slot has one value per order, so the title and every sentence of one appeal name the same estate.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from hotline_ml.data.desensitize import luhn_check_digit, resident_id_check_digit

PHRASES_DIR = Path(__file__).parent / "phrases"
ORDER_SLOTS = frozenset({"district", "building", "amount", "n", "bus_line", "date"})
PII_SLOTS = frozenset({"name", "surname", "phone", "landline", "email", "id_card", "bank_card", "plate"})
TEMPLATE_KINDS = ("titles", "bodies", "urgent", "emergency")
REGISTERS = {"calm": 0.5, "angry": 0.25, "elderly": 0.15, "business": 0.10}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_END_PUNCT = tuple("，。！？；：,.!?;:…")
_PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLACE_INTROS = {
    "estate": ("我住在{district}{estate}{building}", "我是{district}{estate}的居民", "{district}{estate}这边"),
    "road": ("地点在{district}{road}附近", "{district}{road}这一段", "我每天经过{district}{road}"),
}
_EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com")
# area codes of Beijing's districts for fake ID numbers (110101 东城 ... 110119 延庆)
_ID_REGIONS = ("110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112",
               "110113", "110114", "110115", "110116", "110117", "110118", "110119")


@dataclass(frozen=True)
class PhraseBank:
    """The parsed phrase bank. ``types`` maps ``一级/二级`` to its template lists."""

    slots: dict[str, list[str]]
    registers: dict[str, dict[str, list[str]]]
    escalation: list[str]
    aggravators: dict[str, list[str]]
    connectors: list[str]
    typos: dict[str, list[str]]
    pii: dict[str, list[str]]
    types: dict[str, dict[str, list[str]]]

    def check(self, taxonomy: dict[str, list[str]]) -> list[str]:
        """Problems that would make generation fail or degrade: missing types, unknown placeholders."""
        problems = []
        for first, seconds in taxonomy.items():
            for second in seconds:
                t = f"{first}/{second}"
                if t not in self.types:
                    problems.append(f"no phrases for {t} (add it to {PHRASES_DIR / (first + '.yaml')})")
                elif not self.types[t].get("bodies") or not self.types[t].get("titles"):
                    problems.append(f"{t}: needs at least one title and one body")
        allowed = set(self.slots) | ORDER_SLOTS
        for t, kinds in self.types.items():
            for kind, templates in kinds.items():
                problems += _unknown_slots(f"{t}.{kind}", templates, allowed)
        for section, templates in self.pii.items():
            problems += _unknown_slots(f"pii.{section}", templates, allowed | PII_SLOTS)
        return problems


def _unknown_slots(where: str, templates: list[str], allowed: set[str]) -> list[str]:
    return [f"{where}: unknown placeholder {{{name}}} in {tpl!r}"
            for tpl in templates for name in _PLACEHOLDER.findall(tpl) if name not in allowed]


@cache
def load_phrase_bank(directory: Path = PHRASES_DIR) -> PhraseBank:
    """Read the phrase bank from ``directory`` (``common.yaml`` plus one file per first-level type)."""
    common = yaml.safe_load((directory / "common.yaml").read_text(encoding="utf-8"))
    types: dict[str, dict[str, list[str]]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.stem == "common":
            continue
        for second, kinds in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            types[f"{path.stem}/{second}"] = {k: list(kinds.get(k) or []) for k in TEMPLATE_KINDS}
    return PhraseBank(
        slots=common["slots"], registers=common["registers"], escalation=common["escalation"],
        aggravators=common["aggravators"], connectors=common["connectors"], typos=common["typos"],
        pii=common["pii"], types=types,
    )


@dataclass(frozen=True)
class OrderContext:
    """What the composer needs to know about an order to write it."""

    appeal_type: str
    urgency: str
    district: str
    month: int
    day: int
    with_pii: bool
    with_typo: bool
    second_type: str | None = None
    phone: str | None = None  # the caller's number, reused in the text when they give a contact
    fixed_slots: dict[str, str] = field(default_factory=dict)  # e.g. a surge event's estate
    name_place: bool = False  # always say where (a surge event's member names its place)
    body: str | None = None  # a fixed routine body template: the problem of a surge event


@dataclass(frozen=True)
class ComposedText:
    """Title, text, and the PII kinds written into them (ground truth for masking recall)."""

    title: str
    text: str
    pii_kinds: tuple[str, ...]


class _Slots(dict):
    """Slot values for one order, drawn on first use so every template of the order agrees."""

    def __init__(self, draw, fixed: dict[str, str]) -> None:
        super().__init__(fixed)
        self._draw = draw

    def __missing__(self, key: str) -> str:
        value = self._draw(key)
        self[key] = value
        return value


class TextComposer:
    """Writes one appeal (title + text) at a time from the phrase bank.

    Args:
        bank: The phrase bank.
        rng: Python random generator (seeded by the caller; the composer draws nothing else).
    """

    def __init__(self, bank: PhraseBank, rng: random.Random) -> None:
        self.bank = bank
        self.rng = rng
        self._registers = list(REGISTERS)
        self._register_weights = list(REGISTERS.values())

    def compose(self, ctx: OrderContext) -> ComposedText:
        """Compose the title and text of one order (see module docstring for the parts)."""
        r = self.rng
        slots = _Slots(lambda key: self._draw_slot(key, ctx), ctx.fixed_slots)
        templates = self.bank.types[ctx.appeal_type]
        register = r.choices(self._registers, self._register_weights)[0]
        reg = self.bank.registers[register]
        body, aggravator = self._body(templates, ctx.urgency, ctx.body)
        if ctx.with_typo:
            body = self._typo(body)
        pii_kinds: list[str] = []
        parts = []
        if r.random() < 0.7:
            parts.append(r.choice(reg["openers"]))
        if ctx.with_pii and r.random() < 0.6:
            parts.append(r.choice(self.bank.pii["self_intro"]))
            pii_kinds.append("name")
        if ctx.name_place:
            parts.append(r.choice(_PLACE_INTROS["road" if "road" in ctx.fixed_slots else "estate"]))
        elif r.random() < 0.35:
            parts.append(r.choice(_PLACE_INTROS["estate"] + _PLACE_INTROS["road"][:1]))
        parts.append(body)
        if aggravator:
            parts.append(aggravator)
        if r.random() < (0.45 if register == "angry" else 0.08):
            parts.append(r.choice(self.bank.escalation))
        if ctx.second_type:
            parts.append(r.choice(self.bank.connectors) + r.choice(self.bank.types[ctx.second_type]["bodies"]))
        if ctx.with_pii:
            parts += self._pii_parts(pii_kinds)
        if r.random() < 0.6:
            parts.append(r.choice(reg["closers"]))
        text = _join(p.format_map(slots) for p in parts)
        title = r.choice(templates["titles"]).format_map(slots)
        return ComposedText(title, text, tuple(pii_kinds))

    def _body(self, templates: dict[str, list[str]], urgency: str, fixed: str | None) -> tuple[str, str | None]:
        r = self.rng
        if urgency == "紧急":
            return r.choice(templates["emergency"]), None
        if fixed is not None:  # one problem told by many callers: the same body, their own words around it
            extra = r.choice(self.bank.aggravators[r.choice(("vulnerable", "scale"))]) if urgency == "加急" else None
            return fixed, extra
        if urgency == "加急":
            # urgency follows content: an urgent situation, or a routine one made urgent by who or how many
            # it hits
            if templates["urgent"] and r.random() < 0.6:
                return r.choice(templates["urgent"]), None
            kind = r.choice(("vulnerable", "scale"))
            return r.choice(templates["bodies"]), r.choice(self.bank.aggravators[kind])
        # a routine case can drag on without becoming urgent
        extra = r.choice(self.bank.aggravators["long_duration"]) if r.random() < 0.1 else None
        return r.choice(templates["bodies"]), extra

    def _pii_parts(self, kinds: list[str]) -> list[str]:
        r = self.rng
        parts = []
        if r.random() < 0.8:
            tpl = r.choice(self.bank.pii["contact"])
            parts.append(tpl)
            kinds += [k for k in ("phone", "landline", "email") if "{" + k + "}" in tpl]
        if r.random() < 0.3 or not parts:
            tpl = r.choice(self.bank.pii["identity"])
            parts.append(tpl)
            kinds += [k for k in ("id_card", "bank_card", "plate") if "{" + k + "}" in tpl]
        return parts

    def _typo(self, body: str) -> str:
        candidates = [k for k in self.bank.typos if k in body]
        if not candidates:
            return body
        right = self.rng.choice(candidates)
        return body.replace(right, self.rng.choice(self.bank.typos[right]), 1)

    def _draw_slot(self, key: str, ctx: OrderContext) -> str:
        r = self.rng
        if key in self.bank.slots:
            return r.choice(self.bank.slots[key])
        if key == "district":
            return ctx.district
        if key == "building":
            return f"{r.randint(1, 32)}号楼{r.randint(1, 6)}单元"
        if key == "amount":
            return f"{r.choice((200, 500, 800, 1200, 1500, 2000, 2800, 3500, 4800, 6000, 8500, 12000))}元"
        if key == "n":
            return str(r.randint(2, 30))
        if key == "bus_line":
            return f"{r.randint(1, 990)}路"
        if key == "date":
            return f"{ctx.month}月{max(1, ctx.day - r.randint(0, 10))}日"
        return self._draw_pii(key, ctx)

    def _draw_pii(self, key: str, ctx: OrderContext) -> str:
        r = self.rng
        pii = self.bank.pii
        if key == "surname":
            return r.choice(pii["surnames"])
        if key == "name":
            return r.choice(pii["surnames"]) + "".join(r.choices(pii["given"], k=r.choice((1, 2, 2))))
        if key == "phone":
            return ctx.phone if ctx.phone and r.random() < 0.7 else random_mobile(r)
        if key == "landline":
            return f"010-{r.randint(5, 8)}{r.randint(0, 9_999_999):07d}"
        if key == "email":
            user = "".join(r.choices(string.ascii_lowercase, k=r.randint(3, 8))) + str(r.randint(1, 9999))
            return f"{user}@{r.choice(_EMAIL_DOMAINS)}"
        if key == "id_card":
            birth = f"{r.randint(1940, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
            first17 = r.choice(_ID_REGIONS) + birth + f"{r.randint(0, 999):03d}"
            return first17 + resident_id_check_digit(first17)
        if key == "bank_card":
            head = "62" + "".join(str(r.randint(0, 9)) for _ in range(r.choice((14, 16))))
            return head + luhn_check_digit(head)
        if key == "plate":
            # five characters after the issuing-office letter, at most two of them letters (京A12345, 京N3B5K7)
            tail = [str(r.randint(0, 9)) for _ in range(5)]
            for pos in r.sample(range(5), r.choice((0, 0, 1, 2))):
                tail[pos] = r.choice(_PLATE_CHARS)
            return f"京{r.choice(_PLATE_CHARS)}{''.join(tail)}"
        raise KeyError(f"unknown slot {{{key}}}")


def random_mobile(r: random.Random) -> str:
    """A mainland mobile number (11 digits, 1[3-9]...)."""
    return f"1{r.choice('3456789')}{r.randint(0, 999_999_999):09d}"


def _join(parts) -> str:
    out = []
    for p in parts:
        p = p.strip()
        if p:
            out.append(p if p.endswith(_END_PUNCT) else p + "。")
    return "".join(out)
