"""Splits: the test period is the most recent, and no id or near-duplicate text crosses splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotline_ml.config import SplitConfig
from hotline_ml.data.splits import near_duplicate_key, split_orders


def orders(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 100 * 86400, n)), unit="s")
    types = rng.choice(["城乡建设/物业管理", "环境保护/噪音扰民", "交通运输/停车管理", "民政/婚姻登记"], n,
                       p=[0.5, 0.3, 0.15, 0.05])
    texts = [f"诉求{i}：{t}相关问题" for i, t in enumerate(types)]
    # near-duplicates: an early text repeated late with other punctuation, spacing and masked number
    texts[-1] = texts[3].replace("：", " , ") + "[电话]"
    texts[-2] = texts[5]
    return pd.DataFrame({"order_id": [f"{i:05d}" for i in range(n)], "created_at": created, "text": texts,
                         "appeal_type": types, "urgency": "一般"})


def split_cfg(method: str = "time", val_frac: float = 0.1, test_frac: float = 0.1) -> SplitConfig:
    return SplitConfig(method=method, val_frac=val_frac, test_frac=test_frac, stratify_by="appeal_type", seed=0)


def test_time_split_puts_the_latest_period_in_test() -> None:
    parts, report = split_orders(orders(), split_cfg("time", val_frac=0.1, test_frac=0.2))
    train, val, test = parts["train"], parts["validation"], parts["test"]
    assert report.sizes == {"train": len(train), "validation": len(val), "test": len(test)}
    assert sum(report.sizes.values()) == 400
    # whole days per split, in time order (the two near-duplicates moved to train are the exception)
    moved = train["order_id"].isin(["00398", "00399"])
    assert train.loc[~moved, "created_at"].dt.normalize().max() < val["created_at"].dt.normalize().min()
    assert val["created_at"].dt.normalize().max() < test["created_at"].dt.normalize().min()
    assert 0.15 < len(test) / 400 < 0.25
    assert report.moved == 2 and report.near_duplicate_groups == 2


@pytest.mark.parametrize("method", ["time", "stratified"])
def test_no_id_or_near_duplicate_crosses_splits(method: str) -> None:
    parts, _ = split_orders(orders(), split_cfg(method))
    seen_ids, seen_keys = set(), set()
    for part in parts.values():
        ids, keys = set(part["order_id"]), set(near_duplicate_key(part["text"]))
        assert not ids & seen_ids and not keys & seen_keys
        seen_ids |= ids
        seen_keys |= keys
    assert len(seen_ids) == 400


def test_stratified_split_keeps_class_shares() -> None:
    parts, report = split_orders(orders(2000), split_cfg("stratified"))
    full = orders(2000)["appeal_type"].value_counts(normalize=True)
    for part in parts.values():
        share = part["appeal_type"].value_counts(normalize=True)
        assert np.allclose(share.reindex(full.index), full, atol=0.03)
    assert report.sizes["test"] == pytest.approx(200, abs=5)


def test_bad_fractions_are_rejected() -> None:
    with pytest.raises(ValueError, match="val_frac"):
        split_orders(orders(), split_cfg(val_frac=0.5, test_frac=0.5))
    with pytest.raises(ValueError, match="SplitMethod"):  # a config's bad method fails at compose time already
        split_orders(orders(), split_cfg("random"))
