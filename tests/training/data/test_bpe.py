"""Byte-level BPE for text datasets: deterministic, lossless, sized as configured, saved."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.training.conftest import micro_config
from training.errors import ConfigError

pytestmark = pytest.mark.training

WORDS = ("def return import class lambda yield async await value index result " * 3).split()


def _corpus(tmp_path, files: int = 6):
    rng = np.random.default_rng(0)
    for i in range(files):
        lines = [" ".join(rng.choice(WORDS, 8)) + f"  # é ünïcode {j}" for j in range(400)]
        (tmp_path / f"f{i}.txt").write_text("\n".join(lines) + "\n")
    return f"text:{tmp_path}/*.txt"


def test_training_is_deterministic_and_lossless():
    from training.data.bpe import train_bpe

    texts = ["def f(x):\n    return x + 1  # é\n" * 50, "class A:\n    pass\n" * 50]
    a = train_bpe(texts, 384, "sha", cache_dir=None)
    b = train_bpe(texts, 384, "sha", cache_dir=None)
    assert a.json == b.json and a.sha256 == b.sha256
    text = "def g(y):\n    return y * 2  # ünseen ✓\n"
    ids = a.encode(text)
    assert a.decode(ids) == text and len(ids) < len(text.encode())  # merges happened
    assert a.vocab_size <= 384 and a.eos_id == 0


def test_dataset_uses_every_id_of_a_vocab_padded_to_128(tmp_path, monkeypatch):
    from training.data import bpe
    from training.data.dataset import load_dataset

    monkeypatch.setattr(bpe, "CACHE_DIR", tmp_path / "cache")
    cfg = micro_config(dataset=_corpus(tmp_path), tokenizer="bpe", vocab_size=384,
                       seq_len=32)
    ds = load_dataset(cfg)
    assert ds.info.tokenizer == "bpe" and len(ds.info.tokenizer_sha256) == 64
    assert 384 - 128 < bpe.BpeTokenizer(ds.tokenizer_json).vocab_size <= 384
    assert int(max(ds.train.max(), ds.val.max())) < 384
    assert list((tmp_path / "cache").iterdir())  # cached for the next run
    again = load_dataset(cfg)
    assert again.info == ds.info and np.array_equal(again.train, ds.train)
    too_big = micro_config(dataset=cfg.dataset, tokenizer="bpe", vocab_size=8192, seq_len=32)
    with pytest.raises(Exception, match="corpus is too small"):
        load_dataset(too_big)


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"tokenizer": "bpe"}, "tokenizer=bpe is for text:GLOB"),
    ({"tokenizer": "bpe", "dataset": "text:x", "vocab_size": 400}, "multiple of 128"),
])
def test_bpe_config_checks(overrides, needle):
    with pytest.raises(ConfigError, match=needle):
        micro_config(**overrides)


def test_a_bpe_run_saves_its_tokenizer(tmp_path, monkeypatch):
    from training.data import bpe
    from training.train import RunOptions, train_and_evaluate

    monkeypatch.setattr(bpe, "CACHE_DIR", tmp_path / "cache")
    cfg = micro_config(dataset=_corpus(tmp_path / "data" if (tmp_path / "data").mkdir() is None
                                       else tmp_path), tokenizer="bpe", vocab_size=384,
                       seq_len=32, steps=2)
    train_and_evaluate(cfg, tmp_path / "run", RunOptions(device="cpu"))
    saved = (tmp_path / "run" / "tokenizer.json").read_text()
    prov = json.loads((tmp_path / "run" / "provenance.json").read_text())["dataset"]
    assert prov["tokenizer"] == "bpe"
    assert prov["tokenizer_sha256"] == bpe.BpeTokenizer(saved).sha256
