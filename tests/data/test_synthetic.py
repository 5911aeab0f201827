"""The synthetic corpus: deterministic, shaped like a real hotline, with ground truth to score against."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from hotline_ml.data.desensitize import Desensitizer
from hotline_ml.data.synthetic import generate_corpus, taxonomy_types
from hotline_ml.data.synthetic.text import load_phrase_bank
from hotline_ml.data.synthetic.volume import simulate_volume
from hotline_ml.types import FIELDS
from tests.helpers import compose_config


@pytest.fixture(scope="module")
def synthetic_cfg():
    return compose_config("prepare_data").data


def test_taxonomy_is_12345_shaped(synthetic_cfg) -> None:
    tax = synthetic_cfg.taxonomy
    assert 12 <= len(tax) <= 16
    assert all(3 <= len(seconds) <= 6 for seconds in tax.values())
    for staple in ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
                   "供水供电供暖燃气", "市场监管", "公共安全"]:
        assert staple in tax
    assert len(synthetic_cfg.synthetic.districts) == 16


def test_phrase_bank_covers_taxonomy(synthetic_cfg) -> None:
    bank = load_phrase_bank()
    assert bank.check(synthetic_cfg.taxonomy) == []
    for t in taxonomy_types(synthetic_cfg.taxonomy):
        assert len(bank.types[t]["bodies"]) >= 8, t
    with_emergency = [t for t in bank.types if bank.types[t]["emergency"]]
    assert {"供水供电供暖燃气/燃气", "公共安全/消防安全"} <= set(with_emergency)


def test_generation_is_deterministic(small_prepare_cfg, small_corpus) -> None:
    data = small_prepare_cfg.data
    again = generate_corpus(data.synthetic, data.taxonomy, progress=False)
    pd.testing.assert_frame_equal(small_corpus.orders, again.orders)
    pd.testing.assert_frame_equal(small_corpus.events, again.events)
    other = generate_corpus(dataclasses.replace(data.synthetic, seed=7), data.taxonomy, progress=False)
    assert not other.orders["text"].head(50).equals(small_corpus.orders["text"].head(50))


def test_orders_have_the_work_order_fields(small_corpus) -> None:
    o = small_corpus.orders
    assert list(o.columns) == [f for f in FIELDS if f != "likes"]  # a hotline has no likes (a message board does)
    assert o["order_id"].is_unique
    assert 3500 < len(o) < 4500  # Poisson around n_orders=4000, plus surge extras
    assert set(o["urgency"]) <= {"紧急", "加急", "一般"}
    assert o["text"].str.len().between(10, 600).all()
    assert (pd.to_datetime(o["created_at"]).diff().dropna() >= pd.Timedelta(0)).all()


def test_urgency_mix_and_rare_emergencies(small_corpus) -> None:
    share = small_corpus.orders["urgency"].value_counts(normalize=True)
    assert 0.002 < share["紧急"] < 0.012
    assert 0.08 < share["加急"] < 0.17


def test_weekly_shape_and_heating_season(synthetic_cfg) -> None:
    cfg = synthetic_cfg.synthetic
    types = taxonomy_types(synthetic_cfg.taxonomy)
    vol = simulate_volume(cfg, types, np.random.default_rng(0))
    daily = pd.Series(vol.expected.sum(axis=(1, 2)), index=vol.days)
    plain = daily[~daily.index.month.isin([1, 2, 10])]  # away from the long holidays
    assert plain[plain.index.day_of_week == 0].mean() > 1.4 * plain[plain.index.day_of_week == 6].mean()
    heat = pd.Series(vol.expected[:, types.index("供水供电供暖燃气/供暖")].sum(1), index=vol.days)
    assert heat["2025-12"].mean() > 5 * heat["2025-07"].mean()
    wages = pd.Series(vol.expected[:, types.index("劳动和社会保障/拖欠工资")].sum(1), index=vol.days)
    assert wages["2026-02-01":"2026-02-12"].mean() > 2 * wages["2026-04"].mean()  # Spring Festival 2026-02-17
    assert vol.expected.sum() == pytest.approx(cfg.n_orders + vol.events["expected_extra"].sum(), rel=0.01)


def test_lifecycle_fields_are_consistent(small_corpus) -> None:
    o = small_corpus.orders
    created = pd.to_datetime(o["created_at"])
    responded, resolved = pd.to_datetime(o["responded_at"]), pd.to_datetime(o["resolved_at"])
    assert (responded.dropna() >= created[responded.notna()]).all()
    assert (resolved.dropna() >= responded[resolved.notna()]).all()  # answered before closed
    hours = (resolved - created).dt.total_seconds() / 3600
    late = hours > o["urgency"].map({"紧急": 2, "加急": 24, "一般": 120})  # conf/compute_indicators.yaml
    assert 0.05 < late.mean() < 0.4  # some late, most on time
    sat = pd.to_numeric(o["satisfaction"])
    assert sat[late].mean() < sat[~late & resolved.notna()].mean() - 0.3  # late callers are less satisfied


def test_surge_events_are_place_bound_problems(small_corpus) -> None:
    ev, truth, o = small_corpus.events, small_corpus.truth, small_corpus.orders
    members = o.merge(truth[["order_id", "event_id"]], on="order_id")
    for e in ev.itertuples():
        texts = members.loc[members["event_id"] == e.event_id, "text"]
        assert texts.str.contains(e.place, regex=False).all()  # every member names the event's place
        body = e.problem.split("{")[0][:12]  # the problem template's opening, before any slot
        assert texts.str.contains(body, regex=False).mean() >= 0.5


def test_surge_events_are_in_the_data(small_corpus) -> None:
    ev, truth, o = small_corpus.events, small_corpus.truth, small_corpus.orders
    assert len(ev) == 3
    day = pd.to_datetime(o["created_at"]).dt.normalize()
    for e in ev.itertuples():
        cell = (truth["true_appeal_type"] == e.appeal_type) & (o["district"] == e.district)
        during = cell & day.between(pd.Timestamp(e.start), pd.Timestamp(e.end))
        assert (truth.loc[during, "event_id"] == e.event_id).sum() >= 3
        n_days = (pd.Timestamp(e.end) - pd.Timestamp(e.start)).days + 1
        before = cell & day.between(pd.Timestamp(e.start) - pd.Timedelta(days=28), pd.Timestamp(e.start),
                                    inclusive="left")
        assert during.sum() / n_days > 3 * (before.sum() / 28 + 0.1)


def test_label_noise_rate(small_corpus) -> None:
    t = small_corpus.truth
    assert 0.015 < t["label_noise"].mean() < 0.05
    noisy = t["label_noise"].to_numpy()
    assert (small_corpus.orders["appeal_type"].to_numpy()[noisy] != t["true_appeal_type"].to_numpy()[noisy]).all()


def test_inserted_pii_is_masked(small_corpus) -> None:
    o, t = small_corpus.orders, small_corpus.truth
    with_pii = t["pii_kinds"] != ""
    assert 0.2 < with_pii.mean() < 0.4
    masker = Desensitizer("test-salt")
    masked, counts = masker.mask_many(o.loc[with_pii, "text"].tolist())
    inserted = t.loc[with_pii, "pii_kinds"].str.split(",").explode().value_counts()
    # the generator's own PII must be found (the phone count also covers landlines)
    for kind in ["id_card", "bank_card", "email", "plate"]:
        assert counts[kind] >= inserted.get(kind, 0), kind
    assert counts["phone"] >= inserted.get("phone", 0) + inserted.get("landline", 0)
    assert counts["name"] >= 0.95 * inserted.get("name", 0)
    leftover = [text for text in masked if re.search(r"\d{7,}", text)]
    assert leftover == []
