"""Tasks, label spaces and tokenised datasets for the two-head (type + urgency) classifier.

Tasks are derived from the work-order labels:

- ``type_l1``: first level of ``appeal_type`` (``城乡建设/物业管理`` -> ``城乡建设``);
- ``type_l2``: the full two-level path, for rows whose label has a second level;
- ``urgency``: ``紧急`` / ``加急`` / ``一般``.

A row without a task's label gets label id -100 for it: the loss ignores it, the other tasks still learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import datasets
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from transformers import PreTrainedTokenizerBase

from hotline_ml.config import Task

TASKS = tuple(t.value for t in Task)
IGNORE = -100


def task_values(frame: pd.DataFrame, task: str) -> pd.Series:
    """The label of ``task`` for every row (``None`` where the row has none), as an object series."""
    if task == "type_l1":
        values = frame["appeal_type"].map(lambda t: t.split("/")[0], na_action="ignore")
    elif task == "type_l2":
        values = frame["appeal_type"].map(lambda t: t if "/" in t else None, na_action="ignore")
    elif task == "urgency":
        values = frame["urgency"]
    else:
        raise ValueError(f"unknown task {task!r}; tasks are {TASKS}")
    values = values.astype(object)
    return values.where(values.notna(), None)


def label_column(task: str) -> str:
    """Name of the label column of ``task`` in tokenised datasets (and of the model's forward argument)."""
    return f"labels_{task}"


@dataclass(frozen=True)
class LabelSpace:
    """Labels per task, in id order. Saved in the model config: serving reads labels from there only."""

    tasks: dict[str, list[str]]

    @classmethod
    def from_training_data(cls, train: pd.DataFrame, wanted: Sequence[str],
                           order: dict[str, Sequence[str]] | None = None) -> LabelSpace:
        """Label spaces from the labels present in the training data.

        Args:
            train: Training orders.
            wanted: Tasks to consider; those with fewer than two labels in ``train`` are dropped.
            order: Preferred label order per task (taxonomy / urgency levels); others sort after, by name.
        """
        tasks = {}
        for task in wanted:
            present = set(task_values(train, task).dropna())
            if len(present) < 2:
                continue
            preferred = [x for x in (order or {}).get(task, []) if x in present]
            tasks[task] = preferred + sorted(present - set(preferred))
        if not tasks:
            raise ValueError(f"none of the tasks {list(wanted)} has two or more labels in the training data")
        return cls(tasks)

    def encode(self, frame: pd.DataFrame, task: str) -> np.ndarray:
        """Label ids of ``task`` for every row; -100 where the label is missing or unseen in training."""
        index = {label: i for i, label in enumerate(self.tasks[task])}
        return np.array([index.get(v, IGNORE) if isinstance(v, str) else IGNORE for v in task_values(frame, task)],
                        dtype=np.int64)


def label_order(taxonomy: dict[str, list[str]], urgency_levels: Sequence[str]) -> dict[str, list[str]]:
    """Stable label order from the data config, so runs on the same taxonomy share label ids."""
    return {
        "type_l1": list(taxonomy),
        "type_l2": [f"{a}/{b}" for a, bs in taxonomy.items() for b in bs],
        "urgency": list(urgency_levels),
    }


#: Between title and text when titles are read (``title。text``; ``。text`` for an order without a title), so
#: a model can split them again (the first ``TITLE_SEP``).
TITLE_SEP = "。"


def model_texts(frame: pd.DataFrame, use_title: bool) -> list[str]:
    """What the model reads: the text, optionally preceded by the title and :data:`TITLE_SEP`."""
    texts = frame["text"].fillna("").astype(str)
    if not use_title:
        return texts.tolist()
    titles = frame["title"].fillna("").astype(str) if "title" in frame else pd.Series("", index=frame.index)
    return (titles.str.replace(TITLE_SEP, "，", regex=False) + TITLE_SEP + texts).tolist()


def split_title(text: str) -> tuple[str, str]:
    """``(title, text)`` of a :func:`model_texts` string read with titles."""
    title, _, body = text.partition(TITLE_SEP)
    return title, body


def encode_dataset(frame: pd.DataFrame, tokenizer: PreTrainedTokenizerBase, labels: LabelSpace,
                   max_length: int, use_title: bool) -> datasets.Dataset:
    """Tokenise orders (no padding: the collator pads each batch) and attach label ids per task."""
    enc = tokenizer(model_texts(frame, use_title), truncation=True, max_length=max_length)
    columns = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
    for task in labels.tasks:
        columns[label_column(task)] = labels.encode(frame, task).tolist()
    return datasets.Dataset.from_dict(columns)


def subsample(frame: pd.DataFrame, n: int | None, by: pd.Series, seed: int) -> pd.DataFrame:
    """At most ``n`` rows, stratified by ``by`` where every stratum has two rows or more."""
    if n is None or len(frame) <= n:
        return frame
    strata = by.fillna("∅")
    ok = strata.map(strata.value_counts()) >= 2
    stratify = strata if ok.all() else None
    keep, _ = train_test_split(np.arange(len(frame)), train_size=n, random_state=seed, stratify=stratify)
    return frame.iloc[np.sort(keep)].reset_index(drop=True)
