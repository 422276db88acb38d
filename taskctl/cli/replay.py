"""The rendered-output cache: a warm read command writes what it wrote last time, byte for byte,
without importing rich, the loader or the planners.

Why: the answers are cached already (`core/plan/cache.py`), but drawing one with rich costs
40-60 ms, more than the interpreter's own start-up. An entry keeps what one fast-entry run
(`cli/quick.py`) wrote to stdout and stderr, in order, and is served only when everything that
shaped those bytes is unchanged:

- the answer's inputs: every watched file of the store, the core's code, taskctl's version
  (`cache.digest`, as for answers);
- the command and ALL its options (parsed: `-n 3` and `--limit=3` share an entry);
- how it was drawn: taskctl's CLI and render code, rich's own files (and the interpreter and
  `sys.path` that found them), whether stdout and stderr are terminals, their encodings and
  error handlers, the terminal size of fds 0-2, and the environment variables rich and taskctl
  read (`ENV`);
- never the clock: an output that judged claims or leases now (who holds a task, how old, how
  long is left) is not stored (`answers.clock_free`), so an expired lease is never shown from
  an old rendering.

Entries are sealed with the per-user key (`files/cachekey.py`): a file committed by someone
else, or corrupted, is ignored before a byte of it is decoded (it is `marshal` data).
"""

from __future__ import annotations

import marshal
import os
import sys

from taskctl import __version__

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

FORMAT = 1
# what rich's Console and taskctl's renderers read from the environment (a test compares this
# with rich's source, so an upgrade that reads a new variable is noticed)
ENV = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "COLORTERM", "TTY_COMPATIBLE",
       "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JUPYTER_LINES", "DATABRICKS_RUNTIME_VERSION")
_HERE = os.path.dirname(os.path.abspath(__file__))  # taskctl/cli
_RENDER = os.path.join(os.path.dirname(_HERE), "render")


def _terminal(fd: int) -> tuple[int, int] | None:
    try:
        return tuple(os.get_terminal_size(fd))
    except (OSError, ValueError):
        return None


def _stream(s) -> tuple:
    return (s.isatty(), getattr(s, "encoding", None), getattr(s, "errors", None),
            type(s).__name__)


def _py_files(d: str) -> list[tuple[str, int, int]]:
    """(name, size, mtime_ns) of the .py files directly in `d` (empty when unreadable)."""
    out = []
    try:
        with os.scandir(d) as it:
            for e in it:
                if e.name.endswith(".py"):
                    st = e.stat()
                    out.append((e.name, st.st_size, st.st_mtime_ns))
    except OSError:
        return []
    return sorted(out)


def surroundings() -> tuple:
    """Everything outside the answer that changes how it is drawn (raises on closed streams:
    the caller then draws as usual)."""
    return (sys.platform, _stream(sys.stdout), _stream(sys.stderr),
            tuple(_terminal(fd) for fd in (0, 1, 2)),
            tuple(os.environ.get(k) for k in ENV), _py_files(_HERE), _py_files(_RENDER),
            # which rich a drawing would import (a hit imports none): the interpreter and its
            # path past the script's own folder (another venv, PYTHONPATH, a user site)
            sys.version, sys.path[1:])


def _rich_stamp() -> tuple | None:
    """rich's files, when this run imported rich (None: nothing was drawn with it)."""
    rich = sys.modules.get("rich")
    path = getattr(rich, "__file__", None)
    if not path:
        return None
    d = os.path.dirname(path)
    return (d, _py_files(d))


class Entry:
    """One command's rendered-output slot in `.cache/`: `replay()` it, or `record()` a run
    and `store()` it."""

    def __init__(self, root: Path, command: str, opts: dict[str, Any]):
        from taskctl.core.files import codestamp
        from taskctl.core.files.cachekey import sha256
        from taskctl.core.plan import cache

        self.root, self._cache = root, cache
        self.chunks: list[tuple[int, str]] = []
        self.ok = cache.enabled()
        if not self.ok:
            return
        try:
            around = surroundings()
        except (OSError, ValueError, AttributeError):  # a closed or odd stream: draw as usual
            self.ok = False
            return
        # one slot per command, options, terminal or not and colour choice: a resized
        # terminal or an edited taskctl overwrites its slot instead of adding files
        slot = repr((FORMAT, command, sorted(opts.items()), around[1][0], around[2][0],
                     os.environ.get("NO_COLOR"), os.environ.get("FORCE_COLOR")))
        self.name = f"out-{command}-{sha256(slot.encode()).hexdigest()[:16]}.bin"
        self.key = cache.digest(root, repr((__version__, codestamp.stamp(), str(root), slot,
                                            around)))

    def replay(self) -> bool:
        """Write the stored output and return True; False on any miss."""
        if not self.ok:
            return False
        payload = self._cache.get_sealed(self.root, self.name)
        if payload is None:
            return False
        try:
            key, rich, chunks = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return False
        if key != self.key or (rich is not None and rich != (rich[0], _py_files(rich[0]))):
            return False
        streams = {1: sys.stdout, 2: sys.stderr}
        last = None
        for n, text in chunks:
            if last is not None and n != last:
                streams[last].flush()  # keep the order the two streams were written in
            streams[n].write(text)
            last = n
        for s in streams.values():
            s.flush()
        return True

    def record(self) -> _Recording:
        """A context in which what goes to stdout and stderr is also kept in `chunks`."""
        return _Recording(self.chunks)

    def store(self) -> None:
        """Keep the recorded output (the caller decides that it does not depend on the clock)."""
        if not self.ok:
            return
        try:
            payload = marshal.dumps((self.key, _rich_stamp(), self.chunks))
        except ValueError:
            return
        self._cache.put_sealed(self.root, self.name, payload)


class _Tee:
    """A text stream that passes everything to the real one and keeps what was written."""

    def __init__(self, stream, n: int, chunks: list):
        self._stream, self._n, self._chunks = stream, n, chunks

    def write(self, text: str) -> int:
        out = self._stream.write(text)
        self._chunks.append((self._n, text))
        return out

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)  # isatty, encoding, flush, fileno: the real one's


class _Recording:
    def __init__(self, chunks: list):
        self._chunks = chunks

    def __enter__(self) -> _Recording:
        self._saved = sys.stdout, sys.stderr
        sys.stdout = _Tee(sys.stdout, 1, self._chunks)
        sys.stderr = _Tee(sys.stderr, 2, self._chunks)
        return self

    def __exit__(self, *exc) -> None:
        sys.stdout, sys.stderr = self._saved
