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
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file (working directory: {Path.cwd()})")
    fmt = infer_format(path, fmt)
    if fmt in ("csv", "jsonl"):
        encoding = encoding or detect_encoding(path)
        reader = _read_csv if fmt == "csv" else _read_jsonl
        frame, malformed = reader(path, encoding)
        return RawTable(path, fmt, encoding, frame, malformed)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
        lines: list[int | None] = [None] * len(frame)
    else:
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
        lines = list(range(2, len(frame) + 2))  # sheet row numbers: row 1 is the header
    frame = frame.astype(object).where(frame.notna(), None).reset_index(drop=True)
    frame[ROW] = range(1, len(frame) + 1)
    frame[LINE] = lines
    return RawTable(path, fmt, None, frame)


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, list[Malformed]]:
    # The csv module (not pandas) so that each record keeps the line it starts on, and a record with the
    # wrong number of fields becomes a reject instead of failing the whole file.
    csv.field_size_limit(1 << 28)  # long texts are rejected by validation with a reason, not by the reader
    rows: list[list[str]] = []
    starts: list[int] = []
    numbers: list[int] = []
    malformed: list[Malformed] = []
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise DataFileError(f"{path}: the file is empty (no header line)")
        header = [h.strip() for h in header]
        line = reader.line_num + 1
        n = 0
        for record in reader:
            if not record:  # blank lines are not records (as in JSONL)
                line = reader.line_num + 1
                continue
            n += 1
            if len(record) == len(header):
                rows.append(record)
                starts.append(line)
                numbers.append(n)
            else:
                malformed.append(Malformed(n, line, f"expected {len(header)} fields, found {len(record)}",
                                           ",".join(record)))
            line = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[ROW] = numbers
    frame[LINE] = starts
    return frame, malformed


def _read_jsonl(path: Path, encoding: str) -> tuple[pd.DataFrame, list[Malformed]]:
    records: list[dict] = []
    malformed: list[Malformed] = []
    for n, (line_no, line) in enumerate(_nonblank_lines(path, encoding), start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            malformed.append(Malformed(n, line_no, f"not valid JSON: {e.msg} at column {e.colno}", line))
            continue
        if not isinstance(obj, dict):
            malformed.append(Malformed(n, line_no, f"expected a JSON object, found {type(obj).__name__}", line))
            continue
        obj[ROW], obj[LINE] = n, line_no
        records.append(obj)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=[ROW, LINE])
    frame = frame.astype(object).where(frame.notna(), None)
    return frame, malformed


def _nonblank_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    with open(path, encoding=encoding, errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            if line.strip():
                yield line_no, line


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as Parquet or CSV (UTF-8 with BOM, so Excel opens Chinese text correctly), by suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        raise DataFileError(f"{path}: write .parquet or .csv")
    return path
