"""Character tokenizer for the toolkit's own compact Chinese BERT, and tokenizer loading for any checkpoint.

Chinese BERTs (bert-base-chinese, chinese-roberta-wwm-ext, rbt3) take one token per Chinese character, with
WordPiece for Latin letters and digits. The compact ``hotline-bert-mini`` gets the same kind of vocabulary:
special tokens, the masking placeholders (``[电话]`` ...) as single tokens, ASCII letters/digits with their
``##`` continuations, punctuation, every corpus character seen often enough, and the most frequent characters
of jieba's dictionary, so unseen appeals rarely hit ``[UNK]``. It is saved in the standard HF format.

Beware (transformers 5.x): ``BertTokenizerFast(vocab_file=...)`` silently ignores the file; the vocabulary is
passed as a dict to ``BertTokenizer(vocab=...)`` here, and saved tokenizers are loaded with
``from_pretrained(dir)``. Tests assert the vocabulary size and the [UNK] rate.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from transformers import AutoTokenizer, BertTokenizer, PreTrainedTokenizerBase

from hotline_ml.data.desensitize import PLACEHOLDERS

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
#: Masking placeholders, kept as single tokens by every tokenizer the toolkit uses.
PLACEHOLDER_TOKENS = list(PLACEHOLDERS.values())
_PUNCT = list("，。！？、；：“”‘’（）《》【】…—·～%+-*/=<>@#&_.,!?;:'\"()[]{}")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@cache
def jieba_common_chars(n: int) -> tuple[str, ...]:
    """The ``n`` most frequent CJK characters of jieba's dictionary (weighted by word frequency)."""
    import jieba

    counts: Counter = Counter()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            for ch in word:
                if _is_cjk(ch):
                    counts[ch] += int(freq)
    return tuple(ch for ch, _ in counts.most_common(n))


def build_vocab(texts: Iterable[str], common_chars: int = 6000, min_char_count: int = 2) -> list[str]:
    """Vocabulary (token list, index = id) for a character-level Chinese BERT.

    Args:
        texts: Corpus texts (already desensitized: placeholders are added as whole tokens anyway).
        common_chars: Most frequent characters of jieba's dictionary to add.
        min_char_count: Corpus characters seen fewer times are not added.
    """
    counts: Counter = Counter()
    for t in texts:
        counts.update(t)
    ascii_tokens = list(string.digits + string.ascii_lowercase)
    vocab = [*SPECIAL_TOKENS, *PLACEHOLDER_TOKENS, *ascii_tokens, *(f"##{c}" for c in ascii_tokens), *_PUNCT]
    seen = set(vocab)
    corpus_chars = sorted((ch for ch, c in counts.items() if c >= min_char_count and _is_cjk(ch)),
                          key=lambda ch: (-counts[ch], ch))
    for ch in [*corpus_chars, *jieba_common_chars(common_chars)]:
        if ch not in seen:
            seen.add(ch)
            vocab.append(ch)
    return vocab


def build_tokenizer(texts: Iterable[str], common_chars: int = 6000, min_char_count: int = 2) -> BertTokenizer:
    """A character-level BertTokenizer over :func:`build_vocab`, placeholders registered as special tokens."""
    vocab = build_vocab(texts, common_chars, min_char_count)
    tok = BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, tokenize_chinese_chars=True)
    tok.add_special_tokens({"additional_special_tokens": PLACEHOLDER_TOKENS})
    if len(tok) != len(vocab):  # the placeholders are in the vocabulary already: nothing may be appended
        raise AssertionError(f"tokenizer has {len(tok)} tokens, vocabulary {len(vocab)}")
    return tok


def is_local(pretrained: str) -> bool:
    """Whether ``pretrained`` names a local directory (then nothing is fetched)."""
    return Path(pretrained).is_dir()


def load_tokenizer(pretrained: str) -> PreTrainedTokenizerBase:
    """Load a checkpoint's tokenizer offline-first and make sure the masking placeholders are single tokens.

    Raises:
        FileNotFoundError: A local-looking path that does not exist (a clear message instead of a hub lookup).
    """
    _check_exists(pretrained)
    try:
        tok = AutoTokenizer.from_pretrained(pretrained, local_files_only=offline(pretrained))
    except OSError as e:  # "models/x" reads as a hub id: say what was looked for, locally and on the hub
        raise FileNotFoundError(_missing_message(pretrained)) from e
    missing = [p for p in PLACEHOLDER_TOKENS if p not in tok.get_vocab()]
    if missing:  # e.g. bert-base-chinese: the model's embeddings are resized to match
        tok.add_special_tokens({"additional_special_tokens": missing})
    return tok


def offline(pretrained: str) -> bool:
    """Never touch the network for a local directory or when ``HF_HUB_OFFLINE`` is set."""
    import os

    return is_local(pretrained) or os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False")


def _missing_message(pretrained: str) -> str:
    return (f"checkpoint {pretrained!r} is neither a directory (working directory {Path.cwd()}) nor in the local "
            "model cache, and this machine has no model hub. For hotline-bert-mini run "
            "`python training/pretrain_mlm.py` first (`make demo` does); for a hub model download it once where "
            "there is internet and set model.pretrained=/path/to/it.")


def _check_exists(pretrained: str) -> None:
    looks_local = pretrained.startswith((".", "/", "~")) or pretrained.count("/") > 1
    if looks_local and not is_local(pretrained):
        raise FileNotFoundError(_missing_message(pretrained))


def unk_rate(tokenizer: PreTrainedTokenizerBase, texts: Iterable[str]) -> float:
    """Share of tokens that are [UNK] over ``texts``."""
    unk, total = 0, 0
    for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        unk += sum(1 for i in ids if i == tokenizer.unk_token_id)
        total += len(ids)
    return unk / max(1, total)
