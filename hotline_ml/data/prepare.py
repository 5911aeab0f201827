"""The data job: load (generate, read, validate, mask) -> split -> files -> summary.

The loading is :mod:`hotline_ml.data.load`, the door every job uses; this job only writes what it loaded, so
a person can inspect the splits, rejects and counts that training will see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotline_ml.config import PrepareDataConfig
from hotline_ml.data.desensitize import make_desensitizer
from hotline_ml.data.io import write_table
from hotline_ml.data.load import OrderSplits, load_splits
from hotline_ml.data.splits import SPLITS


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
    """Run the data job: load and split through the data door, write splits, rejects and summary.

    Args:
        cfg: Data, split and desensitization settings, and ``output_dir``.
        progress: Show progress bars (corpus generation).
    """
    splits = load_splits(cfg.data, cfg.split, make_desensitizer(cfg.desensitize), progress=progress)
    out = Path(cfg.output_dir)
    files = {name: str(write_table(splits.frames[name], out / f"{name}.parquet")) for name in SPLITS}
    files["rejects"] = str(write_table(splits.rejects, out / "rejects.csv"))
    files["summary"] = str(out / "summary.json")
    prepared = PreparedData(splits, files)
    Path(files["summary"]).write_text(json.dumps(prepared.summary(), ensure_ascii=False, indent=2, default=str),
                                      encoding="utf-8")
    return prepared


def format_summary(summary: dict) -> str:
    """Human-readable summary of :meth:`PreparedData.summary` for the terminal."""
    load, splits = summary["load"], summary["splits"]
    lines = [
        f"source: {load['source']} (encoding {load['encoding']})",
        f"rows: read {load['read']} = kept {load['kept']} + rejected {load['rejected']}",
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
