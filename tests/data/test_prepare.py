"""The data job end to end, through the real Hydra config, shrunk."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.data.prepare import format_summary, prepare_data
from tests.conftest import compose_config


@pytest.fixture(scope="module")
def prepared(small_prepare_cfg):
    return prepare_data(small_prepare_cfg, progress=False)


def test_entry_config_composes_with_every_data_and_split_option() -> None:
    for data in ["synthetic", "tipdm2020c"]:
        for split in ["time", "stratified"]:
            cfg = compose_config("prepare_data", [f"data={data}", f"split={split}"])
            assert cfg.data.name == data and cfg.split.method == split
    cfg = compose_config("prepare_data")
    assert cfg.output_dir == "data/prepared/synthetic"


def test_config_typos_fail_at_compose_time() -> None:
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="max_text_char"):
        compose_config("prepare_data", ["data.max_text_char=5"])  # a typo of max_text_chars
    with pytest.raises(ConfigCompositionException, match="val_frac"):
        compose_config("prepare_data", ["split.val_frac=lots"])


def test_rows_are_accounted_for_and_split(prepared) -> None:
    r = prepared.load_report
    assert r.read == r.kept + r.rejected and r.read > 3000
    sizes = prepared.split_report.sizes
    assert sum(sizes.values()) == r.kept
    assert set(prepared.splits) == {"train", "validation", "test"}
    assert {len(ds) for ds in prepared.splits.values()} == set(sizes.values())
    train = prepared.splits["train"].to_pandas()
    test = prepared.splits["test"].to_pandas()
    assert train["created_at"].min() < test["created_at"].min()


def test_no_raw_pii_leaves_the_data_layer(prepared, small_corpus) -> None:
    texts = pd.concat([ds.to_pandas()["text"] for ds in prepared.splits.values()])
    assert not texts.str.contains(r"(?<!\d)1[3-9]\d{9}(?!\d)").any()
    assert prepared.pii_counts["phone"] > 100 and prepared.pii_counts["name"] > 50
    callers = pd.concat([ds.to_pandas()["caller_id"] for ds in prepared.splits.values()])
    raw_callers = set(small_corpus.orders["caller_id"])
    assert callers.str.fullmatch(r"[0-9a-f]{16}").all() and not set(callers) & raw_callers
    # repeat callers stay countable after hashing
    assert callers.value_counts().max() > 1


def test_outputs_are_written(prepared) -> None:
    files = prepared.files
    for name in ["train", "validation", "test", "rejects", "summary"]:
        assert Path(files[name]).is_file()
    summary = json.loads(Path(files["summary"]).read_text(encoding="utf-8"))
    assert summary["load"]["kept"] == prepared.load_report.kept
    assert sum(summary["urgency"]["test"].values()) == prepared.split_report.sizes["test"]
    back = pd.read_parquet(files["test"])
    assert len(back) == prepared.split_report.sizes["test"]
    text = format_summary(summary)
    assert re.search(r"read \d+ = kept \d+ \+ rejected \d+", text) and "PII items masked" in text


def test_corpus_is_not_regenerated_when_unchanged(small_prepare_cfg, prepared) -> None:
    path = Path(small_prepare_cfg.data.path)
    before = path.stat().st_mtime_ns
    again = prepare_data(small_prepare_cfg, progress=False, write=False)
    assert path.stat().st_mtime_ns == before
    assert again.digest == prepared.digest
