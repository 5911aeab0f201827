"""Inference throughput: our batch path vs ``transformers.pipeline("text-classification")``, same model, same
orders, one process; plus single-record latency and the int8 path's speed and accuracy loss.

    python bench/bench_inference.py                          # champion from mlflow.db, synthetic test split
    python bench/bench_inference.py --n 300 --latency-n 50   # a quick check
    python bench/bench_inference.py --model artifacts/classifier/synthetic/hotline-bert-mini/model

The pipeline baseline is a standard ``BertForSequenceClassification`` sharing our encoder and the primary
(``type_l1``) head weights, run as a user would (``pipeline(...)(texts)``, batch size 1), and once more with
``batch_size=64`` for reference. Our path is ``Predictor.predict_batch``: masking, the three heads and routing
included. Without a trained model (no ``make demo`` yet) the compact encoder gets untrained heads: speeds are
still meaningful, accuracy is not (the script says so).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from transformers import BertForSequenceClassification, pipeline

from hotline_ml.classify.features import model_texts
from hotline_ml.classify.inference import AppealClassifier
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
    return p.parse_args()


def load_model(args: argparse.Namespace) -> tuple[AppealClassifier, ModelInfo, bool]:
    """The registered (or given) classifier; else the fallback encoder with untrained heads."""
    try:
        classifier, info = load_classifier(args.model, args.tracking_uri)
        if isinstance(classifier, AppealClassifier):
            return classifier, info, True
        print(f"! {args.model} is a {type(classifier).__name__}, not a BERT; untrained heads instead")
    except (ValueError, OSError) as e:
        print(f"! {args.model} not loadable ({str(e)[:120]}); untrained heads on {args.fallback_encoder}")
    return untrained(args.fallback_encoder), ModelInfo(args.fallback_encoder), False


def untrained(encoder: str) -> AppealClassifier:
    from hotline_ml.classify.features import LabelSpace
    from hotline_ml.classify.inference import InferenceSettings
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer

    data = compose("prepare_data").data
    tasks = {"type_l1": list(data.taxonomy),
             "type_l2": [f"{a}/{b}" for a, bs in data.taxonomy.items() for b in bs],
             "urgency": list(data.urgency_levels)}
    tokenizer = load_tokenizer(encoder)
    model = load_for_finetuning(encoder, tokenizer, LabelSpace(tasks), {t: [1.0] * len(v) for t, v in tasks.items()})
    model.config.temperatures = {t: 1.0 for t in tasks}
    return AppealClassifier(model, tokenizer, InferenceSettings(max_length=256, use_title=False))


def as_sequence_classifier(classifier: AppealClassifier, task: str) -> BertForSequenceClassification:
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


def encoder_flops(classifier: AppealClassifier, texts: list[str]) -> float:
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


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    classifier, info, trained = load_model(args)
    frame = pd.read_parquet(args.data).sample(frac=1.0, random_state=0).head(args.n).reset_index(drop=True)
    texts = model_texts(frame, classifier.settings.use_title)
    routing = compose("serve", ["routing=default"]).routing
    ours = Predictor(classifier, Router(routing), make_desensitizer(DesensitizeConfig(salt="bench-salt")), info)
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


if __name__ == "__main__":
    main()
