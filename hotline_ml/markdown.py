"""Markdown tables for the reports jobs write (plain pipes: no extra dependency, readable as text)."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame, float_format: str = "{:.3f}") -> str:
    """``frame`` as a Markdown table: a header row, then one row per record; floats with ``float_format``.

    A ``|`` in a cell is escaped and a line break becomes a space, so no cell can break the table.
    """
    def cell(value: object) -> str:
        text = float_format.format(value) if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    rows = ["| " + " | ".join(map(cell, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    rows += ["| " + " | ".join(map(cell, r)) + " |" for r in frame.itertuples(index=False)]
    return "\n".join(rows)
