"""Write an eval results pack (JSON), its heat map (PNG) and the one-line summary.

Both files are written atomically (training/jsonio.py). The pack holds no timestamps or
timings, so the same checkpoint, spec and code give a byte-identical pack.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from training.jsonio import atomic_write, write_json


def default_paths(pack: dict[str, Any], step_dir: Path, spec_hash: str) -> tuple[Path, Path]:
    """``<checkpoint root>/eval/<step>/<task>-<weights>-<spec hash>.{json,png}``: beside the
    step directory, never inside it (that would break its integrity sidecar)."""
    spec = pack["spec"]
    stem = f"{spec['task']}-{spec['weights']}-{spec_hash}"
    folder = step_dir.parent / "eval" / step_dir.name
    return folder / f"{stem}.json", folder / f"{stem}.png"


def write_pack(path: Path, pack: dict[str, Any]) -> None:
    write_json(path, pack)


def heatmap_png(pack: dict[str, Any]) -> bytes:
    """Exact match as a length x depth grid (rows: lengths, columns: depths); each cell
    annotated with exact match, its count and the digit accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = pack["spec"]
    lengths, depths = spec["lengths"], spec["depths"]
    acc = {(c["length"], c["depth"]): c for c in pack["cells"]}
    grid = [[acc[(n, d)]["accuracy"] for d in depths] for n in lengths]
    fig, ax = plt.subplots(figsize=(1.1 * len(depths) + 2.4, 0.55 * len(lengths) + 1.9))
    im = ax.imshow(grid, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    for i, n in enumerate(lengths):
        for j, d in enumerate(depths):
            c = acc[(n, d)]
            ink = "black" if 0.25 <= c["accuracy"] <= 0.8 else "white"  # readable on the cell
            ax.text(j, i, f"{c['accuracy']:.2f} ({c['correct']}/{c['n']})\n"
                          f"digits {c['digit_accuracy']:.2f}", ha="center", va="center",
                    fontsize=8, color=ink)
    ax.set_xticks(range(len(depths)), [f"{d:g}" for d in depths])
    ax.set_yticks(range(len(lengths)), [str(n) for n in lengths])
    ax.set(xlabel="needle depth (0 = start of context, 1 = just before the question)",
           ylabel="context length (tokens)")
    ck = pack["checkpoint"]
    ax.set_title(f"{spec['task']} exact match, step {ck['step']} ({spec['weights']}), "
                 f"{spec['trials']} trials/cell", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_heatmap(path: Path, pack: dict[str, Any]) -> None:
    atomic_write(path, heatmap_png(pack))


def summary(pack: dict[str, Any], pack_path: Path, seconds: float) -> str:
    """``passkey: exact match 0.93 (112/120) ... -> PATH (4.1s)``: one line for stdout."""
    spec, o = pack["spec"], pack["overall"]
    worst = min(pack["cells"], key=lambda c: (c["accuracy"], c["length"], c["depth"]))
    return (f"{spec['task']}: exact match {o['accuracy']:.3f} ({o['correct']}/{o['n']}), digits "
            f"{o['digit_accuracy']:.3f}, "
            f"step {pack['checkpoint']['step']} {spec['weights']} lengths "
            f"{','.join(map(str, spec['lengths']))} depths "
            f"{','.join(f'{d:g}' for d in spec['depths'])}; worst cell "
            f"L={worst['length']} d={worst['depth']:g} {worst['accuracy']:.2f}; "
            f"chance {pack['chance']:.1e} -> {pack_path} ({seconds:.1f}s)")
