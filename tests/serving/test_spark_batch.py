"""Batch scoring on Spark local[2]: the registered model through spark_udf gives, row by row, what the local engine
gives; rejects keep their reasons; a rerun replaces its day's partition (each order exactly once)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hotline_ml.predict import Predictor
from hotline_ml.predict.batch import score_file
from tests.helpers import compose_config
from tests.serving.conftest import MODEL_NAME, PHONE

pytest.importorskip("pyspark")
pytestmark = pytest.mark.spark

N_GOOD = 240
DAY = "2026-03-02"
_COLS = ["order_id", "created_at", "text", "title", "appeal_type", "urgency"]


@pytest.fixture(scope="module")
def spark(spark_test_session):
    return spark_test_session


@pytest.fixture(scope="module")
def orders(small_corpus) -> pd.DataFrame:
    """240 good orders on two days (with PII), then an empty text, a bad time and two kinds of repeated id."""
    good = small_corpus.orders.head(N_GOOD)[_COLS].copy()
    good["created_at"] = [f"{DAY if i % 3 else '2026-03-03'} {8 + i % 10:02d}:{i % 60:02d}:00" for i in range(N_GOOD)]
    good.loc[5, "text"] = f"楼道灯坏了，我的电话{PHONE}"
    bad = pd.DataFrame([
        {"order_id": "X-EMPTY", "created_at": f"{DAY} 10:00:00", "text": "  "},
        {"order_id": "X-TIME", "created_at": "昨天下午", "text": f"路灯坏了，电话{PHONE}"},
        {**good.iloc[1].to_dict(), "text": "重复的工单"},  # same labels: the first is kept
        {**good.iloc[2].to_dict(), "urgency": "紧急" if good.iloc[2]["urgency"] != "紧急" else "一般"},  # conflict
    ])
    return pd.concat([good, bad[_COLS]], ignore_index=True)


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory: pytest.TempPathFactory, orders: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("spark-orders") / "orders.csv"
    text = orders.to_csv(index=False) + f"X-MALFORMED,{DAY},多,了,字段,{PHONE},再多\n"
    path.write_bytes(text.encode("gb18030"))
    return path


def _cfg(path: Path, out: Path, registry_uri: str, day: str | None, *extra: str):
    return compose_config("batch_score", [
        f"input.path={path}", f"output_dir={out}", f"day={day or 'null'}", "input.required=[order_id,created_at,text]",
        f"predictor.model=models:/{MODEL_NAME}@champion", f"predictor.tracking_uri={registry_uri}",
        "predictor.batch_size=8", *extra])


def _spark_predictions(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out / "predictions")
    return frame.assign(day=frame["day"].astype(str)).sort_values("order_id").reset_index(drop=True)


def _same(local: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Every prediction column equal (scores to float precision), except the time of prediction."""
    assert list(spark.columns[:len(local.columns)]) == list(local.columns)
    cols = [c for c in local.columns if c != "predicted_at"]
    left, right = local.sort_values("order_id").reset_index(drop=True), spark[local.columns]
    for c in cols:
        if left[c].dtype == float:
            pd.testing.assert_series_equal(left[c], right[c], check_exact=False, rtol=1e-6, obj=c)
        else:
            assert [_plain(v) for v in left[c]] == [_plain(v) for v in right[c]], c


def _plain(v):
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: round(x, 6) if isinstance(x, float) else x for k, x in v.items()}
    return v


@pytest.fixture(scope="module")
def day_run(spark, orders_csv: Path, tmp_path_factory: pytest.TempPathFactory, registry_uri: str,
            predictor: Predictor):
    """The local engine and the Spark engine (3 partitions, reading in chunks of 50) over the same day."""
    from hotline_ml.predict.spark_batch import score_spark

    tmp = tmp_path_factory.mktemp("spark-day")
    # one local chunk: repeated ids are judged over the whole file, as the Spark engine judges them
    local = score_file(_cfg(orders_csv, tmp / "local", registry_uri, DAY, "chunk_rows=100000"), predictor,
                       progress=False)
    spark_cfg = _cfg(orders_csv, tmp / "spark", registry_uri, DAY, "chunk_rows=50", "spark.partitions=3")
    return local, score_spark(spark_cfg, predictor, spark), tmp / "spark"


def test_spark_engine_equals_the_local_engine_row_by_row(day_run) -> None:
    local, result, out = day_run
    assert (result.read, result.scored, result.rejected, result.other_day) == \
        (local.read, local.scored, local.rejected, local.other_day) and result.read == N_GOOD + 5
    assert result.reasons == local.reasons == {"missing": 1, "bad_time": 1, "duplicate_id": 1,
                                               "conflicting_duplicate": 2, "malformed": 1}
    assert result.routes == local.routes and result.evaluation == local.evaluation
    assert result.drift == local.drift
    spark_out = _spark_predictions(out)
    assert set(spark_out["day"]) == {DAY} and spark_out["order_id"].is_unique
    _same(pd.read_parquet(local.files["predictions"]), spark_out)
    assert spark_out["model_version"].eq("1").all()
    assert str(spark_out["predicted_at"].dt.tz) == "UTC" and spark_out["predicted_at"].notna().all()
    rejects = pd.read_parquet(out / "rejects")
    local_rejects = pd.read_csv(local.files["rejects"], dtype=str)
    key = ["row", "reason"]
    assert sorted(map(tuple, rejects[key].astype(str).values)) == sorted(map(tuple, local_rejects[key].values))
    assert PHONE not in rejects.to_csv() and PHONE not in spark_out.to_csv()
    assert f"read {N_GOOD + 5} = scored {result.scored} + rejected 6 + other days" in result.summary()


@pytest.mark.spark_extra
def test_a_rerun_replaces_its_day_and_keeps_the_others(spark, day_run, orders_csv: Path, registry_uri: str,
                                                       predictor: Predictor) -> None:
    from hotline_ml.predict.spark_batch import score_spark

    _, first, out = day_run
    other = score_spark(_cfg(orders_csv, out, registry_uri, "2026-03-03"), predictor, spark)
    again = score_spark(_cfg(orders_csv, out, registry_uri, DAY, "spark.partitions=2"), predictor, spark)
    frame = _spark_predictions(out)
    assert frame["order_id"].is_unique  # each order exactly once after three runs into one folder
    assert frame["day"].value_counts().to_dict() == {DAY: first.scored, "2026-03-03": other.scored}
    assert again.scored == first.scored and other.scored == first.other_day
    assert len(pd.read_parquet(out / "rejects" / f"day={DAY}")) == first.rejected


@pytest.mark.spark_extra
def test_a_folder_of_parquet_files_partitioned_by_day(spark, orders: pd.DataFrame, tmp_path: Path,
                                                      registry_uri: str, predictor: Predictor) -> None:
    from hotline_ml.predict.spark_batch import score_spark

    good = orders.head(N_GOOD)
    for day, part in good.groupby(good["created_at"].str[:10]):
        folder = tmp_path / "in" / f"day={day}"
        folder.mkdir(parents=True)
        part.iloc[::2].to_parquet(folder / "a.parquet")
        part.iloc[1::2].to_parquet(folder / "b.parquet")
    result = score_spark(_cfg(tmp_path / "in", tmp_path / "out", registry_uri, None), predictor, spark)
    assert (result.read, result.scored, result.rejected, result.chunks) == (N_GOOD, N_GOOD, 0, 4)
    frame = _spark_predictions(tmp_path / "out")
    assert sorted(frame["order_id"]) == sorted(good["order_id"])
    assert frame.groupby("day").size().to_dict() == good["created_at"].str[:10].value_counts().to_dict()


def test_settings_the_spark_engine_cannot_honour_are_refused(spark, orders_csv: Path, tmp_path: Path,
                                                             registry_uri: str, predictor: Predictor) -> None:
    from hotline_ml.predict.spark_batch import score_spark

    with pytest.raises(ValueError, match="model's own routing"):
        score_spark(_cfg(orders_csv, tmp_path, registry_uri, DAY, "routing=default"), predictor, spark)
    with pytest.raises(ValueError, match="Parquet partitioned by day"):
        score_spark(_cfg(orders_csv, tmp_path, registry_uri, DAY, "output_format=csv"), predictor, spark)
