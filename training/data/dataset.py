"""Datasets and batching. Every training batch is a pure function of (seed, step).

Sources (``TrainConfig.dataset``):
  ``golden-v3``     generated in memory from (golden_count, data_seed); ``golden-v2`` too
  a directory       a built golden copy (``python -m training data build``), sha-checked
  ``text:GLOB``     local text files; ``text:stdlib`` is this Python's stdlib sources
  ``passkey``/``niah``  synthetic retrieval rows generated per step (``SyntheticDataset``)
Split: the last ``val_fraction`` of the examples (golden) or of the token stream (text).

CLI: ``python -m training data build --dataset golden-v3 --count N --out DIR [--seed S]``.
"""

from __future__ import annotations

import glob
import hashlib
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from training.config import TrainConfig
from training.data import golden
from training.data.golden import Example
from training.data.tokenizer import EOS_ID, PAD_ID, ByteTokenizer
from training.errors import UsageError
from training.eval import prompts

MAX_TEXT_BYTES = 256 * 2**20  # refuse to slurp more than this from a text glob
TRAIN_HAYSTACK = "repeat"  # filler of passkey/niah training rows (see training/eval/prompts.py)
SYNTHETIC_VAL_ROWS = 512  # fixed held-out passkey/niah rows for val loss and exact match


class Batch(NamedTuple):
    """``inputs``/``targets``/``mask`` are [B, T]; mask is 1.0 where a target counts."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class DatasetInfo:
    key: str  # what the user asked for, e.g. "golden-v3" or "text:/x/*.py"
    name: str
    version: str
    sha256: str  # of the content the model trains on
    n_train: int  # examples (golden) or tokens (text)
    n_val: int
    tokenizer: str = "byte"  # "byte" or "bpe"
    tokenizer_sha256: str | None = None  # of tokenizer.json (bpe)


def collate(rows: list[tuple[np.ndarray, int]], seq_len: int) -> Batch:
    """Right-pad token rows to ``seq_len + 1``; loss only on targets at index >= start.

    Each row is ``(tokens, start)`` where ``start`` is the first target index that counts
    (the answer of a golden example). Padding is masked out.
    """
    n = len(rows)
    buf = np.full((n, seq_len + 1), PAD_ID, dtype=np.int32)
    mask = np.zeros((n, seq_len), dtype=np.float32)
    for i, (tokens, start) in enumerate(rows):
        buf[i, : len(tokens)] = tokens
        mask[i, start : len(tokens) - 1] = 1.0
    return Batch(buf[:, :-1], buf[:, 1:], mask)


class GoldenDataset:
    """Golden examples as padded rows: ``EOS prompt answer EOS``; loss on ``answer EOS``."""

    def __init__(self, examples: list[golden.Example], info: DatasetInfo, cfg: TrainConfig):
        self.info, self.seq_len = info, cfg.seq_len
        tok = ByteTokenizer()
        self.rows = []
        for e in examples:
            p, a = tok.encode(e.prompt), tok.encode(e.answer)
            tokens = np.concatenate([[EOS_ID], p, a, [EOS_ID]]).astype(np.int32)
            if len(tokens) > cfg.seq_len + 1:
                raise UsageError(f"golden example of {len(tokens)} tokens exceeds seq_len+1 "
                                 f"= {cfg.seq_len + 1}; raise seq_len")
            self.rows.append((tokens, len(p)))  # first answer token is target index len(p)
        self.n_train = info.n_train
        self.examples = examples
        self._perm_cache: dict[tuple[int, int], np.ndarray] = {}

    def _perm(self, seed: int, epoch: int) -> np.ndarray:
        if (seed, epoch) not in self._perm_cache:
            self._perm_cache = {(seed, epoch): np.random.default_rng([seed, epoch]).permutation(
                self.n_train)}
        return self._perm_cache[(seed, epoch)]

    def train_batch(self, seed: int, step: int, batch_size: int) -> Batch:
        """Examples ``step*B .. step*B+B-1`` of an endless sequence of shuffled epochs."""
        idx = []
        for i in range(step * batch_size, (step + 1) * batch_size):
            epoch, pos = divmod(i, self.n_train)
            idx.append(int(self._perm(seed, epoch)[pos]))
        return collate([self.rows[i] for i in idx], self.seq_len)

    def val_batches(self, batch_size: int, count: int) -> list[Batch]:
        val = self.rows[self.n_train :]
        return [collate([val[(b * batch_size + j) % len(val)] for j in range(batch_size)],
                        self.seq_len) for b in range(count)]

    def golden_val(self, count: int) -> list[golden.Example]:
        """Held-out examples for exact-match decoding."""
        return self.examples[self.n_train :][:count]


class TextDataset:
    """A byte stream; batches are random windows (offsets drawn from (seed, step))."""

    def __init__(self, tokens: np.ndarray, info: DatasetInfo, cfg: TrainConfig,
                 tokenizer_json: str | None = None):
        self.info, self.seq_len = info, cfg.seq_len
        self.tokenizer_json = tokenizer_json  # bpe: written to RUN_DIR/tokenizer.json
        self.train, self.val = tokens[: info.n_train], tokens[info.n_train :]
        if len(self.val) <= cfg.seq_len + 1 or len(self.train) <= cfg.seq_len + 1:
            raise UsageError(f"text corpus too small for seq_len {cfg.seq_len}")

    def _windows(self, stream: np.ndarray, offsets: np.ndarray) -> Batch:
        rows = np.stack([stream[o : o + self.seq_len + 1] for o in offsets]).astype(np.int32)
        return Batch(rows[:, :-1], rows[:, 1:], np.ones((len(offsets), self.seq_len), np.float32))

    def train_batch(self, seed: int, step: int, batch_size: int) -> Batch:
        rng = np.random.default_rng([seed, step])
        return self._windows(self.train, rng.integers(0, len(self.train) - self.seq_len - 1,
                                                      batch_size))

    def val_batches(self, batch_size: int, count: int) -> list[Batch]:
        rng = np.random.default_rng([2**31 - 1, 0])  # fixed: every eval sees the same windows
        return [self._windows(self.val, rng.integers(0, len(self.val) - self.seq_len - 1,
                                                     batch_size)) for _ in range(count)]

    def golden_val(self, count: int) -> list[golden.Example]:
        return []


class SyntheticDataset:
    """``passkey`` / ``niah``: the eval prompts of training/eval/prompts.py as training rows.

    A row is ``EOS prompt answer EOS`` of a length drawn uniformly from
    ``[task.min_length(), seq_len]``, the needle at a depth drawn uniformly from [0, 1], the
    filler from the ``TRAIN_HAYSTACK`` stream; the loss covers ``answer EOS`` only (as for
    golden data). Rows are a pure function of ``(seed, step)`` (stream ``TRAIN_STREAM``), so
    resume stays exact; validation rows come from a fixed stream of their own.
    """

    def __init__(self, cfg: TrainConfig):
        self.task = prompts.task(cfg.dataset)
        self.seq_len = cfg.seq_len
        self.min_len = self.task.min_length()
        if self.min_len > cfg.seq_len:
            raise UsageError(f"dataset {cfg.dataset} needs seq_len >= {self.min_len} "
                             f"(got {cfg.seq_len})", hint=f"add --set seq_len={self.min_len}")
        self.stream = prompts.haystack(TRAIN_HAYSTACK)
        sha = prompts.haystack_sha256(self.stream)
        self.info = DatasetInfo(cfg.dataset, f"synthetic-{cfg.dataset}",
                                f"{prompts.PROMPT_VERSION}", sha, 0, SYNTHETIC_VAL_ROWS)
        self.val = [self._example(np.random.default_rng([prompts.TRAIN_STREAM + 1, i]))
                    for i in range(SYNTHETIC_VAL_ROWS)]
        self.tok = ByteTokenizer()

    def _example(self, rng: np.random.Generator) -> Example:
        length = int(rng.integers(self.min_len, self.seq_len + 1))
        text, answer, _ = prompts.build(self.task, length, float(rng.random()), rng, self.stream)
        return Example(text, answer)

    def _collate(self, examples: list[Example]):
        rows = []
        for e in examples:
            p, a = self.tok.encode(e.prompt), self.tok.encode(e.answer)
            rows.append((np.concatenate([[EOS_ID], p, a, [EOS_ID]]).astype(np.int32), len(p)))
        return collate(rows, self.seq_len)

    def train_batch(self, seed: int, step: int, batch_size: int):
        rng = np.random.default_rng([prompts.TRAIN_STREAM, seed, step])
        return self._collate([self._example(rng) for _ in range(batch_size)])

    def val_batches(self, batch_size: int, count: int):
        return [self._collate([self.val[(b * batch_size + j) % SYNTHETIC_VAL_ROWS]
                               for j in range(batch_size)]) for b in range(count)]

    def golden_val(self, count: int) -> list[Example]:
        """Held-out prompts for greedy exact match (same format as golden examples)."""
        return self.val[:count]


def _split(n: int, val_fraction: float) -> int:
    return max(1, min(n - 1, int(round(n * (1 - val_fraction)))))


def text_files(pattern: str) -> list[Path]:
    if pattern == "stdlib":
        pattern = str(Path(sysconfig.get_paths()["stdlib"]) / "*.py")
    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not files:
        raise UsageError(f"text:{pattern} matches no files")
    return files


def load_dataset(cfg: TrainConfig) -> GoldenDataset | TextDataset | SyntheticDataset:
    """Resolve ``cfg.dataset`` into a dataset with a deterministic train/val split."""
    key = cfg.dataset
    if key in prompts.TASKS:
        return SyntheticDataset(cfg)
    if key in golden.VERSIONS:
        examples = golden.generate(cfg.golden_count, cfg.data_seed, key)
        name, sha, version = key, golden.content_sha256(examples), golden.VERSIONS[key]
    elif key.startswith("text:"):
        hasher, chunks, total = hashlib.sha256(), [], 0
        for path in text_files(key[len("text:"):]):
            blob = path.read_bytes()
            total += len(blob)
            if total > MAX_TEXT_BYTES:
                raise UsageError(f"{key} is over {MAX_TEXT_BYTES >> 20} MiB; narrow the glob")
            hasher.update(hashlib.sha256(blob).digest())
            chunks.append(np.frombuffer(blob, np.uint8))
        if cfg.tokenizer == "bpe":
            return _bpe_dataset(key, chunks, hasher.hexdigest(), cfg)
        tokens = np.concatenate(chunks).astype(np.uint16)
        n_train = _split(len(tokens), cfg.val_fraction)
        info = DatasetInfo(key, "text", "1", hasher.hexdigest(), n_train, len(tokens) - n_train)
        return TextDataset(tokens, info, cfg)
    elif Path(key).is_dir():
        examples, manifest = golden.load(Path(key))
        name, sha, version = manifest["name"], manifest["sha256"], manifest["version"]
    else:
        raise UsageError(f"unknown dataset {key!r}; use {' or '.join(golden.VERSIONS)}, a built "
                         "golden directory, "
                         f"text:GLOB or one of {', '.join(tuple(prompts.TASKS))}")
    n_train = _split(len(examples), cfg.val_fraction)
    info = DatasetInfo(key, name, version, sha, n_train, len(examples) - n_train)
    return GoldenDataset(examples, info, cfg)



def _bpe_dataset(key: str, chunks: list[np.ndarray], sha: str, cfg: TrainConfig) -> TextDataset:
    """Files as documents; the BPE is learnt on the train split (the first files), the
    split falls on a file boundary, and EOT separates files."""
    from training.data.bpe import train_bpe

    texts = [c.tobytes().decode("utf-8", errors="replace") for c in chunks]
    sizes = np.cumsum([len(c) for c in chunks])
    n_files = max(1, min(len(texts) - 1, int(np.searchsorted(
        sizes, sizes[-1] * (1 - cfg.val_fraction)))))
    if len(texts) < 2:
        raise UsageError(f"{key}: tokenizer=bpe needs at least 2 files (train and val)")
    tok = train_bpe(texts[:n_files], cfg.vocab_size, sha)
    if tok.vocab_size > cfg.vocab_size or cfg.vocab_size - tok.vocab_size >= 128:
        raise UsageError(f"{key}: the BPE learnt {tok.vocab_size} ids, but vocab_size is "
                         f"{cfg.vocab_size}: the corpus is too small for that many merges",
                         hint=f"--set vocab_size={-(-tok.vocab_size // 128) * 128}")
    train, val = tok.encode_documents(texts[:n_files]), tok.encode_documents(texts[n_files:])
    info = DatasetInfo(key, "text", "1", sha, len(train), len(val), "bpe", tok.sha256)
    return TextDataset(np.concatenate([train, val]), info, cfg, tok.json)
