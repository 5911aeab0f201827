"""Map a raw table onto the work-order schema and validate it, row by row.

Every row ends up in exactly one of two places: the kept orders, or the rejects table with a reason code, the
columns concerned and a message a person can act on. ``LoadReport`` asserts ``read == kept + rejected``.

Rules (reason codes in brackets):

- a record the reader could not split into fields [``malformed``];
- a mapped column holding bytes that are not valid in the file's encoding [``undecodable``];
- a value of the wrong type, e.g. a list where text is expected or a number where a time is expected
  [``wrong_type``];
- a required field empty or whitespace only (``order_id``, ``created_at``, ``text`` by default) [``missing``];
- text longer than ``max_text_chars`` (kept out rather than silently truncated) [``text_too_long``];
- a timestamp that does not parse, or lies before ``min_year`` or in the future [``bad_time``];
- an appeal type outside the configured taxonomy, or an urgency outside the urgency levels
  [``unknown_label``]; a satisfaction score that is not an integer 1-5, or likes that are not a count
  [``bad_value``];
- a response or resolution time before the order was created [``bad_time``]: lifecycle indicators would
  count a negative duration;
- duplicate order ids: when all copies carry the same labels the first is kept and the others are rejected
  [``duplicate_id``]; when their labels conflict no copy can be trusted, so every copy is rejected
  [``conflicting_duplicate``] (TipDM's id 37042 is such a case).

Text is cleaned, not rejected, for what carries no meaning: control and zero-width characters are removed,
line breaks normalised, full-width ASCII letters and digits turned half-width (so PII masking sees them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from hotline_ml.config import DataConfig
from hotline_ml.data.io import LINE, ROW, DataFileError, RawTable
from hotline_ml.types import FIELDS, TEXT_FIELDS, TIME_FIELDS, LoadReport

REJECT_COLUMNS = ["source", "row", "line", "reason", "columns", "detail", "record"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_NEWLINES = re.compile(r"\r\n?")
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_FULLWIDTH_ALNUM.update({0xFF20: ord("@"), 0x3000: ord(" ")})
_FULLWIDTH = re.compile("[" + "".join(map(chr, _FULLWIDTH_ALNUM)) + "]")
# 2023年11月15日 10时30分 -> 2023-11-15 10:30 so one parser handles Chinese and ISO-like dates alike
_CN_DATE = [(re.compile(r"(\d)\s*年\s*(\d)"), r"\1-\2"), (re.compile(r"(\d)\s*月\s*(\d)"), r"\1-\2"),
            (re.compile(r"(\d)\s*日"), r"\1 "), (re.compile(r"(\d)\s*[时點点]\s*(\d)"), r"\1:\2"),
            (re.compile(r"(\d)\s*分"), r"\1")]
_CN_DATE_CHARS = re.compile("[年月日时點点分]")
_ABSENT_DTYPES = {"created_at": "datetime64[us]", "responded_at": "datetime64[us]", "resolved_at": "datetime64[us]",
                  "satisfaction": "Int64", "likes": "Int64"}
_LABEL_SEPARATORS = re.compile(r"\s*[/／>＞\\|-]\s*")


@dataclass
class ValidatedOrders:
    """Result of validation.

    Attributes:
        orders: Kept rows: the work-order fields (see ``hotline_ml.types.WorkOrder``) plus ``row``, the
            1-based data-row number in the source file. Times are ``datetime64``, satisfaction ``Int64``.
        rejects: One row per rejected record: ``source, row, line, reason, columns, detail, record``.
        report: Counts; ``read == kept + rejected``.
        pii_counts: PII items masked per kind (empty until the orders are masked).
    """

    orders: pd.DataFrame
    rejects: pd.DataFrame
    report: LoadReport
    pii_counts: dict[str, int] = field(default_factory=dict)


class _Problems:
    """Collects (row index, reason, column, message) findings; the first finding of a row gives its reason."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[tuple[str, str, str]]] = {}

    def add(self, idx: int, reason: str, column: str, message: str) -> None:
        self.by_row.setdefault(idx, []).append((reason, column, message))

    def add_mask(self, mask: np.ndarray, reason: str, column: str, message_of) -> None:
        for idx in np.flatnonzero(mask):
            self.add(int(idx), reason, column, message_of(int(idx)))


def resolve_columns(raw: RawTable, cfg: DataConfig) -> dict[str, str]:
    """Map work-order fields to the file's columns; raise naming the file and the columns found.

    Returns:
        Field -> source column, for every field present in the file.
    """
    unknown = sorted(set(cfg.columns) - set(FIELDS))
    if unknown:
        raise DataFileError(f"{raw.path}: `columns:` maps unknown field(s) {unknown}; fields are {list(FIELDS)}")
    found = [c for c in raw.frame.columns if c not in (ROW, LINE)]
    mapping = {f: cfg.columns.get(f, f) for f in FIELDS}
    present = {f: col for f, col in mapping.items() if col in found}
    missing = [f for f in cfg.required if f not in present]
    if missing:
        wanted = ", ".join(f"{f} (column {mapping[f]!r})" for f in missing)
        raise DataFileError(
            f"{raw.path}: missing required column(s): {wanted}. Columns found: {found}. "
            f"Map them under `columns:` in the data config (conf/data/{cfg.name}.yaml)."
        )
    return present


def validate(raw: RawTable, cfg: DataConfig, now: datetime | None = None,
             seen: Collection[str] = (), duplicates: bool = True) -> ValidatedOrders:
    """Coerce a raw table to the work-order schema and split it into kept orders and rejects.

    Args:
        raw: Output of ``hotline_ml.data.io.read_raw`` (a whole file or one chunk of it).
        cfg: The data config (column mapping, required fields, taxonomy, limits).
        now: Timestamps after this are rejected as in the future; defaults to the current time.
        seen: Order ids kept from earlier chunks of the same file: repeats are rejected as ``duplicate_id``.
        duplicates: Check repeated order ids here; ``False`` leaves them to the caller, which sees more rows
            than one table (the Spark reader applies :func:`duplicate_problems` over all files).

    Returns:
        Kept orders, rejects with reasons, and the report.
    """
    present = resolve_columns(raw, cfg)
    frame = raw.frame
    n = len(frame)
    problems = _Problems()
    cols: dict[str, pd.Series] = {}
    for f in FIELDS:
        if f not in present:
            cols[f] = pd.Series([None] * n, dtype=_ABSENT_DTYPES.get(f, object))
            continue
        values = frame[present[f]].reset_index(drop=True)
        if f in TIME_FIELDS:
            cols[f] = _coerce_time(values, f, present[f], cfg, now or datetime.now(), problems)
        elif f == "satisfaction":
            cols[f] = _coerce_score(values, present[f], problems)
        elif f == "likes":
            cols[f] = _coerce_count(values, present[f], problems)
        else:
            cols[f] = _coerce_text(values, f, present[f], cfg, problems)
    for f in cfg.required:
        empty = cols[f].isna().to_numpy()
        problems.add_mask(empty, "missing", present[f], lambda i, f=f: f"required field {f} is empty")
    _check_labels(cols, present, cfg, problems)
    _check_lifecycle(cols, present, problems)
    orders = pd.DataFrame(cols)
    orders["row"] = frame[ROW].to_numpy()
    if cfg.ids_from_rows:
        if "order_id" in present:
            raise DataFileError(f"{raw.path}: conf/data/{cfg.name}.yaml sets ids_from_rows but also maps order_id "
                                f"to column {present['order_id']!r}; keep one of them")
        orders["order_id"] = [f"{cfg.name}-{r}" for r in orders["row"]]
    if duplicates:
        _check_duplicates(orders, present, problems, seen)
    return _assemble(raw, orders, present, problems)


def _coerce_text(values: pd.Series, f: str, col: str, cfg: DataConfig, problems: _Problems) -> pd.Series:
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, (str, int, float, np.integer, np.floating)):
            problems.add(i, "wrong_type", col, f"{col}: expected text, found {type(v).__name__}")
            out.append(None)
            continue
        s = v if isinstance(v, str) else _number_text(v)
        if "\ufffd" in s:
            problems.add(i, "undecodable", col, f"{col}: bytes that are not valid in the file's encoding")
        s = clean_text(s)
        if f in TEXT_FIELDS and len(s) > cfg.max_text_chars:
            problems.add(i, "text_too_long", col, f"{col}: {len(s)} characters > max_text_chars {cfg.max_text_chars}")
        out.append(s or None)
    return pd.Series(out, dtype=object)


def _number_text(v: float | int) -> str:
    # ids read from Excel/Parquet as 37042.0 must compare equal to "37042" from CSV
    return str(int(v)) if float(v).is_integer() else str(v)


def clean_text(s: str) -> str:
    """Remove control and zero-width characters, normalise line breaks and full-width ASCII, strip."""
    # each step is guarded by a cheap search: most texts need none of them, and this runs on every cell
    if "\r" in s:
        s = _NEWLINES.sub("\n", s)
    if _CONTROL.search(s):
        s = _CONTROL.sub("", s)
    if _FULLWIDTH.search(s):
        s = s.translate(_FULLWIDTH_ALNUM)
    return s.strip()


def _coerce_time(values: pd.Series, f: str, col: str, cfg: DataConfig, now: datetime,
                 problems: _Problems) -> pd.Series:
    texts: list[str | None] = []
    for i, v in enumerate(values):
        if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
            texts.append(None)
        elif isinstance(v, (datetime, pd.Timestamp, np.datetime64)):
            texts.append(pd.Timestamp(v).isoformat())
        elif isinstance(v, str):
            s = clean_text(v)
            if _CN_DATE_CHARS.search(s):
                for pattern, repl in _CN_DATE:
                    s = pattern.sub(repl, s)
            texts.append(s.strip() or None)
        else:
            problems.add(i, "wrong_type", col, f"{col}: expected a date/time, found {type(v).__name__} {v!r}")
            texts.append(None)
    parsed = _parse_times(pd.Series(texts, dtype=object))
    bad = parsed.isna().to_numpy() & pd.Series(texts).notna().to_numpy()
    problems.add_mask(bad, "bad_time", col, lambda i: f"{col}: cannot parse {texts[i]!r} as a date/time")
    low, high = pd.Timestamp(cfg.min_year, 1, 1), pd.Timestamp(now)
    out_of_range = parsed.notna().to_numpy() & ((parsed < low) | (parsed > high)).to_numpy()
    problems.add_mask(out_of_range, "bad_time", col,
                      lambda i: f"{col}: {parsed.iloc[i]} is before {cfg.min_year} or in the future")
    return parsed.where(~out_of_range)


def _parse_times(texts: pd.Series) -> pd.Series:
    # ISO first (fast, unambiguous), then pandas' per-element parser for the rest (2020/1/6 12:09:38, ...).
    # Bare numbers are refused: "12345" or "20231115" is an id or a date written without separators only by
    # accident, and guessing would put orders on the wrong day.
    parsed = pd.to_datetime(texts, errors="coerce", format="ISO8601")
    rest = parsed.isna() & texts.notna() & ~texts.fillna("").str.fullmatch(r"\d+")
    if rest.any():
        parsed[rest] = pd.to_datetime(texts[rest], errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return parsed.astype("datetime64[us]")


def _coerce_score(values: pd.Series, col: str, problems: _Problems) -> pd.Series:
    out: list[int | None] = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
            continue
        try:
            score = float(v)
        except (TypeError, ValueError):
            score = float("nan")
        if not (score.is_integer() and 1 <= score <= 5):
            problems.add(i, "bad_value", col, f"{col}: satisfaction must be an integer 1-5, found {v!r}")
            out.append(None)
        else:
            out.append(int(score))
    return pd.Series(out, dtype="Int64")


def _coerce_count(values: pd.Series, col: str, problems: _Problems) -> pd.Series:
    number = pd.to_numeric(values, errors="coerce")
    blank = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
    bad = ~blank & ~(number.notna() & (number >= 0) & (number % 1 == 0))
    problems.add_mask(bad.to_numpy(), "bad_value", col,
                      lambda i: f"{col}: expected a count (an integer >= 0), found {values.iat[i]!r}")
    return number.where(~bad & ~blank).astype("Int64")


def _check_lifecycle(cols: dict[str, pd.Series], present: dict[str, str], problems: _Problems) -> None:
    for f in ("responded_at", "resolved_at"):
        if f in present:
            early = (cols[f] < cols["created_at"]).fillna(False).to_numpy(dtype=bool)
            problems.add_mask(early, "bad_time", present[f],
                              lambda i, f=f: f"{present[f]}: {cols[f].iat[i]} is before created_at "
                                             f"{cols['created_at'].iat[i]}; fix the times or leave it empty")


def normalize_label(label: str) -> str:
    """Normalise an appeal-type path: ``城乡建设 > 物业管理`` and ``城乡建设-物业管理`` -> ``城乡建设/物业管理``."""
    return "/".join(part for part in _LABEL_SEPARATORS.split(label.strip()) if part)


def _check_labels(cols: dict[str, pd.Series], present: dict[str, str], cfg: DataConfig,
                  problems: _Problems) -> None:
    types = cols["appeal_type"]
    normalized = types.map(normalize_label, na_action="ignore")
    cols["appeal_type"] = normalized
    if cfg.taxonomy and "appeal_type" in present:
        col = present["appeal_type"]
        for i, label in enumerate(normalized):
            # pandas maps a missing label to NaN (not None) when other rows have one: test for text
            if isinstance(label, str) and not in_taxonomy(label, cfg.taxonomy):
                problems.add(i, "unknown_label", col,
                             f"{col}: appeal type {label!r} is not in the taxonomy of conf/data/{cfg.name}.yaml")
    if "urgency" in present:
        col = present["urgency"]
        allowed = set(cfg.urgency_levels)
        for i, level in enumerate(cols["urgency"]):
            if level is not None and level not in allowed:
                problems.add(i, "unknown_label", col, f"{col}: urgency {level!r} is not one of {cfg.urgency_levels}")


def in_taxonomy(label: str, taxonomy: dict[str, list[str]]) -> bool:
    """Whether ``一级`` or ``一级/二级`` names a node of a two-level taxonomy."""
    first, _, second = label.partition("/")
    if first not in taxonomy:
        return False
    return not second or second in taxonomy[first]


def _check_duplicates(orders: pd.DataFrame, present: dict[str, str], problems: _Problems,
                      seen: Collection[str]) -> None:
    if "order_id" not in present:
        return
    valid = orders[[i not in problems.by_row for i in range(len(orders))]]
    for idx, (reason, message) in duplicate_problems(valid, present["order_id"], seen).items():
        problems.add(idx, reason, present["order_id"], message)


def duplicate_problems(valid: pd.DataFrame, col: str, seen: Collection[str] = ()) -> dict[int, tuple[str, str]]:
    """Repeated order ids among otherwise valid orders (in file order): index -> (reason, message).

    An id kept earlier (in ``seen``) is a ``duplicate_id``. Repeats with the same labels keep the first and reject
    the others as ``duplicate_id``; repeats with different labels are all ``conflicting_duplicate`` (none kept).

    Args:
        valid: Orders with ``order_id``, ``appeal_type``, ``urgency`` and ``row`` (the 1-based data row).
        col: The source column of the order id, named in the messages.
        seen: Ids kept from earlier chunks.
    """
    found: dict[int, tuple[str, str]] = {}
    if len(seen):
        again = valid["order_id"].isin(seen)
        for idx, order_id in valid.loc[again, "order_id"].items():
            found[int(idx)] = ("duplicate_id", f"{col}: order id {order_id} already kept from an earlier chunk")
        valid = valid[~again]
    dup = valid[valid["order_id"].notna() & valid.duplicated("order_id", keep=False)]
    for order_id, group in dup.groupby("order_id", sort=False):
        labels = [t if u is None else f"{t}, {u}" for t, u in zip(group["appeal_type"], group["urgency"], strict=True)]
        rows = group["row"].tolist()
        if len(set(labels)) > 1:
            shown = ", ".join(f"row {r}: {lab}" for r, lab in zip(rows, labels, strict=True))
            for idx in group.index:
                found[int(idx)] = ("conflicting_duplicate",
                                   f"{col}: order id {order_id} appears {len(rows)} times with different labels "
                                   f"({shown}); none is kept")
        else:
            for idx in group.index[1:]:
                found[int(idx)] = ("duplicate_id", f"{col}: order id {order_id} already kept from row {rows[0]}")
    return found


def _assemble(raw: RawTable, orders: pd.DataFrame, present: dict[str, str], problems: _Problems) -> ValidatedOrders:
    rejected_idx = sorted(problems.by_row)
    source = str(raw.path)
    records = raw.frame.drop(columns=[ROW, LINE])
    reject_rows = [
        {"source": source, "row": m.row, "line": m.line, "reason": "malformed", "columns": "",
         "detail": m.detail, "record": m.raw}
        for m in raw.malformed
    ]
    for idx in rejected_idx:
        found = problems.by_row[idx]
        reject_rows.append({
            "source": source,
            "row": int(raw.frame[ROW].iat[idx]),
            "line": raw.frame[LINE].iat[idx],
            "reason": found[0][0],
            "columns": ",".join(dict.fromkeys(c for _, c, _ in found)),
            "detail": "; ".join(m for _, _, m in found),
            "record": json.dumps(records.iloc[idx].to_dict(), ensure_ascii=False, default=str),
        })
    rejects = pd.DataFrame(reject_rows, columns=REJECT_COLUMNS).sort_values("row", kind="stable")
    rejects["line"] = rejects["line"].astype("Int64")
    kept = orders.drop(index=rejected_idx).reset_index(drop=True)
    reasons = rejects["reason"].value_counts().to_dict()
    report = LoadReport(source=source, encoding=raw.encoding, read=raw.n_read, kept=len(kept),
                        rejected=len(rejects), reasons={str(k): int(v) for k, v in reasons.items()})
    return ValidatedOrders(kept, rejects.reset_index(drop=True), report)

