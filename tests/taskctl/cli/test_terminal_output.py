"""Colour and terminals, from a real subprocess: NO_COLOR and pipes give plain text, a pty or
FORCE_COLOR gives ANSI colour; typer's shell completion works."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from tests.taskctl.core.todo.todo_support import import_fixture

ANSI = "\x1b["


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    repo = tmp_path_factory.mktemp("colour")
    import_fixture(repo / ".tasks", "infra.md")
    return repo


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "TASKCTL_DIR")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "100", **extra}


def run_piped(cwd, args, **env) -> str:
    done = subprocess.run([sys.executable, "-m", "taskctl", *args], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_in_pty(cwd, args, **env) -> str:
    """stdout and stderr on a pseudo-terminal, as in an interactive shell."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "taskctl", *args], cwd=cwd,
                            env=_env(**env), stdout=secondary, stderr=secondary,
                            stdin=subprocess.DEVNULL)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_pty_gets_colour(project):
    out = run_in_pty(project, ["status"])
    assert "pending" in out and ANSI in out


def test_no_color_on_a_pty_is_plain(project):
    out = run_in_pty(project, ["status"], NO_COLOR="1")
    assert "pending" in out and ANSI not in out


def test_pipe_is_plain(project):
    out = run_piped(project, ["status"])
    assert "pending" in out and ANSI not in out


def test_force_color_on_a_pipe(project):
    assert ANSI in run_piped(project, ["status"], FORCE_COLOR="1")


def test_no_color_wins_for_import_output(project, tmp_path):
    from tests.taskctl.core.todo.todo_support import FIXTURES

    out = run_in_pty(tmp_path, ["import", str(FIXTURES / "infra.md"), "--dry-run"],
                     NO_COLOR="1")
    assert "would import infra.md" in out and ANSI not in out


def test_shell_completion_script_and_candidates(project):
    # typer finds the shell among the process's ancestors (shellingham): asked from bash, as
    # a person does, not from whatever runs the tests (an orphaned run has no shell above it;
    # a second command keeps bash from replacing itself with the first)
    done = subprocess.run(["bash", "-c", '"$0" -m taskctl --show-completion; exit $?',
                           sys.executable],
                          cwd=project, env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    script = done.stdout
    assert "_TASKCTL_COMPLETE" in script and "complete " in script
    words = run_piped(project, [], _TASKCTL_COMPLETE="complete_bash",
                      COMP_WORDS="taskctl imp", COMP_CWORD="1")
    assert words.split() == ["import"]
