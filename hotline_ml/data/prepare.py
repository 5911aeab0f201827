"""The data job: (generate) -> load -> validate -> desensitize -> split -> ``datasets.DatasetDict`` -> files.

Later jobs (classifier training, forecasting) start from :func:`prepare_data`, so every model sees data that
passed the same validation and masking.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import datasets
import pandas as pd

from hotline_ml.config import DataConfig, DesensitizeConfig, PrepareDataConfig
from hotline_ml.data import synthetic
from hotline_ml.data.desensitize import Desensitizer
from hotline_ml.data.io import read_raw, write_table
from hotline_ml.data.schema import ValidatedOrders, validate
from hotline_ml.data.splits import SPLITS, SplitReport, split_orders
from hotline_ml.data.synthetic import generate_corpus, write_corpus
from hotline_ml.types import TEXT_FIELDS, LoadReport

log = logging.getLogger(__name__)

DEV_SALT = "hotline-ml-dev-salt"


def load_orders(cfg: DataConfig, now: datetime | None = None) -> ValidatedOrders:
    """Read and validate the work-order file named by ``cfg`` (no masking yet).

    Raises:
        DataFileError: The file is missing or unreadable, or lacks a required column (the message names the
            file and the columns found).
    """
    raw = read_raw(cfg.path, fmt=cfg.format, encoding=cfg.encoding, sheet=cfg.sheet)
    return validate(raw, cfg, now=now)


def make_desensitizer(cfg: DesensitizeConfig) -> Desensitizer | None:
    """Build the desensitizer from config (``None`` when masking is disabled)."""
    if not cfg.enabled:
        log.warning("desensitization is DISABLED: texts are used as loaded")
        return None
    if cfg.salt == DEV_SALT:
        log.warning("using the development salt for caller hashes; set HOTLINE_PII_SALT in production")
    return Desensitizer(cfg.salt, kinds=cfg.kinds)


def desensitize_orders(validated: ValidatedOrders, masker: Desensitizer | None) -> tuple[ValidatedOrders, Counter]:
    """Mask PII in the text fields of kept orders and in the raw records of rejects; hash caller ids.

    Returns:
        The masked orders and rejects (same rows, same report) and the number of items masked per kind.
    """
    if masker is None:
        return validated, Counter()
    orders = validated.orders.copy()
    counts: Counter = Counter()
    for f in TEXT_FIELDS:
        masked, c = masker.mask_many(orders[f].tolist())
        orders[f] = pd.Series(masked, dtype=object)
        counts += c
    orders["caller_id"] = orders["caller_id"].map(masker.hash_caller, na_action="ignore")
    rejects = validated.rejects.copy()
    # raw records of rejects may hold anything, including the caller's number in a column of its own
    rejects["record"] = masker.mask_many(rejects["record"].tolist())[0]
    rejects["detail"] = masker.mask_many(rejects["detail"].tolist())[0]
    return ValidatedOrders(orders, rejects, validated.report), counts


@dataclass
class PreparedData:
    """Output of the data job.

    Attributes:
        splits: ``train`` / ``validation`` / ``test`` datasets of desensitized orders.
        load_report: read / kept / rejected counts and reject reasons.
        rejects: Rejected rows with reasons (raw record masked).
        pii_counts: PII items masked, per kind.
        split_report: Split sizes and periods.
        digest: SHA-256 of the prepared orders (ids, times, texts, labels), to tie a model to its data.
        files: Written files by name (empty when nothing was written).
    """

    splits: datasets.DatasetDict
    load_report: LoadReport
    rejects: pd.DataFrame
    pii_counts: dict[str, int]
    split_report: SplitReport
    digest: str
    files: dict[str, str]

    def summary(self) -> dict:
        """Counts per split, per first-level type and per urgency, PII masked, rejects: JSON-ready."""
        by_type, by_urgency = {}, {}
        for name, ds in self.splits.items():
            frame = ds.select_columns(["appeal_type", "urgency"]).to_pandas()
            by_type[name] = frame["appeal_type"].str.split("/").str[0].value_counts(dropna=False).to_dict()
            by_urgency[name] = frame["urgency"].value_counts(dropna=False).to_dict()
        return {
            "load": asdict(self.load_report),
            "splits": asdict(self.split_report),
            "appeal_type_level1": by_type,
            "urgency": by_urgency,
            "pii_masked": dict(self.pii_counts),
            "digest": self.digest,
            "files": self.files,
        }


def prepare_data(cfg: PrepareDataConfig, progress: bool = True, write: bool = True) -> PreparedData:
    """Run the data job end to end.

    Args:
        cfg: Data, split and desensitization settings, and where to write.
        progress: Show progress bars (corpus generation).
        write: Write the splits (Parquet), rejects (CSV) and summary (JSON) under ``cfg.output_dir``.
    """
    if cfg.data.synthetic is not None:
        ensure_synthetic(cfg.data, progress=progress)
    validated = load_orders(cfg.data)
    r = validated.report
    log.info("%s: read %d = kept %d + rejected %d %s", r.source, r.read, r.kept, r.rejected, r.reasons or "")
    validated, pii_counts = desensitize_orders(validated, make_desensitizer(cfg.desensitize))
    parts, split_report = split_orders(validated.orders, cfg.split)
    splits = datasets.DatasetDict({
        name: datasets.Dataset.from_pandas(part, preserve_index=False) for name, part in parts.items()
    })
    prepared = PreparedData(splits, validated.report, validated.rejects, dict(pii_counts), split_report,
                            _digest(validated.orders), {})
    if write:
        _write(prepared, parts, Path(cfg.output_dir))
    return prepared


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
    corpus = generate_corpus(cfg.synthetic, cfg.taxonomy, progress=progress)
    written = write_corpus(corpus, path)
    stamp.write_text(wanted, encoding="utf-8")
    log.info("synthetic corpus written: %s", {k: str(v) for k, v in written.items()})
    return path


def _generator_digest() -> str:
    package = Path(synthetic.__file__).parent
    h = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.glob("phrases/*.yaml")]):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def _digest(orders: pd.DataFrame) -> str:
    cols = ["order_id", "created_at", "text", "appeal_type", "urgency"]
    hashed = pd.util.hash_pandas_object(orders[cols].astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _write(prepared: PreparedData, parts: dict[str, pd.DataFrame], out: Path) -> None:
    """Write splits, rejects and summary; ``prepared.files`` is set first so the summary lists them."""
    files = {name: str(write_table(parts[name], out / f"{name}.parquet")) for name in SPLITS}
    files["rejects"] = str(write_table(prepared.rejects, out / "rejects.csv"))
    summary_path = out / "summary.json"
    files["summary"] = str(summary_path)
    prepared.files = files
    summary_path.write_text(json.dumps(prepared.summary(), ensure_ascii=False, indent=2, default=str),
                            encoding="utf-8")


def format_summary(summary: dict) -> str:
    """Human-readable summary of :meth:`PreparedData.summary` for the terminal."""
    load, splits = summary["load"], summary["splits"]
    lines = [
        f"source: {load['source']} (encoding {load['encoding']})",
        f"rows: read {load['read']} = kept {load['kept']} + rejected {load['rejected']}",
    ]
    lines += [f"  rejected {reason}: {n}" for reason, n in sorted(load["reasons"].items())]
    lines.append(f"split ({splits['method']}): " + ", ".join(
        f"{name} {n} [{splits['periods'][name][0][:10]} .. {splits['periods'][name][1][:10]}]"
        for name, n in splits["sizes"].items()))
    lines.append(f"  near-duplicate text groups: {splits['near_duplicate_groups']}; {splits['moved']} orders placed "
                 "in an earlier split to stay with their group")
    types = pd.DataFrame(summary["appeal_type_level1"]).fillna(0).astype(int)
    lines += ["orders per appeal type (first level):", _indent(types.to_string())]
    urgency = pd.DataFrame(summary["urgency"]).fillna(0).astype(int)
    lines += ["orders per urgency:", _indent(urgency.to_string())]
    pii = summary["pii_masked"]
    lines.append(f"PII items masked: {sum(pii.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(pii.items()))
                 + ")")
    lines += [f"wrote {name}: {path}" for name, path in summary["files"].items()]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
