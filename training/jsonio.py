"""The one way the trainer writes a file that must never be seen half-written.

``atomic_write`` writes a temp file in the same directory, fsyncs it, then ``os.replace``s it
over the target, so a reader (or a crash) sees the old file or the new one, never a torn one.
Every JSON document the trainer writes goes through ``write_json``. Append-only JSONL streams
(metrics.jsonl, trials.jsonl, tracking's runs.jsonl) are written line by line instead.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write(path: Path | str, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` atomically (creates the parent directory)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(doc: Any, *, indent: int | None = 2, sort_keys: bool = True,
          default: Any = None) -> str:
    """``doc`` as the trainer's JSON text: indented, keys sorted, one trailing newline."""
    return json.dumps(doc, indent=indent, sort_keys=sort_keys, default=default) + "\n"


def write_json(path: Path | str, doc: Any, *, indent: int | None = 2, sort_keys: bool = True,
               default: Any = None) -> None:
    """Write ``doc`` as JSON to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, dumps(doc, indent=indent, sort_keys=sort_keys, default=default))
