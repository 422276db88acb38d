"""T004's acceptance check (run by `taskctl verify T004`, not collected by pytest): a wandb
tracker in offline mode writes a local run directory and needs no network or login.

Exits non-zero with the reason when wandb is not installed (T004 stays blocked until it is).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from training.errors import UsageError
from training.ops.tracking import make_tracker


def main() -> int:
    os.environ["WANDB_MODE"] = "offline"
    with tempfile.TemporaryDirectory() as d:
        try:
            tracker = make_tracker("wandb", Path(d))
        except UsageError as e:  # wandb is not installed: T004 stays blocked
            print(f"error: {e}" + (f" (hint: {e.hint})" if getattr(e, "hint", None) else ""),
                  file=sys.stderr)
            return 1
        tracker.log_metrics(1, {"loss": 2.0})
        tracker.close()
        runs = list((Path(d) / "wandb").glob("offline-run-*"))
        if not runs:
            print("no offline-run-* directory under RUN_DIR/wandb", file=sys.stderr)
            return 1
        print(f"offline run written: {runs[0].name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
