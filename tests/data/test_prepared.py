"""Prepared data is the contract between jobs: masked once, read by every job, one identity (the digest)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.config import SplitMethod
from hotline_ml.data import Desensitizer, load_splits, make_desensitizer, prepared_orders, prepared_splits
from hotline_ml.data.prepared import MANIFEST
from hotline_ml.types import TEXT_FIELDS
from tests.helpers import SMALL_SYNTHETIC, compose_config


@pytest.fixture
def masked_texts(monkeypatch) -> list[int]:
    """Counts the texts every Desensitizer masks (the real masking still runs)."""
    counted = [0]
    real = Desensitizer.mask_many

    def counting(self, texts):
        texts = list(texts)
        counted[0] += len(texts)
        return real(self, texts)

    monkeypatch.setattr(Desensitizer, "mask_many", counting)
    return counted


def test_a_job_run_twice_on_prepared_data_masks_nothing(small_prepare_cfg, tmp_path, masked_texts) -> None:
    from hotline_ml.data.prepare import prepare_data
    from hotline_ml.insight.jobs import run_indicator_job

    cfg = replace(small_prepare_cfg, paths=replace(small_prepare_cfg.paths, prepared=str(tmp_path / "prepared")))
    prepared = prepare_data(cfg, progress=False)
    assert masked_texts[0] > prepared.splits.load_report.kept  # prepare-data masked every text once
    job = compose_config("compute_indicators", [*SMALL_SYNTHETIC, f"data.path={cfg.data.path}",
                                                f"paths.prepared={tmp_path / 'prepared'}",
                                                f"output_dir={tmp_path / 'indicators'}"])
    for _ in range(2):
        masked_texts[0] = 0
        record = run_indicator_job(job, progress=False)
        assert masked_texts[0] == 0
        assert record.tags["data_digest"] == prepared.splits.digest
    assert int(record.metrics["n_orders"]) == prepared.splits.load_report.kept


def test_prepared_splits_equal_the_door_and_another_split_masks_nothing(small_prepare_cfg, tmp_path,
                                                                        masked_texts) -> None:
    data, split, masking = small_prepare_cfg.data, small_prepare_cfg.split, small_prepare_cfg.desensitize
    direct = load_splits(data, split, make_desensitizer(masking), progress=False)
    first = prepared_splits(data, split, masking, tmp_path, progress=False)
    for name, frame in direct.frames.items():
        pd.testing.assert_frame_equal(first.frames[name], frame)
    assert first.digest == direct.digest
    masked_texts[0] = 0
    stratified = replace(split, method=SplitMethod.stratified)
    other = prepared_splits(data, stratified, masking, tmp_path, progress=False)
    assert masked_texts[0] == 0
    expected = load_splits(data, stratified, make_desensitizer(masking), progress=False)
    for name, frame in expected.frames.items():
        pd.testing.assert_frame_equal(other.frames[name], frame)
    assert other.digest == first.digest  # one data set, whatever its split
    everything = prepared_orders(data, split, masking, tmp_path, progress=False)
    assert len(everything.orders) == direct.load_report.kept and everything.orders["created_at"].is_monotonic_increasing


def test_the_manifest_names_source_rows_and_digest_but_not_the_salt(small_prepare_cfg, tmp_path) -> None:
    data, masking = small_prepare_cfg.data, replace(small_prepare_cfg.desensitize, salt="a-secret-salt")
    splits = prepared_splits(data, small_prepare_cfg.split, masking, tmp_path, progress=False)
    text = (tmp_path / data.name / MANIFEST).read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert "a-secret-salt" not in text
    assert manifest["digest"] == splits.digest and manifest["dataset"] == data.name
    assert manifest["source"]["bytes"] == Path(data.path).stat().st_size and len(manifest["source"]["sha256"]) == 64
    assert manifest["load"]["read"] == manifest["load"]["kept"] + manifest["load"]["rejected"]
    assert sum(manifest["rows"].values()) == manifest["load"]["kept"]


def test_a_changed_salt_file_or_prepared_file_prepares_again(small_prepare_cfg, tmp_path, masked_texts) -> None:
    data, split, masking = small_prepare_cfg.data, small_prepare_cfg.split, small_prepare_cfg.desensitize
    first = prepared_splits(data, split, masking, tmp_path, progress=False)
    masked_texts[0] = 0
    salted = prepared_splits(data, split, replace(masking, salt="another-salt"), tmp_path, progress=False)
    assert masked_texts[0] > 0  # prepared again: the caller hashes differ
    assert not set(salted.frames["train"]["caller_id"].dropna()) & set(first.frames["train"]["caller_id"].dropna())
    # a prepared file edited by hand no longer matches the manifest's digest: prepared again, not trusted
    test_file = tmp_path / data.name / "test.parquet"
    pd.read_parquet(test_file).head(5).to_parquet(test_file)
    masked_texts[0] = 0
    again = prepared_splits(data, split, replace(masking, salt="another-salt"), tmp_path, progress=False)
    assert masked_texts[0] > 0 and again.digest == salted.digest
    # a different source file (another corpus written to the same name) is prepared again too
    copy = tmp_path / "orders.csv"
    raw = pd.read_csv(data.path, dtype=object)
    raw.head(len(raw) // 2).to_csv(copy, index=False)
    half = prepared_splits(replace(data, path=str(copy), synthetic=None), split, masking, tmp_path, progress=False)
    assert half.load_report.read == len(raw) // 2


def test_batch_scoring_masks_only_the_day_it_scores(small_prepare_cfg, tmp_path, masked_texts) -> None:
    from hotline_ml.data.load import ensure_synthetic, iter_orders

    ensure_synthetic(small_prepare_cfg.data, progress=False)
    data = replace(small_prepare_cfg.data, synthetic=None)
    day = pd.Timestamp("2026-01-15").date()
    masker = make_desensitizer(small_prepare_cfg.desensitize)
    chunks = list(iter_orders(data, masker, chunk_rows=1000, day=day))
    scored = sum(len(c.loaded.orders) for c in chunks)
    other = sum(c.other_day for c in chunks)
    rejected = sum(len(c.loaded.rejects) for c in chunks)
    assert 0 < scored < other and scored + other + rejected == sum(c.read for c in chunks)
    assert all((c.loaded.orders["created_at"].dt.date == day).all() for c in chunks)
    # the day's text fields, and the rejects' record and detail: nothing of other days
    assert masked_texts[0] == len(TEXT_FIELDS) * scored + 2 * rejected
