"""golden-v3/v2 determinism, manifest, collation masks, batch purity, text corpus."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.training.conftest import REPO, micro_config
from training.data import golden
from training.data.dataset import collate, load_dataset
from training.data.tokenizer import EOS_ID, PAD_ID, ByteTokenizer
from training.errors import UsageError

pytestmark = pytest.mark.training


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training", "data", "build", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_worked_trace_is_correct_arithmetic():
    assert golden.worked_sum(345, 12) == "5+2+0=7,4+1+0=5,3+0+0=3;357"
    assert golden.worked_sum(999, 999).endswith(";1998")
    for e in golden.generate(300, seed=3, name="golden-v2"):
        a, b = map(int, e.prompt[:-1].split("+"))
        assert e.answer.split(";")[1] == str(a + b)


def test_golden_v3_is_fixed_width_and_correct():
    assert golden.example(345, 12) == golden.Example(
        "345+012=", "5+2+0=07,4+1+0=05,3+0+0=03;0357")
    assert golden.example(5, 7).answer == "5+7+0=12,0+0+1=01,0+0+0=00;0012"
    assert golden.example(999, 999).answer == "9+9+0=18,9+9+1=19,9+9+1=19;1998"
    v3, v2 = golden.generate(300, seed=3), golden.generate(300, seed=3, name="golden-v2")
    for e, old in zip(v3, v2, strict=True):
        a, b = map(int, e.prompt[:-1].split("+"))
        assert old.prompt == f"{a}+{b}="  # the same sums, in the same order, as golden-v2
        assert len(e.prompt) == 8 and len(e.answer) == 31  # every digit at a fixed place
        steps, total = e.answer.split(";")
        assert int(total) == a + b
        carry = 0
        for k, step in enumerate(steps.split(",")):  # column k, least significant first
            x, y, c, s = int(step[0]), int(step[2]), int(step[4]), int(step[6:])
            assert (x, y, c) == (a // 10**k % 10, b // 10**k % 10, carry) and s == x + y + c
            carry = s // 10


@pytest.mark.parametrize("version", ["golden-v3", "golden-v2"])
def test_build_same_seed_same_bytes_and_hash(tmp_path, version):
    for name in ("a", "b", "c"):
        seed = "1" if name == "c" else "0"
        out = str(tmp_path / name)
        args = ("--count", "150", "--out", out, "--seed", seed)
        args += ("--dataset", version) if version != "golden-v3" else ()  # v3: the default
        assert build(*args).returncode == 0
    blob = {n: (tmp_path / n / "examples.jsonl").read_bytes() for n in "abc"}
    man = {n: json.loads((tmp_path / n / "manifest.json").read_text()) for n in "abc"}
    assert blob["a"] == blob["b"] and man["a"]["sha256"] == man["b"]["sha256"]
    assert blob["a"] != blob["c"] and man["a"]["sha256"] != man["c"]["sha256"]
    assert {k: man["a"][k] for k in ("name", "version", "count", "seed")} == {
        "name": version, "version": golden.VERSIONS[version], "count": 150, "seed": 0}
    # The in-memory dataset is the same content as the built copy.
    assert golden.content_sha256(golden.generate(150, 0, version)) == man["a"]["sha256"]


def test_golden_v2_still_builds_and_loads_as_v2(tmp_path):
    out = tmp_path / "v2"
    assert build("--dataset", "golden-v2", "--count", "120", "--out", str(out)).returncode == 0
    man = json.loads((out / "manifest.json").read_text())
    assert (man["name"], man["version"]) == ("golden-v2", "2.0.0")
    info = load_dataset(micro_config(dataset=str(out))).info
    assert (info.name, info.version, info.sha256) == ("golden-v2", "2.0.0", man["sha256"])
    assert load_dataset(micro_config(dataset="golden-v2")).info.name == "golden-v2"
    proc = build("--dataset", "golden-v9", "--count", "120", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "golden-v3 or golden-v2" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_build_rejects_count_below_100(tmp_path):
    proc = build("--count", "99", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert "count must be >= 100" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x").exists()


def test_built_copy_is_verified(tmp_path):
    golden.build(120, 0, tmp_path)
    examples, _ = golden.load(tmp_path)
    assert len(examples) == 120
    p = tmp_path / "examples.jsonl"
    p.write_bytes(p.read_bytes().replace(b"+", b"-", 1))
    with pytest.raises(UsageError, match="does not match the manifest"):
        golden.load(tmp_path)


def test_collate_masks_only_answer_and_eos():
    tok = ByteTokenizer()
    p, a = tok.encode("1+2="), tok.encode("3")
    row = np.concatenate([[EOS_ID], p, a, [EOS_ID]])
    batch = collate([(row, len(p))], seq_len=10)
    assert batch.inputs.shape == batch.targets.shape == batch.mask.shape == (1, 10)
    masked = batch.targets[0][batch.mask[0] > 0].tolist()
    assert masked == [ord("3"), EOS_ID]
    assert batch.targets[0][-1] == PAD_ID and batch.mask[0][-1] == 0


def test_batches_are_pure_functions_of_seed_and_step():
    cfg = micro_config()
    d1, d2 = load_dataset(cfg), load_dataset(cfg)
    for step in (0, 7, 123):  # 123 * 8 > n_train: crosses an epoch boundary
        b1, b2 = d1.train_batch(5, step, 8), d2.train_batch(5, step, 8)
        assert all(np.array_equal(x, y) for x, y in zip(b1, b2, strict=True))
    assert not np.array_equal(d1.train_batch(5, 0, 8).inputs, d1.train_batch(6, 0, 8).inputs)


def test_split_is_held_out():
    ds = load_dataset(micro_config())
    train = {e.prompt for e in ds.examples[: ds.n_train]}
    val = ds.golden_val(100)
    assert val and not any(e.prompt in train for e in val)


def test_text_corpus_windows(tmp_path):
    (tmp_path / "a.txt").write_text("hello world " * 200)
    ds = load_dataset(micro_config(dataset=f"text:{tmp_path}/*.txt"))
    b = ds.train_batch(0, 0, 4)
    assert b.inputs.shape == (4, 48) and b.mask.min() == 1.0
    assert np.array_equal(b.inputs[:, 1:], b.targets[:, :-1])
    with pytest.raises(UsageError, match="matches no files"):
        load_dataset(micro_config(dataset=f"text:{tmp_path}/*.none"))
