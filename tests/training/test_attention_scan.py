"""Attention implementation choice and numerics; scanned layers equal the unrolled loop."""

from __future__ import annotations

import pytest

from tests.training.conftest import micro_config
from training.config import attention_impl, compute_dtype
from training.errors import ConfigError

pytestmark = pytest.mark.training


@pytest.mark.parametrize(("requested", "platform", "dtype", "want"), [
    ("auto", "gpu", "bfloat16", "cudnn"), ("auto", "cuda", "bfloat16", "cudnn"),
    ("auto", "gpu", "float32", "xla"),  # cuDNN has no f32 flash kernel
    ("auto", "cpu", "float32", "xla"), ("auto", "tpu", "bfloat16", "xla"),
    ("xla", "gpu", "bfloat16", "xla"), ("cudnn", "gpu", "bfloat16", "cudnn")])
def test_attention_is_chosen_per_device_and_dtype(requested, platform, dtype, want):
    assert attention_impl(requested, platform, dtype) == want


def test_cudnn_where_it_cannot_run_is_a_config_error():
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        attention_impl("cudnn", "cpu", "float32")


def test_auto_precision_is_bf16_on_accelerators_f32_on_cpu():
    assert [compute_dtype("auto", p) for p in ("cpu", "gpu", "tpu")] == \
        ["float32", "bfloat16", "bfloat16"]
    assert compute_dtype("float32", "gpu") == "float32"


def test_xla_attention_matches_a_reference_einsum():
    import jax
    import jax.numpy as jnp
    import numpy as np

    from training.model import causal_attention

    b, t, h, q = 2, 16, 3, 8
    kq, kk, kv = jax.random.split(jax.random.key(0), 3)
    qs, ks, vs = (jax.random.normal(k, (b, t, h, q)) for k in (kq, kk, kv))
    scores = jnp.einsum("bqhd,bkhd->bhqk", qs, ks) / np.sqrt(q)
    scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, -jnp.inf)
    want = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), vs)
    got = causal_attention(qs, ks, vs, "xla")
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_scanned_layers_compute_what_the_python_loop_computes():
    """Stack an unrolled model's per-layer params on a layer axis: same logits, same grads."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx

    from training.model import GPT

    loop_cfg = micro_config(scan_layers=False).model
    scan_cfg = micro_config(scan_layers=True).model
    unrolled = GPT(loop_cfg, nnx.Rngs(params=0), "cpu")
    scanned = GPT(scan_cfg, nnx.Rngs(params=1), "cpu")
    u_def, u_params = nnx.split(unrolled, nnx.Param)
    s_def, s_params = nnx.split(scanned, nnx.Param)
    u = nnx.to_pure_dict(u_params)
    s = nnx.to_pure_dict(s_params)
    layers = [u["blocks"][i] for i in range(loop_cfg.n_layers)]
    s["blocks"] = jax.tree.map(lambda *xs: jnp.stack(xs), *layers)
    for key in set(u) - {"blocks"}:  # wte, ln_f (and wpe with learned positions)
        s[key] = u[key]
    nnx.replace_by_pure_dict(s_params, s)
    tokens = jax.random.randint(jax.random.key(2), (2, 12), 0, loop_cfg.vocab_size)

    def loss(graphdef, params):
        return nnx.merge(graphdef, params)(tokens).mean()

    np.testing.assert_allclose(np.asarray(nnx.merge(s_def, s_params)(tokens)),
                               np.asarray(nnx.merge(u_def, u_params)(tokens)),
                               rtol=1e-5, atol=1e-5)
    g_scan = nnx.to_pure_dict(jax.grad(loss, argnums=1)(s_def, s_params))
    g_loop = nnx.to_pure_dict(jax.grad(loss, argnums=1)(u_def, u_params))
    np.testing.assert_allclose(np.asarray(g_scan["blocks"]["mlp"]["up"]["kernel"][1]),
                               np.asarray(g_loop["blocks"][1]["mlp"]["up"]["kernel"]),
                               rtol=1e-4, atol=1e-6)


def test_mfu_peak_type_follows_the_matmuls_actually_used():
    from training.bench.flops import matmul_dtype, nominal_peak

    assert matmul_dtype("bfloat16", "gpu", None) == "bf16"
    assert matmul_dtype("float32", "gpu", None) == "tf32"  # JAX default: TF32 tensor cores
    assert matmul_dtype("float32", "gpu", "highest") == "f32"
    assert matmul_dtype("float32", "cpu", None) == "f32"
    assert nominal_peak("NVIDIA H200", "tf32") == 494e12
    assert nominal_peak("NVIDIA H100 80GB HBM3", "bf16") == 989e12
    assert nominal_peak("cpu", "f32") is None


def test_rope_scores_depend_on_the_offset_only():
    """rope(q)[t] . rope(k)[s] is a function of t - s: shift both positions, same score."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from training.model import rope

    t, d = 12, 16
    q = jnp.broadcast_to(jax.random.normal(jax.random.key(1), (d,)), (1, t, 1, d))
    k = jnp.broadcast_to(jax.random.normal(jax.random.key(2), (d,)), (1, t, 1, d))
    scores = np.asarray(jnp.einsum("d,sd->s", rope(q)[0, 7, 0], rope(k)[0, :, 0]))
    shifted = np.asarray(jnp.einsum("d,sd->s", rope(q)[0, 10, 0], rope(k)[0, :, 0]))
    np.testing.assert_allclose(scores[:t - 3], shifted[3:], rtol=1e-5, atol=1e-5)
    assert np.ptp(scores) > 0.1  # and it does depend on the offset
    # a rotation: norms are kept, position 0 is left as it is
    np.testing.assert_allclose(np.linalg.norm(np.asarray(rope(q)), axis=-1),
                               np.linalg.norm(np.asarray(q), axis=-1), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(rope(q)[0, 0]), np.asarray(q[0, 0]), rtol=1e-6)


def test_rope_model_has_no_position_table_and_sees_order():
    """positions=rope drops the learned table (seq_len x d_model fewer params), and the same
    tokens in another order give other logits at the last position (order is seen)."""
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx

    from training.model import GPT, count_params

    learned = GPT(micro_config(positions="learned").model, nnx.Rngs(params=0))
    cfg = micro_config(positions="rope")
    model = GPT(cfg.model, nnx.Rngs(params=0))
    assert model.wpe is None
    assert count_params(learned) - count_params(model) == cfg.seq_len * cfg.d_model
    a = jnp.array([[5, 6, 7, 8, 9]])
    b = jnp.array([[6, 5, 7, 8, 9]])
    assert not np.allclose(np.asarray(model(a)[0, -1]), np.asarray(model(b)[0, -1]), atol=1e-6)
