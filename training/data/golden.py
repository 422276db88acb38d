"""golden: deterministic synthetic arithmetic with worked traces and checkable answers.

Two versions of the same sums (same (count, seed) -> the same operand pairs, in order):

``golden-v3`` (the default), fixed width: ``345+012=`` ->
``5+2+0=07,4+1+0=05,3+0+0=03;0357``. Operands zero-padded to ``MAX_DIGITS``, one
``x+y+carry=ss`` step per column (always ``MAX_DIGITS`` of them, two-digit sums), least
significant first, then ``;`` and the sum padded to ``MAX_DIGITS + 1`` digits. Every example
has the same length and every digit sits at the same position, so "the k-th digit of each
operand" is a fixed place, not a search.

``golden-v2``: ``345+12=`` -> ``5+2+0=7,4+1+0=5,3+0+0=3;357`` (no padding; as many columns as
the longer operand). The tiny preset gets ~93 % exact match on it: its misses are digits
read from places that move with the operands' lengths (docs/performance.md).

Every token of a trace is a local, checkable step. Same (count, seed) -> same bytes.

A built copy is a directory with ``examples.jsonl`` and ``manifest.json``
(name, version, count, seed, sha256 of examples.jsonl).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from training.errors import UsageError
from training.jsonio import atomic_write, write_json

NAME = "golden-v3"  # the current version: the default dataset of every golden preset
V2 = "golden-v2"
VERSIONS = {NAME: "3.0.0", V2: "2.0.0"}  # name -> semantic version in built manifests
VERSION = VERSIONS[NAME]
MIN_COUNT = 100  # below this the held-out split is too small to mean anything
MAX_DIGITS = 3
MANIFEST = "manifest.json"
EXAMPLES = "examples.jsonl"


@dataclass(frozen=True)
class Example:
    prompt: str
    answer: str


def worked_sum(a: int, b: int) -> str:
    """The answer text for ``a+b=``: column trace, then ``;`` and the sum."""
    xs, ys = str(a)[::-1], str(b)[::-1]
    steps, carry = [], 0
    for i in range(max(len(xs), len(ys))):
        x = int(xs[i]) if i < len(xs) else 0
        y = int(ys[i]) if i < len(ys) else 0
        s = x + y + carry
        steps.append(f"{x}+{y}+{carry}={s}")
        carry = s // 10
    return ",".join(steps) + f";{a + b}"


def padded_sum(a: int, b: int) -> str:
    """golden-v3's answer for ``a+b``: every column, two-digit sums, a padded result."""
    xs, ys = f"{a:0{MAX_DIGITS}d}"[::-1], f"{b:0{MAX_DIGITS}d}"[::-1]
    steps, carry = [], 0
    for x, y in zip(xs, ys, strict=True):
        s = int(x) + int(y) + carry
        steps.append(f"{x}+{y}+{carry}={s:02d}")
        carry = s // 10
    return ",".join(steps) + f";{a + b:0{MAX_DIGITS + 1}d}"


def example(a: int, b: int, name: str = NAME) -> Example:
    if name == V2:
        return Example(f"{a}+{b}=", worked_sum(a, b))
    return Example(f"{a:0{MAX_DIGITS}d}+{b:0{MAX_DIGITS}d}=", padded_sum(a, b))


def check_name(name: str) -> str:
    if name not in VERSIONS:
        raise UsageError(f"unknown golden version {name!r}; use one of {', '.join(VERSIONS)}")
    return name


def generate(count: int, seed: int, name: str = NAME) -> list[Example]:
    """``count`` distinct examples; operand digit counts drawn uniformly from 1..3. Every
    version draws the same pairs (the generator is seeded with golden-v2's name)."""
    check_name(name)
    if count < MIN_COUNT:
        raise UsageError(f"golden count must be >= {MIN_COUNT}, got {count}")
    rng = random.Random(f"{V2}:{seed}")  # str seeds are hashed deterministically (sha512)
    seen: set[tuple[int, int]] = set()
    out: list[Example] = []
    while len(out) < count:
        a, b = (_operand(rng) for _ in range(2))
        if (a, b) in seen:  # distinct prompts, so held-out examples are never in training
            continue
        seen.add((a, b))
        out.append(example(a, b, name))
    return out


def _operand(rng: random.Random) -> int:
    digits = rng.randint(1, MAX_DIGITS)
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10**digits - 1)


def to_jsonl(examples: list[Example]) -> bytes:
    lines = (json.dumps({"prompt": e.prompt, "answer": e.answer}, sort_keys=True)
             for e in examples)
    return ("\n".join(lines) + "\n").encode()


def content_sha256(examples: list[Example]) -> str:
    return hashlib.sha256(to_jsonl(examples)).hexdigest()


def build(count: int, seed: int, out: Path, name: str = NAME) -> dict:
    """Write ``examples.jsonl`` + ``manifest.json`` under ``out``; return the manifest."""
    examples = generate(count, seed, name)
    blob = to_jsonl(examples)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / EXAMPLES, blob)
    manifest = {"name": name, "version": VERSIONS[name], "count": count, "seed": seed,
                "sha256": hashlib.sha256(blob).hexdigest(), "file": EXAMPLES}
    write_json(out / MANIFEST, manifest)
    return manifest


def load(directory: Path) -> tuple[list[Example], dict]:
    """Read a built copy, verifying its sha256 against the manifest."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        blob = (directory / manifest.get("file", EXAMPLES)).read_bytes()
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read golden dataset at {directory}: {exc}") from None
    if manifest.get("name") not in VERSIONS:
        raise UsageError(f"{directory}: manifest name {manifest.get('name')!r} is not one of "
                         f"{', '.join(VERSIONS)}")
    if hashlib.sha256(blob).hexdigest() != manifest.get("sha256"):
        raise UsageError(f"{directory}: {EXAMPLES} does not match the manifest sha256")
    rows = [json.loads(line) for line in blob.decode().splitlines() if line]
    return [Example(r["prompt"], r["answer"]) for r in rows], manifest
