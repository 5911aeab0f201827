"""The automation policy: which work-order grades a machine may close, and the operator's authority.

Only standardized matters (consultations on fees, procedures and policy, answered from published rules) may
be closed by a machine; every other appeal type goes to a person however sure the model is. An unknown type
(the caller passed none) is not automatable: the policy cannot check the grade, so a person decides. A
request flag ``human=True`` (the operator's one-click transfer) and a caller asking for a person (``转人工``)
always reach a person. The table and the phrases are under ``policy`` in ``conf/routing/default.yaml``.
"""

from __future__ import annotations

from hotline_ml.config import PolicyConfig
from hotline_ml.triage.cues import compile_rule


class AutomationPolicy:
    """Applies a :class:`PolicyConfig`."""

    def __init__(self, cfg: PolicyConfig) -> None:
        self.cfg = cfg
        self.automatable = dict(cfg.automatable)
        self.ask = compile_rule("routing.policy.ask_for_person", cfg.ask_for_person)

    def is_automatable(self, appeal_type: str | None) -> bool:
        """Whether ``appeal_type`` (``一级`` or ``一级/二级``) is a grade a machine may close."""
        if not appeal_type:
            return False
        parts = str(appeal_type).split("/")
        return any("/".join(parts[:k]) in self.automatable for k in range(1, len(parts) + 1))

    def reasons(self, text: str, appeal_type: str | None, human: bool) -> list[str]:
        """Why this order must reach a person (empty when the policy allows automation)."""
        out = ["operator:human"] if human else []
        m = self.ask.search(text)
        if m:
            out.append(f"caller:asks_for_person({m.group(0)})")
        if not self.is_automatable(appeal_type):
            out.append(f"grade:{appeal_type or 'unknown'} not automatable")
        return out
