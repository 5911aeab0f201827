"""The danger-concept layer: a person x an acute state x now, in one window of text.

The lexicon knows phrases; callers paraphrase ("a young man sitting outside the rooftop railing", "grandpa
slipped into the park lake"). This layer generalises by composition: a word for an acute state (in water, at
a height, smoke, fumes, about to fall, bleeding, unconscious, stroke signs, poisoning, violence, abduction,
confinement, trapped, flood) near a word for a person and a word for now. A state with a person or a now cue
is a hit and blocks automation; with all three (or a vulnerable person, when so configured) it is strong and
may transfer to the state's lines, subject to framing like any lexicon hit.

Word lists are in ``conf/routing/default.yaml`` under ``concepts``.
"""

from __future__ import annotations

import re

from hotline_ml.config import ConceptConfig
from hotline_ml.triage.cues import compile_cues, compile_rule, find_in_window
from hotline_ml.triage.lexicon import Hit, check_lines


class Concepts:
    """Finds danger concepts in a text.

    Raises:
        ValueError: An empty or invalid word list, or bad lines for a state (the message names it).
    """

    def __init__(self, cfg: ConceptConfig) -> None:
        self.cfg = cfg
        self.person = compile_rule("routing.concepts.person", cfg.person)
        self.vulnerable = compile_rule("routing.concepts.vulnerable", cfg.vulnerable)
        self.now = compile_rule("routing.concepts.now", cfg.now)
        self.states: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = []
        for name, s in cfg.states.items():
            where = f"routing.concepts.states.{name}"
            self.states.append((name, compile_cues(where, s.keywords, s.patterns), check_lines(where, s.transfer_to)))

    def hits(self, text: str) -> list[Hit]:
        """One hit per state match with a person or a now cue in the window; ``strong`` when it may transfer."""
        out = []
        for name, regex, lines in self.states:
            for m in regex.finditer(text):
                hit = self._hit(text, name, m, lines)
                if hit is not None:
                    out.append(hit)
        return out

    def _hit(self, text: str, state: str, m: re.Match[str], lines: tuple[str, ...]) -> Hit | None:
        s, e, w = m.start(), m.end(), self.cfg.window
        vulnerable = find_in_window(self.vulnerable, text, s, e, w)
        person = vulnerable or find_in_window(self.person, text, s, e, w)
        now = find_in_window(self.now, text, s, e, w)
        if not (person or now):
            return None
        who = "vulnerable" if vulnerable else "person"
        parts = [who] if person else []
        parts += [state] + (["now"] if now else [])
        strong = bool(person and now) or bool(vulnerable and not self.cfg.vulnerable_needs_now)
        phrase = "|".join(p for p in (person, m.group(0), now) if p)
        return Hit("concept", "+".join(parts), phrase, s, e, lines, strong)
