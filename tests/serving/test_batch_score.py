"""Batch scoring: chunked reading, GB18030 input, rejects with reasons, read = scored + rejected, and resumption
after a failure or a kill (each input id exactly once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hotline_ml.data.io import estimate_records, iter_raw, read_raw
from hotline_ml.predict import Predictor, predictions_from_frame
from hotline_ml.predict.batch import PREDICTION_SCHEMA, score_file
from hotline_ml.triage import routing_tallies
from tests.helpers import ROOT, compose_config
from tests.serving.conftest import MODEL_NAME

N_GOOD = 40


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory: pytest.TempPathFactory, small_corpus) -> Path:
    """A GB18030 CSV: 40 good orders (with PII), then an empty text, a bad time, a repeated id (in a later
    chunk than its first copy) and a line with too many fields."""
    good = small_corpus.orders.head(N_GOOD)
    cols = ["order_id", "created_at", "text", "appeal_type", "urgency"]
    bad = pd.DataFrame([
        {"order_id": "X-EMPTY", "created_at": "2026-01-05 10:00:00", "text": "  ", "appeal_type": None,
         "urgency": None},
        {"order_id": "X-TIME", "created_at": "昨天下午", "text": "路灯坏了，电话13812345678",
         "appeal_type": None, "urgency": None},
        {**good.iloc[0][cols].to_dict(), "text": "重复的工单"},
    ])
    path = tmp_path_factory.mktemp("orders") / "day.csv"
    frame = pd.concat([good[cols], bad[cols]], ignore_index=True)
    text = frame.to_csv(index=False) + "X-MALFORMED,2026-01-05,多,了,字段,13812345678\n"
    path.write_bytes(text.encode("gb18030"))
    return path


def _cfg(orders_file: Path, out: Path, registry_uri: str, *extra: str):
    return compose_config("batch_score", [
        f"input.path={orders_file}", f"output_dir={out}", "chunk_rows=7", "day=null",
        f"predictor.model=models:/{MODEL_NAME}@champion", f"predictor.tracking_uri={registry_uri}", *extra])


def test_chunked_reader_equals_the_whole_file_reader(orders_file: Path) -> None:
    whole = read_raw(orders_file)
    chunks = list(iter_raw(orders_file, chunk_rows=7))
    assert whole.encoding == "gb18030" and {c.encoding for c in chunks} == {"gb18030"}
    assert [c.n_read for c in chunks] == [7] * 6 + [2]  # records, malformed ones included, per chunk
    pd.testing.assert_frame_equal(pd.concat([c.frame for c in chunks], ignore_index=True), whole.frame)
    assert [m.row for c in chunks for m in c.malformed] == [m.row for m in whole.malformed] == [44]


def test_chunked_parquet_and_jsonl_keep_row_numbers(tmp_path: Path, small_corpus) -> None:
    frame = small_corpus.orders.head(10)[["order_id", "text"]]
    frame.to_parquet(tmp_path / "o.parquet")
    (tmp_path / "o.jsonl").write_text(frame.to_json(orient="records", lines=True, force_ascii=False) + "[1]\n",
                                      encoding="utf-8")
    for name in ("o.parquet", "o.jsonl"):
        chunks = list(iter_raw(tmp_path / name, chunk_rows=4))
        rows = [r for c in chunks for r in c.frame["__row__"]] + [m.row for c in chunks for m in c.malformed]
        assert sorted(rows) == list(range(1, sum(c.n_read for c in chunks) + 1)), name


def test_record_estimate_for_the_progress_bar(orders_file: Path, tmp_path: Path, small_corpus) -> None:
    assert estimate_records(orders_file) == read_raw(orders_file).n_read == N_GOOD + 4  # no multi-line fields
    frame = small_corpus.orders.head(10)[["order_id", "text"]]
    frame.to_parquet(tmp_path / "o.parquet")
    (tmp_path / "o.jsonl").write_text(frame.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n"),
                                      encoding="utf-8")  # no final line break
    assert estimate_records(tmp_path / "o.parquet") == estimate_records(tmp_path / "o.jsonl") == 10


def test_scores_every_valid_id_once_and_rejects_with_reasons(orders_file: Path, tmp_path: Path, registry_uri: str,
                                                             predictor: Predictor) -> None:
    result = score_file(_cfg(orders_file, tmp_path / "out", registry_uri), predictor, progress=False)
    assert (result.read, result.scored, result.rejected) == (N_GOOD + 4, N_GOOD, 4)
    assert result.reasons == {"missing": 1, "bad_time": 1, "duplicate_id": 1, "malformed": 1}
    predictions = pd.read_parquet(result.files["predictions"])
    assert predictions["order_id"].is_unique and len(predictions) == N_GOOD
    assert predictions["model_version"].eq("1").all() and predictions["route"].notna().all()
    schema = pq.read_schema(result.files["predictions"])
    assert schema.field("transfer_to").type == pa.list_(pa.string()) == schema.field("route_reasons").type
    assert schema.field("appeal_type_top3").type == pa.list_(pa.struct([("label", pa.string()),
                                                                        ("score", pa.float64())]))
    rejects = pd.read_csv(result.files["rejects"], dtype=str)
    assert set(rejects["reason"]) == set(result.reasons)
    assert "13812345678" not in rejects.to_csv()  # rejects are desensitized too
    assert rejects.loc[rejects["reason"] == "duplicate_id", "detail"].str.contains("earlier chunk").all()
    summary = result.summary()
    assert f"read {N_GOOD + 4} = scored {N_GOOD} + rejected 4" in summary and "orders read/s" in summary
    assert result.evaluation["n"] == N_GOOD and json.loads(Path(result.files["summary"]).read_text())["read"] == 44


def test_routing_evaluation_over_the_automatable_grades_of_the_policy(orders_file: Path, tmp_path: Path,
                                                                     registry_uri: str, predictor: Predictor,
                                                                     small_corpus) -> None:
    """Tallies summed over the 7 chunks equal those of the whole day, the automatable grades checked by the
    predictor's own policy on the true types; the summary and summary.json report them."""
    result = score_file(_cfg(orders_file, tmp_path / "out", registry_uri), predictor, progress=False)
    predictions = pd.read_parquet(result.files["predictions"])
    truth = small_corpus.orders.assign(order_id=small_corpus.orders["order_id"].astype(str)).set_index(
        "order_id").loc[predictions["order_id"]].reset_index()
    policy = predictor.router.policy
    assert result.evaluation == routing_tallies(predictions, truth, predictor.router.cfg.emergency_label,
                                                policy.is_automatable)
    automatable = truth["appeal_type"].map(policy.is_automatable)
    assert result.routing.automatable == automatable.sum() > 0 and result.routing.share_automatable == (
        automatable.mean())
    assert result.routing.automatable_automated == (predictions["route"][automatable] == "automated").sum()
    assert "true type an automatable grade: " in result.summary()
    written = json.loads(Path(result.files["summary"]).read_text(encoding="utf-8"))["routing"]
    assert written["automatable"] == automatable.sum() and written["share_automatable"] == automatable.mean()


def test_csv_output_and_day_filter(orders_file: Path, tmp_path: Path, registry_uri: str, predictor: Predictor,
                                   small_corpus) -> None:
    day = str(pd.Timestamp(small_corpus.orders["created_at"].iloc[0]).date())
    cfg = _cfg(orders_file, tmp_path / "out", registry_uri, f"day={day}", "output_format=csv")
    result = score_file(cfg, predictor, progress=False)
    assert result.read == result.scored + result.rejected + result.other_day and result.other_day > 0
    out = pd.read_csv(result.files["predictions"], dtype={"order_id": str})
    assert out["transfer_to"].map(json.loads).map(type).eq(list).all()  # CSV has no lists: JSON text
    on_day = small_corpus.orders.head(N_GOOD)["created_at"].astype(str).str.startswith(day)
    assert sorted(out["order_id"]) == sorted(small_corpus.orders.head(N_GOOD)["order_id"][on_day].astype(str))


class _Killed(RuntimeError):
    pass


def test_a_failed_run_resumes_with_each_id_exactly_once(orders_file: Path, tmp_path: Path, registry_uri: str,
                                                        predictor: Predictor) -> None:
    cfg = _cfg(orders_file, tmp_path / "out", registry_uri)

    def fail_after_chunk_2(k: int) -> None:
        if k == 2:
            raise _Killed

    with pytest.raises(_Killed):
        score_file(cfg, predictor, progress=False, after_chunk=fail_after_chunk_2)
    parts = tmp_path / "out" / "parts"
    # the kill also hit the next chunk while it was writing, and cut the manifest's last line short
    (parts / "predictions-00003.parquet.tmp").write_bytes(b"half a parquet file")
    with (tmp_path / "out" / "manifest.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"chunk": 3, "read"')
    result = score_file(cfg, predictor, progress=False)
    assert result.resumed_chunks == 3 and result.chunks == 7
    predictions = pd.read_parquet(result.files["predictions"])
    assert predictions["order_id"].is_unique and len(predictions) == N_GOOD == result.scored
    assert result.read == result.scored + result.rejected


def test_another_input_in_the_same_output_dir_is_refused(orders_file: Path, tmp_path: Path, registry_uri: str,
                                                         predictor: Predictor) -> None:
    score_file(_cfg(orders_file, tmp_path / "out", registry_uri), predictor, progress=False)
    with pytest.raises(ValueError, match=r"other input or settings \(differs in \['chunk_rows'\]\)"):
        score_file(_cfg(orders_file, tmp_path / "out", registry_uri, "chunk_rows=5"), predictor, progress=False)


@pytest.mark.slow  # two job start-ups in subprocesses (~50 s on a shared 2-core machine)
def test_a_killed_job_rerun_yields_each_id_exactly_once(tmp_path: Path, registry_uri: str, small_corpus) -> None:
    path = tmp_path / "orders.csv"
    small_corpus.orders.head(400).to_csv(path, index=False, encoding="gb18030")
    out = tmp_path / "out"
    cmd = [sys.executable, "serving/batch_score.py", f"input.path={path}", f"output_dir={out}", "chunk_rows=5",
           "day=null", f"predictor.model=models:/{MODEL_NAME}@champion", f"predictor.tracking_uri={registry_uri}",
           "predictor.num_threads=1", f"hydra.run.dir={tmp_path}/hydra"]
    env = {**os.environ, "HOTLINE_PII_SALT": "test-salt", "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = out / "manifest.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.poll() is None:
        if manifest.is_file() and len(manifest.read_text(encoding="utf-8").splitlines()) >= 4:
            job.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    job.wait(timeout=30)
    assert job.returncode == -signal.SIGKILL, "the job ended before it could be killed mid-way"
    assert not (out / "predictions.parquet").exists()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "read 400 = scored 400 + rejected 0" in done.stdout
    ids = pd.read_parquet(out / "predictions.parquet")["order_id"]
    assert ids.is_unique and sorted(ids) == sorted(small_corpus.orders.head(400)["order_id"].astype(str))


def test_typed_columns_round_trip_through_parquet(predictor: Predictor, tmp_path: Path) -> None:
    frame = predictor.predict_batch(["我家厨房煤气泄漏了味道很大，电话13812345678", "小区门口路灯坏了",
                                     {"text": "楼下饭店油烟太大", "human": True}])
    pq.write_table(pa.Table.from_pandas(frame, schema=PREDICTION_SCHEMA, preserve_index=False), tmp_path / "p.parquet")
    back = pd.read_parquet(tmp_path / "p.parquet")
    assert predictions_from_frame(back) == predictions_from_frame(frame)
    assert back.at[0, "transfer_to"].tolist() == ["119"] and back.at[0, "appeal_type_top3"][0]["label"]
    empty = pa.Table.from_pandas(predictor.predict_batch([]), schema=PREDICTION_SCHEMA, preserve_index=False)
    assert empty.num_rows == 0 and empty.schema == PREDICTION_SCHEMA


def test_output_dir_names_the_day_or_all() -> None:
    assert compose_config("batch_score", ["day=2026-10-31"]).output_dir.endswith("/synthetic/2026-10-31")
    assert compose_config("batch_score", ["day=null"]).output_dir.endswith("/synthetic/all")
