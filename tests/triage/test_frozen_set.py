"""The frozen evaluation set (tests/fixtures/triage/, written apart from the rules, never tuned on): no live
emergency may ever be automated, even when the model is sure and predicts a grade a machine may close.

The figures (share transferred, false transfers) are printed by ``bench/bench_triage.py``; this test holds the
one line that must never move.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotline_ml.data.desensitize import make_desensitizer
from hotline_ml.triage import triage_only_decisions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "triage"


def _texts(name: str) -> list[str]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def test_no_frozen_emergency_is_automated(router, routing_cfg) -> None:
    from tests.helpers import compose_config

    masker = make_desensitizer(compose_config("prepare_data").desensitize)
    texts = masker.mask_many(_texts("emergencies.jsonl"))[0]  # serving masks before triage
    assert len(texts) >= 300
    decisions = triage_only_decisions(router, texts)
    automated = [t for t, d in zip(texts, decisions, strict=True) if d.route == "automated"]
    assert automated == []
    # and most of them go straight to an emergency line (the bench prints the exact share)
    assert sum(d.route == "transfer" for d in decisions) / len(texts) >= 0.95
