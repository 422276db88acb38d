"""Summarise a ``python -m training bench --profile-dir DIR`` trace: device op time by op family.

``python benchmarks/profile_summary.py DIR`` prints, for the newest ``*.trace.json.gz`` under
DIR, the total XLA op time and the share of each op family (``ynn_fusion`` = matmuls on the
CPU backend; ``copy``/``transpose`` fusions = layout changes; the rest elementwise).
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import sys
from pathlib import Path

WRAPPERS = ("train", "ThunkExecutor", "SlinkyThreadPool", "$")


def summarise(directory: Path, top: int = 12) -> list[str]:
    traces = sorted(directory.rglob("*.trace.json.gz"), key=lambda p: p.stat().st_mtime)
    if not traces:
        raise SystemExit(f"no *.trace.json.gz under {directory}")
    events = json.load(gzip.open(traces[-1]))["traceEvents"]
    families: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("ph") != "X" or e["name"].startswith(WRAPPERS) or "block_until" in e["name"]:
            continue
        families[re.sub(r"[.\d]+$", "", e["name"])] += e.get("dur", 0)
    total = sum(families.values()) or 1
    lines = [f"{traces[-1]}: total op time {total / 1e3:.1f} ms"]
    lines += [f"{t / 1e3:10.1f} ms {100 * t / total:5.1f}%  {name}"
              for name, t in families.most_common(top)]
    return lines


if __name__ == "__main__":
    print("\n".join(summarise(Path(sys.argv[1]))))
