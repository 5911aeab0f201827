"""tipdm2020c_more through the data door: no ids or times for most rows, yet every row is kept or rejected with
its reason, and the classifier reads it with a stratified or grouped split (a time split says why not)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.data.io import DataFileError
from hotline_ml.data.load import load_orders
from tests.helpers import compose_config

COLUMNS = ["留言编号", "留言主题", "留言时间", "留言详情", "一级标签", "source", "in_public_sample", "id_source",
           "title_source"]


def _cfg(path: Path, *extra: str):
    return compose_config("prepare_data", ["data=tipdm2020c_more", f"data.path={path}", "data.label_tree=null",
                                           *extra]).data


def test_rows_without_id_or_time_are_kept_with_row_ids_and_bad_rows_rejected(tmp_path: Path) -> None:
    rows = [
        ["", "路灯不亮", "", "小区路灯坏了一个月，晚上很黑。", "城乡建设", "a", False, "", "linked"],
        ["188006", "", "2019-01-06 19:01:00", "单位拖欠工资三个月。", "劳动和社会保障", "a", True, "public_sample", ""],
        ["", "无正文", "", "", "交通运输", "a", False, "", ""],                      # missing body
        ["", "未知类别", "", "咨询一下办事流程。", "党务政务", "a", False, "", ""],   # outside the 7 classes
        ["", "时间错", "not a time", "学校乱收费。", "教育文体", "a", False, "", ""],  # unparseable time
    ]
    path = tmp_path / "labelled_messages.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    v = load_orders(_cfg(path), None)
    assert (v.report.read, v.report.kept, v.report.rejected) == (5, 2, 3)
    assert v.orders["order_id"].tolist() == ["tipdm2020c_more-1", "tipdm2020c_more-2"]
    assert v.orders["created_at"].isna().tolist() == [True, False]
    assert v.rejects.set_index("row")["reason"].to_dict() == {3: "missing", 4: "unknown_label", 5: "bad_time"}
    assert v.rejects.set_index("row").loc[3, "columns"] == "留言详情"


def test_row_ids_and_an_id_column_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    pd.DataFrame([["1", "t", "", "正文", "城乡建设"]], columns=COLUMNS[:5]).to_csv(path, index=False)
    with pytest.raises(DataFileError, match="ids_from_rows but also maps order_id"):
        load_orders(_cfg(path, "+data.columns.order_id='留言编号'"), None)


@pytest.mark.external
def test_the_real_file_loads_whole(external_dir, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_EXTERNAL_DATA", str(external_dir))
    cfg = compose_config("prepare_data", ["data=tipdm2020c_more"]).data
    v = load_orders(cfg, None)
    assert (v.report.read, v.report.kept) == (5508, 5508)
    assert v.orders["order_id"].is_unique and v.orders["appeal_type"].nunique() == 7
    titles = compose_config("prepare_data", ["data=tipdm2020c_more_titles"]).data
    t = load_orders(titles, None)
    assert t.report.read == 7790 and t.report.read == t.report.kept + t.report.rejected
