"""JAX persistent compilation cache: second runs load executables instead of compiling."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "taskctl-training" / "jax"


def enable(directory: Path | str | None = None) -> Path:
    """Point JAX at ``directory`` (default ~/.cache/taskctl-training/jax) and cache every
    compile, however quick (min compile time 0 s, min entry size 0). Call before compiling."""
    import jax

    path = Path(directory) if directory else DEFAULT_DIR
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def entry_count(directory: Path | str | None) -> int:
    """Files in the cache directory (a cache hit adds none; a miss adds one or two)."""
    if not directory or not Path(directory).is_dir():
        return 0
    return sum(1 for p in Path(directory).rglob("*") if p.is_file())
