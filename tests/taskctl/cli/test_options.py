"""The fast entry and the typer commands share ONE option table (taskctl/cli/options.py)."""

from __future__ import annotations

import pytest
import typer.main

from taskctl.cli import options
from taskctl.cli.app import app


def _params(command: str) -> dict[str, tuple]:
    click_cmd = typer.main.get_command(app).commands[command]
    return {p.name: (tuple(sorted(p.opts)), p.default, p.is_flag)
            for p in click_cmd.params if p.param_type_name == "option"}


@pytest.mark.parametrize("command", sorted(options.COMMANDS))
def test_typer_commands_match_the_option_table(command):
    got = _params(command)
    for o in options.COMMANDS[command]:
        dest = "as_json" if o.dest == "json" else o.dest
        assert got[dest] == (tuple(sorted(o.names)), o.default, o.flag), (command, o)
    assert len(got) == len(options.COMMANDS[command])  # no option the fast entry ignores


def test_weights_are_the_planner_s():
    from taskctl.core.plan.estimates import WEIGHT_CHOICES

    assert tuple(options.WEIGHTS) == tuple(WEIGHT_CHOICES)


def test_parse_fills_defaults_and_converts():
    assert options.parse(["next", "--limit=2", "--tasks-dir", "x"]) == (
        "next", {"n": 2, "explain": False, "weight": "auto", "claim": False, "agent": None,
                 "lease": "2h", "pid": None, "json": False}, "x")
    # a claim is a write: never answered from the planning cache
    assert options.parse(["next", "--claim", "--agent", "a"]) is None
    assert options.parse(["critical-path", "--json", "--weight", "count"]) == (
        "critical-path", {"weight": "count", "json": True}, None)
