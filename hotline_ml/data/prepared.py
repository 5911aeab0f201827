"""Prepared data: the masked, validated splits that ``prepare-data`` writes and every job reads.

    <paths.prepared>/<data.name>/
        train.parquet, validation.parquet, test.parquet   kept orders, masked, split
        rejects.csv                                       every rejected row with its reason (raw record masked)
        manifest.json                                     source file and its SHA-256, settings, rows, digest
        summary.json                                      what prepare-data printed, JSON-ready

A job given a raw file prepares it once: :func:`prepared_splits` reads the directory when its manifest says it
was prepared from the same file bytes, with the same data and masking settings and the same validation and
masking code, and prepares it (read, validate, mask, split, write) otherwise. A job that wants another split
of the same orders splits the prepared rows again, so nothing masks the same rows twice. The manifest's
``digest`` (:func:`hotline_ml.data.load.orders_digest` of the kept orders) is the dataset's identity: run tags,
registry rules and MLflow dataset inputs quote it.

Texts for pre-training from other files (``extra_texts``) are prepared the same way, one cached Parquet file
per source file: :func:`prepared_texts`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from hotline_ml.config import DataConfig, DesensitizeConfig, SplitConfig, TextSource
from hotline_ml.data import desensitize as _desensitize_module
from hotline_ml.data import io as _io_module
from hotline_ml.data import schema as _schema_module
from hotline_ml.data.desensitize import make_desensitizer
from hotline_ml.data.io import read_raw, write_table
from hotline_ml.data.load import OrderSplits, ensure_synthetic, load_splits, orders_digest
from hotline_ml.data.schema import ValidatedOrders, clean_text
from hotline_ml.data.splits import SPLITS, SplitReport, near_duplicate_key, split_orders
from hotline_ml.record import DatasetInput
from hotline_ml.types import LoadReport

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1  # of the directory layout; a manifest of another format is prepared again


@dataclass
class Manifest:
    """What a prepared directory holds and where it came from (``manifest.json``).

    Attributes:
        dataset: ``data.name``.
        digest: SHA-256 of the kept orders (ids, times, texts, labels): the dataset's identity.
        key: Identity of the preparation: source bytes, data and masking settings, validation and masking
            code. A job reuses the directory only when its own key is equal.
        source: ``path``, ``sha256`` and ``bytes`` of the file read.
        settings: The data settings and the masking settings (the salt left out: only its effect is in ``key``).
        split: The split settings the files were written with.
        load: read / kept / rejected counts and reasons (``read == kept + rejected``).
        split_report: Sizes and periods of the splits.
        pii_masked: PII items masked, per kind.
        files: Written files by name.
        prepared_at: When (UTC, ISO).
        rows: Orders per split.
        object_columns: Columns held as ``object`` (Parquet reads text back as ``str``; they are restored).
    """

    dataset: str
    digest: str
    key: str
    source: dict
    settings: dict
    split: dict
    load: dict
    split_report: dict
    pii_masked: dict[str, int]
    files: dict[str, str]
    prepared_at: str
    format: int = FORMAT
    rows: dict[str, int] = field(default_factory=dict)
    object_columns: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, default=str)

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        """The manifest in ``directory``; ``None`` when there is none or it is of another format."""
        path = directory / MANIFEST
        if not path.is_file():
            return None
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            return cls(**found) if found.get("format") == FORMAT else None
        except (json.JSONDecodeError, TypeError) as err:
            log.warning("%s: unreadable manifest (%s); preparing the data again", path, err)
            return None


def prepared_splits(data: DataConfig, split: SplitConfig, desensitize: DesensitizeConfig, root: str | Path, *,
                    progress: bool = True, write: bool = False) -> OrderSplits:
    """The masked, validated and split orders of ``data``: read from ``root/<data.name>`` when prepared from
    the same file and settings, else prepared there now.

    Args:
        data: The work-order file and how to read and validate it (generated first when synthetic).
        split: How the orders are split; a directory prepared with another split is split again in memory.
        desensitize: How PII is masked (part of the preparation's identity).
        root: The prepared-data root (``paths.prepared``).
        progress: Show progress bars (corpus generation).
        write: Also write a split made again from prepared rows (``prepare-data`` does; jobs do not).

    Raises:
        DataFileError: The file is missing or unreadable, or lacks a required column.
    """
    directory = Path(root) / data.name
    key, source = _key(data, desensitize, progress)
    manifest = Manifest.read(directory)
    splits = _read(directory, manifest) if manifest is not None and manifest.key == key else None
    if splits is None:
        splits = load_splits(data, split, make_desensitizer(desensitize), progress=progress)
        _write(directory, splits, data, split, desensitize, key, source)
        return splits
    if manifest.split == _plain(split):
        log.info("prepared data up to date: %s (digest %s, %d orders)", directory, splits.digest[:12],
                 manifest.load["kept"])
        return splits
    frames, report = split_orders(pd.concat(splits.frames.values(), ignore_index=True), split)
    log.info("split the prepared orders of %s again (%s; prepared with %s): nothing masked again", directory,
             split.method, manifest.split.get("method"))
    again = OrderSplits(frames, splits.load_report, splits.rejects, splits.pii_counts, report, splits.digest)
    if write:
        _write(directory, again, data, split, desensitize, key, source)
    return again


def prepared_orders(data: DataConfig, split: SplitConfig, desensitize: DesensitizeConfig, root: str | Path, *,
                    progress: bool = True) -> ValidatedOrders:
    """Every kept order of ``data`` (all splits, ordered by time and id), its rejects and report, from the
    prepared directory (prepared now with ``split`` when it is missing or stale)."""
    splits = prepared_splits(data, split, desensitize, root, progress=progress)
    orders = pd.concat(splits.frames.values(), ignore_index=True)
    orders = orders.sort_values(["created_at", "order_id"], kind="stable").reset_index(drop=True)
    return ValidatedOrders(orders, splits.rejects, splits.load_report, dict(splits.pii_counts))


def prepared_texts(source: TextSource, desensitize: DesensitizeConfig, root: str | Path) -> list[str]:
    """The masked, cleaned non-empty texts of ``source``'s column, cached under ``root/_texts/`` by the file's
    bytes and the masking settings.

    Raises:
        ValueError: The file lacks the column (the message names the file and the columns found).
    """
    sha = _file_sha256(source.path)
    key = _digest({"source": sha, "column": source.column, "desensitize": asdict(desensitize),
                   "code": _code_digest()})
    cached = Path(root) / "_texts" / f"{Path(source.path).stem}-{key[:16]}.parquet"
    if cached.is_file():
        log.info("%s: masked texts up to date (%s)", source.path, cached)
        return pd.read_parquet(cached)["text"].tolist()
    raw = read_raw(source.path)
    if source.column not in raw.frame:
        raise ValueError(f"{source.path}: extra_texts column {source.column!r} not found; "
                         f"columns: {list(raw.frame.columns)}")
    found = [clean_text(str(v)) for v in raw.frame[source.column] if isinstance(v, str) and v.strip()]
    masker = make_desensitizer(desensitize)
    texts = masker.mask_many(found)[0] if masker else found
    write_table(pd.DataFrame({"text": pd.Series(texts, dtype=object)}), cached)
    log.info("%s: %d texts from column %s, masked once into %s", source.path, len(texts), source.column, cached)
    return texts


def pretraining_texts(data: DataConfig, split: SplitConfig, desensitize: DesensitizeConfig, root: str | Path,
                      extra: Sequence[TextSource] = (), holdout: DataConfig | None = None) -> list[str]:
    """Masked unlabelled texts for pre-training: the training split of ``data`` plus the ``extra`` files' text
    columns, minus anything (near-)equal to a text of ``holdout``, which is evaluated on later. Every file is
    prepared (masked) once and read from ``root`` afterwards.

    Raises:
        ValueError: An extra file lacks its text column (the message names the file and the columns found).
    """
    texts = list(prepared_splits(data, split, desensitize, root).frames["train"]["text"])
    for source in extra:
        texts += prepared_texts(source, desensitize, root)
    if holdout is not None:
        held = set(near_duplicate_key(prepared_orders(holdout, split, desensitize, root).orders["text"]))
        keys = near_duplicate_key(pd.Series(texts, dtype=object))
        kept = [t for t, k in zip(texts, keys, strict=True) if k not in held]
        log.info("left out %d texts that also occur in the hold-out data %s", len(texts) - len(kept), holdout.name)
        texts = kept
    return texts


def dataset_inputs(data: DataConfig, root: str | Path, splits: OrderSplits,
                   contexts: Sequence[str] = SPLITS) -> list[DatasetInput]:
    """The prepared splits a run read, as dataset inputs of its record: each split's file, its rows, and the
    data set's digest (``contexts``: the splits to list, or ``("all",)`` for every split read as one)."""
    directory = Path(root) / data.name
    if tuple(contexts) == ("all",):
        return [DatasetInput(data.name, splits.digest, str(directory), "all", splits.load_report.kept)]
    # one MLflow dataset per split (MLflow keeps one input per name and digest): <name>/<split>
    return [DatasetInput(f"{data.name}/{name}", splits.digest, str(directory / f"{name}.parquet"), name,
                         len(splits.frames[name])) for name in contexts]


def _key(data: DataConfig, desensitize: DesensitizeConfig, progress: bool) -> tuple[str, dict]:
    if data.synthetic is not None:
        ensure_synthetic(data, progress=progress)
    path = Path(data.path)
    source = {"path": str(path), "sha256": _file_sha256(path), "bytes": path.stat().st_size}
    settings = {"data": {k: v for k, v in asdict(data).items() if k != "path"},
                "desensitize": asdict(desensitize), "code": _code_digest(), "source": source["sha256"]}
    return _digest(settings), source


def _file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        read_raw(path)  # raises DataFileError naming the file, as every reader of the data door does
        raise
    return h.hexdigest()


def _code_digest() -> str:
    """The validation, reading and masking code: a change to it prepares the data again."""
    h = hashlib.sha256()
    for module in (_schema_module, _desensitize_module, _io_module):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def _digest(value: dict) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _plain(split: SplitConfig) -> dict:
    return json.loads(json.dumps(asdict(split), default=str))


def _read(directory: Path, manifest: Manifest) -> OrderSplits | None:
    """The splits of a prepared directory; ``None`` (prepare again) when a file is missing or was changed."""
    try:
        frames = {name: _as_loaded(pd.read_parquet(directory / f"{name}.parquet"), manifest.object_columns)
                  for name in SPLITS}
        rejects = pd.read_csv(directory / "rejects.csv", encoding="utf-8-sig", dtype=object, keep_default_na=False)
    except (OSError, ValueError) as err:
        log.warning("%s: prepared files unreadable (%s); preparing the data again", directory, err)
        return None
    digest = orders_digest(pd.concat(frames.values(), ignore_index=True))
    if digest != manifest.digest:
        log.warning("%s: the prepared files changed since they were written (digest %s, manifest %s); preparing "
                    "the data again", directory, digest[:12], manifest.digest[:12])
        return None
    report = SplitReport(**{**manifest.split_report, "periods": {k: tuple(v) for k, v in
                                                                  manifest.split_report["periods"].items()}})
    return OrderSplits(frames, LoadReport(**manifest.load), rejects, dict(manifest.pii_masked), report, digest)


def _as_loaded(frame: pd.DataFrame, object_columns: list[str]) -> pd.DataFrame:
    """The columns the data door gives as ``object`` (``None`` when missing) back from Parquet's ``str``."""
    for name in object_columns:
        if name in frame and frame[name].dtype != object:
            frame[name] = pd.Series(frame[name].astype(object).where(frame[name].notna(), None), dtype=object)
    return frame


def _write(directory: Path, splits: OrderSplits, data: DataConfig, split: SplitConfig,
           desensitize: DesensitizeConfig, key: str, source: dict) -> Manifest:
    files = {name: str(write_table(splits.frames[name], directory / f"{name}.parquet")) for name in SPLITS}
    files["rejects"] = str(write_table(splits.rejects, directory / "rejects.csv"))
    files["summary"] = str(directory / "summary.json")
    masking = {k: v for k, v in asdict(desensitize).items() if k != "salt"}
    manifest = Manifest(
        dataset=data.name, digest=splits.digest, key=key, source=source,
        settings={"data": asdict(data), "desensitize": masking}, split=_plain(split),
        load=asdict(splits.load_report), split_report=asdict(splits.split_report),
        pii_masked=dict(splits.pii_counts), files=files,
        prepared_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        rows={name: len(f) for name, f in splits.frames.items()},
        object_columns=[c for c, t in splits.frames["train"].dtypes.items() if pd.api.types.is_object_dtype(t)])
    summary = {**splits.summary(), "digest": manifest.digest, "files": files}
    Path(files["summary"]).write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str),
                                      encoding="utf-8")
    # the manifest last: a directory whose writing was cut off has an old or no manifest and is prepared again
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    tmp.replace(directory / MANIFEST)
    log.info("prepared %s: %d orders (%s), %d rejected, digest %s", directory, splits.load_report.kept,
             ", ".join(f"{k} {v}" for k, v in manifest.rows.items()), splits.load_report.rejected,
             manifest.digest[:12])
    return manifest

