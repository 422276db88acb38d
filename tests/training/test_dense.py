"""``training.dense.Dense``: nnx.Linear's parameters and numerics, with a weight gradient that
XLA:CPU runs as a canonical (YNNPACK-eligible) dot."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.training


def _pair(d_in: int, d_out: int):
    from flax import nnx

    from training.dense import Dense

    fast = Dense(d_in, d_out, rngs=nnx.Rngs(params=3), cpu_layout=True)
    plain = nnx.Linear(d_in, d_out, rngs=nnx.Rngs(params=3))
    return fast, plain


@pytest.mark.parametrize(("d_in", "d_out"), [(32, 96), (96, 32)])
def test_dense_has_linear_params_outputs_and_gradients(d_in, d_out):
    import jax
    import numpy as np
    from flax import nnx

    fast, plain = _pair(d_in, d_out)
    fs, ps = nnx.state(fast, nnx.Param), nnx.state(plain, nnx.Param)
    assert jax.tree.structure(fs) == jax.tree.structure(ps)
    for a, b in zip(jax.tree.leaves(fs), jax.tree.leaves(ps), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # same init, same names
    x = jax.random.normal(jax.random.key(0), (4, 16, d_in))

    def loss(model, x):
        return (model(x) ** 2).sum()

    np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(plain(x)), rtol=1e-6, atol=1e-6)
    gf = nnx.grad(loss, argnums=(0, 1))(fast, x)
    gp = nnx.grad(loss, argnums=(0, 1))(plain, x)
    for a, b in zip(jax.tree.leaves(gf), jax.tree.leaves(gp), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_weight_gradient_dot_has_a_canonical_lhs_on_cpu():
    """The point of Dense: no dot contracting the lhs's leading (token) dimension, which
    XLA:CPU cannot give to YNNPACK (nnx.Linear's gradient has one)."""
    import jax
    from flax import nnx

    def token_contracting_dots(model) -> int:
        graphdef, params = nnx.split(model)

        def loss(p, x):
            return (nnx.merge(graphdef, p)(x) ** 2).sum()

        x = jax.numpy.ones((256, 64))
        hlo = jax.jit(jax.grad(loss)).lower(params, x).compile().as_text()
        return len(re.findall(r"dot\([^)]*\), lhs_contracting_dims=\{0\}", hlo))

    fast, plain = _pair(64, 192)
    assert token_contracting_dots(plain) >= 1  # the layout problem exists without Dense
    assert token_contracting_dots(fast) == 0
