"""What a job hands back: one record of everything it measured and produced, logged by one tracking function.

Jobs never talk to MLflow. They return a :class:`RunRecord`; the entry script opens the run and passes the
record to :func:`hotline_ml.tracking.log_record`, which logs each part the same way for every job and registers
the model under its kind's promotion rule (:mod:`hotline_ml.registry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hotline_ml.registry import PromotionRule


@dataclass
class ModelToRegister:
    """A model the run registers: a pyfunc whose loader builds the serving object from local artifacts.

    Attributes:
        name: Registered model name.
        loader: ``"package.module:function"``: called with ``artifacts`` (name -> local path) it returns an
            object with ``predict_frame(frame) -> DataFrame``; called here once to compute the output example.
        artifacts: Name -> local path (checkpoint directory, bundle file, config YAML).
        input_example: A few realistic input rows.
        rule: When the new version becomes ``champion``.
        optional_inputs: Input columns a caller may leave out.
        pip_requirements: Requirements recorded with the model.
    """

    name: str
    loader: str
    artifacts: dict[str, str]
    input_example: pd.DataFrame
    rule: PromotionRule
    optional_inputs: Sequence[str] = ()
    pip_requirements: list[str] | None = None


@dataclass(frozen=True)
class DatasetInput:
    """A data set a run read, logged as an MLflow dataset input (the run's Datasets in the UI).

    Attributes:
        name: The data set's name (``data.name``).
        digest: Its identity: the prepared data's digest (:func:`hotline_ml.data.load.orders_digest`).
        source: The file or directory it was read from.
        context: ``train``, ``validation``, ``test`` or ``all``.
        rows: Rows of it the run read.
    """

    name: str
    digest: str
    source: str
    context: str
    rows: int


@dataclass
class RunRecord:
    """Everything a job measured and produced.

    Attributes:
        metrics: Final metrics (``{split}_{metric}``, per category ``{metric}/{category}``).
        history: ``(step, metrics)`` logged in order (training curves, CV folds).
        tags: Run tags (data digests, the chosen family, ...).
        tables: Artifact path (``.csv`` or ``.parquet``) -> table.
        figures: Artifact path (``.png``) -> matplotlib figure (closed once logged).
        texts: Artifact path -> text (Markdown reports).
        dicts: Artifact path (``.json``/``.yaml``) -> JSON-ready data.
        artifacts: Local file or directory -> artifact directory it is logged under (``None``: the root).
        model: The model to register, if any.
        datasets: The data sets the run read (MLflow dataset inputs, tied to the prepared data by its digest).
        summary: The job's closing lines for the terminal (the registry outcome is added by the entry script).
        result: The job's own result object, for Python callers and notebooks (not logged).
    """

    metrics: dict[str, float] = field(default_factory=dict)
    history: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    dicts: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str | None] = field(default_factory=dict)
    model: ModelToRegister | None = None
    datasets: list[DatasetInput] = field(default_factory=list)
    summary: str = ""
    result: Any = None

    def add_artifact(self, path: str | Path, directory: str | None = None) -> None:
        """Log the local file or directory ``path`` under ``directory``."""
        self.artifacts[str(path)] = directory


@dataclass(frozen=True)
class Registered:
    """What the registry did with a record's model.

    Attributes:
        name: Registered model name.
        version: The new version (alias ``candidate``).
        promoted: Whether alias ``champion`` moved to it.
        reason: The promotion rule's reason (also the run tag ``promotion``).
    """

    name: str
    version: str
    promoted: bool
    reason: str

    def summary(self) -> str:
        return f"registered {self.name} version {self.version}" + (" -> champion" if self.promoted else "") + \
            f" ({self.reason})"
