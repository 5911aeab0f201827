"""How the triage net routes emergencies and non-emergencies, in the worst case where only it protects.

    .venv/bin/python bench/bench_triage.py                  # frozen set, TipDM letters, dev corpus
    .venv/bin/python bench/bench_triage.py --skip-frozen    # while tuning: never look at the frozen set
    .venv/bin/python bench/bench_triage.py --skip-frozen --show-errors 30

Worst case: the model is sure (type score 1.0, ``紧急`` probability 0.0) and predicts an automatable grade, so
every emergency that is not transferred or sent to a person would be automated. Texts are masked by the
toolkit's desensitizer first, as in serving.

(a) The frozen evaluation set ``tests/fixtures/triage/{emergencies,non_emergencies}.jsonl`` (``text``,
    ``service``, ``scenario``): emergencies transferred, to a person, automated (count), the right line among
    the transferred; non-emergencies transferred.
(b) Real TipDM 2020 letters (attachments 2, 3, 4 deduplicated by text, title + body; found next to the path of
    ``conf/data/tipdm2020c.yaml``, skipped when absent): the transfer rate; the transferred letters are written
    to ``outputs/bench_triage/tipdm_transferred.csv`` for reading.
(c) The development corpus ``hotline_ml/triage/corpus/``, the detector scored out of fold
    (``detector.cv_folds``): each pair of files (``emergencies.jsonl`` + ``non_emergencies.jsonl``, ``..._2``; each
    pair by another author) on its own and all together, with the recall of the detector's review threshold.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from hotline_ml.config import DesensitizeConfig, RoutingConfig, register_configs
from hotline_ml.data.desensitize import make_desensitizer
from hotline_ml.triage import Router
from hotline_ml.triage.detector import cross_validated_scores, threshold_for_recall
from hotline_ml.types import RoutingDecision

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "tests" / "fixtures" / "triage"
TIPDM_FILES = ("attachment2_sample_labelled.csv", "attachment3_full_likes.csv", "attachment4_full_replies.csv")
OUT = ROOT / "outputs" / "bench_triage"


def configs() -> tuple[RoutingConfig, DesensitizeConfig, Path]:
    """The routing and masking configs, and the TipDM folder (from ``conf/data/tipdm2020c.yaml``)."""
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        serve = OmegaConf.to_object(compose("serve", overrides=["routing=default", "desensitize=default"]))
        data = compose("prepare_data", overrides=["data=tipdm2020c"]).data
    return serve.routing, serve.desensitize, (ROOT / str(data.path)).parent


def worst_case(router: Router, texts: list[str], detector_scores: np.ndarray | None = None) -> list[RoutingDecision]:
    """Decisions with a sure model predicting an automatable grade (optionally given detector scores)."""
    grade = next(iter(router.policy.automatable))
    if detector_scores is None:
        return router.decide_many(texts, np.ones(len(texts)), np.zeros(len(texts)), appeal_types=[grade] * len(texts))
    return [router.decide(t, 1.0, 0.0, appeal_type=grade, detector_score=float(s))
            for t, s in zip(texts, detector_scores, strict=True)]


def report(name: str, decisions: list[RoutingDecision], positive: np.ndarray, services: list[str | None]) -> None:
    """Print the figures of one set (``positive``: which rows are emergencies)."""
    route = np.array([d.route for d in decisions])
    pos, neg = positive, ~positive
    print(f"\n== {name}: {pos.sum()} emergencies, {neg.sum()} non-emergencies")
    if pos.any():
        moved = [d for d, p in zip(decisions, pos, strict=True) if p and d.route == "transfer"]
        right = sum(s in d.transfer_to for d, s, p in zip(decisions, services, pos, strict=True)
                    if p and d.route == "transfer" and s)
        print(f"emergencies transferred {np.mean(route[pos] == 'transfer'):.1%}, to a person "
              f"{np.mean(route[pos] == 'human_review'):.1%}, automated {int((route[pos] == 'automated').sum())}; "
              f"right line among transferred {right / max(len(moved), 1):.1%}")
    if neg.any():
        print(f"non-emergencies transferred {np.mean(route[neg] == 'transfer'):.1%} "
              f"({int((route[neg] == 'transfer').sum())}), to a person {np.mean(route[neg] == 'human_review'):.1%}")


def layer_counts(decisions: list[RoutingDecision]) -> str:
    """Which layers fired on transfers."""
    c = Counter(r.split(":")[0].split("(")[0] for d in decisions if d.route == "transfer" for r in d.reasons)
    return ", ".join(f"{k} {v}" for k, v in c.most_common())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def frozen(router: Router, masker) -> None:
    """(a) The frozen set: read and scored, never printed."""
    pos, neg = read_jsonl(FROZEN / "emergencies.jsonl"), read_jsonl(FROZEN / "non_emergencies.jsonl")
    rows = pos + neg
    texts = masker.mask_many([r["text"] for r in rows])[0] if masker else [r["text"] for r in rows]
    decisions = worst_case(router, texts)
    report("frozen set (tests/fixtures/triage)", decisions, np.arange(len(rows)) < len(pos),
           [r.get("service") for r in rows])


def tipdm(router: Router, masker, folder: Path) -> None:
    """(b) Real TipDM letters: transfer rate; transferred letters to a CSV."""
    if not all((folder / f).exists() for f in TIPDM_FILES):
        print(f"\n== TipDM: skipped ({folder} lacks {', '.join(TIPDM_FILES)})")
        return
    frames = [pd.read_csv(folder / f, dtype=str)[["留言编号", "留言主题", "留言详情"]].assign(source=f)
              for f in TIPDM_FILES]
    letters = pd.concat(frames).fillna("").drop_duplicates("留言详情").reset_index(drop=True)
    texts = (letters["留言主题"] + "\n" + letters["留言详情"]).tolist()
    texts = masker.mask_many(texts)[0] if masker else texts
    decisions = worst_case(router, texts)
    route = np.array([d.route for d in decisions])
    print(f"\n== TipDM letters: {len(texts)} (deduplicated by text)")
    print(f"transferred {np.mean(route == 'transfer'):.2%} ({int((route == 'transfer').sum())}), to a person "
          f"{np.mean(route == 'human_review'):.1%}; transfer layers: {layer_counts(decisions)}")
    moved = route == "transfer"
    OUT.mkdir(parents=True, exist_ok=True)
    out = letters[moved].assign(text=np.array(texts, dtype=object)[moved],
                                transfer_to=["/".join(d.transfer_to) for d in np.array(decisions)[moved]],
                                reasons=[" ".join(d.reasons) for d in np.array(decisions)[moved]])
    out[["source", "留言编号", "transfer_to", "reasons", "text"]].to_csv(OUT / "tipdm_transferred.csv", index=False)
    print(f"transferred letters: {OUT / 'tipdm_transferred.csv'}")


def pair(source: str) -> str:
    """The corpus pair of a corpus file: ``non_emergencies_2.jsonl`` -> ``*emergencies_2``."""
    return "*" + source.removeprefix("non_").removesuffix(".jsonl")


def dev(router: Router, masker, show_errors: int) -> None:
    """(c) The development corpus with out-of-fold detector scores (the folds run over all pairs together),
    reported per pair of files (each pair has its own author) and over all of them."""
    corpus, scores = cross_validated_scores(router.cfg.detector)
    texts = masker.mask_many(corpus.texts)[0] if masker else corpus.texts
    decisions = worst_case(router, texts, scores)
    positive = corpus.labels == 1
    folds = router.cfg.detector.cv_folds
    pairs = np.array([pair(s) for s in corpus.sources])
    for name in dict.fromkeys(pairs):
        rows = np.flatnonzero(pairs == name)
        report(f"dev corpus {name} (detector {folds}-fold out of fold)", [decisions[i] for i in rows],
               positive[rows], [corpus.services[i] for i in rows])
    report(f"dev corpus, all pairs (detector {folds}-fold out of fold)", decisions, positive, corpus.services)
    t = router.cfg.detector
    print(f"detector alone: recall {np.mean(scores[positive] >= t.review_threshold):.3f} at review threshold "
          f"{t.review_threshold} (threshold for recall 0.99: {threshold_for_recall(scores, corpus.labels, 0.99):.2f}),"
          f" {np.mean(scores[positive] >= t.transfer_threshold):.3f} at transfer threshold {t.transfer_threshold}; "
          f"non-emergencies above them {np.mean(scores[~positive] >= t.review_threshold):.3f}, "
          f"{np.mean(scores[~positive] >= t.transfer_threshold):.3f}")
    print(f"transfer layers: {layer_counts(decisions)}")
    for label, wrong in (("emergency not transferred", lambda d, p: p and d.route != "transfer"),
                         ("non-emergency transferred", lambda d, p: not p and d.route == "transfer")):
        errors = [(d, t, s, n) for d, t, s, p, n in zip(decisions, texts, scores, positive, pairs, strict=True)
                  if wrong(d, p)]
        for d, text, s, n in errors[:show_errors]:
            print(f"  [{label}, {n}] {d.route} {s:.2f} {list(d.reasons)[:4]} {text[:90]}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-frozen", action="store_true", help="do not score the frozen evaluation set")
    p.add_argument("--show-errors", type=int, default=0, help="dev-corpus errors to print per kind")
    args = p.parse_args()
    routing, desensitize, tipdm_dir = configs()
    router, masker = Router(routing), make_desensitizer(desensitize)
    if not args.skip_frozen:
        frozen(router, masker)
    tipdm(router, masker, tipdm_dir)
    dev(router, masker, args.show_errors)


if __name__ == "__main__":
    main()
