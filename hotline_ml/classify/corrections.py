"""Operator corrections: order id -> the appeal type and/or urgency an operator corrected a prediction to.

A corrections file (CSV, Parquet, JSONL or Excel) has ``order_id`` and at least one of ``appeal_type`` and
``urgency``. Every row ends up kept or in the rejects with its reason: no id [``missing``], no label
[``missing``], a label outside the taxonomy or the urgency levels [``unknown_label``], an id corrected again
further down the file [``superseded``: operators correct corrections, the last one stands], an id that is in
none of the orders searched [``unknown_order``].

:func:`apply_corrections` turns the kept corrections into labelled training rows; a share of them
(``holdout_frac``, chosen by a hash of the id, so the same orders every run) is held out of training to measure
the model before and after on orders operators had to correct (:func:`correction_accuracy`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hotline_ml.classify.features import task_values
from hotline_ml.data.io import LINE, ROW, read_raw
from hotline_ml.data.schema import clean_text, in_taxonomy, normalize_label

LABELS = ("appeal_type", "urgency")
REJECT_COLUMNS = ["source", "row", "order_id", "reason", "detail"]


@dataclass(frozen=True)
class Corrections:
    """Kept corrections (``order_id``, ``appeal_type``, ``urgency``; a label left empty keeps the order's own)
    and the rejected rows with their reasons."""

    frame: pd.DataFrame
    rejects: pd.DataFrame


@dataclass(frozen=True)
class CorrectedOrders:
    """Corrected orders with their corrected labels: ``learn`` goes into training, ``check`` is held out."""

    learn: pd.DataFrame
    check: pd.DataFrame
    rejects: pd.DataFrame


def read_corrections(path: str | Path, taxonomy: dict[str, list[str]], urgency_levels: list[str]) -> Corrections:
    """Read and validate a corrections file (see the module docstring for the rules)."""
    raw = read_raw(path)
    frame = raw.frame
    if "order_id" not in frame or not any(c in frame for c in LABELS):
        raise ValueError(f"{path}: a corrections file needs an order_id column and appeal_type and/or urgency; "
                         f"found {[c for c in frame.columns if c not in (ROW, LINE)]}")
    rows, rejects = [], []
    for i, rec in enumerate(frame.to_dict("records")):
        row = int(rec.get(ROW, i + 1))
        order_id = _text(rec.get("order_id"))
        labels = {c: _text(rec.get(c)) for c in LABELS}
        if labels["appeal_type"]:
            labels["appeal_type"] = normalize_label(labels["appeal_type"])
        problem = _problem(order_id, labels, taxonomy, urgency_levels)
        if problem:
            rejects.append({"source": str(path), "row": row, "order_id": order_id, **problem})
        else:
            rows.append({"order_id": order_id, **labels, "row": row})
    kept = pd.DataFrame(rows, columns=["order_id", *LABELS, "row"])
    later = kept.duplicated("order_id", keep="last")
    for r in kept[later].itertuples():
        rejects.append({"source": str(path), "row": r.row, "order_id": r.order_id, "reason": "superseded",
                        "detail": "corrected again further down the file; the last correction stands"})
    return Corrections(kept[~later].drop(columns="row").reset_index(drop=True),
                       pd.DataFrame(rejects, columns=REJECT_COLUMNS).sort_values("row").reset_index(drop=True))


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = clean_text(str(value))
    return text or None


def _problem(order_id: str | None, labels: dict[str, str | None], taxonomy: dict[str, list[str]],
             urgency_levels: list[str]) -> dict | None:
    if not order_id:
        return {"reason": "missing", "detail": "order_id is empty"}
    if not any(labels.values()):
        return {"reason": "missing", "detail": "neither appeal_type nor urgency is given"}
    if labels["appeal_type"] and taxonomy and not in_taxonomy(labels["appeal_type"], taxonomy):
        return {"reason": "unknown_label", "detail": f"appeal_type {labels['appeal_type']!r} is not in the taxonomy"}
    if labels["urgency"] and labels["urgency"] not in urgency_levels:
        return {"reason": "unknown_label", "detail": f"urgency {labels['urgency']!r} is not one of {urgency_levels}"}
    return None


def apply_corrections(orders: pd.DataFrame, corrections: Corrections, holdout_frac: float) -> CorrectedOrders:
    """The corrected orders found in ``orders`` with their corrected labels, split into learn / check.

    Args:
        orders: Every order the ids may refer to (validated, masked), any split.
        corrections: From :func:`read_corrections`.
        holdout_frac: Share of the corrected orders held out of training (by a hash of the id).
    """
    c = corrections.frame
    found = orders.drop_duplicates("order_id").merge(c, on="order_id", how="inner", suffixes=("", "_corrected"))
    for label in LABELS:
        found[label] = found[f"{label}_corrected"].where(found[f"{label}_corrected"].notna(), found[label])
    found = found.drop(columns=[f"{label}_corrected" for label in LABELS])
    missing = c[~c["order_id"].isin(found["order_id"])]
    rejects = pd.concat([corrections.rejects, pd.DataFrame({
        "source": "corrections", "row": None, "order_id": missing["order_id"], "reason": "unknown_order",
        "detail": "no order with this id in the orders searched"})], ignore_index=True)
    held = found["order_id"].map(lambda i: _bucket(str(i)) < holdout_frac)
    return CorrectedOrders(found[~held].reset_index(drop=True), found[held].reset_index(drop=True), rejects)


def _bucket(order_id: str) -> float:
    """A stable number in [0, 1) per id: the same orders are held out on every run and machine."""
    return int(hashlib.sha256(order_id.encode()).hexdigest()[:8], 16) / 16**8


def join_corrections(predictions: pd.DataFrame, corrected: pd.DataFrame) -> pd.DataFrame:
    """Batch predictions joined with corrections, one row per corrected order the predictions hold.

    Args:
        predictions: ``order_id`` and the predicted ``appeal_type`` / ``urgency`` (batch scoring's output).
        corrected: ``order_id`` and the corrected ``appeal_type`` / ``urgency`` (:attr:`Corrections.frame`, or
            :class:`CorrectedOrders` rows).

    Returns:
        ``order_id``, then per task (``type_l1``, ``urgency``) ``<task>_predicted``, ``<task>_corrected`` and
        ``<task>_right`` (``boolean``; NA where either side has no label).
    """
    joined = corrected[["order_id", *LABELS]].merge(
        predictions[["order_id", *[c for c in LABELS if c in predictions]]], on="order_id", suffixes=("", "_p"))
    out = pd.DataFrame({"order_id": joined["order_id"]})
    guessed = joined.assign(appeal_type=joined.get("appeal_type_p"), urgency=joined.get("urgency_p"))
    for task in ("type_l1", "urgency"):
        truth, guess = task_values(joined, task), task_values(guessed, task)
        out[f"{task}_predicted"], out[f"{task}_corrected"] = guess, truth
        out[f"{task}_right"] = pd.Series(guess == truth, dtype="boolean").mask(truth.isna() | guess.isna())
    return out


def correction_accuracy(predicted: pd.DataFrame, corrected: pd.DataFrame) -> dict[str, float]:
    """Accuracy of ``predicted`` against the corrected labels per task (:func:`join_corrections`), on the
    corrected orders both have; ``n`` is how many."""
    joined = join_corrections(predicted, corrected)
    out = {"n": float(len(joined))}
    for task in ("type_l1", "urgency"):
        right = joined[f"{task}_right"].dropna()
        out[f"{task}_accuracy"] = float(right.mean()) if len(right) else float("nan")
    return out
