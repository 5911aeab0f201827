"""Label-tree descriptions: what each first-level appeal type covers, in the words of its lower levels.

From a tree file (``data.label_tree``: one row per leaf, first column the first level) or, without one, from
the taxonomy's second levels. The linear classifier compares appeals with these names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hotline_ml.config import DataConfig


def label_descriptions(cfg: DataConfig) -> dict[str, list[str]]:
    """First-level label -> description strings (one per tree row, lower levels joined by a space).

    Raises:
        ValueError: The tree file is missing or lacks a configured column (the message names both).
    """
    tree = cfg.label_tree
    if tree is None:
        return {top: list(subs) for top, subs in cfg.taxonomy.items() if subs}
    path = Path(tree.path)
    if not path.is_file():
        raise ValueError(f"data.label_tree.path: {path} does not exist (set it to the label-tree CSV, or null)")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    missing = [c for c in tree.columns if c not in frame.columns]
    if missing or len(tree.columns) < 2:
        raise ValueError(f"{path}: data.label_tree.columns {list(tree.columns)} need a first level and at least one "
                         f"lower level among the file's columns {list(frame.columns)} (missing: {missing})")
    frame = frame[tree.columns].fillna("")
    out: dict[str, list[str]] = {}
    for row in frame.itertuples(index=False):
        text = " ".join(str(v).strip() for v in row[1:] if str(v).strip())
        if row[0].strip() and text:
            out.setdefault(row[0].strip(), []).append(text)
    return out
