"""The resident process of one store (`taskctl serve run`): it keeps the loaded backlog and
the answers it computed, watches the store (`core/resident/watch.py`), and answers the read
commands' questions (`core/resident/channel.py`) so that they neither walk nor load the tree.

Why: a 10,000-task store costs ~0.1 s to walk for the cache key and ~0.3-1.3 s to load again
after an edit, in every process. Here the backlog is loaded once per change and the answers
asked recently are computed again as soon as the store has been quiet for `QUIET` seconds, so
the question an agent asks after its edit usually finds its answer ready.

What a client gets is the same document `cli/answers.py` computes in process, for the same
parameters (`answers.params`), and a token that stands for the store's fingerprint in the
client's cache keys (`cache.pin`). The token is `<server id>-<change count>`, the count moving
whenever the watcher reports an event, and the watcher is drained before every reply: a change
made before a question is asked is seen by it. A backlog loaded while a change arrived is
thrown away and loaded again. The server serves one user (`channel.peer_uid`), answers only
clients that run the same taskctl code (`channel.stamp`: otherwise it exits, as it is out of
date), and exits after `idle` seconds without a question, when the store goes away, or when
a symbolic link appears in it. The kept backlog has no task bodies: `show` parses the shown
task's body into a copy of it (`loader.with_one_body`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from taskctl.cli import answers
from taskctl.cli.options import ANSWER_PARAMS, PLANNING
from taskctl.core.files import sealed
from taskctl.core.load import kept
from taskctl.core.resident import channel
from taskctl.core.resident.watch import Gone, Unwatchable, Watcher

QUIET = 0.05  # seconds without events before the recent questions are answered again
RECENT = 8  # distinct questions kept warm
REQUEST_TIMEOUT = 5.0  # a client that connects and sends nothing is dropped after this
LOOK_S = 30.0  # the store's own path looked at at least this often (see `_still_there`)


class AlreadyServed(Exception):
    """Another server of this user already serves the store."""


class Unmarked(Exception):
    """The server could not leave its marker in the store's .cache/ (clients look there)."""


class _Terminated(Exception):
    pass


def _terminate(*_: Any) -> None:
    raise _Terminated  # out of a blocking select (PEP 475 would resume it)


def _json(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _question(command: str, params: dict) -> str:
    """A question's key (the warm set's and the answers')."""
    return json.dumps([command, params], sort_keys=True)


class Server:
    def __init__(self, root: Path, idle: float):
        for k in ("TASKCTL_TAG", "TASKCTL_FORMAT", "TASKCTL_NO_CACHE"):
            os.environ.pop(k, None)  # the answers of the default dialect, with the caches
        self.root, self.idle = Path(os.path.abspath(root)), idle
        self.watcher = Watcher(str(self.root))  # before the first load: no change missed
        self.inode = os.stat(self.root).st_ino
        self.kept = kept.KEEPER = kept.Kept(self.root)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            self.sock.bind(channel.address(str(self.root)))
        except OSError as e:
            self.watcher.close()
            self.sock.close()
            raise AlreadyServed(str(self.root)) from e
        self.sock.listen(64)
        if not self.mark():  # said now, not after the first load; set again once loaded
            self.close()
            raise Unmarked(f"cannot write {self.root / sealed.CACHE_DIR / channel.MARKER}")
        self.unmark()  # until the first load is done, readers answer alone (not wait for it)
        self.stamp = channel.stamp()
        self.id, self.changes = os.urandom(6).hex(), 0
        self.started = self.last_question = time.monotonic()
        self.bl: Any = None
        self.bl_changes = -1
        # question -> [its answer as data (`next`'s, drawn in part: `answers.trimmed`) or
        # None, its answer JSON-encoded or None until asked whole]
        self.memo: dict[str, list] = {}
        # question -> [command, params, times asked], the latest asked last
        self.recent: OrderedDict[str, list] = OrderedDict()
        self.dirty_at: float | None = None
        self.answered = 0
        self.kept_answers = 0  # loads after which the answers held (bodies edited only)
        self.stopping = False
        self.why_stopped = ""

    # -- the store ---------------------------------------------------------------------
    def sync(self) -> None:
        """Take in every queued event."""
        paths = self.watcher.drain()
        if paths is None or paths:
            self.changes += 1
            self.dirty_at = time.monotonic()
            self.kept.note(paths)  # what the next load patches (None: it loads in full)

    def token(self) -> str:
        return f"{self.id}-{self.changes}"

    def backlog(self) -> Any:
        """The backlog of the store as it is now (loaded again after any change)."""
        from taskctl.core.load.loader import load

        while self.bl is None or self.bl_changes != self.changes:
            # what the count was when the load began: a change that arrives during the load
            # moves the count past it, and the loop loads again
            self.bl_changes, old, memo, self.memo = self.changes, self.bl, self.memo, {}
            self.bl = load(self.root, bodies=False)
            if self.kept.same_answers(old, self.bl):  # an edit of bodies only: same answers
                self.memo = {q: a for q, a in memo.items() if not q.startswith('["show"')}
                self.kept_answers += 1
            self.sync()
        return self.bl

    def asked(self, command: str, params: dict) -> str:
        """Record a client's question (kept warm: the `RECENT` latest); its key."""
        if command not in channel.SERVED or not isinstance(params, dict) \
                or set(params) != set(ANSWER_PARAMS[command]):
            raise ValueError(f"not a served question: {command}")
        q = _question(command, params)
        entry = self.recent.pop(q, None) or [command, params, 0]
        entry[2] += 1
        self.recent[q] = entry
        while len(self.recent) > RECENT:
            self.recent.popitem(last=False)
        return q

    def answer(self, command: str, params: dict, view: dict | None = None) -> str:
        """The answer document of `command` for `params` (`answers.params`), JSON-encoded:
        whole, or the part that drawing it with options `view` reads (`answers.trimmed`)."""
        got = self.computed(command, params)
        if got[0] is not None and view is not None:
            return _json(answers.trimmed(command, got[0], view))
        if got[1] is None:  # encoded once, when first asked whole
            got[1] = _json(got[0])
        return got[1]

    def computed(self, command: str, params: dict) -> list:
        """The memo's entry for the question, computed for the store as it is now: [the
        answer as data where a reader draws a part of it (`answers.TRIMMED`), else None;
        its JSON, or None until asked whole]."""
        q = _question(command, params)
        while True:
            bl = self.backlog()
            got = self.memo.get(q)
            if got is None:
                doc = (answers.plan_answer(self.root, command, params["weight"], bl=bl)
                       if command in PLANNING else answers.compute(self.root, command, params,
                                                                   bl=bl))
                got = [doc, None] if command in answers.TRIMMED else [None, _json(doc)]
            self.sync()
            if self.bl_changes == self.changes:
                self.memo[q] = got
                return got

    def refresh(self) -> None:
        """The recent questions answered again for the store as it is now, the most asked
        first (an agent's `next`), then the latest. A client waiting meanwhile is answered
        first (its question may not be among them): the rest is resumed right after."""
        self.dirty_at = None
        if not self.recent:
            self.backlog()
        order = sorted(enumerate(self.recent.items()), key=lambda e: (e[1][1][2], e[0]),
                       reverse=True)
        for _i, (q, (command, params, _times)) in order:
            if self.memo.get(q) is not None and self.bl_changes == self.changes:
                continue  # answered already for this state
            if select.select([self.sock], [], [], 0)[0]:
                self.dirty_at = time.monotonic() - QUIET
                return
            try:
                self.computed(command, params)  # encoded when asked, whole or in part
            except (Gone, Unwatchable):
                raise
            except Exception:  # noqa: BLE001 - its asker is told when it asks again
                self.recent.pop(q, None)
            if self.dirty_at is not None:
                return  # changed again meanwhile: wait for quiet again

    # -- the socket --------------------------------------------------------------------
    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(REQUEST_TIMEOUT)
        if channel.peer_uid(conn) != os.getuid():
            return
        line = channel.read_line(conn, channel.MAX_REQUEST)
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        self.last_question = time.monotonic()
        reply = self.reply(msg)
        if isinstance(reply, dict):
            reply = json.dumps(reply, separators=(",", ":"))
        conn.sendall(reply.encode("utf-8", "surrogatepass") + b"\n")

    def reply(self, msg: dict) -> dict | str:
        op = msg.get("op")
        if op == "stop":
            self.stop("asked to stop")
            return {"stopping": True}
        if op == "status":
            return {"pid": os.getpid(), "root": str(self.root), "token": self.token(),
                    "changes": self.changes, "answered": self.answered,
                    "answers_kept": self.kept_answers,
                    "uptime_s": round(time.monotonic() - self.started, 1),
                    "tasks": None if self.bl is None else len(self.bl.tasks),
                    "questions": [json.loads(q) for q in self.recent]}
        if msg.get("stamp") != self.stamp:
            self.stop("a client runs other taskctl code")
            return {"error": "this server runs other taskctl code; it stops"}
        self.sync()
        if op == "token":
            return {"token": self.token()}
        if op == "answer":
            try:
                self.asked(msg.get("command"), msg.get("params"))
                view = msg.get("view")
                doc = self.answer(msg.get("command"), msg.get("params"),
                                  view if isinstance(view, dict) else None)
            except Exception as e:  # noqa: BLE001 - the client computes it itself
                return {"error": f"{type(e).__name__}: {e}"}
            self.answered += 1
            return f'{{"token":{json.dumps(self.token())},"doc":{doc}}}'  # doc: JSON already
        return {"error": f"unknown request {op!r}"}

    def stop(self, why: str) -> None:
        self.stopping, self.why_stopped = True, why

    def run(self) -> str:
        """Serve until stopped; returns why it stopped."""
        signal.signal(signal.SIGTERM, _terminate)
        try:
            self.backlog()  # the first question should not pay for it
            if not self.mark():
                self.stop(f"cannot write {self.root / sealed.CACHE_DIR / channel.MARKER}")
            while not self.stopping:
                self._still_there()
                if self.dirty_at is not None:
                    wait = max(0.0, self.dirty_at + QUIET - time.monotonic())
                else:
                    wait = max(0.0, self.last_question + self.idle - time.monotonic())
                try:
                    ready, _, _ = select.select([self.sock, self.watcher], [], [],
                                                min(wait, LOOK_S))
                except InterruptedError:
                    continue
                if self.watcher in ready:
                    self.sync()
                if self.sock in ready:
                    try:
                        conn, _ = self.sock.accept()
                    except OSError:
                        continue  # gone before it was taken, or no descriptor left now
                    with conn:
                        try:
                            self.handle(conn)
                        except OSError:
                            pass  # the client went away
                if not ready:
                    if self.dirty_at is not None:
                        self.sync()
                        if self.dirty_at is not None and \
                                time.monotonic() - self.dirty_at >= QUIET:
                            self.refresh()
                    elif time.monotonic() - self.last_question >= self.idle:
                        self.stop(f"idle for {self.idle:g} s")
        except _Terminated:
            self.stop("terminated")
        except Gone:
            self.stop("the store went away")
        except Unwatchable as e:
            self.stop(str(e))
        finally:
            self.close()
        return self.why_stopped

    def _still_there(self) -> None:
        """Raise Gone when the store's path no longer names the folder it watches. The
        watch's own event (IN_DELETE_SELF) comes only once nothing holds the folder: a
        server started in the background writes its log in `.cache/`, and that open file
        keeps a deleted store's folders alive — so the path is looked at after every event,
        question and at least every LOOK_S seconds."""
        try:
            same = os.stat(self.root).st_ino == self.inode
        except OSError:
            same = False
        if not same:
            raise Gone(str(self.root))

    def mark(self) -> bool:
        """Leave the marker by which readers know a server answers for the store."""
        return sealed.write(self.root, channel.MARKER, str(os.getpid()).encode())

    def close(self) -> None:
        """Stop listening, and take the marker away when it is still this server's."""
        self.sock.close()
        self.watcher.close()
        self.unmark()

    def unmark(self) -> None:
        if sealed.read(self.root, channel.MARKER, 64) == str(os.getpid()).encode():
            try:
                os.unlink(self.root / sealed.CACHE_DIR / channel.MARKER)
            except OSError:
                pass
