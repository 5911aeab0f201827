"""The character tokenizer: vocabulary, [UNK] rate, placeholders, save/load round trip, offline loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from hotline_ml.classify.tokenizer import (
    PLACEHOLDER_TOKENS,
    SPECIAL_TOKENS,
    build_tokenizer,
    build_vocab,
    load_tokenizer,
    unk_rate,
)


@pytest.fixture(scope="module")
def texts(small_corpus) -> list[str]:
    return small_corpus.orders["text"].tolist()


def test_vocab_has_specials_placeholders_and_characters(texts) -> None:
    vocab = build_vocab(texts[:1000], common_chars=3000, min_char_count=2)
    assert vocab[: len(SPECIAL_TOKENS)] == SPECIAL_TOKENS
    assert set(PLACEHOLDER_TOKENS) <= set(vocab) and {"##7", "a", "，"} <= set(vocab)
    assert len(vocab) == len(set(vocab))
    assert 3000 < len(vocab) < 4500  # corpus characters mostly overlap jieba's common ones


def test_round_trip_and_low_unk_rate(texts, tmp_path: Path) -> None:
    tok = build_tokenizer(texts[:1000], common_chars=3000, min_char_count=2)
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert len(again) == len(tok) == len(build_vocab(texts[:1000], 3000, 2))
    sample = "我叫[姓名]，电话[电话]，小区3号楼停水了ABC"
    assert again(sample).input_ids == tok(sample).input_ids
    assert "[电话]" in again.tokenize(sample) and "[姓名]" in again.tokenize(sample)
    # held-out texts (not used to build the vocabulary) rarely hit [UNK]
    assert unk_rate(again, texts[1000:2000]) < 0.005


def test_missing_local_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"pretrain_mlm\.py"):
        load_tokenizer(str(tmp_path / "models" / "nope"))
    # a relative "models/x" reads like a hub id; offline, the error still names it and the fix
    with pytest.raises(FileNotFoundError, match=r"'models/nope' is neither a directory"):
        load_tokenizer("models/nope")


def test_load_tokenizer_adds_placeholders_to_a_foreign_vocab(tmp_path: Path) -> None:
    from transformers import BertTokenizer

    vocab = {t: i for i, t in enumerate([*SPECIAL_TOKENS, "小", "区"])}
    BertTokenizer(vocab=vocab).save_pretrained(tmp_path)
    tok = load_tokenizer(str(tmp_path))
    assert all(p in tok.get_vocab() for p in PLACEHOLDER_TOKENS)
    assert tok.tokenize("小区[电话]") == ["小", "区", "[电话]"]
