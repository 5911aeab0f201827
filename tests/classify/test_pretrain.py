"""Masked-LM pre-training: whole-word masking, a tiny run from scratch, hold-out texts left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from hotline_ml.classify.features import LabelSpace
from hotline_ml.classify.model import load_for_finetuning
from hotline_ml.classify.pretrain import NO_WORD, WholeWordMaskCollator, pretrain_mlm, word_ids
from hotline_ml.classify.tokenizer import load_tokenizer
from hotline_ml.config import DataConfig, TextSource
from hotline_ml.data import pretraining_texts
from tests.helpers import SMALL_SYNTHETIC, compose_config


def test_word_ids_follow_jieba_words(tiny_bert_dir: Path) -> None:
    tok = load_tokenizer(str(tiny_bert_dir))
    text = "小区物业不管停车"
    enc = tok([text], return_offsets_mapping=True)
    ids = word_ids([text], enc["offset_mapping"])[0]
    assert ids[0] == NO_WORD and ids[-1] == NO_WORD  # [CLS], [SEP]
    chars = ids[1:-1]
    assert chars[0] == chars[1] and chars[2] == chars[3]  # 小区, 物业 are words
    assert chars[1] != chars[2]


def test_whole_words_are_masked_together(tiny_bert_dir: Path) -> None:
    tok = load_tokenizer(str(tiny_bert_dir))
    words = [NO_WORD] + [i // 2 for i in range(40)] + [NO_WORD]  # twenty 2-character words
    feature = {"input_ids": tok("小" * 40)["input_ids"], "word_ids": words}
    batch = WholeWordMaskCollator(tok, mlm_probability=0.2, seed=1)([feature, feature])
    assert batch["input_ids"].shape == batch["labels"].shape == (2, 42)
    for row in batch["labels"]:
        masked = (row != -100).nonzero().flatten().tolist()
        assert 7 <= len(masked) <= 9  # 20 % of 40 tokens, whole words only
        pairs = {words[p] for p in masked}
        assert len(masked) == 2 * len(pairs)  # both characters of every chosen word
        assert 0 not in masked and 41 not in masked


def test_pretrain_from_scratch_writes_a_checkpoint_that_finetunes(tmp_path: Path, small_corpus) -> None:
    cfg = compose_config("pretrain_mlm", [
        *SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv", f"output_dir={tmp_path}/mini",
        "trainer.max_steps=2", "trainer.per_device_train_batch_size=8", "+trainer.use_cpu=true",
        "+trainer.disable_tqdm=true", "architecture.num_hidden_layers=2", "architecture.hidden_size=32",
        "architecture.num_attention_heads=2", "architecture.intermediate_size=37", "tokenizer.common_chars=300",
        "max_texts=200",
    ])
    metrics = pretrain_mlm(cfg, small_corpus.orders["text"].head(300).tolist())
    assert metrics["n_texts"] == 200 and metrics["unk_rate"] < 0.02
    assert torch.isfinite(torch.tensor(metrics["eval_loss"]))
    assert (tmp_path / "mini" / "model.safetensors").is_file() and not (tmp_path / "mini" / "trainer").exists()
    tok = load_tokenizer(str(tmp_path / "mini"))
    model = load_for_finetuning(str(tmp_path / "mini"), tok, LabelSpace({"type_l1": ["a", "b"]}), {"type_l1": [1, 1]})
    assert model.config.num_hidden_layers == 2


def test_pretraining_texts_use_training_split_and_leave_out_holdout(tmp_path: Path, small_corpus) -> None:
    orders = small_corpus.orders
    holdout = orders.head(50)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    extra = pd.DataFrame({"body": ["额外的未标注文本，电话13812345678", *holdout["text"].head(5)]})
    extra.to_csv(tmp_path / "extra.csv", index=False)
    cfg = compose_config("pretrain_mlm", [*SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv",
                                          f"output_dir={tmp_path}/mini"])
    cfg.extra_texts = [TextSource(path=str(tmp_path / "extra.csv"), column="body")]
    cfg.holdout = DataConfig(name="h", path=str(tmp_path / "holdout.csv"), format=None, columns={},
                             required=["order_id", "created_at", "text"])
    texts = pretraining_texts(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, cfg.extra_texts, cfg.holdout)
    assert "额外的未标注文本，电话[电话]" in texts  # extra texts arrive desensitized
    from hotline_ml.data.splits import near_duplicate_key

    held = set(near_duplicate_key(holdout["text"]))
    assert not held & set(near_duplicate_key(pd.Series(texts)))
    assert 0.6 * len(orders) < len(texts) < 0.85 * len(orders)  # about the training split (80 %) minus hold-out


def test_pretraining_is_cached_by_its_settings_and_texts(tmp_path: Path) -> None:
    from hotline_ml.classify.pretrain import run_pretrain_job

    overrides = [*SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv", f"output_dir={tmp_path}/mini",
                 "trainer.max_steps=1", "trainer.per_device_train_batch_size=8", "+trainer.use_cpu=true",
                 "+trainer.disable_tqdm=true", "architecture.num_hidden_layers=1", "architecture.hidden_size=32",
                 "architecture.num_attention_heads=2", "architecture.intermediate_size=37",
                 "tokenizer.common_chars=300", "max_texts=100"]
    first = run_pretrain_job(compose_config("pretrain_mlm", overrides))
    weights = tmp_path / "mini" / "model.safetensors"
    written = weights.stat().st_mtime_ns
    again = run_pretrain_job(compose_config("pretrain_mlm", overrides))
    assert "cached" not in first.metrics and again.metrics["cached"] == 1.0
    assert weights.stat().st_mtime_ns == written and again.metrics["eval_loss"] == first.metrics["eval_loss"]
    changed = run_pretrain_job(compose_config("pretrain_mlm", [*overrides, "trainer.max_steps=2"]))
    assert "cached" not in changed.metrics and weights.stat().st_mtime_ns != written
