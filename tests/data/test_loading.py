"""Reading and validating work-order files: formats, encodings, column mapping, rejects with reasons."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.config import DataConfig
from hotline_ml.data import DataFileError, load_orders
from hotline_ml.data.io import detect_encoding, read_raw
from hotline_ml.data.schema import validate

TAXONOMY = {"城乡建设": ["物业管理", "市政设施"], "环境保护": ["噪音扰民"]}
NOW = datetime(2026, 11, 29)

GOOD = pd.DataFrame({
    "工单编号": ["A001", "A002", "A003"],
    "受理时间": ["2026-03-01 09:15:00", "2026/3/2 10:00", "2026年3月3日 14时05分"],
    "诉求内容": ["小区电梯坏了一个星期没人修", "楼下饭店油烟太大，窗户都不敢开", "晚上施工噪音太大睡不着"],
    "诉求类型": ["城乡建设/物业管理", "环境保护", "环境保护 > 噪音扰民"],
    "紧急程度": ["一般", "加急", "一般"],
    "满意度": ["5", "", "3"],
})
MAPPING = {"order_id": "工单编号", "created_at": "受理时间", "text": "诉求内容", "appeal_type": "诉求类型",
           "urgency": "紧急程度", "satisfaction": "满意度"}


REQUIRED = ["order_id", "created_at", "text"]


def cfg_for(path: Path, **kw) -> DataConfig:
    return DataConfig(name="test", path=str(path), format=None, columns=MAPPING, required=REQUIRED, taxonomy=TAXONOMY,
                      **kw)


def write(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding=encoding)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".jsonl":
        with open(path, "w", encoding=encoding) as f:
            for rec in frame.to_dict(orient="records"):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    return path


@pytest.mark.parametrize("name", ["orders.csv", "orders.parquet", "orders.jsonl", "orders.xlsx"])
def test_every_format_loads_the_same_orders(tmp_path: Path, name: str) -> None:
    v = load_orders(cfg_for(write(GOOD, tmp_path / name)), None, now=NOW)
    assert (v.report.read, v.report.kept, v.report.rejected) == (3, 3, 0)
    o = v.orders
    assert o["order_id"].tolist() == ["A001", "A002", "A003"]
    assert o["created_at"].tolist() == [pd.Timestamp("2026-03-01 09:15"), pd.Timestamp("2026-03-02 10:00"),
                                        pd.Timestamp("2026-03-03 14:05")]
    assert o["appeal_type"].tolist() == ["城乡建设/物业管理", "环境保护", "环境保护/噪音扰民"]
    assert o["satisfaction"].tolist() == [5, pd.NA, 3]
    assert o["row"].tolist() == [1, 2, 3]


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-16", "utf-16")])
def test_encodings_are_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write(GOOD, tmp_path / "orders.csv", encoding=encoding)
    assert detect_encoding(path) == detected
    v = load_orders(cfg_for(path), None, now=NOW)
    assert v.report.kept == 3
    assert v.orders["text"].iloc[0] == "小区电梯坏了一个星期没人修"


def test_missing_required_column_names_file_and_columns_found(tmp_path: Path) -> None:
    path = write(GOOD.drop(columns=["诉求内容"]), tmp_path / "orders.csv")
    with pytest.raises(DataFileError) as err:
        load_orders(cfg_for(path), None, now=NOW)
    msg = str(err.value)
    assert str(path) in msg and "text (column '诉求内容')" in msg and "'工单编号'" in msg and "columns:" in msg


def test_missing_file_and_unknown_format_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        read_raw(tmp_path / "nope.csv")
    (tmp_path / "orders.dat").write_text("x")
    with pytest.raises(DataFileError, match="set `format:`"):
        read_raw(tmp_path / "orders.dat")


def test_unknown_field_in_mapping_is_an_error(tmp_path: Path) -> None:
    path = write(GOOD, tmp_path / "orders.csv")
    cfg = DataConfig(name="t", path=str(path), format=None, columns={**MAPPING, "txt": "诉求内容"}, required=REQUIRED)
    with pytest.raises(DataFileError, match="unknown field"):
        load_orders(cfg, None, now=NOW)


def bad_rows_csv(path: Path) -> dict[str, str]:
    """A CSV full of bad rows; returns order id -> expected reason ('' = kept)."""
    header = "工单编号,受理时间,诉求内容,诉求类型,紧急程度,满意度\n"
    rows = [
        ("B01", "2026-03-01 09:00", "正常的诉求，路灯不亮了", "城乡建设/市政设施", "一般", "4", ""),
        ("B02", "2026-03-01 09:00", "", "城乡建设", "一般", "", "missing"),
        ("B03", "2026-03-01 09:00", "   \t  ", "城乡建设", "一般", "", "missing"),
        ("B04", "2026-03-01 09:00", "长" * 50_000, "城乡建设", "一般", "", "text_too_long"),
        ("B05", "2026-03-01 09:00", "噪音\x00很大\x07，晚上\x1b睡不着", "环境保护/噪音扰民", "一般", "", ""),
        ("B06", "不是时间", "下水道堵了", "城乡建设", "一般", "", "bad_time"),
        ("B07", "2031-01-01 00:00", "未来的工单", "城乡建设", "一般", "", "bad_time"),
        ("B08", "1970-01-01 00:00", "太早的工单", "城乡建设", "一般", "", "bad_time"),
        ("B09", "2026-03-01 09:00", "类型不认识", "外星事务", "一般", "", "unknown_label"),
        ("B10", "2026-03-01 09:00", "紧急程度不认识", "城乡建设", "特急", "", "unknown_label"),
        ("B11", "2026-03-01 09:00", "满意度写错", "城乡建设", "一般", "很满意", "bad_value"),
        ("B12", "2026-03-01 09:00", "满意度超范围", "城乡建设", "一般", "9", "bad_value"),
        ("", "2026-03-01 09:00", "没有编号", "城乡建设", "一般", "", "missing"),
        ("B14", "2026-03-01 09:00", "同一工单重复", "城乡建设", "一般", "", ""),
        ("B14", "2026-03-01 09:00", "同一工单重复", "城乡建设", "一般", "", "duplicate_id"),
        ("B15", "2026-03-01 09:00", "冲突的重复", "城乡建设", "一般", "", "conflicting_duplicate"),
        ("B15", "2026-03-01 09:00", "冲突的重复", "环境保护", "一般", "", "conflicting_duplicate"),
        ("B16", "2026-03-01 09:00", "引号里有\n换行，也没问题", "城乡建设", "一般", "", ""),
        ("B17", "12345", "时间是个数字", "城乡建设", "一般", "", "bad_time"),
        ("B18", "2026-03-01 09:00", "ＡＢＣ全角１２３", "城乡建设", "一般", "", ""),
    ]
    with open(path, "wb") as f:
        f.write(header.encode())
        for r in rows:
            cells = [f'"{c}"' if ("\n" in c or "," in c) else c for c in r[:6]]
            f.write((",".join(cells) + "\n").encode())
        f.write("B19,2026-03-01 09:00,坏字节".encode() + b"\xff\xfe\x80" + ",城乡建设,一般,\n".encode())
        f.write(b"B20,2026-03-01 09:00,too,many,fields,here,x\n")
    expected = {r[0] or "<empty id>": r[6] for r in rows if r[0] != "B14" and r[0] != "B15"}
    expected |= {"B19": "undecodable", "B20": "malformed"}
    return expected


def test_every_bad_row_is_kept_or_rejected_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    expected = bad_rows_csv(path)
    v = load_orders(cfg_for(path), None, now=NOW)
    r = v.report
    assert r.read == 22 and r.read == r.kept + r.rejected
    kept = set(v.orders["order_id"])
    assert kept == {"B01", "B05", "B14", "B16", "B18"}
    assert v.rejects["reason"].notna().all() and (v.rejects["detail"].str.len() > 0).all()
    reasons = dict(zip(v.rejects["row"], v.rejects["reason"], strict=True))
    # rows are 1-based data rows; B14's second copy is row 15, B15's copies rows 16-17
    assert reasons[15] == "duplicate_id"
    assert reasons[16] == reasons[17] == "conflicting_duplicate"
    by_id = {rid: reason for rid, reason in expected.items() if reason}
    first_rows = {f"B{i:02d}": i for i in range(1, 13)} | {"<empty id>": 13, "B17": 19, "B19": 21, "B20": 22}
    for rid, reason in by_id.items():
        assert reasons[first_rows[rid]] == reason, rid
    assert r.reasons["bad_time"] == 4 and r.reasons["conflicting_duplicate"] == 2


def test_reject_messages_name_the_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    bad_rows_csv(path)
    v = load_orders(cfg_for(path), None, now=NOW)
    rej = v.rejects.set_index("row")
    assert "受理时间" in rej.loc[6, "columns"] and "不是时间" in rej.loc[6, "detail"]
    assert "50000 characters" in rej.loc[4, "detail"]
    assert "外星事务" in rej.loc[9, "detail"]
    assert "already kept from row 14" in rej.loc[15, "detail"]
    # the file line a person opens: header is line 1 and B16 (row 18) spans lines 19-20
    assert rej.loc[22, "line"] == 24


def test_cleaning_removes_control_chars_and_fullwidth(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    bad_rows_csv(path)
    o = load_orders(cfg_for(path), None, now=NOW).orders.set_index("order_id")
    assert o.loc["B05", "text"] == "噪音很大，晚上睡不着"
    assert o.loc["B18", "text"] == "ABC全角123"
    assert o.loc["B16", "text"] == "引号里有\n换行，也没问题"


def test_wrong_types_in_jsonl_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    lines = [
        {"工单编号": 1, "受理时间": "2026-03-01", "诉求内容": "编号是数字也可以", "诉求类型": "城乡建设"},
        {"工单编号": "2", "受理时间": "2026-03-01", "诉求内容": ["列表", "不是文本"], "诉求类型": "城乡建设"},
        {"工单编号": "3", "受理时间": 1700000000, "诉求内容": "时间是数字", "诉求类型": "城乡建设"},
        {"工单编号": "4", "受理时间": "2026-03-01", "诉求内容": {"a": 1}, "诉求类型": "城乡建设"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken json\n[1, 2]\n"
    path.write_text(text, encoding="utf-8")
    v = load_orders(cfg_for(path), None, now=NOW)
    assert (v.report.read, v.report.kept, v.report.rejected) == (6, 1, 5)
    assert v.orders["order_id"].tolist() == ["1"]
    assert v.rejects["reason"].tolist() == ["wrong_type", "wrong_type", "wrong_type", "malformed", "malformed"]
    assert v.rejects["line"].tolist() == [2, 3, 4, 5, 6]


def test_validate_without_taxonomy_accepts_any_label(tmp_path: Path) -> None:
    frame = GOOD.assign(诉求类型=["随便什么类型", "环境保护", "另一个"])
    raw = read_raw(write(frame, tmp_path / "orders.csv"))
    cfg = DataConfig(name="t", path=str(raw.path), format=None, columns=MAPPING, required=REQUIRED)
    v = validate(raw, cfg, now=NOW)
    assert v.report.kept == 3


def test_lifecycle_times_and_likes_are_checked(tmp_path: Path) -> None:
    """A reply or closing before the order was made would count a negative duration; likes must be counts."""
    frame = pd.DataFrame({
        "工单编号": ["L1", "L2", "L3", "L4", "L5"],
        "受理时间": ["2026-03-01 09:00"] * 5,
        "诉求内容": ["路灯坏了", "路灯坏了两周", "井盖丢了", "垃圾没人清", "噪音扰民"],
        "答复时间": ["2026-03-01 10:00", "2026-02-28 10:00", "", "2026-03-02 08:00", "2026-03-01 09:30"],
        "办结时间": ["2026-03-02 10:00", "", "2026-02-01 00:00", "", ""],
        "点赞数": ["3", "0", "", "-2", "很多"],
    })
    mapping = {"order_id": "工单编号", "created_at": "受理时间", "text": "诉求内容", "responded_at": "答复时间",
               "resolved_at": "办结时间", "likes": "点赞数"}
    path = write(frame, tmp_path / "lifecycle.csv")
    loaded = load_orders(DataConfig(name="t", path=str(path), format=None, columns=mapping, required=REQUIRED),
                         None, now=datetime(2026, 12, 1))
    assert loaded.orders["order_id"].tolist() == ["L1"]
    assert loaded.orders["likes"].tolist() == [3] and str(loaded.orders["likes"].dtype) == "Int64"
    reasons = dict(zip(loaded.rejects["row"], loaded.rejects["reason"], strict=True))
    assert reasons == {2: "bad_time", 3: "bad_time", 4: "bad_value", 5: "bad_value"}
    assert loaded.rejects.loc[loaded.rejects["row"] == 2, "detail"].iloc[0].startswith("答复时间: 2026-02-28")
