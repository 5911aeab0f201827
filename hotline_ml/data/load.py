"""The one door into work-order data: (generate) -> read -> validate -> mask, whole or in chunks.

Every job reads work orders through this module, so every model and every output sees rows that passed the
same validation and masking::

    load_orders(cfg, masker)                  # a whole file: kept orders, rejects with reasons, report
    iter_orders(cfg, masker, chunk_rows)      # the same chunk by chunk; ids repeated across chunks rejected
    load_splits(cfg, split, masker)           # load_orders, then the time-based (or stratified) split

``read == kept + rejected`` holds for every call and every chunk, and the raw records of rejects are masked
like the orders. ``masker=None`` reads the orders as they are: only for data that never leaves the job as
text (daily counts), or data already desensitized upstream (``desensitize.enabled: false``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from hotline_ml.config import DataConfig, SplitConfig
from hotline_ml.data import synthetic
from hotline_ml.data.desensitize import Desensitizer
from hotline_ml.data.io import RawTable, estimate_records, iter_raw, read_raw
from hotline_ml.data.schema import ValidatedOrders, validate
from hotline_ml.data.splits import SplitReport, split_orders
from hotline_ml.types import TEXT_FIELDS, LoadReport

log = logging.getLogger(__name__)


def load_orders(cfg: DataConfig, masker: Desensitizer | None, *, now: datetime | None = None,
                progress: bool = True) -> ValidatedOrders:
    """Read, validate and mask the work-order file of ``cfg`` (generating the synthetic corpus when configured).

    Args:
        cfg: Where the file is and how to read and validate it.
        masker: Masks PII in texts and rejects and hashes caller ids; ``None`` leaves them as loaded.
        now: Timestamps after this are rejected as in the future; defaults to the current time.
        progress: Show a progress bar while the synthetic corpus is generated.

    Raises:
        DataFileError: The file is missing or unreadable, or lacks a required column (the message names the
            file and the columns found).
    """
    if cfg.synthetic is not None:
        ensure_synthetic(cfg, progress=progress)
    raw = read_raw(cfg.path, fmt=cfg.format, encoding=cfg.encoding, sheet=cfg.sheet)
    loaded = mask_orders(validate(raw, cfg, now=now), masker)
    r = loaded.report
    log.info("%s: read %d = kept %d + rejected %d %s", r.source, r.read, r.kept, r.rejected, r.reasons or "")
    return loaded


@dataclass
class OrderChunk:
    """One chunk of a file: records ``index * chunk_rows + 1 ..`` of it.

    Attributes:
        index: Chunk number, from 0.
        read: Records of the file in this chunk, well-formed or not.
        loaded: Kept orders (of ``day`` only, when one is given), rejects and report of the chunk; ``None`` for
            a chunk in ``skip``. The report counts every kept order, other days' included.
        other_day: Kept orders of other days than ``day``: counted, dropped before masking.
    """

    index: int
    read: int
    loaded: ValidatedOrders | None
    other_day: int = 0


def iter_orders(cfg: DataConfig, masker: Desensitizer | None, chunk_rows: int, *, skip: Container[int] = (),
                now: datetime | None = None, day: date | None = None) -> Iterator[OrderChunk]:
    """Read, validate and mask a file chunk by chunk, without holding it in memory.

    Chunking is deterministic, so a job that stopped can skip the chunks it finished. An order id kept from an
    earlier chunk is rejected as ``duplicate_id`` (as a repeat within a chunk is), skipped chunks included:
    their ids are validated again (not masked) so a resumed run rejects exactly what an unbroken one does.

    Args:
        cfg: The file and how to validate it.
        masker: As in :func:`load_orders`.
        chunk_rows: Records per chunk.
        skip: Chunk numbers finished earlier: yielded with ``loaded=None``.
        now: As in :func:`load_orders`.
        day: Keep only the orders created on this day: the others are counted (``other_day``) and dropped
            before masking, so a day's scoring masks that day's texts only (rejects are masked whatever
            their day: they are written).

    Raises:
        DataFileError: As in :func:`load_orders`.
    """
    if cfg.synthetic is not None:
        ensure_synthetic(cfg)
    seen: set[str] = set()
    for k, raw in enumerate(iter_raw(cfg.path, cfg.format, cfg.encoding, cfg.sheet, chunk_rows)):
        validated = validate(with_required_columns(raw, cfg), cfg, now=now, seen=seen)
        seen.update(validated.orders["order_id"].dropna())
        if k in skip:
            yield OrderChunk(k, raw.n_read, None)
            continue
        on_day = on_day_mask(validated.orders, day)
        kept = replace(validated, orders=validated.orders[on_day].reset_index(drop=True))
        yield OrderChunk(k, raw.n_read, mask_orders(kept, masker), int((~on_day).sum()))


def on_day_mask(orders: pd.DataFrame, day: date | None) -> pd.Series:
    """Which orders were created on ``day`` (all of them when ``day`` is ``None``; none without a time)."""
    if day is None:
        return pd.Series(True, index=orders.index)
    return (orders["created_at"].dt.date == day).fillna(False).astype(bool)


def count_records(cfg: DataConfig) -> int | None:
    """About how many records the file of ``cfg`` holds (for progress bars; see ``io.estimate_records``)."""
    return estimate_records(cfg.path, cfg.format)


def with_required_columns(raw: RawTable, cfg: DataConfig) -> RawTable:
    """A JSONL chunk whose records all lack a key has no such column: add it empty, so each row is rejected
    as ``missing`` (as in a whole-file read) instead of the chunk failing as a file without the column."""
    if raw.format != "jsonl":
        return raw
    absent = [c for c in (cfg.columns.get(f, f) for f in cfg.required) if c not in raw.frame.columns]
    if not absent:
        return raw
    return RawTable(raw.path, raw.format, raw.encoding, raw.frame.assign(**dict.fromkeys(absent)), raw.malformed)


def mask_orders(validated: ValidatedOrders, masker: Desensitizer | None) -> ValidatedOrders:
    """Mask PII in the text fields of kept orders and in the raw records of rejects; hash caller ids.

    Returns:
        The same rows and report, masked, with the number of items masked per kind in ``pii_counts``.
    """
    if masker is None:
        return validated
    orders = validated.orders.copy()
    counts: Counter = Counter()
    for f in TEXT_FIELDS:
        masked, c = masker.mask_many(orders[f].tolist())
        orders[f] = pd.Series(masked, index=orders.index, dtype=object)
        counts += c
    orders["caller_id"] = orders["caller_id"].map(masker.hash_caller, na_action="ignore")
    rejects = validated.rejects.copy()
    # raw records of rejects may hold anything, including the caller's number in a column of its own
    rejects["record"] = masker.mask_many(rejects["record"].tolist())[0]
    rejects["detail"] = masker.mask_many(rejects["detail"].tolist())[0]
    return ValidatedOrders(orders, rejects, validated.report, dict(counts))


@dataclass
class OrderSplits:
    """Loaded, masked and split orders.

    Attributes:
        frames: ``train`` / ``validation`` / ``test`` orders (pandas, one row per order).
        load_report: read / kept / rejected counts and reject reasons.
        rejects: Rejected rows with reasons (raw record masked).
        pii_counts: PII items masked, per kind.
        split_report: Split sizes and periods.
        digest: SHA-256 of the kept orders (ids, times, texts, labels), to tie a model to its data.
    """

    frames: dict[str, pd.DataFrame]
    load_report: LoadReport
    rejects: pd.DataFrame
    pii_counts: dict[str, int]
    split_report: SplitReport
    digest: str

    def summary(self) -> dict:
        """Counts per split, per first-level type and per urgency, PII masked, rejects: JSON-ready."""
        by_type = {name: f["appeal_type"].str.split("/").str[0].value_counts(dropna=False).to_dict()
                   for name, f in self.frames.items()}
        by_urgency = {name: f["urgency"].value_counts(dropna=False).to_dict() for name, f in self.frames.items()}
        return {"load": asdict(self.load_report), "splits": asdict(self.split_report),
                "appeal_type_level1": by_type, "urgency": by_urgency, "pii_masked": dict(self.pii_counts),
                "digest": self.digest}


def load_splits(cfg: DataConfig, split: SplitConfig, masker: Desensitizer | None, *,
                progress: bool = True) -> OrderSplits:
    """:func:`load_orders`, then split the kept orders (``split.method``: by time, or stratified)."""
    loaded = load_orders(cfg, masker, progress=progress)
    frames, report = split_orders(loaded.orders, split)
    return OrderSplits(frames, loaded.report, loaded.rejects, loaded.pii_counts, report, orders_digest(loaded.orders))


def orders_digest(orders: pd.DataFrame) -> str:
    """SHA-256 of the orders' ids, times, texts and labels: the identity of a data set, whatever the order of
    its rows (they are hashed by order id) or how it was split."""
    cols = ["order_id", "created_at", "text", "appeal_type", "urgency"]
    rows = orders[cols].sort_values("order_id", kind="stable")
    hashed = pd.util.hash_pandas_object(rows.astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def ensure_synthetic(cfg: DataConfig, progress: bool = True) -> Path:
    """Generate the synthetic corpus at ``cfg.path`` unless it is there already from the same settings."""
    path = Path(cfg.path)
    stamp = path.with_name(path.stem + "_config.json")
    # the stamp covers the settings and the generator itself (code and phrase bank), so neither goes stale
    wanted = json.dumps({"synthetic": asdict(cfg.synthetic), "taxonomy": cfg.taxonomy,
                         "generator": _generator_digest()}, ensure_ascii=False, sort_keys=True)
    if path.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        log.info("synthetic corpus up to date: %s", path)
        return path
    corpus = synthetic.generate_corpus(cfg.synthetic, cfg.taxonomy, progress=progress)
    written = synthetic.write_corpus(corpus, path)
    stamp.write_text(wanted, encoding="utf-8")
    log.info("synthetic corpus written: %s", {k: str(v) for k, v in written.items()})
    return path


def _generator_digest() -> str:
    package = Path(synthetic.__file__).parent
    h = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.glob("phrases/*.yaml")]):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]
