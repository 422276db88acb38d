"""One typed, frozen training config, its presets, and ``--set key=value`` overrides.

Every default sits beside its reason. Checks live in ``__post_init__`` and report every
problem at once, on one line, as a :class:`~training.errors.ConfigError` (exit 2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass
from typing import Any, Literal

from training.errors import ConfigError

Precision = Literal["auto", "f32", "bf16"]
Attention = Literal["auto", "xla", "cudnn"]
Tokenizer = Literal["byte", "bpe"]
Positions = Literal["learned", "rope"]
BPE_MULTIPLE = 128  # BPE vocab sizes are padded to this (matmul tiles) and no further
# TrainConfig.precision -> ModelConfig.dtype ("auto" is resolved against the device)
DTYPES = {"auto": "auto", "f32": "float32", "bf16": "bfloat16"}
ACCELERATORS = ("gpu", "cuda", "rocm", "tpu")  # jax.Device.platform values with bf16 units


def compute_dtype(dtype: str, platform: str) -> str:
    """Resolve a ModelConfig dtype: ``auto`` is bfloat16 on GPU/TPU (tensor cores; params stay
    f32), float32 on CPU (bf16 matmuls are slower than f32 on the CPUs measured here)."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if platform in ACCELERATORS else "float32"


def attention_impl(requested: str, platform: str, dtype: str) -> str:
    """Resolve the attention implementation: ``auto`` is cuDNN flash attention on a GPU with a
    16-bit compute dtype (cuDNN has no f32 flash kernel), else XLA's (which materialises the
    T x T scores). An explicit ``cudnn`` where it cannot run is a ConfigError."""
    cudnn_ok = platform in ("gpu", "cuda") and dtype in ("bfloat16", "float16")
    if requested == "cudnn" and not cudnn_ok:
        raise ConfigError(f"attention=cudnn needs a CUDA GPU and precision bf16 (have "
                          f"{platform}, {dtype})", hint="use attention=auto or attention=xla")
    if requested == "auto":
        return "cudnn" if cudnn_ok else "xla"
    return requested


def layer_scan_unroll(n_layers: int, platform: str) -> int:
    """``unroll`` of the layer scan: all layers on CPU (no while loop; faster there, measured
    in docs/performance.md "CPU tuning"), 1 elsewhere (compile time flat in depth)."""
    return n_layers if platform == "cpu" else 1


def position_problems(positions: str, d_model: int, n_heads: int) -> list[str]:
    """Problems with ``positions`` (shared by TrainConfig and ModelConfig): a known kind, and
    for rope an even head dim (rotary angles rotate pairs of features)."""
    if positions not in typing.get_args(Positions):
        return [f"positions must be one of {typing.get_args(Positions)}"]
    head = d_model // max(n_heads, 1)
    if positions == "rope" and head % 2:
        return [f"positions=rope needs an even head dim (d_model/n_heads = {head})"]
    return []


@dataclass(frozen=True)
class ModelConfig:
    """What ``training.model.GPT`` needs to build itself; derived from ``TrainConfig.model``.

    Not written to disk on its own: config.json holds the TrainConfig it is derived from.
    """

    vocab_size: int  # token ids are in [0, vocab_size); embeddings are tied
    seq_len: int  # longest sequence (size of the learned position table)
    n_layers: int
    d_model: int  # residual width; d_model / n_heads is the head dim
    n_heads: int
    mlp_ratio: int = 4  # MLP hidden = mlp_ratio * d_model
    dropout: float = 0.0
    dtype: str = "float32"  # compute dtype, "float32" | "bfloat16" | "auto" (per device)
    attention: str = "auto"  # "auto" | "xla" | "cudnn" (see attention_impl)
    scan_layers: bool = True  # one stacked Block under lax.scan: compile time flat in depth
    positions: str = "learned"  # "learned" (GPT-2 table) | "rope" (rotary, on q and k)

    def __post_init__(self) -> None:
        problems = [f"{k} must be > 0" for k in ("vocab_size", "seq_len", "n_layers", "d_model",
                                                   "n_heads", "mlp_ratio")
                    if getattr(self, k) <= 0]
        if self.d_model % max(self.n_heads, 1):
            problems.append(f"d_model {self.d_model} not divisible by n_heads {self.n_heads}")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if self.dtype not in DTYPES.values():
            problems.append(f"dtype must be one of {tuple(DTYPES.values())}")
        if self.attention not in typing.get_args(Attention):
            problems.append(f"attention must be one of {typing.get_args(Attention)}")
        problems += position_problems(self.positions, self.d_model, self.n_heads)
        if problems:
            raise ConfigError("invalid model config: " + "; ".join(problems))


@dataclass(frozen=True)
class TrainConfig:
    # --- model -------------------------------------------------------------------------
    vocab_size: int = 320  # byte tokenizer needs 258 (256 bytes + PAD + EOS); padded to a x64.
    # With tokenizer=bpe it is the BPE's size (a multiple of 128): every id can occur
    tokenizer: Tokenizer = "byte"  # "bpe": byte-level BPE learnt on the text's train split
    seq_len: int = 48  # golden rows are <= 41 tokens; little compute is spent on padding
    n_layers: int = 4  # depth; 4 is enough for 3-digit addition with a worked trace
    d_model: int = 256  # residual width
    n_heads: int = 4  # head dim 64, the usual choice
    mlp_ratio: int = 4  # MLP hidden = mlp_ratio * d_model (GPT-2)
    dropout: float = 0.0  # off: small data is regenerated, not memorised; keeps runs bitwise
    scan_layers: bool = True  # lax.scan over stacked layers: compile time does not grow with
    # depth (gpt2-124m: see docs/performance.md); false = a Python loop (per-layer params)
    attention: Attention = "auto"  # auto: cuDNN flash attention on GPU + bf16, else XLA
    positions: Positions = "learned"  # GPT-2's learned table; "rope" = rotary (RoFormer):
    # attention sees relative offsets, so copying "the token after the match" (induction,
    # the passkey recipe) is learnt in far fewer steps (docs/training.md)
    # --- data --------------------------------------------------------------------------
    dataset: str = "golden-v3"  # golden-v3 / golden-v2 (in memory), a built golden dir,
    # "text:GLOB" or a synthetic retrieval task (passkey, niah)
    golden_count: int = 20_000  # examples generated in memory when no built copy is given
    data_seed: int = 0  # seed of the dataset content (separate from the training seed)
    val_fraction: float = 0.05  # held-out tail of the data for eval and exact match
    # --- optimisation ------------------------------------------------------------------
    batch_size: int = 32  # sequences per optimizer step (all micro-batches together)
    grad_accum: int = 1  # micro-batches per step; batch_size must divide evenly
    lr: float = 2e-3  # peak learning rate; small models tolerate a high one
    min_lr: float = 2e-4  # cosine floor, lr/10 as in Chinchilla / nanoGPT
    warmup_steps: int = 50  # linear warmup from 0; avoids early Adam blow-ups
    lr_decay_steps: int = 0  # cosine horizon; 0 means "= steps"
    weight_decay: float = 0.1  # AdamW decay on matmul kernels only (see optim.py)
    beta1: float = 0.9
    beta2: float = 0.99  # nanoGPT's choice for small batches: smoother than 0.95
    grad_clip: float = 1.0  # global-norm clipping threshold; 0 disables
    precision: Precision = "auto"  # compute dtype; auto = bf16 on GPU/TPU, f32 on CPU (bf16
    # is slower there); params and optimizer state are always f32 ("master" weights)
    # --- loop --------------------------------------------------------------------------
    steps: int = 800  # optimizer steps; tiny reaches >= 99 % exact match on golden-v3 by here
    seed: int = 0  # init + dropout + batch order
    log_every: int = 10  # steps between metrics.jsonl lines
    eval_every: int = 100  # steps between evaluations; 0 disables periodic eval
    eval_batches: int = 4  # validation batches per eval (fixed, so eval is deterministic)
    exact_match_examples: int = 128  # held-out golden examples decoded greedily per eval
    patience: int = 0  # evals without val-loss improvement before stopping; 0 = never
    save_every_steps: int = 100  # checkpoint interval; the last step is always saved
    keep: int = 3  # latest checkpoints kept (the best-by-val-loss one is kept separately)
    # --- placement (training/sharding.py) -----------------------------------------------
    mesh_data: int = 1  # devices on the data-parallel mesh axis; 1 = one device, no mesh
    fsdp: bool = False  # also shard params + optimizer state over that axis (ZeRO-3 style)

    def __post_init__(self) -> None:
        problems = []
        positive = ("vocab_size", "seq_len", "n_layers", "d_model", "n_heads", "mlp_ratio",
                    "golden_count", "batch_size", "grad_accum", "steps", "log_every",
                    "eval_batches", "save_every_steps", "keep", "mesh_data")
        problems += [f"{k} must be > 0" for k in positive if getattr(self, k) <= 0]
        non_negative = ("warmup_steps", "lr_decay_steps", "weight_decay", "grad_clip",
                        "eval_every", "patience", "exact_match_examples", "data_seed", "min_lr")
        problems += [f"{k} must be >= 0" for k in non_negative if getattr(self, k) < 0]
        if self.d_model % max(self.n_heads, 1):
            problems.append(f"d_model {self.d_model} not divisible by n_heads {self.n_heads}")
        if self.batch_size % max(self.grad_accum, 1):
            problems.append(f"batch_size {self.batch_size} not divisible by grad_accum "
                            f"{self.grad_accum}")
        elif (self.batch_size // max(self.grad_accum, 1)) % max(self.mesh_data, 1):
            problems.append(f"micro-batch {self.batch_size // max(self.grad_accum, 1)} not "
                            f"divisible by mesh_data {self.mesh_data}")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if not 0 < self.val_fraction < 1:
            problems.append("val_fraction must be in (0, 1)")
        if self.lr <= 0 or self.min_lr > self.lr:
            problems.append("need 0 < lr and min_lr <= lr")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            problems.append("beta1 and beta2 must be in [0, 1)")
        if self.precision not in typing.get_args(Precision):
            problems.append(f"precision must be one of {typing.get_args(Precision)}")
        problems += position_problems(self.positions, self.d_model, self.n_heads)
        if self.tokenizer not in typing.get_args(Tokenizer):
            problems.append(f"tokenizer must be one of {typing.get_args(Tokenizer)}")
        elif self.tokenizer == "byte" and self.vocab_size < 258:
            problems.append("vocab_size must be >= 258 (byte tokenizer)")
        elif self.tokenizer == "bpe":
            if not self.dataset.startswith("text:"):
                problems.append("tokenizer=bpe is for text:GLOB datasets (golden data keeps "
                                "the byte tokenizer)")
            if self.vocab_size % BPE_MULTIPLE or self.vocab_size < 384:
                problems.append(f"with tokenizer=bpe, vocab_size must be a multiple of "
                                f"{BPE_MULTIPLE} and >= 384")
        if problems:
            raise ConfigError("invalid config: " + "; ".join(problems))

    @property
    def model(self) -> ModelConfig:
        """The model's own config (shape, dropout, compute dtype)."""
        return ModelConfig(vocab_size=self.vocab_size, seq_len=self.seq_len,
                           n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                           mlp_ratio=self.mlp_ratio, dropout=self.dropout,
                           dtype=DTYPES[self.precision], attention=self.attention,
                           scan_layers=self.scan_layers, positions=self.positions)

    @property
    def decay_steps(self) -> int:
        """The cosine horizon actually used."""
        return self.lr_decay_steps or self.steps

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """Short, stable hash of every field (canonical JSON)."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# Keys that may change between a checkpoint and the run resuming from it: they steer the loop
# (how long, how often to log/eval/save) but not the numbers one step computes.
# Placement (mesh_data, fsdp) only changes float summation order, and a checkpoint restores
# onto any device count, so it may change on resume too.
RESUME_SAFE_KEYS = frozenset({"steps", "log_every", "eval_every", "eval_batches",
                              "exact_match_examples", "patience", "save_every_steps", "keep",
                              "mesh_data", "fsdp"})

PRESETS: dict[str, dict[str, Any]] = {
    # Trains to >= 99 % held-out exact match on golden-v3 in minutes on 2 CPU cores.
    "tiny": {},
    # For benchmarks: ~2.5x the FLOPs of tiny, still CPU-feasible.
    "small": {"n_layers": 6, "d_model": 384, "n_heads": 6, "seq_len": 128, "batch_size": 32,
              "lr": 1e-3, "min_lr": 1e-4},
    # The CPU MFU benchmark: GPT-2 width (768, 12 heads) at 4 layers and T=128, so nearly all
    # FLOPs are large matmuls (see docs/performance.md); ~360 GFLOP per step.
    "bench": {"n_layers": 4, "d_model": 768, "n_heads": 12, "seq_len": 128, "batch_size": 16,
              "lr": 1e-3, "min_lr": 1e-4},
    # The GPT-2 124M body (12 layers, d 768, T 1024) on a byte-level BPE learnt from the
    # corpus: 16,384 ids (GPT-2's 50,257 would be mostly ids that never occur in this small
    # corpus, i.e. FLOPs and 1.6 GB of f32 logits per step for nothing). GPU only.
    "gpt2-124m": {"vocab_size": 16384, "tokenizer": "bpe", "n_layers": 12, "d_model": 768,
                  "n_heads": 12,
                  "seq_len": 1024, "batch_size": 8, "lr": 6e-4, "min_lr": 6e-5,
                  "warmup_steps": 700, "beta2": 0.95, "steps": 600_000,
                  "dataset": "text:stdlib", "eval_every": 1000, "save_every_steps": 1000},
}


def _parse_value(key: str, raw: str, annotation: Any) -> Any:
    """Parse ``raw`` as ``annotation`` (int, float, str, bool or a Literal)."""
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        if raw not in choices:
            raise ConfigError(f"--set {key}={raw}: expected one of {', '.join(choices)}")
        return raw
    try:
        if annotation is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return raw.lower() in ("true", "1")
        if annotation is int:
            return int(raw)
        if annotation is float:
            return float(raw)
    except ValueError:
        raise ConfigError(f"--set {key}={raw}: expected {annotation.__name__}") from None
    return raw


def make_config(preset: str = "tiny", overrides: dict[str, str] | None = None,
                **typed: Any) -> TrainConfig:
    """Build a config from a preset, string overrides (``--set``) and typed keyword overrides."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    hints = typing.get_type_hints(TrainConfig)
    values = dict(PRESETS[preset])
    for key, raw in (overrides or {}).items():
        if key not in hints:
            raise ConfigError(f"unknown config key {key!r}; known keys: {', '.join(hints)}")
        values[key] = _parse_value(key, raw, hints[key])
    for key, value in typed.items():
        if key not in hints:
            raise ConfigError(f"unknown config key {key!r}")
        values[key] = value
    return TrainConfig(**values)


def parse_set_options(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; malformed items are a ConfigError."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def incompatible_keys(saved: dict[str, Any], current: TrainConfig) -> list[str]:
    """Keys (outside RESUME_SAFE_KEYS) whose values differ between a checkpoint and now. A key
    the checkpoint's config predates counts as its default (what that run had)."""
    now = current.to_dict()
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    keys = (set(saved) | set(now)) - RESUME_SAFE_KEYS
    return sorted(k for k in keys if saved.get(k, defaults.get(k)) != now.get(k))
