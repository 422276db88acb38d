"""Batches built and put on the device ahead of use, on a background thread.

The training thread only dispatches steps; building the next batch (numpy) and its
host-to-device copy overlap with the running step. Batches are a pure function of
``(seed, step)``, so prefetching changes no number.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_DONE = object()


class Prefetcher:
    """Iterate ``make(i)`` for ``i`` in ``range(start, end)``, ``depth`` items ahead.

    ``make`` runs on a daemon thread; an exception there is re-raised in the consumer at the
    item it failed on. ``close()`` stops the thread early (a run that stops or fails)."""

    def __init__(self, make: Callable[[int], Any], start: int, end: int, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(make, start, end),
                                        name="batch-prefetch", daemon=True)
        self._thread.start()

    def _fill(self, make: Callable[[int], Any], start: int, end: int) -> None:
        for i in range(start, end):
            if self._stop.is_set():
                return
            try:
                item = (i, make(i), None)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                item = (i, None, exc)
            if not self._put(item) or item[2] is not None:
                return
        self._put((end, _DONE, None))

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        while True:
            i, value, exc = self._queue.get()
            if exc is not None:
                raise exc
            if value is _DONE:
                return
            yield i, value

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
