"""Hot issues on the two frozen evaluation sets, each written apart from the rules: tests/fixtures/hot_issues/
(places and groups) and tests/fixtures/hot_issues_second/ (groups about places and groups of people, acute and
chronic, written apart from the first set too).

    .venv/bin/python bench/eval_hot_issues.py                # the frozen set only (seconds)
    .venv/bin/python bench/eval_hot_issues.py --misses 30    # and the first 30 gold places not found
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hotline_ml.cli import compose
from hotline_ml.insight.evaluate import read_jsonl, score_groups, score_places

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "hot_issues"
SECOND = FIXTURES.with_name("hot_issues_second")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--misses", type=int, default=0, help="print this many gold places that were not found")
    args = ap.parse_args()
    cfg = compose("find_hot_issues")
    places = score_places(read_jsonl(FIXTURES / "places.jsonl"), cfg.places)
    print("places (tests/fixtures/hot_issues/places.jsonl, 166 appeals, 376 gold places):")
    for name in ("exact", "name", "key"):
        s = getattr(places, name)
        print(f"  {name:<5}  precision {s['precision']:.3f}  recall {s['recall']:.3f}  f1 {s['f1']:.3f}")
    print("  recall per kind: " + ", ".join(f"{k} {v:.2f}" for k, v in places.per_kind.items()))
    for path in (FIXTURES / "groups.jsonl", SECOND / "groups.jsonl"):
        records = read_jsonl(path)
        groups = score_groups(records, cfg.hot_issues, cfg.places)
        print(f"hot issues ({path.relative_to(FIXTURES.parents[2])}, {len(records)} appeals, "
              f"{groups['gold_groups']:.0f} gold groups):")
        print(f"  groups: precision {groups['group_precision']:.3f} ({groups['groups_found']:.0f} found), recall "
              f"{groups['group_recall']:.3f} ({groups['gold_found']:.0f} of {groups['gold_groups']:.0f})")
        print(f"  pairs:  precision {groups['pair_precision']:.3f}, recall {groups['pair_recall']:.3f}")
    if args.misses:
        print(places.misses.head(args.misses).to_string(index=False))


if __name__ == "__main__":
    main()
