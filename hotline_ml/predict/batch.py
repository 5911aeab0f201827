"""Batch scoring of a day's orders: read in chunks -> validate -> desensitize -> predict -> files, resumable.

Layout of ``output_dir``::

    manifest.jsonl                 line 1: what is scored (input file, size, mtime, settings, model); then one
                                   line per finished chunk with its counts (appended and fsynced after the
                                   chunk's files are in place)
    parts/predictions-00042.parquet, parts/rejects-00042.csv    each written to a temporary name, then renamed
    predictions.parquet (or .csv), rejects.csv, summary.json    assembled from the parts at the end; for labelled
                                   input summary.json holds the routing evaluation (``routing``) beside the
                                   summed counts behind it (``evaluation``); ``drift`` compares the day with
                                   the model's training data (:mod:`hotline_ml.drift`)

Chunking is deterministic (records ``k * chunk_rows + 1 ..`` of the file), so a run killed at any point and
rerun skips the chunks in the manifest, redoes the one it was in (overwriting any half-written part) and
assembles outputs in which every input id appears exactly once. Ids repeated across chunks are rejected as
``duplicate_id`` like repeats within a chunk. A manifest from another input or other settings is an error,
never silently mixed in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from hotline_ml.config import BatchScoreConfig
from hotline_ml.data.io import write_table
from hotline_ml.data.load import OrderChunk, count_records, iter_orders
from hotline_ml.data.schema import REJECT_COLUMNS
from hotline_ml.drift import add_counts, day_counts, drift_report, format_drift
from hotline_ml.predict.classifier import FLOAT_COLUMNS, LIST_COLUMNS, PREDICTION_COLUMNS, Predictor
from hotline_ml.triage import RoutingEvaluation

log = logging.getLogger(__name__)

_TYPES = {
    **dict.fromkeys(FLOAT_COLUMNS, pa.float64()),
    "appeal_type_top3": pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())])),
    "transfer_to": pa.list_(pa.string()),
    "route_reasons": pa.list_(pa.string()),
    "predicted_at": pa.timestamp("us", tz="UTC"),
}
#: Arrow schema of the predictions (fixed, so parts with all-missing columns still concatenate): lists and
#: structs typed as such; every other column is a string.
PREDICTION_SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in PREDICTION_COLUMNS])


@dataclass
class ChunkCounts:
    """What happened to one chunk's records: ``read == scored + rejected + other_day``."""

    chunk: int
    read: int
    scored: int
    rejected: int
    other_day: int
    reasons: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    evaluation: dict[str, int] = field(default_factory=dict)
    drift: dict = field(default_factory=dict)


@dataclass
class BatchResult:
    """Totals of a batch scoring run (resumed chunks included), its files and a few routed examples."""

    read: int
    scored: int
    rejected: int
    other_day: int
    reasons: dict[str, int]
    routes: dict[str, int]
    chunks: int
    resumed_chunks: int
    seconds: float
    orders_per_second: float
    scored_per_second: float
    files: dict[str, str]
    examples: list[dict[str, str]]
    evaluation: dict[str, int] = field(default_factory=dict)
    drift: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The closing lines of the job: the count identity, throughput, routes and where the outputs are."""
        other = f" + other days {self.other_day}" if self.other_day else ""
        lines = [f"read {self.read} = scored {self.scored} + rejected {self.rejected}{other}"]
        lines += [f"  rejected {r}: {n}" for r, n in sorted(self.reasons.items())]
        lines.append("routes: " + ", ".join(f"{r} {n}" for r, n in sorted(self.routes.items())))
        lines.append(f"throughput: {self.orders_per_second:,.0f} orders read/s, {self.scored_per_second:,.0f} scored/s "
                     f"({self.chunks - self.resumed_chunks} chunks in {self.seconds:.1f} s; "
                     f"{self.resumed_chunks} resumed from an earlier run)")
        if self.routing is not None:
            lines.append(self.routing.summary())
        lines += format_drift(self.drift)
        lines += [f"wrote {name}: {path}" for name, path in self.files.items()]
        return "\n".join(lines)

    @property
    def routing(self) -> RoutingEvaluation | None:
        """The routing evaluation over the labelled orders of all chunks (``None`` when none is labelled), the
        automatable-grade figures by the predictor's automation policy."""
        return RoutingEvaluation.from_tallies(self.evaluation) if self.evaluation.get("n") else None

    def to_json(self) -> dict:
        """What ``summary.json`` holds: the fields, plus ``routing`` (figures; NaN written as null)."""
        ev = self.routing
        routing = None if ev is None else {k: None if isinstance(v, float) and math.isnan(v) else v
                                           for k, v in asdict(ev).items()}
        return {**asdict(self), "routing": routing}


class Manifest:
    """The append-only record of finished chunks; its first line fixes what is being scored."""

    def __init__(self, path: Path, fingerprint: dict) -> None:
        self.path = path
        self.done: dict[int, ChunkCounts] = {}
        if path.is_file() and path.stat().st_size:
            self._load(fingerprint)
        else:
            self._append(fingerprint)

    def _load(self, fingerprint: dict) -> None:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        found = json.loads(lines[0])
        if found != fingerprint:
            diff = sorted(k for k in fingerprint.keys() | found.keys() if found.get(k) != fingerprint.get(k))
            raise ValueError(f"{self.path}: this output directory holds a run over other input or settings "
                             f"(differs in {diff}); use another output_dir or delete {self.path.parent}")
        for line in lines[1:]:
            try:
                counts = ChunkCounts(**json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue  # a line cut short by a kill: that chunk is redone
            self.done[counts.chunk] = counts

    def _append(self, record: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def finish(self, counts: ChunkCounts) -> None:
        """Record a chunk as done (after its files are in place)."""
        self._append(asdict(counts))
        self.done[counts.chunk] = counts


def fingerprint(cfg: BatchScoreConfig, predictor: Predictor) -> dict:
    """What a resumed run must share with the first one: input file, chunking, day, model."""
    path = Path(cfg.input.path).resolve()
    stat = path.stat()
    info = predictor.info
    return {"input": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "chunk_rows": cfg.chunk_rows,
            "day": cfg.day, "columns": dict(cfg.input.columns), "model": info.source, "version": info.version,
            "run_id": info.run_id, "schema": hashlib.sha256(str(PREDICTION_SCHEMA).encode()).hexdigest()[:12]}


def score_file(cfg: BatchScoreConfig, predictor: Predictor, progress: bool = True,
               after_chunk: Callable[[int], None] | None = None) -> BatchResult:
    """Score every order of ``cfg.input`` (see module docstring); resumes a killed run in the same directory.

    Args:
        cfg: Input, chunking, day, outputs.
        predictor: The loaded predictor (its masker desensitizes orders and rejects).
        progress: Show a progress bar.
        after_chunk: Called with the chunk number after each chunk is recorded (tests inject failures here).

    Raises:
        ValueError: Bad settings, or ``output_dir`` holds a run over other input or settings.
        DataFileError: The input is missing, unreadable, or lacks a required column.
    """
    _check(cfg)
    out = Path(cfg.output_dir)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out / "manifest.jsonl", fingerprint(cfg, predictor))
    resumed = len(manifest.done)
    examples: dict[str, list[dict[str, str]]] = {}
    start, new_read, new_scored = time.perf_counter(), 0, 0
    # the data door validates (ids repeated across chunks rejected) and masks with the model's own masker
    # the day is kept before masking: other days' texts are never masked, scored or written
    day = None if cfg.day is None else date.fromisoformat(cfg.day)
    chunks = iter_orders(cfg.input, predictor.masker, cfg.chunk_rows, skip=set(manifest.done), day=day)
    total = count_records(cfg.input) if progress else None
    with tqdm(total=total, desc="scoring", unit="order", unit_scale=True, disable=not progress) as bar:
        for chunk in chunks:
            if chunk.loaded is None:  # finished by an earlier run
                bar.update(chunk.read)
                continue
            counts = _score_chunk(chunk, cfg, predictor, out, examples)
            manifest.finish(counts)
            new_read, new_scored = new_read + counts.read, new_scored + counts.scored
            bar.update(counts.read)
            bar.set_postfix(chunk=chunk.index + 1, scored=f"{sum(c.scored for c in manifest.done.values()):,}")
            if after_chunk is not None:
                after_chunk(chunk.index)
        bar.total = bar.n  # the estimate counts line breaks; close the bar at what was read
        bar.refresh()
    seconds = time.perf_counter() - start
    files = _assemble(out, sorted(manifest.done), cfg.output_format)
    result = _result(list(manifest.done.values()), resumed, seconds, (new_read, new_scored), files, examples,
                     cfg.examples)
    result.drift = drift_report(predictor.profile, add_counts([c.drift for c in manifest.done.values()]),
                                result.routes, cfg.drift)
    (out / "summary.json").write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def _check(cfg: BatchScoreConfig) -> None:
    if cfg.input.synthetic is not None:
        raise ValueError("input.synthetic must be null for batch scoring: score a file, do not generate one")
    if cfg.day is not None:
        date.fromisoformat(cfg.day)  # raises naming the bad value
        if "created_at" not in cfg.input.required:
            raise ValueError("day is set, so created_at must be in input.required (orders without a time "
                             "cannot be placed on a day)")


def _part(out: Path, kind: str, k: int) -> Path:
    return out / "parts" / f"{kind}-{k:05d}.{'parquet' if kind == 'predictions' else 'csv'}"


def _score_chunk(chunk: OrderChunk, cfg: BatchScoreConfig, predictor: Predictor, out: Path,
                 examples: dict[str, list[dict[str, str]]]) -> ChunkCounts:
    loaded, k = chunk.loaded, chunk.index
    orders = loaded.orders
    predictions = predictor.predict_desensitized(orders)
    write_table(pa.Table.from_pandas(predictions, schema=PREDICTION_SCHEMA, preserve_index=False),
                _part(out, "predictions", k))
    write_table(loaded.rejects, _part(out, "rejects", k))
    _collect_examples(orders, predictions, examples, cfg.examples)
    return ChunkCounts(k, chunk.read, len(orders), len(loaded.rejects), chunk.other_day,
                       dict(loaded.report.reasons), predictions["route"].value_counts().to_dict(),
                       predictor.routing_tallies(predictions, orders),
                       day_counts(orders, predictions, predictor.profile))


def _collect_examples(orders: pd.DataFrame, predictions: pd.DataFrame, examples: dict[str, list[dict[str, str]]],
                      limit: int) -> None:
    """Keep a few desensitized texts per route for the closing printout."""
    for route, group in predictions.groupby("route"):
        room = limit - len(examples.setdefault(str(route), []))
        for i in group.index[:max(room, 0)]:
            p = predictions.loc[i]
            examples[str(route)].append({
                "order_id": str(p["order_id"]), "text": str(orders.at[i, "text"])[:80],
                "appeal_type": f"{p['appeal_type']} ({p['appeal_type_score']:.2f})", "urgency": str(p["urgency"]),
                "route": str(route) + (f" -> {'/'.join(p['transfer_to'])}" if len(p["transfer_to"]) else ""),
                "reasons": ", ".join(p["route_reasons"]),
            })


def _assemble(out: Path, chunks: list[int], fmt: str) -> dict[str, str]:
    """Concatenate the parts in chunk order into the final files, each written to a temporary name first."""
    pred = out / f"predictions.{fmt}"
    tmp = pred.with_name(pred.name + ".tmp")
    if fmt == "parquet":
        with pq.ParquetWriter(tmp, PREDICTION_SCHEMA) as writer:
            for table in _tables(out, chunks):
                writer.write_table(table)
    else:
        pd.DataFrame(columns=list(PREDICTION_COLUMNS)).to_csv(tmp, index=False, encoding="utf-8-sig")
        for table in _tables(out, chunks):
            _csv_cells(table.to_pandas()).to_csv(tmp, mode="a", header=False, index=False, encoding="utf-8")
    os.replace(tmp, pred)
    rejects = out / "rejects.csv"
    tmp = rejects.with_name(rejects.name + ".tmp")
    pd.DataFrame(columns=REJECT_COLUMNS).to_csv(tmp, index=False, encoding="utf-8-sig")
    for k in chunks:
        part = pd.read_csv(_part(out, "rejects", k), dtype=str, keep_default_na=False)
        part.to_csv(tmp, mode="a", header=False, index=False, encoding="utf-8")
    os.replace(tmp, rejects)
    return {"predictions": str(pred), "rejects": str(rejects), "summary": str(out / "summary.json")}


def _csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """List columns as JSON text: CSV has no lists (Parquet keeps them typed)."""
    def as_json(cell) -> str:
        return json.dumps([dict(v) if isinstance(v, dict) else v for v in cell], ensure_ascii=False)

    return frame.assign(**{c: frame[c].map(as_json) for c in LIST_COLUMNS})


def _tables(out: Path, chunks: list[int]) -> Iterator[pa.Table]:
    for k in chunks:
        yield pq.read_table(_part(out, "predictions", k), schema=PREDICTION_SCHEMA)


def _result(counts: list[ChunkCounts], resumed: int, seconds: float, new: tuple[int, int], files: dict[str, str],
            examples: dict[str, list[dict[str, str]]], limit: int) -> BatchResult:
    reasons: Counter = Counter()
    routes: Counter = Counter()
    evaluation: Counter = Counter()
    for c in counts:
        reasons.update(c.reasons)
        routes.update(c.routes)
        evaluation.update(c.evaluation)
    shown = [e for route in ("transfer", "human_review", "automated") for e in examples.get(route, [])][:limit]
    return BatchResult(
        read=sum(c.read for c in counts), scored=sum(c.scored for c in counts),
        rejected=sum(c.rejected for c in counts), other_day=sum(c.other_day for c in counts),
        reasons=dict(reasons), routes=dict(routes), chunks=len(counts), resumed_chunks=resumed,
        seconds=round(seconds, 3), orders_per_second=round(new[0] / max(seconds, 1e-9), 1),
        scored_per_second=round(new[1] / max(seconds, 1e-9), 1),
        files=files, examples=shown, evaluation=dict(evaluation))
