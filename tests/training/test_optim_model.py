"""Schedule values, decay mask, gradient accumulation, model shapes, greedy decoding."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from tests.training.conftest import micro_config
from training.config import make_config
from training.data.dataset import load_dataset
from training.data.tokenizer import EOS_ID, PAD_ID
from training.evaluate import make_eval_step, make_generate
from training.model import GPT, count_params
from training.optim import decay_mask, lr_schedule, make_optimizer
from training.step import init_state, make_train_step, split_micro

pytestmark = pytest.mark.training


def test_schedule_warmup_then_cosine_to_min_lr():
    cfg = make_config("tiny", lr=1.0, min_lr=0.1, warmup_steps=10, steps=110)
    s = lr_schedule(cfg)
    got = {i: float(s(i)) for i in (0, 4, 9, 10, 59, 109, 500)}
    assert got[0] == pytest.approx(0.1) and got[4] == pytest.approx(0.5)
    assert got[9] == pytest.approx(1.0)  # end of warmup: peak
    assert got[59] == pytest.approx(0.55, abs=1e-6)  # halfway through the cosine
    assert got[109] == pytest.approx(0.1) and got[500] == pytest.approx(0.1)  # floor
    assert 0.99 < got[10] < 1.0


def test_decay_mask_only_kernels():
    model = GPT(micro_config().model, nnx.Rngs(0))
    mask = decay_mask(nnx.state(model, nnx.Param))
    flat = {jax.tree_util.keystr(p): v for p, v in jax.tree_util.tree_leaves_with_path(mask)}
    assert flat and all(v == ("kernel" in k) for k, v in flat.items())
    assert not any(v for k, v in flat.items() if "embedding" in k)


def test_gpt2_124m_constructs_with_the_real_parameter_count():
    """The GPT-2 small body; with GPT-2's padded vocab (50304) the real 124,475,904."""
    from training.bench.flops import param_count

    cfg = make_config("gpt2-124m")
    model = nnx.eval_shape(lambda: GPT(cfg.model, nnx.Rngs(0)))
    assert count_params(model) == param_count(cfg) == 124_475_904 - (50304 - 16384) * 768
    gpt2 = make_config("gpt2-124m", vocab_size=50304, tokenizer="byte")
    assert count_params(nnx.eval_shape(lambda: GPT(gpt2.model, nnx.Rngs(0)))) == 124_475_904


def test_model_is_causal():
    cfg = micro_config()
    model = GPT(cfg.model, nnx.Rngs(0))
    x = jnp.arange(cfg.seq_len)[None] % 200
    y = x.at[0, 30].set(7)
    a, b = model(x), model(y)
    assert a.shape == (1, cfg.seq_len, cfg.vocab_size) and a.dtype == jnp.float32
    np.testing.assert_array_equal(a[0, :30], b[0, :30])
    assert not np.allclose(a[0, 30:], b[0, 30:])


def _one_step(cfg, batch):
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    step = make_train_step(graphdef, cfg, tx)
    new_state, metrics = step(state, *split_micro(batch, cfg.grad_accum))
    return new_state, metrics


def test_grad_accumulation_matches_one_big_batch():
    """K micro-batches == one K-times batch up to float summation order (tolerance 1e-5)."""
    cfg1 = micro_config(batch_size=8, grad_accum=1)
    batch = load_dataset(cfg1).train_batch(0, 3, 8)
    s1, m1 = _one_step(cfg1, batch)
    s4, m4 = _one_step(micro_config(batch_size=8, grad_accum=4), batch)
    assert float(m1["loss"]) == pytest.approx(float(m4["loss"]), rel=1e-5)
    assert float(m1["grad_norm"]) == pytest.approx(float(m4["grad_norm"]), rel=1e-4)
    # Adam divides by sqrt(v): a gradient entry near zero turns summation-order noise into an
    # update of up to ~lr * 1e-3; 1e-5 absolute is far below any real accumulation bug (which
    # moves every parameter by ~lr = 1e-3) and above that noise (1.5e-6 seen on 2 cores)
    for a, b in zip(jax.tree.leaves(s1["params"]), jax.tree.leaves(s4["params"]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_bf16_compute_keeps_f32_params():
    cfg = micro_config(precision="bf16")
    state, metrics = _one_step(cfg, load_dataset(cfg).train_batch(0, 0, 8))
    assert {x.dtype for x in jax.tree.leaves(state["params"])} == {jnp.dtype("float32")}
    assert np.isfinite(float(metrics["loss"]))


def test_one_pass_exact_match_agrees_with_real_greedy_decoding():
    """Whatever the (untrained) model greedily decodes counts as an exact match for the
    one-pass check, and one changed token makes it a miss."""
    cfg = micro_config()
    graphdef, params = nnx.split(GPT(cfg.model, nnx.Rngs(1)), nnx.Param)
    prompt = [EOS_ID, ord("1"), ord("2"), ord("+"), ord("3"), ord("=")]
    buf = np.full((1, cfg.seq_len), PAD_ID, np.int32)
    buf[0, : len(prompt)] = prompt
    max_new = 10
    out = np.asarray(make_generate(graphdef, max_new)(params, buf, np.array([len(prompt)])))
    completion = out[0, len(prompt) : len(prompt) + max_new]
    # Force termination so the completion is a complete answer: append EOS if never emitted.
    gen = list(completion[: list(completion).index(EOS_ID) + 1] if EOS_ID in completion
               else completion)
    row = np.array(prompt + gen)
    inputs = np.full((1, cfg.seq_len), PAD_ID, np.int32)
    targets = np.full((1, cfg.seq_len), PAD_ID, np.int32)
    mask = np.zeros((1, cfg.seq_len), np.float32)
    inputs[0, : len(row) - 1], targets[0, : len(row) - 1] = row[:-1], row[1:]
    mask[0, len(prompt) - 1 : len(row) - 1] = 1
    eval_step = make_eval_step(graphdef)
    assert int(eval_step(params, inputs, targets, mask)[3]) == 1
    targets[0, len(prompt)] = (targets[0, len(prompt)] + 1) % 256
    assert int(eval_step(params, inputs, targets, mask)[3]) == 0
