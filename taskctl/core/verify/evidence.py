"""Evidence records: one small JSON file per acceptance item, committed with the code.

Layout: `.tasks/evidence/<TASK>/item-<NN>.json` holds the latest executed record of item NN
(PASS, FAIL, TIMEOUT or INTERRUPTED), or the latest sign-off of a manual item. One file per item
keeps merges trivial (two branches conflict only if both verified the same item). CANNOT_RUN is
never written: it would overwrite a pass recorded on a capable machine. Logs (full output) live
in `.tasks/logs/` (git-ignored); a record keeps the redacted tail and the sha256 of the output.

Each file is a DSSE envelope holding an in-toto Statement signed by the runner's key
(core/verify/attest.py). Only a PASS (or SIGNED_OFF) whose signature verifies against a key of
the trust policy (core/verify/trust.py), whose subject is this item of this repository, and
whose fingerprint key equals a freshly computed one is reusable. Anything else — absent,
unreadable, unsigned, tampered, foreign — proves nothing, and the reason is reported with the
file's path.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.core.files import atomic
from taskctl.core.files.paths import confined
from taskctl.core.status import PASSING
from taskctl.core.verify import attest
from taskctl.core.verify.attest import Rejected
from taskctl.core.verify.fingerprint import Fingerprint, differences
from taskctl.core.verify.keys import Signer
from taskctl.core.verify.trust import Policy

SCHEMA_VERSION = 1
EVIDENCE_DIR = "evidence"
LOG_DIR = "logs"
MAX_RECORD_BYTES = 8 << 20


def item_path(root: Path, task_id: str, index: int) -> Path:
    return confined(root, EVIDENCE_DIR, task_id, f"item-{index:02d}.json")


def log_path(root: Path, task_id: str, run_id: str, index: int) -> Path:
    return confined(root, LOG_DIR, task_id, f"{run_id}-item-{index:02d}.log")


_NUM = (int, float)
# the type of each known field: a record with any other type there is unreadable, like a torn
# one (hand-edited or forged records reach every renderer otherwise)
SHAPE: dict[str, tuple[type, ...]] = {
    "task": (str,), "item": (int,), "status": (str,), "run_id": (str,), "kind": (str,),
    "criterion": (str,), "fingerprint": (dict,), "git": (dict,), "host": (str,),
    "command": (str, type(None)), "cwd": (str,), "timeout_s": _NUM, "exit_code": (int, type(None)),
    "signal": (str, type(None)), "started_at": (str,), "duration_s": _NUM,
    "output_tail": (str,), "output_sha256": (str,), "output_bytes": (int,), "log": (str,),
    "reasons": (list,), "signed_off_by": (str,), "signed_off_at": (str,),
    "note": (str, type(None)), "inputs_after": (dict,), "output_truncated": (bool,),
}


def well_formed(data: Any) -> bool:
    """A JSON object whose known fields have their documented types."""
    if not isinstance(data, dict):
        return False
    for k, types in SHAPE.items():
        if k in data and (not isinstance(data[k], types)
                          or isinstance(data[k], bool) and bool not in types):
            return False
    fp = data.get("fingerprint") or {}
    return isinstance(fp.get("key", ""), str) and isinstance(fp.get("parts", {}), dict)


def read_bytes(path: Path) -> bytes:
    """A record file's bytes; OSError when unreadable or larger than MAX_RECORD_BYTES (a
    record is a few KB: never slurp a planted gigabyte), or not a regular file (a FIFO planted
    there would block the read forever: `files/regular.py`)."""
    import errno

    from taskctl.core.files import regular

    try:
        return regular.read_bytes(path, MAX_RECORD_BYTES)
    except regular.NotRegular as e:
        if e.errno == errno.EFBIG:
            raise OSError(errno.EFBIG, f"larger than {MAX_RECORD_BYTES >> 20} MiB") from None
        raise


def read_unchecked(root: Path, task_id: str, index: int) -> dict[str, Any] | None:
    """The record inside a stored envelope WITHOUT checking who signed it (for display only:
    never for deciding whether something is proven). None when absent or unreadable."""
    try:
        statement, _, _ = attest.open_envelope(read_bytes(item_path(root, task_id, index)))
    except (OSError, Rejected):
        return None
    return statement["predicate"]


def load(root: Path, task_id: str, index: int, policy: Policy,
         requires: list[str] | tuple[str, ...] = ()) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) when the stored record counts under `policy`; (None, None) when there is
    none; (None, why) when there is one that does not count — `why` names the reason and the
    file, e.g. "evidence rejected (unsigned): .tasks/evidence/T001/item-01.json — ..."."""
    path = item_path(root, task_id, index)
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"evidence rejected (unreadable): {_shown(root, path)} — {e.strerror}"
    try:
        record = policy.check(data, task_id, index, requires)
    except Rejected as r:
        detail = f" — {r.detail}" if r.detail else ""
        return None, f"evidence rejected ({r.reason}): {_shown(root, path)}{detail}"
    if not well_formed(record):  # signed, but not a record taskctl could have written
        return None, f"evidence rejected (malformed): {_shown(root, path)}"
    return record, None


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return str(path)


def store(root: Path, record: dict[str, Any], signer: Signer, repo_id: str) -> Path:
    """Sign `record` as an attestation and write it atomically (temp file, fsync, os.replace,
    fsync dir)."""
    path = item_path(root, record["task"], record["item"])
    atomic.write_bytes(path, attest.seal(record, repo_id, signer))
    return path


@dataclass
class Freshness:
    fresh: bool
    reasons: list[str]
    record: dict[str, Any] | None


def freshness(record: dict[str, Any] | None, fp: Fingerprint,
              stale_runs: frozenset[str] = frozenset()) -> Freshness:
    """Is `record` a reusable pass for the item whose fingerprint is now `fp`?"""
    if record is None:
        return Freshness(False, ["no evidence"], None)
    status = record.get("status")
    old = (record.get("fingerprint") or {})
    if record.get("run_id") in stale_runs:
        return Freshness(False, ["its run was killed before it finished"], record)
    if old.get("key") == fp.key:
        if status in PASSING:
            return Freshness(True, [], record)
        return Freshness(False, [f"last run: {status}"], record)
    reasons = differences(old.get("parts"), fp.parts) or ["fingerprint changed"]
    if status not in PASSING:
        reasons.insert(0, f"last run: {status}")
    return Freshness(False, reasons, record)


_git_lock = threading.Lock()
_git_states: dict[Path, dict[str, Any]] = {}


def git_state(repo_root: Path) -> dict[str, Any]:
    """HEAD sha and dirty flag, once per process; {"sha": None} outside a git repository.
    Thread-safe so `prefetch_git_state` can hide gitpython's import behind the first run."""
    with _git_lock:
        if repo_root not in _git_states:
            _git_states[repo_root] = _read_git(repo_root)
        return _git_states[repo_root]


def prefetch_git_state(repo_root: Path) -> None:
    threading.Thread(target=git_state, args=(repo_root,), daemon=True).start()


def _read_git(repo_root: Path) -> dict[str, Any]:
    try:
        import git

        repo = git.Repo(repo_root, search_parent_directories=True)
        return {"sha": repo.head.commit.hexsha, "dirty": repo.is_dirty(untracked_files=False)}
    except Exception:  # noqa: BLE001 - no repo, no commits, no git binary: all "unknown"
        return {"sha": None, "dirty": None}


def base_record(task_id: str, index: int, criterion: str, run_id: str, fp: Fingerprint,
                repo_root: Path) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "task": task_id, "item": index,
            "criterion": criterion, "run_id": run_id, "fingerprint": fp.to_dict(),
            "git": git_state(repo_root), "host": socket.gethostname(),
            "taskctl_version": __version__}
