"""Work orders (or a daily-counts table) -> zero-filled daily count series at several levels, with the hierarchy.

A series key joins the values of its level's fields with ``|`` (``城乡建设|朝阳区``); the grand total is
``total``. The level with the most fields is the bottom; each parent series is the sum of the bottom series
that share its field values, which is what bottom-up reconciliation needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from hotline_ml.config import SeriesConfig
from hotline_ml.data.io import read_raw

log = logging.getLogger(__name__)

TOTAL_KEY = "total"
MISSING_VALUE = "(未填)"
SEP = "|"


@dataclass(frozen=True)
class SeriesPanel:
    """Daily counts of many series.

    Attributes:
        counts: Days x series (index: consecutive days named ``date``; columns: series keys), counts/day.
        meta: One row per series key (index ``key``): ``level`` plus one column per hierarchy field (empty
            where the level does not use the field).
        levels: Level name -> hierarchy fields (in key order).
        bottom_level: Name of the most detailed level (``None`` when the levels are not nested).
        skipped: Series not forecast, with the reason (index ``key``; columns ``level``, ``total``, ``reason``).
    """

    counts: pd.DataFrame
    meta: pd.DataFrame
    levels: dict[str, list[str]]
    bottom_level: str | None
    skipped: pd.DataFrame

    def children(self) -> dict[str, list[str]]:
        """Parent key -> the bottom keys that sum to it (every non-bottom series; empty without a bottom)."""
        if self.bottom_level is None:
            return {}
        bottom = self.meta[self.meta["level"] == self.bottom_level]
        out = {}
        for key, row in self.meta[self.meta["level"] != self.bottom_level].iterrows():
            match = pd.Series(True, index=bottom.index)
            for f in self.fields_of(row["level"]):
                match &= bottom[f] == row[f]
            out[key] = list(bottom.index[match])
        return out

    def fields_of(self, level: str) -> list[str]:
        """Hierarchy fields used by ``level`` (in the order of the key)."""
        return list(self.levels[level])

    def category_level(self) -> str:
        """The level reported per series in metrics and plots: ``[category]`` if there is one, else the least
        detailed level that has any field (the only level of a daily-counts table)."""
        exact = [lv for lv, fields in self.levels.items() if list(fields) == ["category"]]
        return exact[0] if exact else min((lv for lv in self.levels if self.levels[lv]),
                                          key=lambda lv: len(self.levels[lv]))

    def keys(self, level: str) -> list[str]:
        """Series keys of one level, largest total first."""
        keys = self.meta.index[self.meta["level"] == level]
        return list(self.counts[keys].sum().sort_values(ascending=False).index)


def category_of(appeal_type: pd.Series, depth: int) -> pd.Series:
    """The appeal type cut to its first ``depth`` levels (``城乡建设/物业管理`` -> ``城乡建设`` at depth 1)."""
    return appeal_type.astype("string").str.split("/").str[:depth].str.join("/")


def orders_panel(orders: pd.DataFrame, cfg: SeriesConfig) -> SeriesPanel:
    """Count work orders per day at every level of ``cfg.levels``.

    Args:
        orders: Validated work orders (``created_at`` plus the fields the levels name; ``category`` is derived
            from ``appeal_type``). Missing field values are counted under ``(未填)``, never dropped.
        cfg: Levels, category depth and the minimum total per series.

    Raises:
        ValueError: No levels, or a level names a field the orders do not have.
    """
    if not cfg.levels:
        raise ValueError(f"series config {cfg.name!r}: `levels` is empty; name at least one level")
    frame = pd.DataFrame({"date": pd.to_datetime(orders["created_at"]).dt.normalize()})
    if "appeal_type" in orders:
        frame["category"] = category_of(orders["appeal_type"], cfg.category_depth)
    for fields in cfg.levels.values():
        for f in fields:
            if f not in frame and f not in orders:
                raise ValueError(f"series config {cfg.name!r}: level field {f!r} is not a work-order column "
                                 f"(have {sorted(orders.columns)} and `category`)")
            if f not in frame:
                frame[f] = orders[f]
    n_missing = {f: int(frame[f].isna().sum()) for f in frame.columns if f != "date" and frame[f].isna().any()}
    if n_missing:
        log.warning("orders without a value counted under %s: %s", MISSING_VALUE, n_missing)
    frame = frame.fillna(MISSING_VALUE)
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D", name="date")
    columns, meta_rows = {}, []
    for level, fields in cfg.levels.items():
        if fields:
            grouped = frame.groupby(["date", *fields]).size().unstack(list(fields), fill_value=0)
            grouped.columns = [SEP.join(map(str, c if isinstance(c, tuple) else (c,))) for c in grouped.columns]
        else:
            grouped = frame.groupby("date").size().to_frame(TOTAL_KEY)
        grouped = grouped.reindex(days, fill_value=0)
        for key in grouped.columns:
            columns[key] = grouped[key]
            values = key.split(SEP) if fields else []
            meta_rows.append({"key": key, "level": level, **dict(zip(fields, values, strict=True))})
    counts = pd.DataFrame(columns, index=days).astype(float)
    return _finish(counts, meta_rows, cfg)


def daily_counts_panel(cfg: SeriesConfig) -> SeriesPanel:
    """Read a table of daily counts (``cfg.columns``: ``date``, ``key``, ``count``) as one level named ``key``.

    Missing days are zero-filled. Raises ``ValueError`` naming the file when a column is missing.
    """
    if cfg.path is None:
        raise ValueError(f"series config {cfg.name!r}: source daily_counts needs `path`")
    raw = read_raw(cfg.path)
    if raw.malformed:
        raise ValueError(f"{cfg.path}: {len(raw.malformed)} malformed records, first {raw.malformed[0]}")
    frame = raw.frame
    wanted = {role: cfg.columns.get(role, role) for role in ("date", "key", "count")}
    missing = [col for col in wanted.values() if col not in frame.columns]
    if missing:
        raise ValueError(f"{cfg.path}: columns {missing} not found (have {list(frame.columns)}); "
                         f"fix `columns` in the series config {cfg.name!r}")
    table = pd.DataFrame({"date": pd.to_datetime(frame[wanted["date"]], errors="coerce").dt.normalize(),
                          "key": frame[wanted["key"]].astype(str),
                          "count": pd.to_numeric(frame[wanted["count"]], errors="coerce")})
    bad = table["date"].isna() | table["count"].isna() | (table["count"] < 0)
    if bad.any():
        line = frame["__line__"].iloc[int(bad.to_numpy().argmax())] if "__line__" in frame else "?"
        raise ValueError(f"{cfg.path}: line {line}: {bad.sum()} rows with an unparseable date or a count that is "
                         f"not a non-negative number (columns {wanted['date']!r}, {wanted['count']!r})")
    counts = table.pivot_table(index="date", columns="key", values="count", aggfunc="sum", fill_value=0)
    days = pd.date_range(counts.index.min(), counts.index.max(), freq="D", name="date")
    counts = counts.reindex(days, fill_value=0).astype(float)
    counts.columns.name = None
    meta_rows = [{"key": k, "level": "key", "key_value": k} for k in counts.columns]
    return _finish(counts, meta_rows, cfg, levels={"key": ["key_value"]})


def _finish(counts: pd.DataFrame, meta_rows: list[dict], cfg: SeriesConfig,
            levels: dict[str, list[str]] | None = None) -> SeriesPanel:
    levels = dict(levels or cfg.levels)
    meta = pd.DataFrame(meta_rows).set_index("key")
    totals = counts.sum()
    low = totals[totals < cfg.min_total]
    skipped = pd.DataFrame({"level": meta.loc[low.index, "level"], "total": low,
                            "reason": f"fewer than min_total={cfg.min_total} counts in the history"})
    skipped.index.name = "key"
    if len(skipped):
        log.info("%d series below min_total=%d not forecast (listed in the skipped table)", len(skipped),
                 cfg.min_total)
    keep = totals.index[totals >= cfg.min_total]
    return SeriesPanel(counts[keep], meta.loc[keep], levels, _bottom_level(levels), skipped)


def _bottom_level(levels: dict[str, list[str]]) -> str | None:
    """The level whose fields include every other level's fields, or ``None``."""
    bottom = max(levels, key=lambda name: len(levels[name]))
    if all(set(fields) <= set(levels[bottom]) for fields in levels.values()):
        return bottom
    return None
