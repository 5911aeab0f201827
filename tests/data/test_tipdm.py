"""The real TipDM 2020 appeals load through conf/data/tipdm2020c.yaml with no code change."""

from __future__ import annotations

import pytest

from hotline_ml.data.load import load_orders
from tests.helpers import compose_config

pytestmark = pytest.mark.external


def test_tipdm_sample_loads_and_reports_the_conflicting_duplicate(external_dir, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_EXTERNAL_DATA", str(external_dir))
    cfg = compose_config("prepare_data", ["data=tipdm2020c"]).data
    v = load_orders(cfg, None)
    r = v.report
    assert (r.read, r.kept, r.rejected) == (495, 493, 2)
    assert v.rejects["reason"].tolist() == ["conflicting_duplicate", "conflicting_duplicate"]
    assert "37042" in v.rejects["detail"].iloc[0]
    counts = v.orders["appeal_type"].value_counts()
    assert counts["劳动和社会保障"] == 103 and counts["城乡建设"] == 100 and len(counts) == 7
    assert v.orders["urgency"].isna().all()  # no urgency labels in this data


def test_tipdm_full_job_with_stratified_split(external_dir, monkeypatch, tmp_path) -> None:
    from hotline_ml.data.prepare import prepare_data

    monkeypatch.setenv("HOTLINE_EXTERNAL_DATA", str(external_dir))
    cfg = compose_config("prepare_data", ["data=tipdm2020c", "split=stratified", f"paths.prepared={tmp_path}"])
    prepared = prepare_data(cfg, progress=False)
    assert sum(prepared.splits.split_report.sizes.values()) == 493
    assert (tmp_path / "tipdm2020c" / "rejects.csv").is_file()
