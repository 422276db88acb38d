"""Config: presets, typed --set overrides, checks, resume compatibility."""

from __future__ import annotations

import pytest

from training.config import PRESETS, TrainConfig, incompatible_keys, make_config, parse_set_options
from training.errors import ConfigError

pytestmark = pytest.mark.training


def test_presets_build_and_differ():
    cfgs = {name: make_config(name) for name in PRESETS}
    assert cfgs["tiny"].n_layers == 4 and cfgs["tiny"].d_model == 256
    assert cfgs["gpt2-124m"].vocab_size == 16384 and cfgs["gpt2-124m"].seq_len == 1024
    assert cfgs["gpt2-124m"].tokenizer == "bpe" and cfgs["gpt2-124m"].vocab_size % 128 == 0
    assert len({c.hash() for c in cfgs.values()}) == len(cfgs)


def test_set_parses_by_declared_type():
    cfg = make_config("tiny", parse_set_options(["lr=3e-4", "n_layers=2", "precision=bf16"]))
    assert (cfg.lr, cfg.n_layers, cfg.precision) == (3e-4, 2, "bf16")


@pytest.mark.parametrize(("item", "needle"), [
    ("nope=1", "unknown config key 'nope'"),
    ("n_layers=2.5", "n_layers=2.5: expected int"),
    ("lr=fast", "lr=fast: expected float"),
    ("precision=fp16", "expected one of auto, f32, bf16"),
])
def test_bad_overrides_are_one_line_errors(item, needle):
    with pytest.raises(ConfigError) as info:
        make_config("tiny", parse_set_options([item]))
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_post_init_collects_every_problem():
    with pytest.raises(ConfigError) as info:
        TrainConfig(d_model=250, n_heads=4, batch_size=10, grad_accum=3, steps=0)
    msg = str(info.value)
    assert "not divisible by n_heads" in msg and "grad_accum" in msg and "steps must be > 0" in msg


def test_malformed_set_item():
    with pytest.raises(ConfigError, match="key=value"):
        parse_set_options(["lr"])


def test_incompatible_keys_ignore_loop_only_keys():
    saved = make_config("tiny", steps=10).to_dict()
    assert incompatible_keys(saved, make_config("tiny", steps=20, keep=5, patience=3)) == []
    assert incompatible_keys(saved, make_config("tiny", d_model=128, lr=1e-3)) == ["d_model",
                                                                                    "lr"]


def test_a_key_the_checkpoint_predates_counts_as_its_default():
    """A run saved before ``positions`` existed had learned positions: it resumes into the
    default, and into rope only as an incompatible change."""
    saved = make_config("tiny").to_dict()
    del saved["positions"]
    assert incompatible_keys(saved, make_config("tiny")) == []
    assert incompatible_keys(saved, make_config("tiny", positions="rope")) == ["positions"]


def test_rope_needs_an_even_head_dim():
    make_config("tiny", positions="rope", d_model=64, n_heads=4)  # head dim 16
    with pytest.raises(ConfigError, match="positions=rope needs an even head dim"):
        make_config("tiny", positions="rope", d_model=60, n_heads=4)  # head dim 15
    with pytest.raises(ConfigError, match="expected one of learned, rope"):
        make_config("tiny", parse_set_options(["positions=alibi"]))
