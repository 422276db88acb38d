"""Score a checkpoint on synthetic retrieval prompts: greedy decoding, exact match per cell.

``locate`` finds a checkpoint read-only, ``load`` restores its params (or a random init of
its config, the chance baseline), ``run`` decodes every prompt and returns the results pack
(a plain dict; training/eval/report.py writes it). Nothing here prints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.errors import CheckpointError, UsageError
from training.eval import prompts

SCHEMA_VERSION = 1
DECODE_BATCH = 32  # rows per greedy-decoding call; fixed so a length compiles once
MAX_WRONG = 3  # wrong answers kept per cell, for diagnosis


@dataclass(frozen=True)
class Spec:
    """What to evaluate. Together with the weights it determines every byte of the pack."""

    task: str
    lengths: tuple[int, ...]
    depths: tuple[float, ...]
    trials: int
    seed: int
    haystack: str = "repeat"
    random_init: bool = False  # score a fresh init of the checkpoint's config instead

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "lengths": list(self.lengths), "depths": list(self.depths),
                "trials": self.trials, "seed": self.seed, "haystack": self.haystack,
                "weights": "random-init" if self.random_init else "checkpoint",
                "prompt_version": prompts.PROMPT_VERSION}

    def hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:8]


@dataclass(frozen=True)
class Located:
    root: Path  # the checkpoint root (holds <step>/ and integrity/)
    step: int | None  # None: the newest step that verifies


def locate(path: Path) -> Located:
    """``RUN_DIR``, ``RUN_DIR/STEP``, a checkpoint root or ``ROOT/STEP`` (``best/`` too)."""
    path = Path(path)
    if path.name.isdigit() and not path.is_dir() and (path.parent / "checkpoints").is_dir():
        return Located(path.parent / "checkpoints", int(path.name))  # RUN_DIR/STEP shorthand
    if path.name.isdigit() and path.is_dir():
        return Located(path.parent, int(path.name))
    if (path / "checkpoints").is_dir():
        return Located(path / "checkpoints", None)
    if path.is_dir():
        return Located(path, None)
    raise CheckpointError(f"--checkpoint {path}: no such run or checkpoint directory",
                          hint="pass RUN_DIR, RUN_DIR/STEP or RUN_DIR/checkpoints/STEP")


@dataclass
class Loaded:
    cfg: Any  # TrainConfig
    graphdef: Any
    params: Any
    step: int
    step_dir: Path
    sha256: str


def load(where: Located, random_init: bool = False) -> Loaded:
    """Verify and restore a checkpoint's params (or, with ``random_init``, a fresh init of the
    same config and seed: what training starts from)."""
    from training.checkpoint import content_sha256, open_verified
    from training.config import TrainConfig
    from training.optim import make_optimizer
    from training.step import init_state

    found = open_verified(where.root, where.step)
    try:
        cfg = TrainConfig(**found.meta["config"])
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{where.root / str(found.step)}: checkpoint metadata has no "
                              f"usable config ({exc})") from None
    graphdef, state = init_state(cfg, make_optimizer(cfg))
    params = state["params"] if random_init else found.state(state)["params"]
    step_dir = where.root / str(found.step)
    return Loaded(cfg, graphdef, params, found.step, step_dir, content_sha256(step_dir))


def check_lengths(spec: Spec, seq_len: int) -> None:
    """Lengths past ``seq_len`` are refused (no windowing rule: a learned table ends there, and
    rotary offsets past it were never trained), as are lengths too short to hold the needle
    and the question."""
    tk = prompts.task(spec.task)
    long = [n for n in spec.lengths if n > seq_len]
    if long:
        raise UsageError(f"--lengths {','.join(map(str, long))}: longer than the model's "
                         f"seq_len {seq_len} (it was never trained past it)",
                         hint=f"evaluate lengths <= {seq_len}")
    short = [n for n in spec.lengths if n < tk.min_length()]
    if short:
        raise UsageError(f"--lengths {','.join(map(str, short))}: shorter than the "
                         f"{spec.task} prompt needs (>= {tk.min_length()} tokens)")


def decode(model: Loaded, items: list[prompts.Prompt], max_new: int) -> list[str]:
    """Greedy completions of ``items`` via training.evaluate. Every batch has the width of the
    longest prompt + 1 (room for the closing EOS), so decoding compiles once; right padding
    never changes a shorter row's logits (causal attention)."""
    from training.data.tokenizer import EOS_ID, PAD_ID, ByteTokenizer
    from training.evaluate import make_generate

    generate = make_generate(model.graphdef, max_new)
    tok, width = ByteTokenizer(), max(p.length for p in items) + 1
    out: list[str] = []
    for start in range(0, len(items), DECODE_BATCH):
        chunk = items[start : start + DECODE_BATCH]
        buf = np.full((DECODE_BATCH, width), PAD_ID, np.int32)
        lens = np.zeros(DECODE_BATCH, np.int32)  # 0: a padding row, done from the start
        for i, p in enumerate(chunk):
            ids = np.concatenate([[EOS_ID], tok.encode(p.text)])
            buf[i, : len(ids)], lens[i] = ids, len(ids)
        got = np.asarray(generate(model.params, buf, lens))
        out += [tok.decode(got[i, lens[i]:]) for i in range(len(chunk))]
    return out


def cells(items: list[prompts.Prompt], answers: list[str]) -> list[dict[str, Any]]:
    """One record per (length, depth): n, correct, accuracy (exact match), digit_accuracy
    and a few wrong answers."""
    table: dict[tuple[int, float], dict[str, Any]] = {}
    for p, got in zip(items, answers, strict=True):
        cell = table.setdefault((p.length, p.depth), {"length": p.length, "depth": p.depth,
                                                      "n": 0, "correct": 0, "digits": 0,
                                                      "wrong": []})
        cell["n"] += 1
        cell["digits"] += sum(a == b for a, b in zip(got, p.answer, strict=False))
        if got == p.answer:
            cell["correct"] += 1
        elif len(cell["wrong"]) < MAX_WRONG:
            cell["wrong"].append({"trial": p.trial, "expected": p.answer, "got": got})
    for cell in table.values():
        cell["accuracy"] = cell["correct"] / cell["n"]
        # partial credit: answer digits right in place (chance 0.1), shows learning that
        # exact match cannot see yet
        cell["digit_accuracy"] = cell.pop("digits") / (cell["n"] * len(items[0].answer))
    return [table[k] for k in sorted(table)]


def run(spec: Spec, model: Loaded, git: dict[str, Any]) -> dict[str, Any]:
    """Evaluate ``spec`` on ``model``; the results pack (no timings: same inputs, same bytes)."""
    import jax

    check_lengths(spec, model.cfg.seq_len)
    tk = prompts.task(spec.task)
    stream = prompts.haystack(spec.haystack)
    items = prompts.eval_prompts(spec.task, list(spec.lengths), list(spec.depths),
                                 spec.trials, spec.seed, stream)
    table = cells(items, decode(model, items, tk.digits + 1))
    correct = sum(c["correct"] for c in table)
    return {
        "schema_version": SCHEMA_VERSION,
        "spec": spec.to_dict(),
        "haystack_sha256": prompts.haystack_sha256(stream),
        "example_prompt": items[0].text + items[0].answer,
        "checkpoint": {"step": model.step, "sha256": model.sha256,
                       "dir": model.step_dir.name, "root": model.step_dir.parent.name},
        "config_hash": model.cfg.hash(),
        "seq_len": model.cfg.seq_len,
        "git": git,
        "versions": {"jax": jax.__version__},
        "decoding": {"method": "greedy", "max_new_tokens": tk.digits + 1,
                     "match": "answer then EOS, exactly"},
        "chance": tk.chance(),
        "cells": table,
        "overall": {"n": len(items), "correct": correct, "accuracy": correct / len(items),
                    "digit_accuracy": sum(c["digit_accuracy"] * c["n"] for c in table)
                    / len(items)},
    }
