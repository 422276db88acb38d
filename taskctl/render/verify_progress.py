"""Progress for `verify`/`gate` on stderr: a live spinner per running item on a terminal,
plain one-line events otherwise (CI logs). The core calls `observer(kind, task, item)`
(the `Observer` protocol of core/verify/events.py)."""

from __future__ import annotations

import threading
import time

from taskctl.core.verify.events import Event
from taskctl.render.verify_report import item_line


class Progress:
    """Thread-safe observer; use as a context manager around the core call."""

    def __init__(self, console, quiet: bool = False):
        self.console = console
        self.quiet = quiet
        self.live_mode = console.is_terminal and not quiet
        self.running: dict[tuple[str, int], tuple[str, float]] = {}
        self.lock = threading.Lock()
        self.live = None

    def __enter__(self) -> Progress:
        if self.live_mode:
            from rich.live import Live

            self.live = Live(console=self.console, transient=True, refresh_per_second=8,
                             get_renderable=self._render)
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()

    def _render(self):
        from rich.console import Group
        from rich.spinner import Spinner

        with self.lock:
            rows = [Spinner("dots", f"{task} item {i}: {crit}  "
                                    f"[dim]{time.monotonic() - t0:.0f}s[/dim]")
                    for (task, i), (crit, t0) in sorted(self.running.items())]
        return Group(*rows)

    def __call__(self, kind: Event, task: str, item) -> None:
        if self.quiet:
            return
        with self.lock:
            if kind == Event.ITEM_START:
                self.running[(task, item.index)] = (item.criterion, time.monotonic())
                if not self.live_mode:
                    self.console.print(f"  RUN            {task} item {item.index}: "
                                       f"{item.criterion}", markup=False, highlight=False)
            elif kind == Event.ITEM_END:
                self.running.pop((task, item.index), None)
                self.console.print(item_line(task, item), highlight=False)
