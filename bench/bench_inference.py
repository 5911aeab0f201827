"""Inference throughput: our batch path vs ``transformers.pipeline("text-classification")``, same model, same
orders, one process; plus single-record latency and the int8 path's speed and accuracy loss; orders/s per
device, precision and model size; and what a city, a province and the nation need.

    python bench/bench_inference.py                          # champion from mlflow.db, synthetic test split
    python bench/bench_inference.py --n 300 --latency-n 50   # a quick check
    python bench/bench_inference.py --model artifacts/classifier/synthetic/hotline-bert-mini/model
    python bench/bench_inference.py --n 200 --skip-baseline --sizes compact,rbt3   # the tables only
    python bench/bench_inference.py --devices cuda --gpu-batch-size 512            # on a GPU machine

The pipeline baseline is a standard ``BertForSequenceClassification`` sharing our encoder and the primary
(``type_l1``) head weights, run as a user would (``pipeline(...)(texts)``, batch size 1), and once more with
``batch_size=64`` for reference. Our path is ``Predictor.predict_batch``: masking, the three heads and routing
included. Without a trained model (no ``make demo`` yet) the compact encoder gets untrained heads: speeds are
still meaningful, accuracy is not (the script says so).

The throughput table times ``Predictor.predict_batch`` for each model size (``compact``: the model above;
``rbt3``: 3 layers and ``base``: 12 layers, hidden 768, 12 heads, FFN 3072, vocabulary 21128, randomly
initialised from a ``BertConfig`` with the compact model's tokenizer: speed only, nothing is downloaded) on
each device (CPU: fp32 and int8; a GPU: fp32, fp16, bf16 at ``--gpu-batch-size``). The scale tables turn
the measured rates into the sustained orders/s a city (30,000 orders/day), a province (300,000) and the nation
(4,370,000) need when a day is scored in a 1-hour nightly window or spread over 24 hours, and how many machines
like this one that takes. The tables are markdown, ready for the README. On 2 CPU cores ``--n 200`` takes about
2 minutes with all three sizes (bert-base is most of it); the default 2,000 orders about ten times that.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from transformers import BertConfig, BertForSequenceClassification, pipeline

from hotline_ml.classify.families.bert import SUGGESTED_GPU_BATCH_SIZE, BertClassifier, resolve_device
from hotline_ml.classify.features import model_texts
from hotline_ml.classify.model import HotlineBertClassifier
from hotline_ml.cli import compose
from hotline_ml.config import DesensitizeConfig
from hotline_ml.data.desensitize import make_desensitizer
from hotline_ml.predict import ModelInfo, Predictor, load_classifier, quantize_int8
from hotline_ml.triage import Router


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # a BERT: the demo keeps every family it trained, whichever one it registered
    p.add_argument("--model", default="artifacts/classifier/synthetic/hotline-bert-mini/families/bert")
    p.add_argument("--tracking-uri", default="sqlite:///mlflow.db")
    p.add_argument("--fallback-encoder", default="models/hotline-bert-mini",
                   help="encoder given untrained heads when --model cannot be loaded")
    p.add_argument("--data", default="data/prepared/synthetic/test.parquet")
    p.add_argument("--n", type=int, default=2000, help="orders scored by each path")
    p.add_argument("--latency-n", type=int, default=200, help="single-record calls timed")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, one per core)")
    p.add_argument("--skip-baseline", action="store_true",
                   help="skip the pipeline comparison, latency and int8 accuracy: only the throughput and scale tables")
    p.add_argument("--sizes", default="compact,rbt3,base", help=f"models in the throughput table: {', '.join(SIZES)}")
    p.add_argument("--devices", default="available",
                   help="cpu, cuda, cuda:<n>, mps, comma-separated; 'available': the CPU and every GPU kind here")
    p.add_argument("--cpu-precisions", default="fp32,int8", help="timed on the CPU: fp32, int8, bf16")
    p.add_argument("--gpu-precisions", default="fp32,fp16,bf16", help="timed on a GPU: fp32, fp16, bf16")
    p.add_argument("--gpu-batch-size", type=int, default=SUGGESTED_GPU_BATCH_SIZE,
                   help="texts per forward pass on a GPU (on the CPU: the model's)")
    return p.parse_args()


#: Speed-only encoder shapes: (layers, hidden, heads, intermediate, vocabulary); ``compact`` is the loaded model.
SIZES: dict[str, tuple[int, int, int, int, int] | None] = {
    "compact": None, "rbt3": (3, 768, 12, 3072, 21128), "base": (12, 768, 12, 3072, 21128)}
#: Orders per day at each scale (the nation: the project brief's 12345 figure).
SCALES: dict[str, int] = {"city": 30_000, "province": 300_000, "nation": 4_370_000}
#: Hours in which a day's orders are scored: a nightly batch window, or spread over the day.
WINDOWS_H: tuple[int, ...] = (1, 24)


@dataclass(frozen=True)
class Rate:
    """One measured configuration of the throughput table."""

    size: str
    params_m: float
    device: str
    precision: str
    batch: int
    orders_per_s: float
    gflop_per_s: float


def load_model(args: argparse.Namespace) -> tuple[BertClassifier, ModelInfo, bool]:
    """The registered (or given) classifier; else the fallback encoder with untrained heads."""
    try:
        classifier, info = load_classifier(args.model, args.tracking_uri)
        if isinstance(classifier, BertClassifier):
            return classifier, info, True
        print(f"! {args.model} is a {type(classifier).__name__}, not a BERT; untrained heads instead")
    except (ValueError, OSError) as e:
        print(f"! {args.model} not loadable ({str(e)[:120]}); untrained heads on {args.fallback_encoder}")
    return untrained(args.fallback_encoder), ModelInfo(args.fallback_encoder), False


def speed_model(size: str, like: BertClassifier) -> BertClassifier:
    """A randomly initialised encoder of ``size`` with ``like``'s heads' label spaces, tokenizer and settings
    (speed only: its predictions mean nothing)."""
    layers, hidden, heads, inter, vocab = SIZES[size]
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=inter, max_position_embeddings=512, pad_token_id=like.tokenizer.pad_token_id)
    if len(like.tokenizer) > vocab:
        raise ValueError(f"the compact tokenizer has {len(like.tokenizer)} tokens, more than {size}'s {vocab}")
    src = like.model.config
    config.tasks, config.pooling, config.temperatures = dict(src.tasks), src.pooling, dict(src.temperatures or {})
    torch.manual_seed(0)
    return BertClassifier(HotlineBertClassifier(config), like.tokenizer, like.settings)


def untrained(encoder: str) -> BertClassifier:
    from hotline_ml.classify.families.base import InferenceSettings
    from hotline_ml.classify.features import LabelSpace
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer

    data = compose("prepare_data").data
    tasks = {"type_l1": list(data.taxonomy),
             "type_l2": [f"{a}/{b}" for a, bs in data.taxonomy.items() for b in bs],
             "urgency": list(data.urgency_levels)}
    tokenizer = load_tokenizer(encoder)
    model = load_for_finetuning(encoder, tokenizer, LabelSpace(tasks), {t: [1.0] * len(v) for t, v in tasks.items()})
    model.config.temperatures = {t: 1.0 for t in tasks}
    return BertClassifier(model, tokenizer, InferenceSettings(max_length=256, use_title=False))


def as_sequence_classifier(classifier: BertClassifier, task: str) -> BertForSequenceClassification:
    """A standard HF model with our encoder and ``task`` head, for ``pipeline("text-classification")``."""
    config = classifier.model.config.__class__.from_dict(classifier.model.config.to_dict())
    labels = classifier.labels[task]
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {name: i for i, name in enumerate(labels)}
    model = BertForSequenceClassification(config).eval()
    head = classifier.model.heads[task]
    state = {**{f"bert.{k}": v for k, v in classifier.model.bert.state_dict().items()},
             "classifier.weight": head.weight, "classifier.bias": head.bias}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # A mean-pooling model has no [CLS] pooler; the stock class keeps its freshly initialised one. The encoder,
    # which is nearly all the compute, is shared either way, so the speed comparison stays like for like.
    allowed = ("position_ids",) + (("bert.pooler.",) if classifier.model.pooling == "mean" else ())
    if [k for k in missing if not k.startswith(allowed) and "position_ids" not in k] or unexpected:
        raise RuntimeError(f"weights did not map: missing {missing}, unexpected {unexpected}")
    return model


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def latency_ms(predictor: Predictor, records: list[dict]) -> tuple[float, float]:
    predictor.predict_one(records[0])  # warm-up
    times = [timed(predictor.predict_one, r)[0] * 1000 for r in records]
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def encoder_flops(classifier: BertClassifier, texts: list[str]) -> float:
    """Floating-point operations of the encoder for ``texts`` (matmuls only: projections, FFN, attention)."""
    c = classifier.model.config
    h, inter, layers = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    lengths = np.array([len(ids) for ids in classifier.tokenizer(texts, truncation=True,
                                                                  max_length=classifier.settings.max_length)["input_ids"]])
    per_layer = 2 * (4 * h * h + 2 * h * inter) * lengths + 2 * 2 * lengths ** 2 * h
    return float(layers * per_layer.sum())


def macro_f1(frame: pd.DataFrame, predicted: pd.Series) -> float:
    truth = frame["appeal_type"].str.split("/").str[0]
    return float(f1_score(truth, predicted, average="macro"))


def baseline(classifier: BertClassifier, info: ModelInfo, trained: bool, frame: pd.DataFrame,
             ours: Predictor, args: argparse.Namespace) -> None:
    """Our path against ``transformers.pipeline``, single-record latency and int8's accuracy loss (printed)."""
    texts = model_texts(frame, classifier.settings.use_title)
    pipe = pipeline("text-classification", model=as_sequence_classifier(classifier, ours.type_task),
                    tokenizer=classifier.tokenizer, device=-1)
    kwargs = {"truncation": True, "max_length": classifier.settings.max_length}
    pipe(texts[:8], **kwargs)
    ours.predict_batch(frame.head(8))  # warm-up both
    t_pipe, pipe_out = timed(pipe, texts, **kwargs)
    t_pipe64, _ = timed(pipe, texts, batch_size=64, **kwargs)
    t_ours, ours_out = timed(ours.predict_batch, frame)
    agree = float(np.mean([p["label"] == o for p, o in zip(pipe_out, ours_out["appeal_type"], strict=True)]))
    int8 = Predictor(quantize_int8(classifier), ours.router, ours.masker, info)
    int8.predict_batch(frame.head(8))
    t_int8, int8_out = timed(int8.predict_batch, frame)
    records = frame[["order_id", "text"]].head(args.latency_n).to_dict("records")
    p50, p99 = latency_ms(ours, records)
    q50, q99 = latency_ms(int8, records)
    n = len(frame)
    print(f"model: {info.source} (version {info.version}){'' if trained else ' UNTRAINED heads: accuracy meaningless'}")
    print(f"orders: {n} from {args.data}; torch threads {torch.get_num_threads()}")
    print(f"pipeline (batch 1, as called by default): {n / t_pipe:8.1f} orders/s")
    print(f"pipeline (batch_size=64):                 {n / t_pipe64:8.1f} orders/s")
    print(f"ours, fp32 (mask + 3 heads + routing):    {n / t_ours:8.1f} orders/s  "
          f"ratio {t_pipe / t_ours:.1f}x vs pipeline, {t_pipe64 / t_ours:.1f}x vs pipeline batch 64")
    print(f"ours, int8:                               {n / t_int8:8.1f} orders/s  ratio {t_pipe / t_int8:.1f}x")
    if classifier.model.pooling == "cls":  # same computation: predictions must agree
        print(f"pipeline and ours agree on type_l1 for {agree:.1%} of orders")
    else:
        print("pipeline path uses [CLS] pooling, ours mean pooling: predictions differ by design, speed compares")
    flops = encoder_flops(classifier, texts)
    print(f"encoder arithmetic: {flops / n / 1e6:.0f} MFLOP per order; sustained {flops / t_ours / 1e9:.0f} GFLOP/s by "
          f"our fp32 path, {flops / t_pipe / 1e9:.0f} GFLOP/s by the pipeline (the CPU's fp32 peak bounds the ratio)")
    print(f"single record latency fp32: p50 {p50:.1f} ms, p99 {p99:.1f} ms; int8: p50 {q50:.1f} ms, p99 {q99:.1f} ms")
    f32, f8 = macro_f1(frame, ours_out["appeal_type"]), macro_f1(frame, int8_out["appeal_type"])
    same = float((ours_out["appeal_type"] == int8_out["appeal_type"]).mean())
    print(f"type_l1 macro-F1: fp32 {f32:.4f}, int8 {f8:.4f}, delta {100 * (f8 - f32):+.2f} points; "
          f"int8 agrees with fp32 on {same:.1%}")


def devices(spec: str) -> list[str]:
    """The device names to time: ``available`` is the CPU plus CUDA and MPS where present; a device asked
    for but not here is reported and left out."""
    if spec == "available":
        return ["cpu"] + ["cuda"] * torch.cuda.is_available() + ["mps"] * torch.backends.mps.is_available()
    out = []
    for name in spec.split(","):
        try:
            resolve_device(name)
            out.append(name)
        except ValueError as e:
            print(f"! {e}: left out")
    return out


def throughput(classifier: BertClassifier, size: str, frame: pd.DataFrame, ours: Predictor,
               args: argparse.Namespace) -> list[Rate]:
    """``Predictor.predict_batch`` orders/s of ``classifier`` on each device and precision asked for."""
    texts = model_texts(frame, classifier.settings.use_title)
    flops = encoder_flops(classifier, texts)
    params = sum(p.numel() for p in classifier.model.parameters()) / 1e6
    rates = []
    for device in devices(args.devices):
        on_cpu = resolve_device(device).type == "cpu"
        for precision in (args.cpu_precisions if on_cpu else args.gpu_precisions).split(","):
            if precision == "int8":  # quantized on the CPU, runs there
                variant = classifier.on_device("cpu").quantized_int8()
            else:
                batched = classifier if on_cpu else classifier.with_batch_size(args.gpu_batch_size)
                variant = batched.on_device(device, precision)
            predictor = Predictor(variant, ours.router, ours.masker, ours.info)
            bs = variant.settings.batch_size
            predictor.predict_batch(frame.head(bs))  # warm-up: a full batch (CUDA kernels chosen, memory held)
            seconds, _ = timed(predictor.predict_batch, frame)
            rates.append(Rate(size, params, device, precision, bs, len(frame) / seconds, flops / seconds / 1e9))
            print(f"  {size:8s} {device:6s} {precision:5s} batch {bs:4d}: {len(frame) / seconds:9.1f} orders/s")
    classifier.on_device("cpu")  # hand the GPU's memory back before the next size
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return rates


def machine() -> str:
    """This machine in a line: CPU, cores, torch threads, GPU."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, {gpu}"


def print_tables(rates: list[Rate], n: int) -> None:
    """The throughput table, what each scale needs, and the machines each scale takes at the measured rates."""
    print(f"\n#### Throughput of `Predictor.predict_batch` (masking + 3 heads + routing), {n} orders\n")
    print(f"Machine: {machine()}.\n")
    print("| model | params | device | precision | batch | orders/s | ms/order | encoder GFLOP/s |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for r in rates:
        print(f"| {r.size} | {r.params_m:.0f} M | {r.device} | {r.precision} | {r.batch} | {r.orders_per_s:,.1f} | "
              f"{1000 / r.orders_per_s:.2f} | {r.gflop_per_s:,.0f} |")
    print("\n#### What each scale needs\n")
    print("| scale | orders/day | " + " | ".join(f"orders/s in {w} h" for w in WINDOWS_H) + " |")
    print("|---|---:|" + "---:|" * len(WINDOWS_H))
    for scale, per_day in SCALES.items():
        print(f"| {scale} | {per_day:,} | " + " | ".join(f"{per_day / (w * 3600):,.1f}" for w in WINDOWS_H) + " |")
    print("\n#### Machines like this one each scale needs, at the measured rate\n")
    heads = [f"{scale} {w} h" for scale in SCALES for w in WINDOWS_H]
    print("| model | device | precision | " + " | ".join(heads) + " |")
    print("|---|---|---|" + "---:|" * len(heads))
    for r in rates:
        need = [math.ceil(per_day / (w * 3600) / r.orders_per_s) for per_day in SCALES.values() for w in WINDOWS_H]
        print(f"| {r.size} | {r.device} | {r.precision} | " + " | ".join(f"{k:,}" for k in need) + " |")


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    unknown = set(args.sizes.split(",")) - set(SIZES)
    if unknown:
        raise SystemExit(f"unknown --sizes {sorted(unknown)}: use {', '.join(SIZES)}")
    classifier, info, trained = load_model(args)
    frame = pd.read_parquet(args.data).sample(frac=1.0, random_state=0).head(args.n).reset_index(drop=True)
    routing = compose("serve", ["routing=default"]).routing
    ours = Predictor(classifier, Router(routing), make_desensitizer(DesensitizeConfig(salt="bench-salt")), info)
    if not args.skip_baseline:
        baseline(classifier, info, trained, frame, ours, args)
    print("\ntiming the throughput table:")
    rates = []
    for size in args.sizes.split(","):
        model = classifier if SIZES[size] is None else speed_model(size, classifier)
        rates += throughput(model, size, frame, ours, args)
    print_tables(rates, len(frame))


if __name__ == "__main__":
    main()
