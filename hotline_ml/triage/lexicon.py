"""The emergency lexicon: regular-expression rules per kind of emergency (fire, gas, trapped, violence, ...).

Each rule names the emergency lines it transfers to. Rules run on desensitized text (placeholders such as
``[电话]`` never match). Whether a hit is live is not the lexicon's business: :mod:`hotline_ml.triage.framing`
judges every hit, so the rules list what an emergency sounds like and nothing about tense or mood. ``unless``
patterns only blank out phrases that mean something else (``救命药``, ``打着火`` a stove).
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
    unless: re.Pattern[str] | None

    def finditer(self, text: str):
        if self.unless is not None:  # blank out other meanings, keeping positions
            text = self.unless.sub(lambda m: "\u25a1" * len(m.group(0)), text)
        return self.regex.finditer(text)


class Lexicon:
    """The emergency rules of ``routing.emergency``, in config order.

    Raises:
        ValueError: A rule without keywords or patterns, an invalid regex, or a transfer target other than
            110/119/120 (the message names the rule).
    """

    def __init__(self, rules: Mapping[str, EmergencyRule]) -> None:
        self.rules = [self._rule(name, r) for name, r in rules.items()]

    @staticmethod
    def _rule(name: str, rule: EmergencyRule) -> _Rule:
        where = f"routing.emergency.{name}"
        lines = check_lines(where, rule.transfer_to)
        unless = compile_cues(f"{where}.unless", [], rule.unless) if rule.unless else None
        return _Rule(name, compile_cues(where, rule.keywords, rule.patterns), lines, unless)

    def hits(self, text: str) -> list[Hit]:
        """Every match of every rule, in config order then text order."""
        return [Hit("lexicon", r.name, m.group(0), m.start(), m.end(), r.lines)
                for r in self.rules for m in r.finditer(text) if m.group(0)]
