"""training/cpu_tuning.py: the trainer's CPU XLA-flag defaults are added to XLA_FLAGS without
overriding what the user set, and are recorded in provenance."""

from __future__ import annotations

import pytest

from training import cpu_tuning

pytestmark = pytest.mark.training


def test_apply_adds_defaults_and_keeps_the_users_flags(monkeypatch):
    monkeypatch.setattr(cpu_tuning, "CPU_XLA_FLAGS", {"--xla_a": "true", "--xla_b": "4"})
    env = {"XLA_FLAGS": "--xla_b=8 --xla_force_host_platform_device_count=2"}
    assert cpu_tuning.apply(env) == ["--xla_a=true"]
    assert env["XLA_FLAGS"].split() == ["--xla_b=8", "--xla_force_host_platform_device_count=2",
                                        "--xla_a=true"]
    assert cpu_tuning.apply(env) == []  # idempotent
    assert cpu_tuning.active_flags(env)[-1] == "--xla_a=true"
    empty: dict[str, str] = {}
    assert cpu_tuning.apply(empty) == ["--xla_a=true", "--xla_b=4"]
    assert empty["XLA_FLAGS"] == "--xla_a=true --xla_b=4"


def test_provenance_records_the_xla_flags(monkeypatch):
    from training.config import make_config
    from training.provenance import compute_choices

    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    out = compute_choices(make_config("tiny"), "cpu")
    assert out["xla_flags"] == ["--xla_cpu_enable_fast_math=false"]
    assert out["cpu_tuning_defaults"] == cpu_tuning.defaults()
