"""Batch scoring throughput: the local engine against Spark ``local[N]``, same orders, same registered model, one
process; for the compact BERT and speed-only random-initialised rbt3-size and bert-base-size encoders.

    python bench/bench_batch_engines.py                               # compact, rbt3, base; 600 orders; local[2]
    python bench/bench_batch_engines.py --sizes compact --n 3000      # a longer run of the compact model
    python bench/bench_batch_engines.py --master 'local[*]' --threads 1

Each model is logged and registered the way the classifier job does it (the whole predictor) in a temporary
sqlite store, then scored by ``serving/batch_score.py``'s two engines over one day of orders: ``engine=local``
(one process, torch on every core) and ``engine=spark`` (``--master``; one torch thread per worker). Spark is
timed twice: the first run starts the Python workers and loads the model in each (what a one-day nightly job
pays once), the second runs on warm workers (what each further day or partition costs). The ratio printed is
local time / Spark time on the warm run. Nothing is written to the repository: stores and outputs are temporary.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_inference import SIZES, load_model, speed_model

from hotline_ml import tracking
from hotline_ml.classify.job import LOADER
from hotline_ml.cli import compose
from hotline_ml.config import TrackingConfig
from hotline_ml.config_files import write_config_files
from hotline_ml.predict import Predictor
from hotline_ml.predict.batch import score_file
from hotline_ml.predict.spark_batch import score_spark
from hotline_ml.spark import spark_session

DAY = "2026-11-02"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="compact,rbt3,base", help=f"models: {', '.join(SIZES)}")
    p.add_argument("--n", type=int, default=600, help="orders scored per engine and model")
    p.add_argument("--data", default="data/prepared/synthetic/test.parquet")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--threads", type=int, default=1, help="torch threads per Spark worker")
    p.add_argument("--model", default="artifacts/classifier/synthetic/hotline-bert-mini/families/bert")
    p.add_argument("--tracking-uri", default="sqlite:///mlflow.db")
    p.add_argument("--fallback-encoder", default="models/hotline-bert-mini")
    return p.parse_args()


def orders_file(args: argparse.Namespace, tmp: Path) -> Path:
    """``--n`` orders of the test split, all on one day (the day a nightly job scores)."""
    frame = pd.read_parquet(args.data).sample(frac=1.0, random_state=0).head(args.n)
    frame = frame.assign(created_at=pd.Timestamp(f"{DAY} 09:00:00"))[["order_id", "created_at", "text", "title"]]
    path = tmp / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def register(classifier, name: str, tmp: Path, uri: str) -> str:
    """Log and register ``classifier`` as the classifier job does; the registered URI."""
    cfg = compose("serve", ["routing=default", "desensitize=default"])
    checkpoint = classifier.save(tmp / name)
    artifacts = {"checkpoint": str(checkpoint),
                 **write_config_files(tmp / f"{name}-config", routing=cfg.routing, desensitize=cfg.desensitize)}
    example = pd.DataFrame({"order_id": ["E1"], "text": ["小区门口路灯坏了一个月了"], "title": [""]})
    with tracking.start_run(TrackingConfig(tracking_uri=uri, experiment="bench-engines")):
        _, version = tracking.log_predictor_model(LOADER, artifacts, example, registered_name=name)
    return f"models:/{name}/{version}"


def main() -> None:
    args = parse_args()
    os.environ.setdefault("HOTLINE_PII_SALT", "bench-salt")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    sizes = args.sizes.split(",")
    like, _, trained = load_model(args)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as t:
        tmp = Path(t)
        path, uri = orders_file(args, tmp), f"sqlite:///{tmp}/mlflow.db"
        base = [f"input.path={path}", f"day={DAY}", "input.name=bench", f"predictor.tracking_uri={uri}",
                f"spark.master='{args.master}'", f"spark.worker_threads={args.threads}"]
        with spark_session(compose("batch_score", base).spark) as spark:
            for size in sizes:
                model = like if SIZES[size] is None else speed_model(size, like)
                source = register(model, f"bench-{size}", tmp, uri)
                cfg = compose("batch_score", [*base, f"predictor.model={source}", f"output_dir={tmp}/out-{size}"])
                predictor = Predictor.from_config(cfg.predictor)
                start = time.perf_counter()
                local = score_file(cfg, predictor, progress=False)
                t_local = time.perf_counter() - start
                times = []
                for run in range(2):
                    cfg_s = compose("batch_score", [*base, f"predictor.model={source}", "engine=spark",
                                                    f"output_dir={tmp}/spark-{size}-{run}"])
                    start = time.perf_counter()
                    result = score_spark(cfg_s, predictor, spark)
                    times.append(time.perf_counter() - start)
                    assert result.scored == local.scored == args.n, (result.scored, local.scored)
                rows.append((size, args.n / t_local, args.n / times[0], args.n / times[1], t_local / times[1]))
                print(f"{size}: local {args.n / t_local:.1f} orders/s; spark {args.master} first run "
                      f"{args.n / times[0]:.1f}, warm {args.n / times[1]:.1f} orders/s", flush=True)
    note = "" if trained else " (compact: untrained heads; speed only)"
    print(f"\n{args.n} orders per run, {os.cpu_count()} cores, torch threads: local default, Spark {args.threads} "
          f"per worker{note}\n")
    print(f"| model | local engine orders/s | Spark {args.master} first run | Spark warm | Spark / local (warm) |")
    print("|---|---|---|---|---|")
    for size, lo, first, warm, ratio in rows:
        print(f"| {size} | {lo:,.1f} | {first:,.1f} | {warm:,.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
