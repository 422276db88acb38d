"""Byte-level BPE for text data, trained locally with the ``tokenizers`` library.

GPT-2 style: text is mapped to bytes (every byte has a symbol, so nothing is ever unknown),
then merges learnt on the training split only up to ``vocab_size`` ids; id 0 is
``<|endoftext|>``, which separates files. Training is deterministic for a given corpus and
size; the result is cached under ``~/.cache/taskctl-training/tokenizers/`` keyed by the
corpus sha256, the size and the library version, and written into each run directory
(``tokenizer.json``) so a run can always be decoded exactly as it was trained.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from training.errors import UsageError
from training.jsonio import atomic_write

EOT = "<|endoftext|>"
MIN_VOCAB = 257  # the 256 byte symbols + EOT
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "taskctl-training" / "tokenizers"


def _require():
    try:
        import tokenizers
    except ImportError:  # the training extra pins it; a bare install may lack it
        raise UsageError("tokenizer=bpe needs the 'tokenizers' package",
                         hint="pip install -e '.[training]'") from None
    return tokenizers


class BpeTokenizer:
    """Encode text <-> int32 ids with a trained byte-level BPE (``tokenizer.json``)."""

    def __init__(self, json_text: str):
        tk = _require()
        self.json = json_text
        self.sha256 = hashlib.sha256(json_text.encode()).hexdigest()
        self._tok = tk.Tokenizer.from_str(json_text)
        self.vocab_size = self._tok.get_vocab_size()
        self.eos_id = self._tok.token_to_id(EOT)

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self._tok.encode(text).ids, dtype=np.int32)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """Documents encoded in parallel, joined with EOT: one token stream."""
        out = []
        for enc in self._tok.encode_batch(texts):
            out.append(np.asarray(enc.ids, dtype=np.int32))
            out.append(np.asarray([self.eos_id], dtype=np.int32))
        return np.concatenate(out) if out else np.zeros(0, np.int32)

    def decode(self, ids) -> str:
        return self._tok.decode([int(i) for i in np.asarray(ids).tolist()])


def train_bpe(texts: list[str], vocab_size: int, corpus_sha256: str,
              cache_dir: Path | None | bool = True) -> BpeTokenizer:
    """A byte-level BPE of at most ``vocab_size`` ids learnt from ``texts``; cached in
    ``cache_dir`` (True: ``CACHE_DIR``; None/False: no cache)."""
    tk = _require()
    cache_dir = CACHE_DIR if cache_dir is True else (cache_dir or None)
    if vocab_size < MIN_VOCAB:
        raise UsageError(f"vocab_size {vocab_size} < {MIN_VOCAB}: a byte-level BPE needs the "
                         "256 byte symbols plus <|endoftext|>")
    key = f"{corpus_sha256[:16]}-v{vocab_size}-tk{tk.__version__}.json"
    cached = cache_dir / key if cache_dir else None
    if cached is not None and cached.is_file():
        return BpeTokenizer(cached.read_text())
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tk.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    json_text = tok.to_str()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, json_text)
    return BpeTokenizer(json_text)
