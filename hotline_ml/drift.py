"""Drift of a scored day against the data the model was trained on.

At training time the classifier job calls :func:`build_profile` with what the model saw and its own predictions
of the validation rows (already computed in memory; nothing is loaded or predicted again): the training label
mix of its appeal-type task, the training text lengths (decile edges), the characters of the training texts,
and on validation rows the predicted type mix, the shares of each route and the rate of characters never seen
in training. The profile travels with the registered model (artifact ``drift_profile``). Batch scoring counts the
same things per chunk (:func:`day_counts`, additive, so a resumed run sums them) and :func:`drift_report`
compares the day:

- ``type_mix_psi``: population stability index of the day's *predicted* type mix against the *validation
  predicted* mix: like with like, so a model's own bias (it over-predicts one type) does not read as drift.
  PSI = sum over types of (day - validation) * ln(day / validation), shares smoothed by 1e-4; above about 0.25
  the mix has moved a lot (a new topic, a surge, a change of intake). The training label mix is reported beside
  it.
- ``text_length_psi``: the same over the training text-length deciles.
- ``human_review_share`` / ``transfer_share``: the day's share of each route minus its validation share.
- ``unknown_char_rate``: the day's share of characters never seen in training, minus validation's.

A check is flagged when it passes its threshold (``conf/batch_score.yaml: drift``); a day with fewer than
``min_orders`` scored orders is not judged (a handful of orders says little).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hotline_ml.config import DriftConfig

log = logging.getLogger(__name__)
PROFILE_ARTIFACT = "drift_profile"
PROFILE_FILE = "drift_profile.json"
_EPS = 1e-4


@dataclass(frozen=True)
class DriftProfile:
    """What the model was trained and validated on (see the module docstring)."""

    type_task: str
    label_mix: dict[str, float]
    validation_mix: dict[str, float]
    routes: dict[str, float]
    length_edges: list[float]
    length_shares: list[float]
    vocabulary: str
    unknown_rate: float
    rows: dict[str, int]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> DriftProfile:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def build_profile(type_task: str, train_labels: pd.Series, train_texts: pd.Series, validation_texts: pd.Series,
                  predicted: pd.DataFrame) -> DriftProfile:
    """The profile of a trained model: training labels, lengths and characters; validation predictions.

    Args:
        type_task: The appeal-type task whose mix is compared (``type_l1``).
        train_labels: The training rows' labels of ``type_task`` (missing ones are left out).
        train_texts: The training rows' masked texts.
        validation_texts: The validation rows' masked texts.
        predicted: The model's routed predictions of the validation rows (``appeal_type`` and ``route``), as
            the served predictor makes them (:func:`hotline_ml.triage.route_probabilities`).
    """
    texts = train_texts.fillna("").astype(str)
    edges = np.unique(np.quantile(texts.str.len(), np.linspace(0.1, 0.9, 9))).tolist()
    counts = Counter(ch for t in texts for ch in t if not ch.isspace())
    vocabulary = "".join(sorted(ch for ch, n in counts.items() if n >= 2))
    known = set(vocabulary)
    chars = [ch for t in validation_texts.fillna("").astype(str) for ch in t if not ch.isspace()]
    return DriftProfile(
        type_task=type_task, label_mix=_shares(train_labels.dropna()),
        validation_mix=_shares(predicted["appeal_type"]), routes=_shares(predicted["route"]), length_edges=edges,
        length_shares=(_bins(texts.str.len(), edges) / max(1, len(texts))).tolist(), vocabulary=vocabulary,
        unknown_rate=sum(ch not in known for ch in chars) / max(1, len(chars)),
        rows={"train": len(texts), "validation": len(validation_texts)})


def day_counts(orders: pd.DataFrame, predictions: pd.DataFrame, profile: DriftProfile | None) -> dict:
    """Additive counts of one chunk for :func:`drift_report`: predicted types, length bins, characters."""
    if profile is None or orders.empty:
        return {}
    texts = orders["text"].fillna("").astype(str)
    known = set(profile.vocabulary)
    chars = [ch for t in texts for ch in t if not ch.isspace()]
    return {"n": len(orders), "types": predictions["appeal_type"].value_counts().to_dict(),
            "lengths": _bins(texts.str.len(), profile.length_edges).tolist(), "chars": len(chars),
            "unknown": sum(ch not in known for ch in chars)}


def add_counts(counts: list[dict]) -> dict:
    """The sum of chunks' :func:`day_counts`."""
    counts = [c for c in counts if c]
    if not counts:
        return {}
    types: Counter = Counter()
    for c in counts:
        types.update(c["types"])
    return {"n": sum(c["n"] for c in counts), "types": dict(types),
            "lengths": np.sum([c["lengths"] for c in counts], axis=0).tolist(),
            "chars": sum(c["chars"] for c in counts), "unknown": sum(c["unknown"] for c in counts)}


def drift_report(profile: DriftProfile | None, counts: dict, routes: dict[str, int], cfg: DriftConfig) -> dict:
    """Compare a day's summed counts (and routes) with the profile; flags per check (module docstring)."""
    if profile is None:
        return {"judged": False, "note": "the model carries no drift profile (registered before drift checks)"}
    n = counts.get("n", 0)
    if n < cfg.min_orders:
        return {"judged": False, "n": n, "note": f"{n} scored orders < min_orders {cfg.min_orders}: not judged"}
    types = sorted(set(profile.validation_mix) | set(profile.label_mix) | set(counts["types"]))
    day_mix = np.array([counts["types"].get(t, 0) / n for t in types])
    val_mix = np.array([profile.validation_mix.get(t, 0.0) for t in types])
    train_mix = np.array([profile.label_mix.get(t, 0.0) for t in types])
    lengths = np.array(counts["lengths"], dtype=float) / n
    checks = {
        "type_mix_psi": _check(psi(day_mix, val_mix), None, cfg.psi_threshold),
        "text_length_psi": _check(psi(lengths, np.array(profile.length_shares)), None, cfg.psi_threshold),
    }
    for route in ("human_review", "transfer"):
        day = routes.get(route, 0) / n
        checks[f"{route}_share"] = _check(day, profile.routes.get(route, 0.0), cfg.route_share_change)
    checks["unknown_char_rate"] = _check(counts["unknown"] / max(1, counts["chars"]), profile.unknown_rate,
                                         cfg.unknown_char_change)
    shifts = sorted(zip(types, day_mix - val_mix, day_mix, val_mix, train_mix, strict=True), key=lambda s: -abs(s[1]))
    return {"judged": True, "n": n, "checks": checks, "flagged": [k for k, c in checks.items() if c["flagged"]],
            "largest_type_shifts": [{"type": t, "day": round(float(d), 4), "validation": round(float(v), 4),
                                     "train_labels": round(float(tr), 4)} for t, _, d, v, tr in shifts[:3]]}


def psi(actual: np.ndarray, expected: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins (smoothed by 1e-4)."""
    a = np.clip(np.asarray(actual, dtype=float), _EPS, None)
    e = np.clip(np.asarray(expected, dtype=float), _EPS, None)
    a, e = a / a.sum(), e / e.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def format_drift(report: dict) -> list[str]:
    """The drift lines of the batch summary."""
    if not report.get("judged"):
        return [f"drift: not judged ({report.get('note', 'no counts')})"]
    lines = ["drift against the training data: " + (("FLAGGED " + ", ".join(report["flagged"]))
                                                    if report["flagged"] else "no flag")]
    for name, c in report["checks"].items():
        base = "" if c["baseline"] is None else f" (validation {c['baseline']:.3f}, change {c['change']:+.3f})"
        lines.append(f"  {'!' if c['flagged'] else ' '} {name}: {c['value']:.3f}{base}, threshold {c['threshold']}")
    shifts = ", ".join(f"{s['type']} {s['day']:.1%} (validation {s['validation']:.1%}, training labels "
                       f"{s['train_labels']:.1%})" for s in report["largest_type_shifts"])
    lines.append(f"  largest type shifts (predicted): {shifts}")
    return lines


def _check(value: float, baseline: float | None, threshold: float) -> dict:
    change = None if baseline is None else value - baseline
    flagged = (value if baseline is None else abs(change)) > threshold
    return {"value": round(value, 4), "baseline": None if baseline is None else round(baseline, 4),
            "change": None if change is None else round(change, 4), "threshold": threshold, "flagged": bool(flagged)}


def _shares(values: pd.Series) -> dict[str, float]:
    counts = pd.Series(values).value_counts()
    return {str(k): round(float(v) / max(1, counts.sum()), 6) for k, v in counts.items()}


def _bins(lengths: pd.Series, edges: list[float]) -> np.ndarray:
    return np.bincount(np.searchsorted(np.asarray(edges), lengths.to_numpy(), side="right"),
                       minlength=len(edges) + 1)
