"""Prompt construction: exact lengths, depth placement, determinism, the training rows."""

from __future__ import annotations

import numpy as np
import pytest

from training.errors import UsageError
from training.eval import prompts

pytestmark = pytest.mark.training

STREAM = "".join(f"{i}+{i}={2 * i}\n" for i in range(2000))  # a small stand-in haystack


@pytest.mark.parametrize("name", sorted(prompts.TASKS))
@pytest.mark.parametrize("length", [130, 200, 257])
def test_every_prompt_has_exactly_the_requested_length(name, length):
    for p in prompts.eval_prompts(name, [length], [0, 0.3, 1], 3, 0, STREAM):
        assert 1 + len(p.text) + len(p.answer) == length  # EOS + prompt + answer
        assert p.text.isascii() and p.answer.isdigit()
        assert len(p.answer) == prompts.TASKS[name].digits


def test_depth_puts_the_needle_at_that_fraction_of_the_filler():
    items = prompts.eval_prompts("passkey", [160], [0, 0.25, 0.5, 0.75, 1], 1, 7, STREAM)
    tk = prompts.TASKS["passkey"]
    needle = tk.needle.format(key="", value=items[0].answer)
    question = tk.question
    budget = 160 - 1 - len(needle) - len(question) - len(items[0].answer)
    for p in items:
        assert p.needle_at == round(p.depth * budget)
        assert p.text[p.needle_at : p.needle_at + len(needle)] == needle
        assert p.text.endswith(question)
        assert p.text.count("pass key is") == 2  # the needle and the question, nothing else
    assert items[0].text.startswith(needle)  # depth 0: first thing in the context
    assert items[-1].text.endswith(needle + question)  # depth 1: right before the question
    # the filler around the needle is the same window at every depth: only depth moves
    fillers = {p.text.replace(needle, "", 1) for p in items}
    assert len(fillers) == 1


def test_same_seed_same_prompts_other_seed_other_keys():
    a = prompts.eval_prompts("niah", [200], [0, 1], 4, 3, STREAM)
    b = prompts.eval_prompts("niah", [200], [0, 1], 4, 3, STREAM)
    c = prompts.eval_prompts("niah", [200], [0, 1], 4, 4, STREAM)
    assert a == b
    assert [p.answer for p in a] != [p.answer for p in c]
    assert len({p.answer for p in a}) == 4  # one value per trial, shared across depths


def test_a_length_too_short_for_the_prompt_is_a_usage_error():
    tk = prompts.TASKS["passkey"]
    with pytest.raises(UsageError, match=f"needs >= {tk.min_length()} tokens"):
        prompts.eval_prompts("passkey", [tk.min_length() - 1], [0.5], 1, 0, STREAM)
    with pytest.raises(UsageError, match="unknown eval task 'nope'"):
        prompts.task("nope")


def test_golden_haystack_is_fixed_and_ascii():
    stream = prompts.haystack("golden")
    assert len(stream) == prompts.HAYSTACK_BYTES and stream.isascii()
    assert stream.startswith("3+92=3+2+0=5,0+9+0=9;95\n")  # golden-v2 seed 0, first example
    assert prompts.haystack_sha256(stream) == prompts.haystack_sha256(prompts.haystack("golden"))


def test_training_rows_are_a_pure_function_of_seed_and_step():
    from tests.training.conftest import micro_config
    from training.data.dataset import load_dataset
    from training.data.tokenizer import EOS_ID

    ds = load_dataset(micro_config(dataset="passkey", seq_len=96))
    a, b = ds.train_batch(0, 5, 8), ds.train_batch(0, 5, 8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a.inputs, ds.train_batch(0, 6, 8).inputs)
    for row in range(8):  # the loss covers the answer digits and the closing EOS only
        targets = a.targets[row][a.mask[row] > 0]
        assert targets[-1] == EOS_ID and len(targets) == 6
        assert bytes(targets[:-1].tolist()).decode().isdigit()
    assert ds.golden_val(2)[0].answer.isdigit()
    with pytest.raises(UsageError, match="needs seq_len >= "):
        load_dataset(micro_config(dataset="passkey", seq_len=48))
