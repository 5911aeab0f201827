"""Domain-adaptive masked-LM pre-training on unlabelled appeal text, optionally with whole-word masking.

Government intranets are often air-gapped: from scratch, this builds the toolkit's compact Chinese BERT
(``hotline-bert-mini``: a character tokenizer from the corpus plus jieba's common characters, and a small
BERT); from a checkpoint, it continues pre-training (e.g. bert-base-chinese on a city's own work orders).
The output directory is a normal HF checkpoint that ``model.pretrained`` accepts.

Whole-word masking (as in chinese-roberta-wwm-ext): jieba segments each text into words, and a word is
masked as a whole (all its characters), so the model cannot recover 物 from 业 next to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
from dataclasses import asdict
from pathlib import Path

import datasets
import numpy as np
import torch
from transformers import (
    BertConfig,
    BertForMaskedLM,
    PreTrainedTokenizerBase,
    Trainer,
    set_seed,
)

from hotline_ml.classify.tokenizer import build_tokenizer, load_tokenizer, offline, unk_rate
from hotline_ml.classify.train import training_arguments
from hotline_ml.config import PretrainMlmConfig
from hotline_ml.data.prepared import pretraining_texts
from hotline_ml.record import RunRecord

log = logging.getLogger(__name__)
NO_WORD = -1
#: Written beside the checkpoint: the settings key and metrics of the run that wrote it (a rerun with the same
#: settings and texts keeps the checkpoint).
STAMP = "pretrain_settings.json"


def word_ids(texts: list[str], offsets: list[list[tuple[int, int]]]) -> list[list[int]]:
    """jieba word index of every token (``-1`` for special tokens), from the tokens' character offsets."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    out = []
    for text, offs in zip(texts, offsets, strict=True):
        char_word = np.empty(len(text), dtype=np.int64)
        pos = 0
        for w, word in enumerate(jieba.lcut(text, HMM=False)):  # dictionary words only: 2x faster
            char_word[pos:pos + len(word)] = w
            pos += len(word)
        out.append([int(char_word[s]) if e > s else NO_WORD for s, e in offs])
    return out


class WholeWordMaskCollator:
    """Pads a batch and masks ``mlm_probability`` of the tokens, whole words at a time (80/10/10 rule).

    Features carry ``input_ids`` and ``word_ids`` (from :func:`word_ids`); without ``word_ids`` every token
    is its own word (plain token masking).
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, mlm_probability: float = 0.15, seed: int = 0) -> None:
        self.tok = tokenizer
        self.p = mlm_probability
        self.rng = random.Random(seed)

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        ids = torch.full((len(features), width), self.tok.pad_token_id, dtype=torch.long)
        attention = torch.zeros_like(ids)
        labels = torch.full_like(ids, -100)
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            ids[i, :n] = torch.tensor(f["input_ids"])
            attention[i, :n] = 1
            words = f.get("word_ids") or [NO_WORD if t in self.tok.all_special_ids else j
                                          for j, t in enumerate(f["input_ids"])]
            for pos in self._positions(words):
                labels[i, pos] = ids[i, pos]
                r = self.rng.random()
                if r < 0.8:
                    ids[i, pos] = self.tok.mask_token_id
                elif r < 0.9:
                    ids[i, pos] = self.rng.randrange(len(self.tok))
        return {"input_ids": ids, "attention_mask": attention, "labels": labels}

    def _positions(self, words: list[int]) -> list[int]:
        groups: dict[int, list[int]] = {}
        for pos, w in enumerate(words):
            if w != NO_WORD:
                groups.setdefault(w, []).append(pos)
        order = list(groups)
        self.rng.shuffle(order)
        budget = max(1, round(self.p * sum(len(g) for g in groups.values())))
        chosen: list[int] = []
        for w in order:
            if len(chosen) >= budget:
                break
            if len(chosen) + len(groups[w]) <= budget + 1:  # never overshoot by more than one token
                chosen += groups[w]
        return chosen


def run_pretrain_job(cfg: PretrainMlmConfig) -> RunRecord:
    """The pre-training job: masked texts through the data door (the training split of ``cfg.data``, the
    ``extra_texts`` files, minus the ``holdout`` texts) -> :func:`pretrain_mlm` -> the run record. A checkpoint
    already pre-trained with the same settings and texts (:data:`STAMP`) is kept, not trained again."""
    texts = pretraining_texts(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, cfg.extra_texts, cfg.holdout)
    key = settings_key(cfg, texts)
    stamp = Path(cfg.output_dir) / STAMP
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")).get("key") == key:
        metrics = json.loads(stamp.read_text(encoding="utf-8"))["metrics"] | {"cached": 1.0}
        log.info("%s holds a checkpoint pre-trained with these settings and texts: kept (delete %s to train "
                 "again)", cfg.output_dir, stamp)
    else:
        metrics = pretrain_mlm(cfg, texts)
        stamp.write_text(json.dumps({"key": key, "metrics": metrics}, indent=1), encoding="utf-8")
    checkpoint = str(Path(cfg.output_dir).resolve())
    summary = f"checkpoint written to {cfg.output_dir}: " + json.dumps(metrics, indent=1)
    return RunRecord(metrics=metrics, tags={"checkpoint": checkpoint}, summary=summary)


def settings_key(cfg: PretrainMlmConfig, texts: list[str]) -> str:
    """Identity of a pre-training: every setting but tracking, and the texts (a digest)."""
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("tracking", "paths")}
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    return h.hexdigest()[:20]


def pretrain_mlm(cfg: PretrainMlmConfig, texts: list[str]) -> dict[str, float]:
    """Pre-train and save a masked-LM checkpoint to ``cfg.output_dir``.

    Args:
        cfg: Pre-training settings (``init_from``, architecture, tokenizer, trainer, masking).
        texts: Unlabelled, desensitized appeal texts; 2 % (at least one) is held out for evaluation.

    Returns:
        ``train_loss``, ``eval_loss``, ``eval_perplexity``, ``unk_rate``, ``vocab_size``, ``n_texts``.
    """
    set_seed(cfg.seed)
    texts = [t for t in texts if t and t.strip()]
    if cfg.max_texts is not None and len(texts) > cfg.max_texts:
        texts = random.Random(cfg.seed).sample(texts, cfg.max_texts)
    if len(texts) < 2:
        raise ValueError(f"pretrain_mlm: {len(texts)} non-empty texts; need at least 2")
    tokenizer, model = _tokenizer_and_model(cfg, texts)
    n_eval = max(1, len(texts) // 50)
    sets = {name: _encode(tokenizer, part, cfg) for name, part in (("train", texts[n_eval:]), ("eval", texts[:n_eval]))}
    args = training_arguments(cfg.trainer, str(Path(cfg.output_dir) / "trainer"), cfg.seed,
                              remove_unused_columns=False)
    trainer = Trainer(model=model, args=args, train_dataset=sets["train"], eval_dataset=sets["eval"],
                      data_collator=WholeWordMaskCollator(tokenizer, cfg.mlm_probability, cfg.seed),
                      processing_class=tokenizer)
    train_out = trainer.train()
    eval_loss = float(trainer.evaluate()["eval_loss"])
    out = Path(cfg.output_dir)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    shutil.rmtree(out / "trainer", ignore_errors=True)
    return {"train_loss": float(train_out.training_loss), "eval_loss": eval_loss,
            "eval_perplexity": float(np.exp(min(eval_loss, 50))), "unk_rate": unk_rate(tokenizer, texts[:2000]),
            "vocab_size": float(len(tokenizer)), "n_texts": float(len(texts))}


def _tokenizer_and_model(cfg: PretrainMlmConfig, texts: list[str]) -> tuple[PreTrainedTokenizerBase, BertForMaskedLM]:
    if cfg.init_from == "scratch":
        tokenizer = build_tokenizer(texts, cfg.tokenizer.common_chars, cfg.tokenizer.min_char_count)
        config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                            **asdict(cfg.architecture))
        return tokenizer, BertForMaskedLM(config)
    tokenizer = load_tokenizer(cfg.init_from)
    model = BertForMaskedLM.from_pretrained(cfg.init_from, local_files_only=offline(cfg.init_from))
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    return tokenizer, model


def _encode(tokenizer: PreTrainedTokenizerBase, texts: list[str], cfg: PretrainMlmConfig) -> datasets.Dataset:
    enc = tokenizer(texts, truncation=True, max_length=cfg.max_length, return_offsets_mapping=cfg.whole_word_masking)
    columns = {"input_ids": enc["input_ids"]}
    if cfg.whole_word_masking:
        columns["word_ids"] = word_ids(texts, enc["offset_mapping"])
    return datasets.Dataset.from_dict(columns)
