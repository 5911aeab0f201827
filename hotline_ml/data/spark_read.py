"""The data door on Spark: read -> validate -> mask work-order files with the same library code, file by file.

    orders = read_orders_spark(spark, cfg, masker)   # kept orders and rejects as Spark DataFrames
    orders.kept, orders.rejects                      # masked; ``read == kept + rejected`` over all files

``cfg.path`` is a file or a folder (searched recursively, e.g. one partitioned by day: ``orders/day=.../*.csv``).
Spark lists the files; each file is read by one task with :func:`hotline_ml.data.io.iter_raw` in chunks of
``chunk_rows`` and validated with :func:`hotline_ml.data.schema.validate`, so rows, lines, encodings, malformed
records and reject reasons are exactly those of the local reader. Order ids repeated anywhere in the input are
then resolved over all files at once, with :func:`hotline_ml.data.schema.duplicate_problems` on each repeated
id's rows (first by file path, then row): the whole-input rule of :func:`hotline_ml.data.load.load_orders`.

Files are read in parallel; one large file is read by one task (its orders are spread over the cluster for
what follows). Paths Spark can list but the workers cannot open directly (``hdfs://``, ``s3a://``) are
fetched through ``pyarrow.fs``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hotline_ml.config import DataConfig
from hotline_ml.data.desensitize import Desensitizer
from hotline_ml.data.io import DataFileError, RawTable, infer_format, iter_raw
from hotline_ml.data.load import mask_orders, on_day_mask, with_required_columns
from hotline_ml.data.schema import REJECT_COLUMNS, duplicate_problems, validate
from hotline_ml.types import FIELDS, TEXT_FIELDS, TIME_FIELDS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KIND = "__kind__"  # "order" or "reject": one schema carries both out of the reading tasks
_INT_FIELDS = ("satisfaction", "likes")
_SUFFIXES = {"csv": ("*.csv", "*.txt"), "jsonl": ("*.jsonl", "*.json", "*.ndjson"), "parquet": ("*.parquet", "*.pq"),
             "excel": ("*.xlsx", "*.xls")}


@dataclass
class SparkOrders:
    """Validated, masked orders of every input file.

    Attributes:
        kept: The kept orders: the work-order fields, ``row`` (1-based data row in its file) and ``source``.
        rejects: One row per rejected record, with :data:`REJECT_COLUMNS`.
        files: The files read, in order.
        cached: The validated rows, cached so that the files are read once (see :meth:`unpersist`).
    """

    kept: DataFrame
    rejects: DataFrame
    files: list[str]
    cached: DataFrame

    def unpersist(self) -> None:
        """Free the cached rows (when the job has written what it needs)."""
        self.cached.unpersist()


#: The reading tasks' columns: the work-order fields, where a row came from, the reject columns, the kind.
_COLUMNS = [*FIELDS, "row", "source", "line", *(c for c in REJECT_COLUMNS if c not in ("row", "source", "line")),
            KIND]


def _schema():
    from pyspark.sql import types as T

    def field_type(f: str):
        if f in TIME_FIELDS:
            return T.TimestampNTZType()
        return T.LongType() if f in _INT_FIELDS else T.StringType()

    def column_type(c: str):
        if c in FIELDS:
            return field_type(c)
        return T.LongType() if c in ("row", "line") else T.StringType()

    return T.StructType([T.StructField(c, column_type(c)) for c in _COLUMNS])


def list_files(spark: SparkSession, cfg: DataConfig) -> list[str]:
    """The input files of ``cfg.path`` (the file itself, or the files of the folder, recursively), sorted.

    Raises:
        DataFileError: Nothing to read there (names the path and the file patterns looked for).
    """
    path = cfg.path
    local = Path(path)
    if local.is_file():
        return [str(local.resolve())]
    reader = spark.read.format("binaryFile").option("recursiveFileLookup", "true")
    fmt = cfg.format
    patterns = _SUFFIXES[str(fmt)] if fmt else tuple(p for v in _SUFFIXES.values() for p in v)
    try:
        listed = reader.load(str(local.resolve()) if local.is_dir() else path).select("path").collect()
    except Exception as e:  # Spark raises AnalysisException for a missing path
        raise DataFileError(f"{path}: cannot list input files ({str(e).splitlines()[0][:200]})") from e
    files = sorted(r.path for r in listed if any(Path(r.path).match(p) for p in patterns))
    if not files:
        raise DataFileError(f"{path}: no input files matching {list(patterns)} (set input.format to choose)")
    return files


def read_orders_spark(spark: SparkSession, cfg: DataConfig, masker: Desensitizer | None, chunk_rows: int,
                      now: datetime | None = None, day: date | None = None) -> SparkOrders:
    """Read, validate and mask every file of ``cfg.path`` on Spark (see module docstring).

    Args:
        spark: The session.
        cfg: The input and how to validate it (``synthetic`` must be ``None``).
        masker: Masks texts and rejects and hashes caller ids, as in ``load_orders``; ``None`` leaves them.
        chunk_rows: Records each task holds in memory at once.
        now: Timestamps after this are rejected as in the future; the driver's time by default, so every
            task judges alike.
        day: Mask only the orders created on this day: other days' orders stay in ``kept`` (counted, and
            resolved as repeats like any) with their texts and caller dropped, never masked.

    Raises:
        DataFileError: No input files; a file lacks a required column (raised by the task reading it).
    """
    from pyspark.sql import functions as F

    if cfg.synthetic is not None:
        raise ValueError("the Spark reader reads files: set input.synthetic to null")
    files = list_files(spark, cfg)
    now = now or datetime.now()
    schema = _schema()
    listing = spark.createDataFrame([(f,) for f in files], "path string").repartition(len(files), "path")

    def read_files(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for path in batch["path"]:
                yield from _read_file(path, cfg, masker, chunk_rows, now, day)

    validated = listing.mapInPandas(read_files, schema).persist()
    kept = validated.filter(F.col(KIND) == "order")
    rejects = validated.filter(F.col(KIND) == "reject")
    # order ids repeated over the whole input, resolved per id on that id's rows only; only the ids are
    # shuffled to find them (a null id never joins: such rows are not repeats)
    repeated_ids = kept.groupBy("order_id").count().filter("count > 1 AND order_id IS NOT NULL").select("order_id")
    id_column = cfg.columns.get("order_id", "order_id")

    def resolve(group: pd.DataFrame) -> pd.DataFrame:
        return _resolve_duplicates(group, id_column, masker)

    resolved = (kept.join(repeated_ids, "order_id", "left_semi").groupBy("order_id")
                .applyInPandas(resolve, schema))
    kept_all = kept.join(repeated_ids, "order_id", "left_anti").unionByName(resolved.filter(F.col(KIND) == "order"))
    rejects_all = rejects.unionByName(resolved.filter(F.col(KIND) == "reject"))
    return SparkOrders(kept_all.select(*FIELDS, "row", "source"), rejects_all.select(*REJECT_COLUMNS), files,
                       validated)


def _read_file(path: str, cfg: DataConfig, masker: Desensitizer | None, chunk_rows: int, now: datetime,
               day: date | None = None) -> Iterator[pd.DataFrame]:
    """One file through the local door (without the duplicate check), as frames of the reader's schema; orders
    of other days than ``day`` lose their texts and caller before masking (they are counted, not scored)."""
    with _local_copy(path) as local:
        fmt = infer_format(local, cfg.format)
        for raw in iter_raw(local, fmt, cfg.encoding, cfg.sheet, chunk_rows):
            raw = RawTable(Path(_display(path)), raw.format, raw.encoding, raw.frame, raw.malformed)
            validated = validate(with_required_columns(raw, cfg), cfg, now=now, duplicates=False)
            on_day = on_day_mask(validated.orders, day)
            loaded = mask_orders(replace(validated, orders=validated.orders[on_day].reset_index(drop=True)), masker)
            other = validated.orders[~on_day].assign(**dict.fromkeys([*TEXT_FIELDS, "caller_id"]))
            orders = pd.concat([loaded.orders, other]) if len(other) else loaded.orders
            yield _frame(orders.assign(source=str(raw.path), **{KIND: "order"}))
            yield _frame(loaded.rejects.assign(**{KIND: "reject"}))


def _frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column of the reader's schema, typed for Arrow."""
    out = pd.DataFrame(index=frame.index)
    for name in _COLUMNS:
        col = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)
        if name in TIME_FIELDS:
            col = pd.to_datetime(col)
        elif name in (*_INT_FIELDS, "row", "line"):
            col = pd.array(col, dtype="Int64")
        else:
            col = col.astype(object).where(col.notna(), None)
        out[name] = col
    return out.reset_index(drop=True)


def _resolve_duplicates(group: pd.DataFrame, id_column: str, masker: Desensitizer | None) -> pd.DataFrame:
    """The rows of one repeated id: kept (the first, when their labels agree) or rejected with the reason."""
    group = group.sort_values(["source", "row"], kind="stable").reset_index(drop=True)
    found = duplicate_problems(group, id_column)
    out = group.copy()
    for idx, (reason, message) in found.items():
        fields = {f: group.at[idx, f] for f in FIELDS}
        record = json.dumps(fields, ensure_ascii=False, default=str)  # the masked fields: the raw cells are gone
        out.loc[idx, ["reason", "columns", "detail", "record", KIND]] = [
            reason, id_column, masker.mask_many([message])[0][0] if masker else message, record, "reject"]
        out.loc[idx, list(FIELDS)] = None
    return _frame(out)


def _display(path: str) -> str:
    """A local path for ``file:`` URIs (as the local reader names files), the URI otherwise."""
    return path[len("file:"):] if path.startswith("file:") else path


@contextmanager
def _local_copy(path: str) -> Iterator[Path]:
    """The file as a local path: itself when local, else a temporary copy fetched with ``pyarrow.fs``."""
    local = Path(_display(path))
    if local.is_file():
        yield local
        return
    from pyarrow import fs

    filesystem, inner = fs.FileSystem.from_uri(path)
    with tempfile.TemporaryDirectory(prefix="hotline-read-") as tmp:
        target = Path(tmp) / Path(inner).name
        with filesystem.open_input_stream(inner) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield target
