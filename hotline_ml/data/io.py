"""Reading raw work-order files (CSV, Parquet, JSONL, Excel) into a table of raw cells.

Nothing is validated here and nothing is dropped: every record of the file becomes a row of the returned
frame, or, when the file itself is malformed at that spot (a CSV line with the wrong number of fields, a JSONL
line that is not a JSON object), an entry in ``RawTable.malformed`` with its location. Values are kept as
the file holds them (strings for CSV, native types for Parquet/JSONL/Excel); ``hotline_ml.data.schema``
coerces and validates them.
"""

from __future__ import annotations

import codecs
import csv
import functools
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: File suffix -> format name.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "excel",
    ".xls": "excel",
}
#: Columns added to every raw table: the 1-based data-row number and, where the format has one, the line
#: (CSV/JSONL) or sheet row (Excel) a person would open the file at.
ROW, LINE = "__row__", "__line__"

_SAMPLE_BYTES = 1 << 20
# A UTF-8 file with a few corrupt bytes is still UTF-8 (the bad rows get rejected); GB18030 text read as
# UTF-8 fails on nearly every character. Above this error share of non-ASCII bytes we take GB18030.
_UTF8_MAX_ERROR_SHARE = 0.02


class DataFileError(ValueError):
    """A work-order file cannot be read at all (missing, unknown format, missing required columns)."""


@dataclass
class Malformed:
    """A record the reader could not split into fields."""

    row: int
    line: int | None
    detail: str
    raw: str


@dataclass
class RawTable:
    """Raw cells of a work-order file.

    Attributes:
        path: The file read.
        format: ``csv``, ``parquet``, ``jsonl`` or ``excel``.
        encoding: Encoding used for text formats, else ``None``.
        frame: One row per well-formed record: the file's columns plus ``__row__`` and ``__line__``.
        malformed: Records that could not be split into fields, with their location.
    """

    path: Path
    format: str
    encoding: str | None
    frame: pd.DataFrame
    malformed: list[Malformed] = field(default_factory=list)

    @property
    def n_read(self) -> int:
        """Number of data records in the file, well-formed or not."""
        return len(self.frame) + len(self.malformed)


def infer_format(path: Path, fmt: str | None = None) -> str:
    """Return the format name for ``path``, from ``fmt`` when given, else from its suffix."""
    if fmt:
        if fmt not in set(FORMATS.values()):
            raise DataFileError(f"{path}: unknown format {fmt!r}; use one of {sorted(set(FORMATS.values()))}")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise DataFileError(
            f"{path}: cannot tell the format from suffix {path.suffix!r}; set `format:` in the data config "
            f"to one of {sorted(set(FORMATS.values()))}"
        ) from None


def detect_encoding(path: Path) -> str:
    """Detect the text encoding of a CSV/JSONL file from its first megabyte.

    Returns ``utf-8-sig`` for a UTF-8 BOM, ``utf-16`` for a UTF-16 BOM, ``utf-8`` when the sample is (almost
    entirely) valid UTF-8, else ``gb18030`` (a superset of GBK and GB2312, what Chinese Excel exports).
    """
    with open(path, "rb") as f:
        sample = f.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) == _SAMPLE_BYTES:  # cut at a line break so a multi-byte character is never split
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    non_ascii = sum(b >= 0x80 for b in sample)
    if non_ascii == 0:
        return "utf-8"
    errors = sample.decode("utf-8", errors="replace").count("\ufffd")
    return "utf-8" if errors <= _UTF8_MAX_ERROR_SHARE * non_ascii else "gb18030"


def read_raw(path: str | Path, fmt: str | None = None, encoding: str | None = None,
             sheet: str | None = None) -> RawTable:
    """Read a work-order file into raw cells, keeping every record.

    Args:
        path: File to read.
        fmt: Format name; ``None`` infers it from the suffix.
        encoding: Text encoding for CSV/JSONL; ``None`` detects it. Bytes that are invalid in the encoding
            become U+FFFD, which validation rejects with the row number, so one bad row never fails a file.
        sheet: Excel sheet name; ``None`` is the first sheet.

    Returns:
        The raw table. Raises ``DataFileError`` when the file is missing or unreadable as a whole.
    """
    return next(iter_raw(path, fmt=fmt, encoding=encoding, sheet=sheet, chunk_rows=None))


def iter_raw(path: str | Path, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None,
             chunk_rows: int | None = 100_000) -> Iterator[RawTable]:
    """Read a work-order file in chunks, keeping every record, without holding the whole file in memory.

    Chunk ``k`` holds data records ``k * chunk_rows + 1 .. (k + 1) * chunk_rows`` (well-formed or malformed
    alike), so the chunking of a file is deterministic; ``__row__`` numbers run on across chunks. CSV, JSONL
    and Parquet are streamed; Excel is read whole and then cut.

    Args:
        path: File to read.
        fmt: Format name; ``None`` infers it from the suffix.
        encoding: Text encoding for CSV/JSONL; ``None`` detects it once from the start of the file.
        sheet: Excel sheet name; ``None`` is the first sheet.
        chunk_rows: Records per chunk; ``None`` reads the file as one table (what :func:`read_raw` does).

    Yields:
        Raw tables, at least one (an empty file with a header gives one empty table).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file (working directory: {Path.cwd()})")
    if chunk_rows is not None and chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    fmt = infer_format(path, fmt)
    if fmt in ("csv", "jsonl"):
        encoding = encoding or detect_encoding(path)
        if fmt == "csv":
            header, records = _csv_records(path, encoding)
            to_table = functools.partial(_csv_table, header)
        else:
            records, to_table = _jsonl_records(path, encoding), _jsonl_table
        for batch in _batches(records, chunk_rows):
            yield RawTable(path, fmt, encoding, *to_table(batch))
        return
    frames = _parquet_frames(path, chunk_rows) if fmt == "parquet" else _excel_frames(path, sheet, chunk_rows)
    first_row = 1
    for frame in frames:
        rows = range(first_row, first_row + len(frame))
        # Excel: the sheet row a person would open (row 1 is the header); Parquet has no lines
        lines = [r + 1 for r in rows] if fmt == "excel" else [None] * len(frame)
        frame = frame.astype(object).where(frame.notna(), None).reset_index(drop=True)
        frame[ROW] = rows
        frame[LINE] = lines
        first_row += len(frame)
        yield RawTable(path, fmt, None, frame)


# A record stream yields, in file order, ``(row, line, cells)`` for each well-formed record, else a Malformed.
_Record = tuple[int, int, Any] | Malformed


def estimate_records(path: str | Path, fmt: str | None = None) -> int | None:
    """About how many records ``path`` holds, for progress bars: exact for Parquet (metadata); for CSV and
    JSONL the number of line breaks (less the CSV header), an over-estimate when quoted fields span lines;
    ``None`` for Excel.
    """
    path = Path(path)
    fmt = infer_format(path, fmt)
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if fmt not in ("csv", "jsonl"):
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"  # a final record without a line break
    return max(0, lines - (fmt == "csv"))


def _batches(records: Iterator[_Record], size: int | None) -> Iterator[list[_Record]]:
    """Consecutive batches of ``size`` records (all in one when ``None``); at least one, possibly empty."""
    batch = list(itertools.islice(records, size)) if size else list(records)
    yield batch
    while size and len(batch) == size:
        batch = list(itertools.islice(records, size))
        if batch:
            yield batch


def _csv_records(path: Path, encoding: str) -> tuple[list[str], Iterator[_Record]]:
    # The csv module (not pandas) so that each record keeps the line it starts on, and a record with the
    # wrong number of fields becomes a reject instead of failing the whole file.
    csv.field_size_limit(1 << 28)  # long texts are rejected by validation with a reason, not by the reader
    f = open(path, encoding=encoding, errors="replace", newline="")  # noqa: SIM115 (closed by _csv_rows)
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None:
        f.close()
        raise DataFileError(f"{path}: the file is empty (no header line)")
    header = [h.strip() for h in header]
    return header, _csv_rows(f, reader, len(header))


def _csv_rows(f: IO[str], reader: Any, n_fields: int) -> Iterator[_Record]:
    with f:
        line = reader.line_num + 1
        n = 0
        for record in reader:
            if not record:  # blank lines are not records (as in JSONL)
                line = reader.line_num + 1
                continue
            n += 1
            if len(record) == n_fields:
                yield n, line, record
            else:
                yield Malformed(n, line, f"expected {n_fields} fields, found {len(record)}", ",".join(record))
            line = reader.line_num + 1


def _csv_table(header: list[str], batch: list[_Record]) -> tuple[pd.DataFrame, list[Malformed]]:
    good = [r for r in batch if not isinstance(r, Malformed)]
    frame = pd.DataFrame([cells for _, _, cells in good], columns=header, dtype=object)
    frame[ROW] = [n for n, _, _ in good]
    frame[LINE] = [line for _, line, _ in good]
    return frame, [r for r in batch if isinstance(r, Malformed)]


def _jsonl_records(path: Path, encoding: str) -> Iterator[_Record]:
    for n, (line_no, line) in enumerate(_nonblank_lines(path, encoding), start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Malformed(n, line_no, f"not valid JSON: {e.msg} at column {e.colno}", line)
            continue
        if not isinstance(obj, dict):
            yield Malformed(n, line_no, f"expected a JSON object, found {type(obj).__name__}", line)
            continue
        yield n, line_no, obj


def _jsonl_table(batch: list[_Record]) -> tuple[pd.DataFrame, list[Malformed]]:
    records = []
    for r in batch:
        if not isinstance(r, Malformed):
            n, line_no, obj = r
            records.append({**obj, ROW: n, LINE: line_no})
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=[ROW, LINE])
    frame = frame.astype(object).where(frame.notna(), None)
    return frame, [r for r in batch if isinstance(r, Malformed)]


def _nonblank_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    with open(path, encoding=encoding, errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            if line.strip():
                yield line_no, line


def _parquet_frames(path: Path, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    if chunk_rows is None:
        yield pd.read_parquet(path)
        return
    pf = pq.ParquetFile(path)
    empty = True
    for batch in pf.iter_batches(batch_size=chunk_rows):
        empty = False
        yield pa.Table.from_batches([batch]).to_pandas()
    if empty:
        yield pf.schema_arrow.empty_table().to_pandas()


def _excel_frames(path: Path, sheet: str | None, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
    size = chunk_rows or max(len(frame), 1)
    for start in range(0, max(len(frame), 1), size):
        yield frame.iloc[start:start + size]


def write_table(table: pd.DataFrame | pa.Table, path: str | Path) -> Path:
    """Write a table as Parquet or CSV (UTF-8 with BOM, so Excel opens Chinese text correctly), by suffix.

    The file is written under a temporary name and then renamed, so a reader (or a resumed job) sees the old
    file or the whole new one, never half of it. An Arrow table keeps its schema in Parquet.

    Raises:
        DataFileError: The suffix is neither ``.parquet``/``.pq`` nor ``.csv``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise DataFileError(f"{path}: write .parquet or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".csv":
        frame = table.to_pandas() if isinstance(table, pa.Table) else table
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    elif isinstance(table, pa.Table):
        pq.write_table(table, tmp)
    else:
        table.to_parquet(tmp, index=False)
    os.replace(tmp, path)  # atomic on POSIX
    return path
