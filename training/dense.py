"""``Dense``: ``nnx.Linear`` (same parameters, same initialisation) whose weight gradient
takes XLA:CPU's fast matmul path.

Why: XLA:CPU runs a dot through YNNPACK only when its left operand is row-major with the
contracted dimension last. The weight gradient of ``y = x @ W`` contracts over the tokens,
``dW = x^T @ dy``, so its left operand is transposed; XLA then copies ``dy`` into a transposed
layout and runs the dot on its slower Eigen path (63-71 GFLOP/s against 100-130 for the same
shapes through YNNPACK on one core of this machine; profile in docs/performance.md, "Where the
CPU step's time goes"). Here the backward pass materialises ``x^T`` itself (the smaller
operand when ``in_features <= out_features``) behind an optimisation barrier, so XLA cannot
fold the transpose back into the dot, and the dot is the canonical ``[K, M] @ [M, N]``.

Only on CPU (``cpu_layout=True``; the model sets it from its platform): on GPUs and TPUs the
matmul libraries take transposed operands natively and the extra copy would only cost.
"""

from __future__ import annotations

import jax
from flax import nnx
from jax import lax


def _materialised_t(a: jax.Array) -> jax.Array:
    """``a.T`` as its own row-major buffer (a copy XLA may not fold into the consumer)."""
    return lax.optimization_barrier(lax.optimization_barrier(a).T)


@jax.custom_vjp
def cpu_matmul(x: jax.Array, w: jax.Array) -> jax.Array:
    """``x[M, K] @ w[K, N]`` with a CPU-friendly weight gradient (see the module docstring)."""
    return x @ w


def _fwd(x, w):
    return x @ w, (x, w)


def _bwd(res, g):
    x, w = res
    dx = lax.dot_general(g, w, (((1,), (1,)), ((), ())))  # g @ w.T: YNNPACK takes this form
    if x.shape[1] <= g.shape[1]:
        dw = _materialised_t(x) @ g
    else:
        # in > out (the MLP's down projection): XLA copies the small g^T and runs a dot
        # with a transposed lhs; transposing x instead (4x larger) measured slower
        dw = lax.dot_general(x, g, (((0,), (0,)), ((), ())))
    return dx, dw


cpu_matmul.defvjp(_fwd, _bwd)


class Dense(nnx.Linear):
    """``nnx.Linear`` plus ``cpu_layout``: when True, the matmul runs as :func:`cpu_matmul`
    on ``[tokens, features]`` (inputs of any rank are flattened to 2-D and back)."""

    def __init__(self, *args, cpu_layout: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.cpu_layout = cpu_layout

    def __call__(self, inputs: jax.Array, out_sharding=None) -> jax.Array:
        if not self.cpu_layout or out_sharding is not None:
            return super().__call__(inputs, out_sharding)
        bias = self.bias[...] if self.bias is not None else None
        inputs, kernel, bias = self.promote_dtype((inputs, self.kernel[...], bias),
                                                  dtype=self.dtype)
        lead = inputs.shape[:-1]
        y = cpu_matmul(inputs.reshape(-1, inputs.shape[-1]), kernel)
        if bias is not None:
            y = y + bias
        return y.reshape(*lead, y.shape[-1])
