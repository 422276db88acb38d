"""How a taskctl command talks to the resident process of its store (`taskctl serve`).

One Unix socket per user and store, in Linux's abstract namespace (no file to leave behind,
no path-length limit): its name is a digest of the user id and the store's real path. Both
ends check the other's credentials (`SO_PEERCRED`): the server answers only its own user, and
a client believes only a server of its own user (another user could otherwise bind the name
first and hand out forged plans). A request is one JSON line, the reply one JSON line.

Import-light: every read command looks for a server's marker first (`cache.marked`, one
stat); without one nothing here runs, and with one the socket is the C module `_socket`
(`socket`'s own imports cost ~3 ms) and json is imported only once a server listens.
"""

from __future__ import annotations

import os
import sys

from taskctl import __version__
from taskctl.core.plan.cache import MARKER as MARKER
from taskctl.core.plan.cache import marked

# the questions a server answers (`show`: its kept backlog has no bodies; the shown task's is
# parsed into a copy, `loader.with_one_body`)
SERVED = ("next", "ready", "critical-path", "status", "list", "show", "validate")
TIMEOUT = 30.0  # a reply may wait for a full load of a large store (~2 s for 10,000 tasks)
MAX_REQUEST = 1 << 16


def supported() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import _socket  # the C module: `socket` costs ~3 ms of imports (enum)

    return hasattr(_socket, "SO_PEERCRED")


def address(root: str) -> bytes:
    from taskctl.core.files.cachekey import sha256

    real = os.path.realpath(root)
    h = sha256(f"{os.getuid()}\0{real}".encode("utf-8", "surrogateescape")).hexdigest()[:40]
    return b"\0taskctl-serve-" + h.encode()


def stamp() -> str:
    """What the answers depend on besides the files: taskctl's version, its core code and the
    CLI modules that compute answers (`cli/answers.py`, the server), the interpreter. A
    server whose stamp differs from its client's must not answer it."""
    from taskctl.core.files import codestamp
    from taskctl.core.files.cachekey import sha256

    cli = os.path.join(os.path.dirname(codestamp.CORE), "cli")
    with os.scandir(cli) as it:
        mine = sorted((e.name, e.stat().st_mtime_ns) for e in it if e.name.endswith(".py"))
    return sha256(repr((__version__, codestamp.stamp(), mine, sys.version)).encode()
                  ).hexdigest()


def peer_uid(sock) -> int:
    """The user id of the process at the other end of a connected Unix socket."""
    import _socket

    cred = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # pid, uid, gid
    return int.from_bytes(cred[4:8], sys.byteorder)


def read_line(sock, limit: int) -> bytes:
    """One line (without its newline); b"" when the peer closed first or sent too much."""
    chunks, size = [], 0
    while True:
        b = sock.recv(1 << 16)
        if not b:
            return b""
        nl = b.find(b"\n")
        if nl >= 0:
            chunks.append(b[:nl])
            return b"".join(chunks)
        chunks.append(b)
        size += len(b)
        if size > limit:
            return b""


def _open(root: str, timeout: float):
    """A socket connected to the server of `root` run by this user, or None."""
    if not supported():
        return None
    import _socket

    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    try:
        s.settimeout(timeout)
        s.connect(address(root))
        if peer_uid(s) == os.getuid():
            return s
    except OSError:
        pass
    s.close()
    return None


def _exchange(s, msg: dict) -> dict | None:
    """Send `msg` on the connected socket `s`, return the reply and close it."""
    import json  # only when a server listens (a warm read without one imports no json)

    try:
        s.sendall(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
        line = read_line(s, 1 << 31)
        reply = json.loads(line) if line else None
    except (OSError, ValueError, TypeError):  # TypeError: a value JSON cannot carry
        return None
    finally:
        s.close()
    return reply if isinstance(reply, dict) and "error" not in reply else None


def request(root: str, msg: dict, timeout: float = TIMEOUT) -> dict | None:
    """Send `msg` to the server of `root` and return its reply; None when no server of this
    user is listening, or it failed, closed or timed out (the caller then works alone)."""
    s = _open(str(root), timeout)
    return _exchange(s, msg) if s is not None else None


class Resident:
    """The server of one store, as a client sees it: its token (what replaces the store's
    fingerprint in cache keys while the server watches it) and its answers."""

    def __init__(self, root: str, token: str, stamp_: str):
        self.root, self.token, self._stamp = root, token, stamp_

    def answer(self, command: str, params: dict, view: dict | None = None) -> dict | None:
        """The answer document (as `cli/answers.py` computes it for the parameters that
        shape it, `answers.params`), or None. `view`: only the part that drawing it with
        these options reads (`answers.trimmed`; not to be stored as the whole answer)."""
        if command not in SERVED:
            return None
        msg = {"op": "answer", "stamp": self._stamp, "command": command, "params": params}
        if view is not None:
            msg["view"] = view
        reply = request(self.root, msg)
        doc = reply.get("doc") if reply else None
        return doc if isinstance(doc, dict) else None


def connect(root: str) -> Resident | None:
    """The store's server when one of this user runs with the same code, else None."""
    if not marked(root):
        return None
    s = _open(str(root), TIMEOUT)  # before the stamp: most reads find no server
    if s is None:
        return None
    st = stamp()
    reply = _exchange(s, {"op": "token", "stamp": st})
    token = reply.get("token") if reply else None
    return Resident(str(root), token, st) if isinstance(token, str) and token else None
