"""Fingerprints of acceptance items: what a recorded pass was a pass *of*.

The key is the sha256 of canonical JSON over: the record format version, the task id, a hash of
the item's spec, the command text (with `{tmp}` unexpanded), cwd, timeout, the `inputs` globs
and every file they match with its content hash, allow-listed environment variables (values for
ordinary ones, secrets by name only) and tool versions (python, taskctl).

Deliberately NOT in it: the git commit. A new commit must not invalidate unrelated evidence;
the input files are what the command depends on.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.core.files.paths import inside, repo_relative_problem
from taskctl.core.model import AcceptanceItem
from taskctl.core.verify.secrets import is_secret_name, url_password

FORMAT_VERSION = 1
DEFAULT_TIMEOUT = 600.0
_SKIP_DIRS = {".git", ".tasks", "__pycache__", ".venv"}


@dataclass
class Fingerprint:
    key: str
    parts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "parts": self.parts}


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def match_inputs(repo_root: Path, globs: list[str]) -> list[str]:
    """Sorted repo-relative paths of the files the globs match (`**` recurses)."""
    found: set[str] = set()
    for pattern in globs:
        if repo_relative_problem(pattern) is not None:
            continue  # `validate` reports it; an escaping glob is never expanded
        try:
            matches = list(repo_root.glob(pattern))
        except (OSError, ValueError, NotImplementedError):
            continue
        for p in matches:
            rel = p.relative_to(repo_root)
            if set(rel.parts[:-1]) & _SKIP_DIRS or not inside(p, repo_root):
                continue  # a symlink out of the repository is never read
            if p.is_file():
                found.add(rel.as_posix())
    return sorted(found)


def hash_inputs(repo_root: Path, globs: list[str]) -> dict[str, str]:
    out = {}
    for rel in match_inputs(repo_root, globs):
        try:
            out[rel] = file_hash(repo_root / rel)
        except OSError:
            out[rel] = "unreadable"
    return out


def _hashes(repo_root: Path, globs: list[str], cache: dict | None) -> dict[str, str]:
    if cache is None:
        return hash_inputs(repo_root, globs)
    key = tuple(globs)
    if key not in cache:
        cache[key] = hash_inputs(repo_root, globs)
    return dict(cache[key])


# --- traced inputs (core/verify/trace.py): files a run was seen reading, beside the declared
def traced_hashes(repo_root: Path, paths: list[str], declared: dict[str, str],
                  cache: dict | None) -> dict[str, str]:
    """Hashes of traced files not already declared; one inside the repo that is gone or
    escapes it (a symlink) hashes as "missing", so the item goes stale."""
    root = repo_root.resolve()
    out = {}
    for rel in paths:
        if rel in declared:
            continue
        if cache is not None and ("traced", rel) in cache:
            out[rel] = cache[("traced", rel)]
            continue
        p = repo_root / rel
        try:
            p.resolve().relative_to(root)
            out[rel] = file_hash(p) if p.is_file() else "missing"
        except (OSError, ValueError):
            out[rel] = "missing"
        if cache is not None:
            cache[("traced", rel)] = out[rel]
    return out
# --- end traced inputs


def spec_hash(task_id: str, item: AcceptanceItem) -> str:
    return sha256(canonical({"task": task_id, "item": item.raw or {
        "criterion": item.criterion, "run": item.run}}))


def env_parts(item: AcceptanceItem, environ: Mapping[str, str]) -> dict[str, Any]:
    """The allow-list: the item's `env` (as the child sees it) and its `secret_env` names."""
    out: dict[str, Any] = {}
    for name in sorted(set(item.env) | set(item.secret_env)):
        value = item.env.get(name, environ.get(name))
        if is_secret_name(name, item.secret_env) or url_password(value or "") is not None:
            out[name] = {"secret": True, "set": name in item.env or name in environ}
        else:
            out[name] = value
    return out


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "taskctl": __version__}


def compute(task_id: str, item: AcceptanceItem, repo_root: Path,
            environ: Mapping[str, str] | None = None,
            cache: dict | None = None, traced: list[str] | None = None) -> Fingerprint:
    """`cache` (a dict owned by the caller) memoises input hashes per glob list: for a gate
    pass that runs nothing; never across a run, whose inputs must be hashed before and after.
    `traced`: files an earlier run was seen reading (trace.py), hashed beside the declared
    inputs; absent from the parts when empty, so untraced records keep their keys."""
    environ = os.environ if environ is None else environ
    parts: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "task": task_id,
        "spec": spec_hash(task_id, item),
    }
    if item.manual:
        parts["kind"] = "manual"
        parts["criterion"] = item.criterion
    else:
        files = _hashes(repo_root, item.inputs, cache)
        inputs: dict[str, Any] = {"globs": list(item.inputs), "files": files}
        if traced and (extra := traced_hashes(repo_root, traced, files, cache)):
            inputs["traced"] = extra
        parts.update({
            "kind": "run",
            "command": item.run,
            "cwd": item.cwd or ".",
            "timeout": item.timeout or DEFAULT_TIMEOUT,
            "inputs": inputs,
            "env": env_parts(item, environ),
            "versions": versions(),
        })
    return Fingerprint(sha256(canonical(parts)), parts)


def differences(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Why a recorded fingerprint no longer matches, in words (empty: it matches)."""
    if not old:
        return ["no fingerprint recorded"]
    out = []
    for key, label in (("format", "record format"), ("command", "command"), ("cwd", "cwd"),
                       ("timeout", "timeout"), ("criterion", "criterion")):
        if old.get(key) != new.get(key):
            out.append(f"{label} changed")
    oi, ni = old.get("inputs") or {}, new.get("inputs") or {}
    if oi.get("globs") != ni.get("globs"):
        out.append("inputs globs changed")
    of, nf = oi.get("files") or {}, ni.get("files") or {}
    for path in sorted(set(of) | set(nf)):
        if path not in of:
            out.append(f"input added: {path}")
        elif path not in nf:
            out.append(f"input removed: {path}")
        elif of[path] != nf[path]:
            out.append(f"input changed: {path}")
    ot, nt = oi.get("traced") or {}, ni.get("traced") or {}
    for path in sorted(set(ot) | set(nt)):  # same paths (taken from the record); new hashes
        if ot.get(path) != nt.get(path):
            gone = nt.get(path) in (None, "missing")
            out.append(f"traced input {'removed' if gone else 'changed'}: {path}")
    oe, ne = old.get("env") or {}, new.get("env") or {}
    out += [f"env changed: {k}" for k in sorted(set(oe) | set(ne)) if oe.get(k) != ne.get(k)]
    ov, nv = old.get("versions") or {}, new.get("versions") or {}
    out += [f"version changed: {k} {ov.get(k)} -> {nv.get(k)}"
            for k in sorted(set(ov) | set(nv)) if ov.get(k) != nv.get(k)]
    if not out and old.get("spec") != new.get("spec"):
        out.append("acceptance item spec changed")
    return out
