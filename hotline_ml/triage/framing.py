"""Framing: whether an emergency word around a position speaks of an emergency happening now.

Most mentions of fire, fights or fainting in appeals are not live emergencies: they narrate the past
(``去年``, ``当时``), complain of something recurring (``经常``, ``每天``), warn of a hazard (``万一``,
``隐患``), ask about rules (``咨询``, ``如何办理``), repeat what others said (``听说``, ``新闻``), or sit in a
long letter that tells a story. A framed hit never transfers; it may still send the order to a person. A
live-now cue near the hit (``正在``, ``刚才``) or a call for help anywhere (``救命啊``, ``快来人``) overrides
any framing: when in doubt, it is live.

Cue lists and windows are in ``conf/routing/default.yaml`` under ``framing``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline_ml.config import FramingConfig
from hotline_ml.triage.cues import compile_rule, find_in_window

#: Framing kinds, in the order they are checked.
FRAME_KINDS: tuple[str, ...] = ("past", "habitual", "hypothetical", "consultation", "reported")
#: Framing kinds that frame a whole text (:meth:`Framing.text_frame`).
TEXT_FRAME_KINDS: tuple[str, ...] = ("past", "consultation", "reported")


@dataclass(frozen=True)
class Frame:
    """Why a hit is not live: ``kind`` (past, habitual, hypothetical, consultation, reported,
    narrative) and the cue."""

    kind: str
    cue: str

    def reason(self) -> str:
        """``framed:past(去年)``."""
        return f"framed:{self.kind}({self.cue})"


class Framing:
    """Decides whether a hit at ``text[start:end]`` is framed (not an emergency now).

    Raises:
        ValueError: An empty or invalid cue list, or ``long_letter_chars`` below 1 (the message names it).
    """

    def __init__(self, cfg: FramingConfig) -> None:
        if cfg.long_letter_chars < 1:
            raise ValueError(f"routing.framing.long_letter_chars must be >= 1, got {cfg.long_letter_chars}")
        self.cfg = cfg
        self.frames = {k: compile_rule(f"routing.framing.{k}", getattr(cfg, k)) for k in FRAME_KINDS}
        self.live = compile_rule("routing.framing.live", cfg.live)
        self.alarm = compile_rule("routing.framing.alarm", cfg.alarm)

    def live_cue(self, text: str, start: int, end: int) -> str | None:
        """A live-now cue near the hit, or a call for help anywhere in the text; in a long letter, where
        ``现在`` and ``救命`` are figures of narration, only a call for help near the hit."""
        if self.is_long_letter(text):
            return find_in_window(self.alarm, text, start, end, self.cfg.live_window)
        m = self.alarm.search(text)
        return m.group(0) if m else find_in_window(self.live, text, start, end, self.cfg.live_window)

    def frame(self, text: str, start: int, end: int) -> Frame | None:
        """The framing of the hit ``text[start:end]``, or ``None`` when it is live (or nothing frames it)."""
        if self.live_cue(text, start, end):
            return None
        for kind in FRAME_KINDS:
            cue = find_in_window(self.frames[kind], text, start, end, self.cfg.frame_window)
            if cue:
                return Frame(kind, cue)
        if len(text) >= self.cfg.long_letter_chars:
            return Frame("narrative", f"{len(text)}字")
        return None

    def text_frame(self, text: str) -> Frame | None:
        """A past, consultation or reported cue anywhere in ``text`` when no live or alarm cue is anywhere in
        it: the test a detector-only transfer (no rule hit to frame) must pass. Hypothetical and habitual cues
        do not count here: callers in a live emergency guess (``可能``) and describe (``疼得很频繁``)."""
        if self.alarm.search(text) or self.live.search(text):
            return None
        for kind in TEXT_FRAME_KINDS:
            m = self.frames[kind].search(text)
            if m:
                return Frame(kind, m.group(0))
        return None

    def is_long_letter(self, text: str) -> bool:
        """Whether ``text`` is a narrative letter (at least ``long_letter_chars`` long)."""
        return len(text) >= self.cfg.long_letter_chars



