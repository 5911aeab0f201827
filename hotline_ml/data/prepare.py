"""The data job: load (generate, read, validate, mask) -> split -> files + manifest -> summary.

It writes ``<paths.prepared>/<data.name>/`` (:mod:`hotline_ml.data.prepared`): the masked, validated splits
every other job reads, so a person can inspect the rows, rejects and counts that training will see. Data
prepared already from the same file and settings is not read or masked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotline_ml.config import PrepareDataConfig
from hotline_ml.data.load import OrderSplits
from hotline_ml.data.prepared import MANIFEST, Manifest, prepared_splits


@dataclass
class PreparedData:
    """What the data job loaded and where it wrote it.

    Attributes:
        splits: The loaded, masked and split orders.
        files: Written files by name: the splits (Parquet), ``rejects`` (CSV) and ``summary`` (JSON).
    """

    splits: OrderSplits
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        """:meth:`OrderSplits.summary` plus the files written: what ``summary.json`` holds."""
        return {**self.splits.summary(), "files": self.files}


def prepare_data(cfg: PrepareDataConfig, progress: bool = True) -> PreparedData:
    """Run the data job: prepare ``cfg.data`` under ``paths.prepared`` (or find it prepared), return its splits.

    Args:
        cfg: Data, split and desensitization settings, and ``paths``.
        progress: Show progress bars (corpus generation).
    """
    splits = prepared_splits(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=progress,
                             write=True)
    directory = Path(cfg.paths.prepared) / cfg.data.name
    manifest = Manifest.read(directory)
    files = dict(manifest.files) | {"manifest": str(directory / MANIFEST)}
    return PreparedData(splits, files)


def format_summary(summary: dict) -> str:
    """Human-readable summary of :meth:`PreparedData.summary` for the terminal."""
    load, splits = summary["load"], summary["splits"]
    lines = [
        f"source: {load['source']} (encoding {load['encoding']})",
        f"rows: read {load['read']} = kept {load['kept']} + rejected {load['rejected']}",
        f"dataset digest: {summary['digest'][:16]} (its identity in run tags, the registry and MLflow inputs)",
    ]
    lines += [f"  rejected {reason}: {n}" for reason, n in sorted(load["reasons"].items())]
    lines.append(f"split ({splits['method']}): " + ", ".join(
        f"{name} {n} [{splits['periods'][name][0][:10]} .. {splits['periods'][name][1][:10]}]"
        for name, n in splits["sizes"].items()))
    lines.append(f"  near-duplicate text groups: {splits['near_duplicate_groups']}; {splits['moved']} orders placed "
                 "in an earlier split to stay with their group")
    types = pd.DataFrame(summary["appeal_type_level1"]).fillna(0).astype(int)
    lines += ["orders per appeal type (first level):", _indent(types.to_string())]
    urgency = pd.DataFrame(summary["urgency"]).fillna(0).astype(int)
    lines += ["orders per urgency:", _indent(urgency.to_string())]
    pii = summary["pii_masked"]
    lines.append(f"PII items masked: {sum(pii.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(pii.items()))
                 + ")")
    lines += [f"wrote {name}: {path}" for name, path in summary["files"].items()]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
