"""The ``bench`` preset's training step in PyTorch (nanoGPT style) vs this trainer's JAX step,
checked for parity and then timed interleaved, each variant in its own process.

``python benchmarks/torch_ref.py [--preset bench] [--rounds 5] [--steps 2] [--no-compile]``

Optional, benchmark-only dependency: ``pip install -e '.[torchref]'`` (torch 2.13.0, a CPU
build; never in ``dev``, never imported by ``training/`` or the tests). Same model as
``training.model.GPT``: pre-LayerNorm GPT (eps 1e-6 as Flax), learned positions, tanh-GELU
MLP, tied embeddings, causal SDPA attention, f32; the same masked cross-entropy, global-norm
clipping and AdamW (same decay groups, betas, eps) on the same batches.

1. Parity: the JAX initial weights are copied into the torch model; parameter counts, the loss
   and every gradient are compared on one batch (relative L2 error per tensor).
2. Timing: each variant in its own worker process (``benchmarks/workers.py``; torch's with
   ``OMP_WAIT_POLICY=PASSIVE`` unless set, so its idle OpenMP threads do not spin on the
   cores the others are timed on; ``--same-process`` keeps the former one-process method):
   compile + warm-up (untimed), then ``--rounds`` rounds in which JAX, torch eager and
   torch.compile each run ``--steps`` steps, in alternating order, so machine load falls on
   all alike. Prints per-round medians, each variant's median and spread, the
   ratio torch/JAX (> 1: JAX faster) in wall time and in CPU time of the process (all its
   threads; on a shared machine the load-robust one) and ``uptime`` before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
from workers import Remote, serve  # noqa: E402


def torch_model(cfg):
    """nanoGPT-style GPT with ``training.model.GPT``'s shapes and numerics."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    d, h, eps = cfg.d_model, cfg.n_heads, 1e-6  # flax LayerNorm's epsilon

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.up, self.down = nn.Linear(d, cfg.mlp_ratio * d), nn.Linear(cfg.mlp_ratio * d, d)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
            return x + self.down(F.gelu(self.up(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(cfg.vocab_size, d)
            self.wpe = nn.Embedding(cfg.seq_len, d)
            self.blocks = nn.ModuleList(Block() for _ in range(cfg.n_layers))
            self.ln_f = nn.LayerNorm(d, eps=eps)

        def forward(self, idx, targets, mask):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            logits = self.ln_f(x) @ self.wte.weight.T  # tied
            ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                 reduction="none")
            m = mask.reshape(-1)
            return (ce * m).sum() / m.sum().clamp(min=1.0)

    return GPT()


def pure(tree) -> dict:
    """An NNX param State as nested plain dicts of arrays."""
    from flax import nnx

    return nnx.to_pure_dict(tree)


def load_jax_weights(model, params) -> None:
    """Copy the JAX param tree (scanned: leading layer axis) into ``model`` in place."""
    import numpy as np
    import torch

    def put(dst, src, transpose=False):
        a = np.asarray(src)
        dst.data.copy_(torch.from_numpy(np.array(a.T if transpose else a, order="C")))

    p = pure(params)
    put(model.wte.weight, p["wte"]["embedding"])
    put(model.wpe.weight, p["wpe"]["embedding"])
    put(model.ln_f.weight, p["ln_f"]["scale"])
    put(model.ln_f.bias, p["ln_f"]["bias"])
    blocks = p["blocks"]
    for i, blk in enumerate(model.blocks):
        for ln in ("ln1", "ln2"):
            put(getattr(blk, ln).weight, blocks[ln]["scale"][i])
            put(getattr(blk, ln).bias, blocks[ln]["bias"][i])
        for name, src in (("qkv", blocks["attn"]["qkv"]), ("proj", blocks["attn"]["proj"]),
                          ("up", blocks["mlp"]["up"]), ("down", blocks["mlp"]["down"])):
            put(getattr(blk, name).weight, src["kernel"][i], transpose=True)
            put(getattr(blk, name).bias, src["bias"][i])


def torch_grads_as_jax(model) -> dict[str, object]:
    """torch gradients keyed like the JAX tree paths used in ``parity``."""
    import numpy as np

    g = {"wte": model.wte.weight.grad.numpy(), "wpe": model.wpe.weight.grad.numpy(),
         "ln_f.scale": model.ln_f.weight.grad.numpy(), "ln_f.bias": model.ln_f.bias.grad.numpy()}
    for ln in ("ln1", "ln2"):
        g[f"{ln}.scale"] = np.stack([getattr(b, ln).weight.grad.numpy() for b in model.blocks])
        g[f"{ln}.bias"] = np.stack([getattr(b, ln).bias.grad.numpy() for b in model.blocks])
    for name in ("qkv", "proj", "up", "down"):
        g[f"{name}.kernel"] = np.stack([getattr(b, name).weight.grad.numpy().T
                                        for b in model.blocks])
        g[f"{name}.bias"] = np.stack([getattr(b, name).bias.grad.numpy() for b in model.blocks])
    return g


def parity(cfg, graphdef, params, batch) -> float:
    """Compare parameter count, loss and gradients of JAX and torch on one batch; returns the
    worst relative gradient error."""
    import jax
    import numpy as np
    from flax import nnx

    from training.evaluate import masked_stats

    def loss_fn(p, inputs, targets, mask):
        total, n, _ = masked_stats(nnx.merge(graphdef, p)(inputs), targets, mask)
        return total / n

    jloss, jg = jax.jit(jax.value_and_grad(loss_fn))(params, *batch)
    model = torch_model(cfg)
    load_jax_weights(model, params)
    n_jax = sum(x.size for x in jax.tree.leaves(params))
    n_torch = sum(p.numel() for p in model.parameters())
    tloss = model(*to_torch(batch))
    tloss.backward()
    tg, tl = torch_grads_as_jax(model), tloss.detach().item()
    jg = pure(jg)
    b = jg["blocks"]
    jflat = {"wte": jg["wte"]["embedding"], "wpe": jg["wpe"]["embedding"],
             "ln_f.scale": jg["ln_f"]["scale"], "ln_f.bias": jg["ln_f"]["bias"]}
    for ln in ("ln1", "ln2"):
        jflat[f"{ln}.scale"], jflat[f"{ln}.bias"] = b[ln]["scale"], b[ln]["bias"]
    for name, grp in (("qkv", "attn"), ("proj", "attn"), ("up", "mlp"), ("down", "mlp")):
        jflat[f"{name}.kernel"] = b[grp][name]["kernel"]
        jflat[f"{name}.bias"] = b[grp][name]["bias"]
    errs = {k: float(np.linalg.norm(np.asarray(v) - tg[k]) / max(np.linalg.norm(v), 1e-30))
            for k, v in jflat.items()}
    worst = max(errs, key=errs.get)
    print(f"parity: params JAX {n_jax:,} torch {n_torch:,} "
          f"({'equal' if n_jax == n_torch else 'DIFFERENT'}); loss JAX {float(jloss):.7f} "
          f"torch {tl:.7f} (rel diff {abs(float(jloss) - tl) / float(jloss):.1e}); "
          f"gradients: worst relative L2 error {errs[worst]:.1e} ({worst}), median "
          f"{statistics.median(errs.values()):.1e} over {len(errs)} tensors", flush=True)
    return errs[worst]


def to_torch(batch) -> tuple:
    """(inputs, targets, mask) numpy -> torch: int64 ids (what embedding/CE take), f32 mask."""
    import numpy as np
    import torch

    inputs, targets, mask = (np.array(x) for x in batch)  # writable copies
    return (torch.from_numpy(inputs.astype(np.int64)), torch.from_numpy(targets.astype(np.int64)),
            torch.from_numpy(mask.astype(np.float32)))


def torch_stepper(cfg, params, compiled: bool):
    """One torch train step (forward, backward, clip, AdamW) from the JAX initial weights."""
    import torch

    model = torch_model(cfg)
    load_jax_weights(model, params)
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() == 2
             and "wte" not in n and "wpe" not in n]
    rest = [p for p in model.parameters() if all(p is not q for q in decay)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=cfg.lr,
                            betas=(cfg.beta1, cfg.beta2), eps=1e-8)
    loss_fn = torch.compile(model) if compiled else model

    def step(batch):
        loss = loss_fn(*batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        return loss.detach().item()  # synchronous on CPU: reads the scalar

    return step


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def setup(preset: str):
    """(cfg, graphdef, tx, initial state, 8 host batches), the trainer's CPU defaults applied
    before jax initialises."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from training import cpu_tuning

    cpu_tuning.apply()
    from training.config import make_config
    from training.data.dataset import load_dataset
    from training.optim import make_optimizer
    from training.step import init_state

    cfg = make_config(preset)
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    data = load_dataset(cfg)
    host = [data.train_batch(cfg.seed, i, cfg.batch_size) for i in range(8)]
    return cfg, graphdef, tx, state, host


def stepper(name: str, preset: str):
    """``fn(i)``: one train step of variant ``name`` on batch ``i % 8`` (the same 8 batches and
    the same initial weights for every variant)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # read when jax is imported: JAX on the CPU
    import jax

    cfg, graphdef, tx, state, host = setup(preset)
    if name == "jax":
        from training.step import make_train_step, split_micro

        jbatches = [jax.device_put(split_micro(b, 1)) for b in host]
        jfn = make_train_step(graphdef, cfg, tx)
        box = {"state": state}

        def jstep(i):
            box["state"], m = jfn(box["state"], *jbatches[i % 8])
            jax.block_until_ready((box["state"], m))

        return jstep, f"jax {jax.__version__}, XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}"
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    tbatches = [to_torch(b) for b in host]
    ts = torch_stepper(cfg, state["params"], name == "torch_compile")
    return (lambda i: ts(tbatches[i % 8]),
            f"torch {torch.__version__} ({torch.get_num_threads()} threads)")


def worker(name: str, preset: str, warmup: int) -> None:
    """One variant in its own process (benchmarks/workers.py): compile + warm up, then time
    steps on request."""
    fn, about = stepper(name, preset)
    t0 = time.perf_counter()
    for i in range(warmup):
        fn(i)
    serve(fn, warmup, {"about": about, "warmup_s": time.perf_counter() - t0})


def remote(name: str, preset: str, warmup: int) -> Remote:
    # torch's OpenMP (libgomp) threads spin after each parallel region by default; idle
    # between its turns, that spinning would take the cores from the variant being timed
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
           "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    return Remote([sys.executable, __file__, "--worker", name, "--preset", preset, "--warmup",
                   str(warmup)], env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2, help="timed steps per variant per round")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--no-parity", action="store_true", help="skip the parity check")
    ap.add_argument("--parity-only", action="store_true", help="only the parity check")
    ap.add_argument("--same-process", action="store_true",
                    help="run every variant in this one process (the former method: each "
                         "framework's thread pool then shares the cores with the other's)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "parity":
        return parity_main(args.preset)
    if args.worker:
        return worker(args.worker, args.preset, args.warmup)
    if not args.no_parity:  # in its own process (it holds both models at once)
        subprocess.run([sys.executable, __file__, "--worker", "parity", "--preset",
                        args.preset], check=True)
    if args.parity_only:
        return
    names = ["jax", "torch_eager"] + ([] if args.no_compile else ["torch_compile"])
    variants: dict[str, object] = {}
    if args.same_process:
        for name in names:
            fn, about = stepper(name, args.preset)
            t0 = time.perf_counter()
            for i in range(args.warmup):
                fn(i)
            print(f"warm-up {name}: {time.perf_counter() - t0:.1f} s ({about})", flush=True)
            variants[name] = fn
    else:
        for name in names:  # one at a time: compiles do not overlap
            variants[name] = remote(name, args.preset, args.warmup)
            r = variants[name].ask()
            print(f"warm-up {name}: {r['warmup_s']:.1f} s ({r['about']}; own process)",
                  flush=True)
    before = uptime()
    print(f"before: {before}", flush=True)
    times: dict[str, list[float]] = {n: [] for n in variants}
    cpu: dict[str, list[float]] = {n: [] for n in variants}  # CPU s of the variant's process
    step_i = args.warmup
    for r in range(args.rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        line = []
        for name in order:
            v = variants[name]
            if isinstance(v, Remote):
                res = v.ask(f"run {args.steps}")
                rt, rc = res["wall"], res["cpu"]
            else:
                rt, rc = [], []
                for _ in range(args.steps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    v(step_i)
                    rt.append(time.perf_counter() - t0)
                    rc.append(time.process_time() - c0)
                    step_i += 1
            times[name] += rt
            cpu[name] += rc
            line.append(f"{name} {statistics.median(rt) * 1e3:.0f}")
        print(f"round {r + 1}: " + ", ".join(line) + f" ms (load {os.getloadavg()[0]:.2f})",
              flush=True)
    after = uptime()
    for v in variants.values():
        if isinstance(v, Remote):
            v.close()
    med = {n: statistics.median(ts) for n, ts in times.items()}
    cmed = {n: statistics.median(ts) for n, ts in cpu.items()}
    for name, m in med.items():
        ts = sorted(times[name])
        print(f"median {name:13s} {m * 1e3:6.0f} ms/step  spread {ts[0] * 1e3:.0f}-"
              f"{ts[-1] * 1e3:.0f} ms over {len(ts)} steps; CPU {cmed[name] * 1e3:.0f} ms/step")
    for name in med:
        if name != "jax":
            print(f"JAX vs {name}: {med[name] / med['jax']:.3f}x wall, "
                  f"{cmed[name] / cmed['jax']:.3f}x CPU time (torch / JAX; > 1: JAX faster)")
    print(f"before: {before}\nafter:  {after}")


def parity_main(preset: str) -> None:
    cfg, graphdef, _, state, host = setup(preset)
    parity(cfg, graphdef, state["params"], tuple(host[0]))


if __name__ == "__main__":
    main()
