"""Evaluation: masked loss / perplexity / next-token accuracy, and greedy exact match.

Pure jitted functions of ``(params, batch)``; the host-side helpers only stack results.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from training.data.dataset import Batch
from training.data.golden import Example
from training.data.tokenizer import EOS_ID, PAD_ID, ByteTokenizer


def masked_stats(logits: jax.Array, targets: jax.Array, mask: jax.Array):
    """(sum of masked cross-entropy, masked token count, masked correct argmax count)."""
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, targets)
    correct = (jnp.argmax(logits, -1) == targets).astype(jnp.float32)
    return jnp.sum(ce * mask), jnp.sum(mask), jnp.sum(correct * mask)


def make_eval_step(graphdef: nnx.GraphDef) -> Callable:
    """``eval_step(params, inputs, targets, mask)`` -> (loss_sum, n, correct, exact, rows).

    ``exact`` counts rows whose every masked target is the argmax. For golden rows (mask on
    ``answer EOS``) this *is* greedy-decoding exact match, in one forward pass: greedy
    decoding reproduces the answer iff, fed the answer's own prefix, the argmax is the next
    answer token at every position (induction on the prefix; causal attention makes the
    logits at a position independent of what follows). tests/training checks this against
    the real decoder below.
    """

    @jax.jit
    def eval_step(params, inputs, targets, mask):
        logits = nnx.merge(graphdef, params)(inputs)
        loss_sum, n, correct = masked_stats(logits, targets, mask)
        wrong = ((jnp.argmax(logits, -1) != targets) & (mask > 0)).any(-1)
        has = (mask > 0).any(-1)
        return loss_sum, n, correct, jnp.sum(has & ~wrong), jnp.sum(has)

    return eval_step


def make_generate(graphdef: nnx.GraphDef, max_new: int) -> Callable:
    """Greedy decoding of rows that hold ``prompt`` left-aligned in a [B, T] buffer.

    Runs full forward passes (no KV cache: answers are short) until every row emitted EOS
    or ``max_new`` tokens were produced. The model reads ``T - 1`` positions, so ``T`` may be
    ``seq_len + 1``. Returns the updated buffer.
    """

    @jax.jit
    def generate(params, buf, prompt_len):
        model = nnx.merge(graphdef, params)
        rows = jnp.arange(buf.shape[0])
        t_max = buf.shape[1]

        def cond(carry):
            t, _, done = carry
            return (t < max_new) & ~jnp.all(done)

        def body(carry):
            t, buf, done = carry
            pos = jnp.clip(prompt_len + t - 1, 0, t_max - 2)
            # The last slot is only ever written: leaving it out of the forward pass lets a
            # buffer of seq_len + 1 hold a full-length row plus its closing EOS.
            nxt = jnp.argmax(model(buf[:, :-1])[rows, pos], axis=-1).astype(buf.dtype)
            nxt = jnp.where(done, PAD_ID, nxt)
            buf = buf.at[rows, pos + 1].set(nxt)
            return t + 1, buf, done | (nxt == EOS_ID)

        done0 = prompt_len == 0  # filler rows of the last chunk
        _, buf, _ = jax.lax.while_loop(cond, body, (jnp.int32(0), buf, done0))
        return buf

    return generate


def evaluate_loss(eval_step: Callable, params, batches: list[Batch]) -> dict[str, float]:
    """val_loss (mean masked CE), val_ppl and val_acc over fixed validation batches."""
    totals = np.zeros(5)
    for b in batches:
        totals += np.array([float(x) for x in eval_step(params, b.inputs, b.targets, b.mask)])
    loss_sum, n, correct, exact, rows = totals.tolist()
    loss = loss_sum / max(n, 1.0)
    return {"val_loss": loss, "val_ppl": math.exp(min(loss, 50.0)),
            "val_acc": correct / max(n, 1.0), "exact_match": exact / max(rows, 1.0)}


def greedy_exact_match(generate: Callable, params, examples: list[Example], width: int,
                       batch_size: int = 128, misses: list | None = None) -> float:
    """Fraction of ``examples`` whose autoregressive greedy completion equals the answer.
    ``width`` is the decode buffer length (prompt + answer + EOS must fit). ``misses``, when
    given, gets a ``(prompt, answer, completion)`` for each example missed."""
    tok = ByteTokenizer()
    hits = 0
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        buf = np.full((batch_size, width), PAD_ID, np.int32)  # fixed shape: one compile
        lens = np.zeros(batch_size, np.int32)
        for i, e in enumerate(chunk):
            p = np.concatenate([[EOS_ID], tok.encode(e.prompt)])
            buf[i, : len(p)], lens[i] = p, len(p)
        out = np.asarray(generate(params, buf, lens))
        for i, e in enumerate(chunk):
            got = tok.decode(out[i, lens[i]:])
            hits += got == e.answer
            if got != e.answer and misses is not None:
                misses.append((e.prompt, e.answer, got))
    return hits / max(len(examples), 1)
