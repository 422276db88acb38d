"""Synthetic long-context prompts: a passkey or a needle hidden at a depth of filler text.

Pure Python + numpy (no JAX), shared by the harness (training/eval/harness.py) and the
``passkey`` / ``niah`` training datasets (training/data/synthetic.py). Everything is ASCII, so
one character is one byte token and a prompt's length in tokens is ``len(text)``.

A row of length ``L`` is ``EOS + filler[:k] + NEEDLE + filler[k:] + QUESTION + ANSWER`` with
exactly ``L`` tokens, where ``k = round(depth * F)`` and ``F`` is the filler budget left once
the fixed parts are counted. The model reads all ``L`` positions to emit ``ANSWER`` and the
closing EOS, so ``L <= seq_len`` always fits the model. docs/training.md has the full rule.
"""

from __future__ import annotations

import hashlib
import string
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import UsageError

PROMPT_VERSION = 1  # bump when anything below changes what a prompt looks like
EVAL_STREAM = 0x5EED  # rng stream of evaluation prompts; training draws from TRAIN_STREAM
TRAIN_STREAM = 0x7EA1
MIN_FILLER = 8  # shortest filler a row may have: below this depth means little
HAYSTACK_BYTES = 1 << 18  # haystack streams are cut to this many characters (256 KiB)
HAYSTACKS = ("repeat", "golden", "stdlib")
# The filler of Mohtashami & Jaggi's passkey test: no digits, so only the key is a number.
REPEAT = ("The grass is green. The sky is blue. The sun is yellow. Here we go. "
          "There and back again. ")

# niah needle keys: short common words, so a key costs few tokens.
WORDS = ("apple", "river", "stone", "cloud", "tiger", "maple", "piano", "ocean", "lemon",
         "eagle", "candle", "forest", "silver", "rocket", "garden", "violet", "harbor",
         "copper", "meadow", "falcon", "pepper", "glacier", "canyon", "walnut")


@dataclass(frozen=True)
class Task:
    """How one task phrases its needle, question and answer."""

    name: str
    needle: str  # ``{key}`` (the word, niah only) and ``{value}`` are filled in
    question: str
    digits: int  # the answer is a random number of exactly this many digits
    haystack: str  # default filler (HAYSTACKS)

    def parts(self, key: str, value: str) -> tuple[str, str]:
        """(needle, question) text for one prompt."""
        return self.needle.format(key=key, value=value), self.question.format(key=key)

    def fixed_tokens(self) -> int:
        """Tokens of everything but the filler, for the longest key (EOS + needle + question
        + answer)."""
        key = max(WORDS, key=len) if "{key}" in self.needle else ""
        needle, question = self.parts(key, "0" * self.digits)
        return 1 + len(needle) + len(question) + self.digits

    def min_length(self) -> int:
        return self.fixed_tokens() + MIN_FILLER

    def chance(self) -> float:
        """Exact-match rate of a uniform guess over the possible answers."""
        return 1.0 / (9 * 10 ** (self.digits - 1))


TASKS = {
    # After Mohtashami & Jaggi (2023, landmark attention), shortened for byte tokens.
    "passkey": Task("passkey", "\nThe pass key is {value}.\n",
                    "\nWhat is the pass key? The pass key is ", 5, "repeat"),
    # After Kamradt's needle-in-a-haystack / RULER's niah_single: a keyed fact, 7 digits.
    "niah": Task("niah", "\nThe magic number for {key} is {value}.\n",
                 "\nWhat is the magic number for {key}? The magic number for {key} is ", 7,
                 "golden"),
}


@dataclass(frozen=True)
class Prompt:
    """One evaluation prompt: ``text`` (without the leading EOS) and the expected ``answer``."""

    length: int  # tokens: 1 (EOS) + len(text) + len(answer)
    depth: float  # requested depth in [0, 1]
    trial: int
    text: str
    answer: str
    needle_at: int  # character offset of the needle inside ``text``


def task(name: str) -> Task:
    if name not in TASKS:
        raise UsageError(f"unknown eval task {name!r}; choose from {', '.join(TASKS)}")
    return TASKS[name]


def _ascii(text: str) -> str:
    """Printable ASCII and newlines only: one character = one byte token."""
    keep = set(string.printable) - set("\t\r\x0b\x0c")
    return "".join(c if c in keep else " " for c in text)


def haystack(name: str) -> str:
    """The filler stream, cut to HAYSTACK_BYTES.

    ``repeat``: the passkey paper's five sentences, repeated. ``golden``: golden-v2 examples
    (seed 0), one ``prompt answer`` per line, identical on every machine. ``stdlib``: this
    Python's stdlib ``*.py`` (as ``text:stdlib`` reads it), non-ASCII replaced by spaces.
    """
    if name == "repeat":
        return (REPEAT * (HAYSTACK_BYTES // len(REPEAT) + 1))[:HAYSTACK_BYTES]
    if name == "golden":
        from training.data import golden

        lines, size = [], 0
        for e in golden.generate(12_000, 0, golden.V2):
            lines.append(f"{e.prompt}{e.answer}\n")
            size += len(lines[-1])
            if size >= HAYSTACK_BYTES:
                break
        return "".join(lines)[:HAYSTACK_BYTES]
    if name == "stdlib":
        root = Path(sysconfig.get_paths()["stdlib"])
        parts, size = [], 0
        for path in sorted(root.glob("*.py")):
            parts.append(_ascii(path.read_text("utf-8", errors="replace")))
            size += len(parts[-1])
            if size >= HAYSTACK_BYTES:
                break
        return "".join(parts)[:HAYSTACK_BYTES]
    raise UsageError(f"unknown haystack {name!r}; choose from {', '.join(HAYSTACKS)}")


def haystack_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def build(tk: Task, length: int, depth: float, rng: np.random.Generator, stream: str
          ) -> tuple[str, str, int]:
    """(text, answer, needle offset) of exactly ``length`` tokens (EOS counted), drawing the
    key, the value and the filler window from ``rng``. Depth 0 puts the needle first, 1 puts
    it right before the question."""
    key = WORDS[int(rng.integers(len(WORDS)))] if "{key}" in tk.needle else ""
    value = str(int(rng.integers(10 ** (tk.digits - 1), 10**tk.digits)))
    needle, question = tk.parts(key, value)
    budget = length - 1 - len(needle) - len(question) - len(value)
    if budget < MIN_FILLER:
        raise UsageError(f"length {length} is too short for the {tk.name} prompt "
                         f"(needs >= {tk.min_length()} tokens)")
    start = int(rng.integers(0, len(stream) - budget)) if len(stream) > budget else 0
    filler = (stream * (budget // max(len(stream), 1) + 1))[start : start + budget]
    k = int(round(depth * budget))
    return filler[:k] + needle + filler[k:] + question, value, k


def eval_prompts(name: str, lengths: list[int], depths: list[float], trials: int, seed: int,
                 stream: str) -> list[Prompt]:
    """Every (length, depth, trial) prompt. Trial ``t`` at length ``L`` uses one key, value
    and filler window for every depth (drawn from ``(EVAL_STREAM, seed, L, t)``), so depth is
    the only thing that changes across a row of the heat map."""
    tk = task(name)
    out = []
    for length in lengths:
        for t in range(trials):
            for depth in depths:
                rng = np.random.default_rng([EVAL_STREAM, seed, length, t])
                text, answer, at = build(tk, length, depth, rng, stream)
                out.append(Prompt(length, depth, t, text, answer, at))
    return out
