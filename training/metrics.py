"""metrics.jsonl writer and the loss-curve picture.

One JSON object per line. Train lines: ``step, loss, lr, grad_norm, tokens_per_sec``
(tokens = batch_size * seq_len per step, padding included). Eval lines: ``step, val_loss,
val_ppl, val_acc`` and, on golden data, ``exact_match``. Non-finite numbers are written as
null (JSON has no NaN) with ``"nonfinite": true``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out, bad = {}, False
    for k, v in record.items():
        if isinstance(v, float) and not math.isfinite(v):
            v, bad = None, True
        out[k] = v
    if bad:
        out["nonfinite"] = True
    return out


class MetricsWriter:
    """Appends records to ``path`` (a resumed run continues the same file)."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(_clean(record), sort_keys=True) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_loss_curve(metrics_path: Path, out: Path) -> Path | None:
    """Train loss and val loss against step, to PNG. Returns None when there is no data."""
    records = read_metrics(metrics_path) if metrics_path.exists() else []
    train = [(r["step"], r["loss"]) for r in records if r.get("loss") is not None]
    val = [(r["step"], r["val_loss"]) for r in records if r.get("val_loss") is not None]
    if not train and not val:
        return None
    import matplotlib  # lazy: only the end of a run pays for it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        ax.plot(*zip(*train, strict=True), label="train loss", lw=1)
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="val loss", ms=3)
    ax.set(xlabel="step", ylabel="cross-entropy (nats/token)", yscale="log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
