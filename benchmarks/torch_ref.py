"""The ``bench`` preset's training step in PyTorch (nanoGPT style) vs this trainer's JAX step,
interleaved in one process.

``python benchmarks/torch_ref.py [--preset bench] [--rounds 3] [--steps 3] [--no-compile]``

Optional, benchmark-only dependency: ``pip install torch`` (never part of the project's
extras; see docs/performance.md). Same model as ``training.model.GPT``: pre-LayerNorm GPT,
learned positions, tanh-GELU MLP, tied embeddings, causal SDPA attention, f32; the same
AdamW + global-norm clipping step on the same batches. Each round runs ``--steps`` timed
steps of every variant (JAX, torch eager, torch.compile) after per-variant warm-up, so
machine load hits them alike; prints per-round medians, the overall medians, the
JAX/torch ratios (> 1: JAX faster) and the load average.

Status: written in issue 16 but NOT yet run (torch could not be installed in that session;
docs/performance.md). Torch trains on every target token, the JAX step on the dataset's loss
mask; the FLOPs are the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def torch_model(cfg):
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    d, h = cfg.d_model, cfg.n_heads

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
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
            self.ln_f = nn.LayerNorm(d)

        def forward(self, idx, targets):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            logits = self.ln_f(x) @ self.wte.weight.T  # tied
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    torch.manual_seed(0)
    return GPT()


def torch_stepper(cfg, compiled: bool):
    import torch

    model = torch_model(cfg)
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() == 2
             and "wte" not in n and "wpe" not in n]
    rest = [p for p in model.parameters() if all(p is not q for q in decay)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=cfg.lr,
                            betas=(cfg.beta1, cfg.beta2))
    loss_fn = torch.compile(model) if compiled else model

    def step(inputs, targets):
        loss = loss_fn(inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        return float(loss)

    return step


def jax_stepper(cfg):
    import jax

    from training.data.dataset import load_dataset
    from training.optim import make_optimizer
    from training.step import init_state, make_train_step, split_micro

    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    fn = make_train_step(graphdef, cfg, tx)
    data = load_dataset(cfg)
    box = {"state": state}

    def step(i):
        batch = jax.device_put(split_micro(data.train_batch(cfg.seed, i, cfg.batch_size), 1))
        box["state"], m = fn(box["state"], *batch)
        return float(m["loss"])  # waits for the step, like torch's float(loss)

    return step, data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3, help="timed steps per variant per round")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    args = ap.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import torch

    from training.config import make_config

    cfg = make_config(args.preset)
    torch.set_num_threads(os.cpu_count() or 1)
    jstep, data = jax_stepper(cfg)

    def tbatch(i):
        b = data.train_batch(cfg.seed, i, cfg.batch_size)
        return torch.from_numpy(b.inputs).long(), torch.from_numpy(b.targets).long()

    variants = {"jax": lambda i: jstep(i)}
    for name, compiled in (("torch_eager", False), ("torch_compile", True)):
        if compiled and args.no_compile:
            continue
        ts = torch_stepper(cfg, compiled)
        variants[name] = lambda i, ts=ts: ts(*tbatch(i))
    print(f"preset {args.preset}: load average {os.getloadavg()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads", flush=True)
    for name, fn in variants.items():  # compile + warm-up, untimed
        t0 = time.perf_counter()
        for i in range(args.warmup):
            fn(i)
        print(f"warm-up {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    times: dict[str, list[float]] = {n: [] for n in variants}
    step_i = args.warmup
    for r in range(args.rounds):
        for name, fn in variants.items():
            rt = []
            for _ in range(args.steps):
                t0 = time.perf_counter()
                fn(step_i)
                rt.append(time.perf_counter() - t0)
                step_i += 1
            times[name] += rt
            print(f"round {r + 1} {name:13s} median {statistics.median(rt) * 1e3:8.0f} ms "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
    med = {n: statistics.median(ts) for n, ts in times.items()}
    for name, m in med.items():
        print(f"median {name:13s} {m * 1e3:8.0f} ms/step over {len(times[name])} steps")
    for name in med:
        if name != "jax":
            print(f"JAX speed vs {name}: {med[name] / med['jax']:.3f}x (>1: JAX faster)")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
