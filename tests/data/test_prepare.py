"""The data job end to end, through the real Hydra config, shrunk."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.data import load_splits, make_desensitizer
from hotline_ml.data.prepare import format_summary, prepare_data
from tests.helpers import compose_config


@pytest.fixture(scope="module")
def prepared(small_prepare_cfg):
    return prepare_data(small_prepare_cfg, progress=False)


def test_entry_config_composes_with_every_data_and_split_option(monkeypatch) -> None:
    monkeypatch.delenv("HOTLINE_PREPARED_DATA")
    for data in ["synthetic", "tipdm2020c"]:
        for split in ["time", "stratified"]:
            cfg = compose_config("prepare_data", [f"data={data}", f"split={split}"])
            assert cfg.data.name == data and cfg.split.method == split
    cfg = compose_config("prepare_data")
    assert cfg.paths.prepared == "data/prepared"


def test_config_typos_fail_at_compose_time() -> None:
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="max_text_char"):
        compose_config("prepare_data", ["data.max_text_char=5"])  # a typo of max_text_chars
    with pytest.raises(ConfigCompositionException, match="val_frac"):
        compose_config("prepare_data", ["split.val_frac=lots"])


def test_rows_are_accounted_for_and_split(prepared) -> None:
    r = prepared.splits.load_report
    assert r.read == r.kept + r.rejected and r.read > 3000
    sizes = prepared.splits.split_report.sizes
    assert sum(sizes.values()) == r.kept
    frames = prepared.splits.frames
    assert set(frames) == {"train", "validation", "test"}
    assert {name: len(f) for name, f in frames.items()} == sizes
    train, test = frames["train"], frames["test"]
    assert train["created_at"].min() < test["created_at"].min()


def test_no_raw_pii_leaves_the_data_layer(prepared, small_corpus) -> None:
    texts = pd.concat([f["text"] for f in prepared.splits.frames.values()])
    assert not texts.str.contains(r"(?<!\d)1[3-9]\d{9}(?!\d)").any()
    assert prepared.splits.pii_counts["phone"] > 100 and prepared.splits.pii_counts["name"] > 50
    callers = pd.concat([f["caller_id"] for f in prepared.splits.frames.values()])
    raw_callers = set(small_corpus.orders["caller_id"])
    assert callers.str.fullmatch(r"[0-9a-f]{16}").all() and not set(callers) & raw_callers
    # repeat callers stay countable after hashing
    assert callers.value_counts().max() > 1


def test_outputs_are_written(prepared) -> None:
    files = prepared.files
    for name in ["train", "validation", "test", "rejects", "summary", "manifest"]:
        assert Path(files[name]).is_file()
    summary = json.loads(Path(files["summary"]).read_text(encoding="utf-8"))
    assert summary["load"]["kept"] == prepared.splits.load_report.kept
    assert sum(summary["urgency"]["test"].values()) == prepared.splits.split_report.sizes["test"]
    back = pd.read_parquet(files["test"])
    assert len(back) == prepared.splits.split_report.sizes["test"]
    text = format_summary(summary)
    assert re.search(r"read \d+ = kept \d+ \+ rejected \d+", text) and "PII items masked" in text


def test_corpus_is_not_regenerated_when_unchanged(small_prepare_cfg, prepared) -> None:
    path = Path(small_prepare_cfg.data.path)
    before = path.stat().st_mtime_ns
    again = load_splits(small_prepare_cfg.data, small_prepare_cfg.split,
                        make_desensitizer(small_prepare_cfg.desensitize), progress=False)
    assert path.stat().st_mtime_ns == before
    assert again.digest == prepared.splits.digest
