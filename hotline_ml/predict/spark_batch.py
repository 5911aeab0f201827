"""Batch scoring on Spark: the same job as :mod:`hotline_ml.predict.batch`, on ``local[N]`` or a cluster.

    python serving/batch_score.py engine=spark                         # local[2] (conf/spark/local.yaml)
    python serving/batch_score.py engine=spark spark.master=spark://head:7077 input.path=/data/orders day=null

What runs where:

1. Reading, validation and masking: :func:`hotline_ml.data.spark_read.read_orders_spark`, the library's own
   reader per file (the same rows, lines and reject reasons as the local engine), ids repeated anywhere in the
   input resolved over all files.
2. Prediction: the registered MLflow model itself, as ``mlflow.pyfunc.spark_udf`` (the whole predictor: mask ->
   model -> routing -> trace, loaded once per Python worker), pinned to the version the alias points to when
   the job starts. Orders are sorted by (file, row) within each partition, so a run is repeatable.
3. Outputs under ``output_dir``::

       predictions/day=YYYY-MM-DD/part-*.parquet    the PREDICTION_COLUMNS, one row per scored order
       rejects/day=YYYY-MM-DD/part-*.parquet        (or day=all when every day is scored) REJECT_COLUMNS
       summary.json                                  the counts, routes, routing evaluation and drift

   Partitions are overwritten dynamically: a rerun of a day replaces that day's partitions and nothing else,
   so each order appears exactly once however often the job is run.

The printed summary is the local engine's: ``read = scored + rejected (+ other days)``, reasons, routes, drift.
Unlike the local engine there is no manifest: a killed run is simply run again (Spark retries failed tasks).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hotline_ml.config import BatchScoreConfig, SparkConfig
from hotline_ml.data.spark_read import read_orders_spark
from hotline_ml.drift import add_counts, day_counts, drift_report
from hotline_ml.predict.batch import BatchResult, _check, _collect_examples
from hotline_ml.predict.classifier import FLOAT_COLUMNS, INPUT_FIELDS, PREDICTION_COLUMNS, Predictor
from hotline_ml.predict.loading import SALT_ENV
from hotline_ml.triage import routing_tallies

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

_TRUTH = ("appeal_type", "urgency")  # labelled input: the routing evaluation compares with these


def prediction_type() -> Any:
    """The Spark struct the model's UDF returns: :data:`PREDICTION_COLUMNS`, ``predicted_at`` as ISO text
    (MLflow's UDF has no timestamp type; it is cast back to a timestamp)."""
    from pyspark.sql import types as T

    def of(col: str):
        if col in FLOAT_COLUMNS:
            return T.DoubleType()
        if col == "appeal_type_top3":
            return T.ArrayType(T.StructType([T.StructField("label", T.StringType()),
                                             T.StructField("score", T.DoubleType())]))
        if col in ("transfer_to", "route_reasons"):
            return T.ArrayType(T.StringType())
        return T.StringType()

    return T.StructType([T.StructField(c, of(c)) for c in PREDICTION_COLUMNS])


def pinned_uri(predictor: Predictor) -> str:
    """The model URI for the workers: the registered version the driver resolved (an alias may move while the
    job runs), else the source as given.

    Raises:
        ValueError: The source is a bare checkpoint directory, not an MLflow model (the UDF loads MLflow models).
    """
    info = predictor.info
    if info.source.startswith("models:/") and info.name and info.version:
        return f"models:/{info.name}/{info.version}"
    if info.source.startswith(("models:/", "runs:/")) or (Path(info.source) / "MLmodel").is_file():
        return info.source
    raise ValueError(f"engine=spark scores with a logged MLflow model; {info.source!r} is a bare checkpoint "
                     "directory: register it (train_classifier) or use engine=local")


def score_spark(cfg: BatchScoreConfig, predictor: Predictor, spark: SparkSession) -> BatchResult:
    """Score every order of ``cfg.input`` on Spark (see module docstring).

    Args:
        cfg: Input, day, outputs, the predictor settings and ``cfg.spark``.
        predictor: The model loaded on the driver: it pins the version, masks the rejects and the examples,
            and holds the drift profile.
        spark: The session (``hotline_ml.spark.spark_session(cfg.spark)``).

    Raises:
        ValueError: Settings the Spark engine cannot honour (routing or masking other than the model's own,
            CSV output, a bare checkpoint).
    """
    _check(cfg)
    _check_spark(cfg)
    from pyspark.sql import functions as F

    from hotline_ml import tracking

    start = time.perf_counter()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = None if cfg.day is None else date.fromisoformat(cfg.day)
    # the day is kept before masking: other days' texts are never masked or scored
    orders = read_orders_spark(spark, cfg.input, predictor.masker, cfg.chunk_rows, day=day)
    kept = orders.kept.withColumn("day", F.date_format("created_at", "yyyy-MM-dd")).persist()
    on_day = kept if cfg.day is None else kept.filter(F.col("day") == cfg.day)
    parts = cfg.spark.partitions or spark.sparkContext.defaultParallelism
    inputs = on_day.repartition(parts).sortWithinPartitions("source", "row")
    udf = tracking.spark_udf(spark, pinned_uri(predictor), prediction_type(), cfg.predictor.tracking_uri,
                             _model_settings(cfg), _worker_env(cfg.spark))
    fields = [c for c in INPUT_FIELDS if c in inputs.columns]
    info = predictor.info
    scored = (inputs.withColumn("__p__", udf(F.struct(*fields)))
              .select(*[F.col(f"__p__.{c}").alias(c) for c in PREDICTION_COLUMNS], "day",
                      F.col("text").alias("__text__"), *[F.col(c).alias(f"__truth_{c}") for c in _TRUTH])
              # the driver knows which registered version the alias resolved to; the model itself does not
              .withColumn("model_name", F.lit(info.name)).withColumn("model_version", F.lit(info.version))
              .withColumn("run_id", F.lit(info.run_id))
              .withColumn("predicted_at", F.col("predicted_at").cast("timestamp"))
              .persist())
    predictions = scored.select(*PREDICTION_COLUMNS, "day")
    pred_dir, rej_dir = out / "predictions", out / "rejects"
    if cfg.day is not None:  # the day's folder replaced whole, even by no rows: nothing stale survives a rerun
        predictions.drop("day").write.mode("overwrite").parquet(str(pred_dir / f"day={cfg.day}"))
    else:  # every day in the input: each day's partition replaced, other folders kept
        predictions.write.mode("overwrite").partitionBy("day").parquet(str(pred_dir))
    rejects = orders.rejects
    rejects.write.mode("overwrite").parquet(str(rej_dir / f"day={cfg.day or 'all'}"))
    result = _result(cfg, predictor, kept, scored, rejects, len(orders.files), time.perf_counter() - start,
                     {"predictions": str(pred_dir), "rejects": str(rej_dir), "summary": str(out / "summary.json")})
    (out / "summary.json").write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    for frame in (scored, kept, orders):
        frame.unpersist()
    return result


def _check_spark(cfg: BatchScoreConfig) -> None:
    if cfg.routing is not None or cfg.desensitize is not None:
        raise ValueError("engine=spark scores with the model's own routing and masking (they travel inside the "
                         "registered model); drop the routing= / desensitize= overrides or use engine=local")
    if cfg.output_format != "parquet":
        raise ValueError(f"engine=spark writes Parquet partitioned by day; output_format={cfg.output_format} "
                         "is for engine=local")


def _model_settings(cfg: BatchScoreConfig) -> dict[str, Any]:
    """How the workers run the model (the logged model's ``model_config`` keys, see tracking.PREDICTOR_SETTINGS)."""
    p = cfg.predictor
    return {"device": p.device, "precision": str(p.precision), "batch_size": p.batch_size, "int8": p.int8,
            "num_threads": p.num_threads or cfg.spark.worker_threads}


def _worker_env(spark_cfg: SparkConfig) -> dict[str, str]:
    """The salt of caller hashes reaches the workers of a cluster as it reaches the driver."""
    env = {SALT_ENV: os.environ[SALT_ENV]} if os.environ.get(SALT_ENV) else {}
    if spark_cfg.worker_threads:
        env["OMP_NUM_THREADS"] = str(spark_cfg.worker_threads)
    return env


def _result(cfg: BatchScoreConfig, predictor: Predictor, kept: DataFrame, scored: DataFrame, rejects: DataFrame,
            files: int, seconds: float, paths: dict[str, str]) -> BatchResult:
    from pyspark.sql import functions as F

    n_kept, n_scored = kept.count(), scored.count()
    reasons = {r["reason"]: int(r["count"]) for r in rejects.groupBy("reason").count().collect()}
    routes = {r["route"]: int(r["count"]) for r in scored.groupBy("route").count().collect()}
    tallies = _tallies(scored, predictor)
    n_rejected = sum(reasons.values())
    read = n_kept + n_rejected
    sample = scored.orderBy(F.rand(0)).limit(max(cfg.examples, 1) * 20).toPandas()
    examples: dict[str, list[dict[str, str]]] = {}
    _collect_examples(sample[["__text__"]].rename(columns={"__text__": "text"}), sample, examples, cfg.examples)
    shown = [e for route in ("transfer", "human_review", "automated") for e in examples.get(route, [])]
    result = BatchResult(
        read=read, scored=n_scored, rejected=n_rejected, other_day=n_kept - n_scored, reasons=reasons,
        routes=routes, chunks=files, resumed_chunks=0, seconds=round(seconds, 3),
        orders_per_second=round(read / max(seconds, 1e-9), 1),
        scored_per_second=round(n_scored / max(seconds, 1e-9), 1), files=paths, examples=shown[:cfg.examples],
        evaluation=tallies["evaluation"])
    result.drift = drift_report(predictor.profile, tallies["drift"], routes, cfg.drift)
    return result


def _tallies(scored: DataFrame, predictor: Predictor) -> dict[str, dict]:
    """The routing evaluation and drift counts of every partition, summed (the local engine's per-chunk counts)."""
    # only what the counts need travels to the workers (not the predictor and its model)
    profile, label, automatable = predictor.profile, predictor.router.cfg.emergency_label, predictor.router.policy

    def count(batches):
        for batch in batches:
            predictions = batch[[c for c in batch.columns if not c.startswith("__")]]
            truth = pd.DataFrame({c: batch[f"__truth_{c}"] for c in _TRUTH}).astype(object)
            truth = truth.where(truth.notna(), None)
            orders = pd.DataFrame({"text": batch["__text__"]})
            yield pd.DataFrame({"evaluation": [json.dumps(routing_tallies(predictions, truth, label,
                                                                               automatable.is_automatable))],
                                "drift": [json.dumps(day_counts(orders, predictions, profile))]})

    cols = ["appeal_type", "appeal_subtype", "route", "__text__", *[f"__truth_{c}" for c in _TRUTH]]
    rows = scored.select(*cols).mapInPandas(count, "evaluation string, drift string").collect()
    evaluation: Counter = Counter()
    for r in rows:
        evaluation.update(json.loads(r["evaluation"]))
    drift = add_counts([d for d in (json.loads(r["drift"]) for r in rows) if d])
    return {"evaluation": dict(evaluation), "drift": drift}

