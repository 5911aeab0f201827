"""Cue lists and text windows: the matching shared by every rule layer of the triage net.

A cue list (:class:`~hotline_ml.config.SignalRule`) is compiled once into one regular expression; a window
(:class:`~hotline_ml.config.TextWindow`) is the clause, the sentence or the whole text around a position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hotline_ml.config import SignalRule, TextWindow

_SENTENCE_END = re.compile(r"[。！？!?\n\r]+")
_CLAUSE_END = re.compile(r"[。！？!?\n\r，,；;：:]+")


def compile_cues(where: str, keywords: Sequence[str], patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex matching any keyword (literally) or pattern.

    Args:
        where: Config path named in errors, e.g. ``routing.emergency.fire``.

    Raises:
        ValueError: No keyword or pattern, or an invalid pattern (the message names ``where``).
    """
    parts = [re.escape(k) for k in keywords if k] + list(patterns)
    if not parts:
        raise ValueError(f"{where}: give at least one keyword or pattern")
    try:
        return re.compile("|".join(parts))
    except re.error as e:
        raise ValueError(f"{where}: invalid pattern ({e}); patterns: {list(patterns)}") from None


def compile_rule(where: str, rule: SignalRule) -> re.Pattern[str]:
    """:func:`compile_cues` of a :class:`SignalRule`."""
    return compile_cues(where, rule.keywords, rule.patterns)


def window(text: str, start: int, end: int, kind: TextWindow) -> tuple[int, int]:
    """``(lo, hi)`` character offsets of the ``kind`` window around ``text[start:end]``."""
    if kind is TextWindow.text:
        return 0, len(text)
    stop = _SENTENCE_END if kind is TextWindow.sentence else _CLAUSE_END
    lo = max((m.end() for m in stop.finditer(text, 0, start)), default=0)
    m = stop.search(text, end)
    return lo, m.start() if m else len(text)


def find_in_window(cues: re.Pattern[str], text: str, start: int, end: int, kind: TextWindow) -> str | None:
    """The first cue in the ``kind`` window around ``text[start:end]``, or ``None``."""
    lo, hi = window(text, start, end, kind)
    m = cues.search(text, lo, hi)
    return m.group(0) if m else None
