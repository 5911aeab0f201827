"""The emergency lexicon: regular-expression rules per kind of emergency (fire, gas, trapped, violence, ...).

Each rule names the emergency lines it transfers to. Rules run on desensitized text (placeholders such as
``[电话]`` never match). Whether a hit is live is not the lexicon's business: :mod:`hotline_ml.triage.framing`
judges every hit, so the rules list what an emergency sounds like and nothing about tense or mood. ``unless``
patterns only blank out phrases that mean something else (``救命药``, ``打着火`` a stove) and figures of speech
(``气得想跳楼``, ``差到爆炸``): :meth:`Lexicon.blank` blanks those of every rule, once, before any layer (the
rules, the concepts, the framing cues) reads the text, so a figure of speech neither fires a rule nor counts as
a call for help.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hotline_ml.config import EmergencyRule
from hotline_ml.triage.cues import compile_cues

#: Emergency lines a rule may transfer to.
EMERGENCY_LINES: tuple[str, ...] = ("110", "119", "120")


def check_lines(where: str, lines: Sequence[str]) -> tuple[str, ...]:
    """The lines as a tuple, or ``ValueError`` naming ``where`` when empty or not 110/119/120."""
    bad = [t for t in lines if t not in EMERGENCY_LINES]
    if bad or not lines:
        raise ValueError(f"{where}.transfer_to: {list(lines)}; use {EMERGENCY_LINES}")
    return tuple(lines)


@dataclass(frozen=True)
class Hit:
    """One match of a rule layer.

    Attributes:
        layer: ``lexicon`` or ``concept``.
        name: Rule or concept name, e.g. ``fire`` or ``person+water+now``.
        phrase: The matched text.
        start: Offset of the match in the text.
        end: End offset.
        lines: Emergency lines for the hit.
        strong: Whether the hit may transfer (every lexicon hit; a concept hit with all its parts).
    """

    layer: str
    name: str
    phrase: str
    start: int
    end: int
    lines: tuple[str, ...]
    strong: bool = True

    def reason(self) -> str:
        """``lexicon:fire(着火)``."""
        return f"{self.layer}:{self.name}({self.phrase})"


@dataclass(frozen=True)
class _Rule:
    name: str
    regex: re.Pattern[str]
    lines: tuple[str, ...]


class Lexicon:
    """The emergency rules of ``routing.emergency``, in config order.

    Raises:
        ValueError: A rule without keywords or patterns, an invalid regex, or a transfer target other than
            110/119/120 (the message names the rule).
    """

    def __init__(self, rules: Mapping[str, EmergencyRule]) -> None:
        self.rules = [_Rule(name, compile_cues(f"routing.emergency.{name}", r.keywords, r.patterns),
                            check_lines(f"routing.emergency.{name}", r.transfer_to)) for name, r in rules.items()]
        unless = [compile_cues(f"routing.emergency.{name}.unless", [], r.unless).pattern
                  for name, r in rules.items() if r.unless]
        self.other_meanings = re.compile("|".join(f"(?:{u})" for u in unless)) if unless else None

    def blank(self, text: str) -> str:
        """``text`` with every rule's ``unless`` phrase replaced by ``□`` (same length, so offsets hold)."""
        if self.other_meanings is None:
            return text
        return self.other_meanings.sub(lambda m: "\u25a1" * len(m.group(0)), text)

    def hits(self, text: str) -> list[Hit]:
        """Every match of every rule in ``text`` (blanked here when the caller has not), in config order then
        text order."""
        text = self.blank(text)
        return [Hit("lexicon", r.name, m.group(0), m.start(), m.end(), r.lines)
                for r in self.rules for m in r.regex.finditer(text) if m.group(0)]
