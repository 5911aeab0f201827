"""Where and in what precision the BERT runs: ``auto`` picks CUDA, else MPS, else the CPU; bf16 autocast on the
CPU agrees with fp32; tokenizing the next batch in a background thread changes no number; devices that are not
there, fp16 on the CPU and int8 off the CPU are refused with what to do; every family, the predictor, its config
and the pyfunc's ``model_config`` take the same settings. No GPU needed: CUDA and MPS availability are patched
where a test is about what happens when they are (or are not) there."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from hotline_ml.classify.families.base import InferenceSettings
from hotline_ml.classify.families.bert import BertClassifier, resolve_device
from hotline_ml.config import Precision
from tests.classify.test_families import LABELS, TEXTS, TYPE, URGENCY, _linear
from tests.helpers import compose_config


@pytest.fixture(scope="module")
def classifier(tiny_bert_dir: Path) -> BertClassifier:
    """The tiny BERT with fresh heads scaled up, so its probabilities are far from uniform (a near-uniform
    model would make any two precisions agree)."""
    from hotline_ml.classify.features import LabelSpace
    from hotline_ml.classify.model import load_for_finetuning
    from hotline_ml.classify.tokenizer import load_tokenizer

    torch.manual_seed(0)
    tokenizer = load_tokenizer(str(tiny_bert_dir))
    model = load_for_finetuning(str(tiny_bert_dir), tokenizer, LabelSpace(LABELS),
                                {t: [1.0] * len(v) for t, v in LABELS.items()})
    with torch.no_grad():
        for head in model.heads.values():
            head.weight.mul_(100.0)
    return BertClassifier(model, tokenizer, InferenceSettings(max_length=64, use_title=False, batch_size=8))


@pytest.fixture(scope="module")
def texts(small_corpus) -> list[str]:
    """120 synthetic appeals of varied lengths: 15 batches of 8, each padded to its own longest text."""
    return small_corpus.orders["text"].head(120).tolist()


def _available(monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool = False) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_auto_is_cuda_else_mps_else_the_cpu(classifier: BertClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (torch.cuda.is_available() or torch.backends.mps.is_available()):  # this machine as it is
        assert classifier.on_device("auto").device.type == "cpu"
    _available(monkeypatch, cuda=False)
    assert resolve_device("auto") == torch.device("cpu")
    assert classifier.on_device().device.type == "cpu"
    _available(monkeypatch, cuda=False, mps=True)
    assert resolve_device("auto").type == "mps"
    _available(monkeypatch, cuda=True, mps=True)
    assert resolve_device("auto").type == "cuda"


def test_bf16_autocast_on_the_cpu_agrees_with_fp32(classifier: BertClassifier, texts: list[str]) -> None:
    fp32 = classifier.on_device("cpu", "fp32")
    bf16 = classifier.on_device("cpu", Precision.bf16)
    assert bf16.precision is Precision.bf16 and classifier.precision is Precision.fp32
    lg32, lg16 = fp32.logits(texts), bf16.logits(texts)
    p32, p16 = fp32.predict_proba(texts), bf16.predict_proba(texts)
    assert p32["type_l1"].max(1).mean() > 0.6  # confident enough for agreement to mean something
    for task in LABELS:
        assert lg16[task].dtype == np.float32 and lg16[task].shape == (len(texts), len(LABELS[task]))
        assert not np.array_equal(lg16[task], lg32[task])  # autocast really ran in bf16
        np.testing.assert_allclose(p16[task], p32[task], atol=0.05)
        assert (p16[task].argmax(1) == p32[task].argmax(1)).mean() >= 0.95


class _RecordingTokenizer:
    """The model's tokenizer, noting each batch it encodes and the thread that asked."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, batch: list[str], **kwargs):
        self.calls.append((threading.current_thread().name, list(batch)))
        return self.inner(batch, **kwargs)


def test_prefetching_tokenizes_off_the_main_thread_and_changes_no_number(classifier: BertClassifier,
                                                                         texts: list[str]) -> None:
    sequential_tok, prefetch_tok = _RecordingTokenizer(classifier.tokenizer), _RecordingTokenizer(classifier.tokenizer)
    sequential = BertClassifier(classifier.model, sequential_tok, classifier.settings).logits(texts, prefetch=False)
    prefetched = BertClassifier(classifier.model, prefetch_tok, classifier.settings).logits(texts)
    for task in LABELS:
        assert np.array_equal(prefetched[task], sequential[task]), task
    # the same batches in the same order, each tokenized by the worker, never by the thread running the model
    assert [b for _, b in prefetch_tok.calls] == [b for _, b in sequential_tok.calls]
    assert len(prefetch_tok.calls) == 15
    assert {name for name, _ in sequential_tok.calls} == {threading.current_thread().name}
    assert all(name.startswith("tokenize") for name, _ in prefetch_tok.calls)
    # and in input order: a row's logits do not depend on the batch it fell in
    alone = classifier.logits(texts[:1])
    assert np.allclose(alone["type_l1"], prefetched["type_l1"][:1], atol=1e-5)
    assert classifier.logits([])["type_l1"].shape == (0, 2)


def test_a_device_that_is_not_here_is_refused_naming_it(classifier: BertClassifier,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _available(monkeypatch, cuda=False)
    with pytest.raises(ValueError, match=r"device 'cuda' asked for, but CUDA is not available.*device=auto or cpu"):
        classifier.on_device("cuda")
    with pytest.raises(ValueError, match=r"'cuda:1' asked for, but CUDA is not available"):
        classifier.on_device("cuda:1", "fp16")
    with pytest.raises(ValueError, match=r"'mps' asked for, but MPS is not available"):
        classifier.on_device("mps")
    with pytest.raises(ValueError, match=r"unknown device 'gpu'"):
        classifier.on_device("gpu")
    assert classifier.device.type == "cpu"  # nothing was moved


def test_fp16_on_the_cpu_is_refused(classifier: BertClassifier) -> None:
    with pytest.raises(ValueError, match=r"fp16 runs on a GPU only.*bf16"):
        classifier.on_device("cpu", "fp16")
    with pytest.raises(ValueError, match=r"'fp8' is not a valid Precision"):
        classifier.on_device("cpu", "fp8")


def test_int8_stays_on_the_cpu_in_fp32(classifier: BertClassifier, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline_ml.predict import Predictor

    int8 = classifier.quantized_int8()
    assert int8.is_int8 and not classifier.is_int8
    _available(monkeypatch, cuda=True)  # a GPU "is there": only the int8 rule can refuse
    with pytest.raises(ValueError, match=r"int8 model runs on the CPU only, not on 'cuda'"):
        int8.on_device("cuda")
    with pytest.raises(ValueError, match=r"int8 model runs its own arithmetic: precision must be fp32, not bf16"):
        int8.on_device("cpu", "bf16")
    assert int8.on_device("auto").device.type == "cpu"  # auto means the CPU for an int8 model
    with pytest.raises(ValueError, match=r"int8 quantization needs an fp32 model on the CPU, this one is bf16"):
        classifier.on_device("cpu", "bf16").quantized_int8()
    routing = compose_config("serve", ["routing=default"]).routing
    with pytest.raises(ValueError, match=r"int8 model runs on the CPU only, not on 'cuda'"):
        Predictor.load(str(classifier.save(tmp_path / "bert")), routing=routing, int8=True, device="cuda")


def test_every_family_and_the_predictor_config_take_device_and_precision(classifier: BertClassifier,
                                                                         tmp_path: Path) -> None:
    from hotline_ml.classify.families.ensemble import EnsembleClassifier
    from hotline_ml.config import PredictorConfig
    from hotline_ml.predict import Predictor

    bert = BertClassifier(classifier.model, classifier.tokenizer, InferenceSettings(64, True, 4))
    linear = _linear()
    assert linear.on_device("cuda", "fp16") is linear  # nothing to place
    with pytest.raises(ValueError, match="not a valid Precision"):
        linear.on_device("cpu", "fp61")
    ensemble = EnsembleClassifier.fit(bert, linear, TEXTS, {"type_l1": TYPE, "urgency": URGENCY}, [0.0, 0.5, 1.0])
    placed = ensemble.on_device("cpu", "bf16")
    assert placed.bert.precision is Precision.bf16 and placed.linear is linear and placed.weights == ensemble.weights
    routing = compose_config("serve", ["routing=default"]).routing
    for name, model in (("bert", bert), ("linear", linear), ("ensemble", ensemble)):
        cfg = PredictorConfig(model=str(model.save(tmp_path / name)), tracking_uri=f"sqlite:///{tmp_path}/m.db",
                              batch_size=16, device="cpu", precision=Precision.bf16)
        served = Predictor.from_config(cfg, routing=routing).classifier
        member = served.bert if name == "ensemble" else served
        if name != "linear":
            assert (member.precision, member.device.type, member.settings.batch_size) == (Precision.bf16, "cpu", 16)
        assert len(Predictor.from_config(cfg, routing=routing).predict_batch(TEXTS[:3])) == 3
    default = Predictor.load(str(tmp_path / "bert"), routing=routing).classifier  # the Python default: CPU, fp32
    assert (default.precision, default.device.type) == (Precision.fp32, "cpu")


def test_the_pyfunc_honours_serving_keys_in_model_config(classifier: BertClassifier, tmp_path: Path) -> None:
    from hotline_ml.config_files import write_config_files
    from hotline_ml.predict.pyfunc import load_predictor

    cfg = compose_config("serve", ["routing=default", "desensitize=default"])
    artifacts = {"checkpoint": str(classifier.save(tmp_path / "bert")),
                 **write_config_files(tmp_path / "configs", routing=cfg.routing, desensitize=cfg.desensitize)}
    plain = load_predictor(artifacts, {"model_name": "m", "run_id": "r"}).classifier  # absent keys: today's path
    assert (plain.precision, plain.device.type, plain.settings.batch_size, plain.is_int8) == (Precision.fp32, "cpu", 8,
                                                                                             False)
    tuned = load_predictor(artifacts, {"model_name": "m", "device": "cpu", "precision": "bf16", "batch_size": 5,
                                       "num_threads": torch.get_num_threads(), "int8": None}).classifier
    assert (tuned.precision, tuned.settings.batch_size, tuned.is_int8) == (Precision.bf16, 5, False)
    assert load_predictor(artifacts, {"int8": True, "device": "auto"}).classifier.is_int8
    with pytest.raises(ValueError, match=r"model_config\['int8'\] must be of type bool, got str 'false'"):
        load_predictor(artifacts, {"int8": "false"})
    with pytest.raises(ValueError, match=r"model_config\['batch_size'\] must be of type int, got bool"):
        load_predictor(artifacts, {"batch_size": True})
