"""Score the place extractor and the hot-issue grouper on labelled appeals (the frozen set in
``tests/fixtures/hot_issues/``, written apart from the rules; see its README).

Places are compared as sets of ``(name, kind)`` per appeal: *exact* counts a found place when name and kind both
match a gold one, *name* when the name matches whatever the kind. The gold set lists no province; a province
found (``西地省``) counts against precision like any other place not in the gold list. Groups are compared by
majority, as the synthetic events are: a found hot issue is a gold group when more than half of its appeals
belong to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hotline_ml.config import HotIssueConfig, PlaceConfig
from hotline_ml.insight.hot_issues import find_hot_issues
from hotline_ml.insight.places import PlaceExtractor


@dataclass(frozen=True)
class PlaceScores:
    """Precision and recall of place extraction.

    Attributes:
        exact: ``{"precision", "recall", "f1"}`` on (name, kind).
        name: The same on names only.
        key: The same on names only, for the places that tie appeals to a spot (``key_kinds``) on both sides.
        per_kind: Recall of exact matches per gold kind.
        misses: Gold places not found, with their appeal id (for reading, not for tuning on).
    """

    exact: dict[str, float]
    name: dict[str, float]
    key: dict[str, float]
    per_kind: dict[str, float]
    misses: pd.DataFrame


def read_jsonl(path: str | Path) -> list[dict]:
    """The records of a JSON Lines file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score_places(records: list[dict], cfg: PlaceConfig) -> PlaceScores:
    """Score :class:`PlaceExtractor` on records ``{"id", "text", "places": [{"span", "kind"}]}``."""
    ex = PlaceExtractor(cfg)
    key_kinds = {str(k) for k in ex.key_kinds}
    counts = {m: [0, 0, 0] for m in ("exact", "name", "key")}  # found, gold, both
    per_kind: dict[str, list[int]] = {}
    misses = []
    for r in records:
        found = {(p.name, str(p.kind)) for p in ex.extract(r["text"])}
        gold = {(g["span"], g["kind"]) for g in r["places"]}
        sides = {"exact": (found, gold), "name": ({n for n, _ in found}, {n for n, _ in gold}),
                 "key": ({n for n, k in found if k in key_kinds}, {n for n, k in gold if k in key_kinds})}
        for m, (f, g) in sides.items():
            counts[m][0] += len(f)
            counts[m][1] += len(g)
            counts[m][2] += len(f & g)
        for name, kind in gold:
            per_kind.setdefault(kind, [0, 0])
            per_kind[kind][0] += 1
            per_kind[kind][1] += (name, kind) in found
            if (name, kind) not in found:
                misses.append({"id": r["id"], "name": name, "kind": kind,
                               "found": " ".join(sorted(n for n, _ in found))})
    return PlaceScores(**{m: _prf(*c) for m, c in counts.items()},
                       per_kind={k: hit / n for k, (n, hit) in sorted(per_kind.items())},
                       misses=pd.DataFrame(misses, columns=["id", "name", "kind", "found"]))


def _prf(found: int, gold: int, both: int) -> dict[str, float]:
    p = both / found if found else float("nan")
    r = both / gold if gold else float("nan")
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score_groups(records: list[dict], cfg: HotIssueConfig, places: PlaceConfig) -> dict[str, float]:
    """Run the grouper on records ``{"id", "group", "created_at", "caller", "title", "text"}`` (only these four
    are shown to it) and score it: group precision and recall by majority, and pairwise precision and recall
    (pairs of appeals put in one hot issue against pairs in one gold group)."""
    orders = pd.DataFrame({"order_id": [r["id"] for r in records],
                           "created_at": pd.to_datetime([r["created_at"] for r in records]),
                           "caller_id": [r["caller"] for r in records], "title": [r["title"] for r in records],
                           "text": [r["text"] for r in records]})
    gold = {r["id"]: r["group"] or "" for r in records}
    found = find_hot_issues(orders, cfg, places, progress=False)
    members = found.members.assign(gold=found.members["order_id"].map(gold))
    majority = members.groupby("group")["gold"].agg(
        lambda s: s.value_counts().index[0] if s.value_counts().iloc[0] * 2 > len(s) else "")
    true = majority[majority != ""]
    n_gold = len({g for g in gold.values() if g})
    found_pairs = {frozenset(p) for _, m in members.groupby("group") for p in _pairs(m["order_id"])}
    gold_pairs = {frozenset(p) for g, ids in pd.Series(gold).groupby(pd.Series(gold)) if g for p in _pairs(ids.index)}
    both = len(found_pairs & gold_pairs)
    return {"group_precision": len(true) / len(majority) if len(majority) else float("nan"),
            "group_recall": true.nunique() / n_gold, "groups_found": float(len(majority)),
            "gold_groups": float(n_gold), "gold_found": float(true.nunique()),
            "pair_precision": both / len(found_pairs) if found_pairs else float("nan"),
            "pair_recall": both / len(gold_pairs)}


def _pairs(ids) -> list[tuple[str, str]]:
    ids = list(ids)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
