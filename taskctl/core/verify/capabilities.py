"""What this machine can run: gpu, tpu, docker, network. Never imports jax (startup speed).

Detection is cheap and conservative:
- gpu: a /dev/nvidia[0-9]* device node, or `nvidia-smi -L` listing a GPU.
- tpu: a /dev/accel* or /dev/vfio/[0-9]* device node (TPU VMs).
- docker: a `docker` executable and a reachable /var/run/docker.sock.
- network: never detected (a sandbox that reaches only package registries must not claim it).
`TASKCTL_CAPABILITIES=gpu,network` overrides detection entirely ("" or "none": nothing).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from functools import cache

KNOWN = ("gpu", "tpu", "network", "docker")
ENV_VAR = "TASKCTL_CAPABILITIES"


def detect() -> frozenset[str]:
    """The capabilities of this machine (override first, then detection)."""
    override = os.environ.get(ENV_VAR)
    if override is not None:
        return parse(override)
    return _detect()


def parse(text: str) -> frozenset[str]:
    parts = {p.strip().lower() for p in text.replace(";", ",").split(",")}
    return frozenset(p for p in parts if p and p != "none")


@cache
def _detect() -> frozenset[str]:
    caps = set()
    if _has_gpu():
        caps.add("gpu")
    if glob.glob("/dev/accel*") or glob.glob("/dev/vfio/[0-9]*"):
        caps.add("tpu")
    if shutil.which("docker") and os.access("/var/run/docker.sock", os.R_OK | os.W_OK):
        caps.add("docker")
    return frozenset(caps)


def _has_gpu() -> bool:
    if glob.glob("/dev/nvidia[0-9]*"):
        return True
    exe = shutil.which("nvidia-smi")
    if not exe:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def missing(requires: list[str], have: frozenset[str]) -> list[str]:
    """The required capabilities this machine lacks, in spec order."""
    return [r for r in requires if r not in have]
