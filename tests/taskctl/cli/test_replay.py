"""The rendered-output cache (`cli/replay.py`): a warm read writes the bytes the full CLI writes,
for every read command, coloured or not, at 80 and 120 columns; it is never served across
terminals, colour settings, edits, forged files or a clock that moved past a lease."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from taskctl.cli import quick, replay
from taskctl.render import console

COMMANDS = [["next"], ["next", "--json"], ["next", "-n", "1", "--explain"], ["ready"],
            ["ready", "--waves", "--json"], ["critical-path"], ["status"], ["status", "--json"],
            ["list"], ["list", "--json"], ["list", "--status", "remaining"], ["show", "T022"],
            ["show", "--json", "T022"], ["validate"], ["validate", "-v", "--json"]]


@pytest.fixture
def quiet(copy_example):
    """agent-mvp with nothing in progress, so every read command is drawn without the clock."""
    root = copy_example("agent-mvp")
    f = root / "tasks" / "T022-resume.yaml"
    f.write_text(f.read_text().replace("status: in_progress", "status: pending"))
    return root


@pytest.fixture
def terminal(monkeypatch):
    """Set the environment a drawing depends on; fresh rich consoles before and after."""

    def _set(**env: str) -> None:
        for k in replay.ENV:
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        console.stdout.cache_clear()
        console.stderr.cache_clear()

    yield _set
    console.stdout.cache_clear()
    console.stderr.cache_clear()


def fast(root: Path, argv: list[str], capsys, hit: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of the fast entry; `hit=True` makes drawing anything a failure."""
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:  # only this patch is undone after the call
        if hit:
            mp.setattr(quick, "_draw", lambda *a: pytest.fail("drawn, not replayed"))
        assert quick.answer(["--tasks-dir", str(root), *argv]) is True
    return capsys.readouterr()


def drawn_by_full_cli(root: Path, argv: list[str], taskctl, monkeypatch) -> tuple[str, str]:
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    try:
        full = taskctl([*argv, "--tasks-dir", root])
    finally:
        monkeypatch.delenv("TASKCTL_NO_CACHE")
    assert full.code == 0, full.err
    return full.out, full.err


@pytest.mark.parametrize("colour", ["FORCE_COLOR", "NO_COLOR"])
@pytest.mark.parametrize("columns", ["80", "120"])
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_hit_miss_and_full_cli_print_the_same_bytes(quiet, taskctl, capsys, monkeypatch,
                                                    terminal, argv, colour, columns):
    terminal(**{colour: "1", "COLUMNS": columns})
    miss = fast(quiet, argv, capsys)  # computes, draws, keeps the drawing
    hit = fast(quiet, argv, capsys, hit=True)
    full = drawn_by_full_cli(quiet, argv, taskctl, monkeypatch)
    assert miss == hit == full
    if "--json" not in argv and argv[0] != "validate":  # the matrix means something
        assert ("\x1b[" in miss[0]) == (colour == "FORCE_COLOR")


@pytest.mark.parametrize("argv", [["list"], ["next"]], ids=" ".join)
def test_never_served_to_another_terminal(quiet, taskctl, capsys, monkeypatch, terminal, argv):
    """Colour and width are part of the entry: each step below changes one setting after a
    drawing was kept, and must get what the full CLI prints there, not the kept drawing."""
    steps = [{"FORCE_COLOR": "1", "COLUMNS": "120"},
             {"FORCE_COLOR": "1", "COLUMNS": "120", "NO_COLOR": "1"},
             {"FORCE_COLOR": "1", "COLUMNS": "80", "NO_COLOR": "1"},
             {"FORCE_COLOR": "1", "COLUMNS": "80"}]
    seen = []
    for env in steps:
        terminal(**env)
        got = fast(quiet, argv, capsys)
        assert got == drawn_by_full_cli(quiet, argv, taskctl, monkeypatch), env
        seen.append(got)
    assert len(set(seen)) == len(steps)  # each step drew something else
    assert fast(quiet, argv, capsys, hit=True) == seen[-1]
    terminal(**steps[0])  # its slot now holds the 80-column drawing: drawn again
    assert fast(quiet, argv, capsys) == seen[0]
    assert len(list((quiet / ".cache").glob(f"out-{argv[0]}-*"))) == 2  # resizes reuse slots


def test_an_edit_is_drawn_anew(quiet, capsys, monkeypatch, terminal):
    terminal(NO_COLOR="1")
    fast(quiet, ["show", "T033"], capsys)
    ignore = quiet / ".cache" / ".gitignore"
    ignore.unlink()
    terminal(NO_COLOR="1", COLUMNS="99")  # the answer is cached: only a drawing is written
    fast(quiet, ["show", "T033"], capsys)
    assert ignore.read_text() == "*\n"  # drawings are per user and terminal: never committed
    f = quiet / "tasks" / "T033-early-stopping.yaml"
    f.write_text(f.read_text().replace("Early Stopping", "Early Halting"))
    out, _ = fast(quiet, ["show", "T033"], capsys)
    assert "Early Halting" in out


def _later(monkeypatch, hours: float, frozen: bool = False) -> None:
    """Move the clock of claims and holders `hours` ahead (the files stay as they are);
    `frozen`: stopped there (two drawings that show a claim's age in seconds are compared)."""
    real = datetime
    start = real.now(UTC)

    class Later(real):
        @classmethod
        def now(cls, tz=None):
            t = (start if frozen else real.now(UTC)) + timedelta(hours=hours)
            return t.astimezone(tz) if tz is not None else t.astimezone().replace(tzinfo=None)

    import taskctl.core.files.claims as claims_mod
    import taskctl.core.lifecycle.holders as holders_mod
    import taskctl.render.claims as render_claims

    for mod in (claims_mod, holders_mod, render_claims):
        monkeypatch.setattr(mod, "datetime", Later)


@pytest.mark.parametrize("argv", [["next"], ["status"], ["list"], ["list", "--json"]])
def test_an_expired_lease_is_never_shown_live_from_an_old_drawing(quiet, taskctl, capsys,
                                                                  monkeypatch, terminal, argv):
    terminal(NO_COLOR="1", COLUMNS="120")
    assert taskctl(["claim", "T033", "--agent", "ann", "--lease", "1h",
                    "--tasks-dir", quiet]).code == 0
    _later(monkeypatch, 0, frozen=True)  # the claim's age ("0s") must not tick between looks
    before, _ = fast(quiet, argv, capsys)
    assert fast(quiet, argv, capsys) == (before, _)  # a second look, same moment
    assert "expired" not in before
    _later(monkeypatch, 2)  # nothing on disk changed: only the clock
    after, _ = fast(quiet, argv, capsys)
    assert "expired" in after, after


def test_next_json_with_a_claim_is_kept(quiet, taskctl, capsys, monkeypatch, terminal):
    """`next --json` gives the claim as recorded (agents judge it): nothing read from the
    clock, so it is replayed, and it is what the full CLI prints an hour later too."""
    terminal(NO_COLOR="1")
    assert taskctl(["claim", "T033", "--agent", "ann", "--lease", "1h",
                    "--tasks-dir", quiet]).code == 0
    first = fast(quiet, ["next", "--json"], capsys)
    assert '"claim"' in first[0]
    assert fast(quiet, ["next", "--json"], capsys, hit=True) == first
    _later(monkeypatch, 2)
    assert drawn_by_full_cli(quiet, ["next", "--json"], taskctl, monkeypatch) == first


def test_in_progress_list_is_not_kept(copy_example, capsys, terminal):
    """Who holds an in-progress task may come from update files the key does not watch."""
    mvp = copy_example("agent-mvp")  # T022 in progress
    terminal(NO_COLOR="1")
    fast(mvp, ["list"], capsys)
    fast(mvp, ["status"], capsys)
    kept = {p.name.split("-")[1] for p in (mvp / ".cache").glob("out-*")}
    assert not kept & {"list", "status"}


def test_forged_or_foreign_entries_are_ignored(quiet, taskctl, capsys, monkeypatch, terminal,
                                               tmp_path):
    """A drawing sealed under another user's key (a committed .cache) is never written out."""
    from taskctl.core.files import cachekey

    terminal(NO_COLOR="1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    cachekey.forget()
    try:
        fast(quiet, ["next"], capsys)
        [entry] = (quiet / ".cache").glob("out-next-*")
        payload = cachekey.unseal(entry.read_bytes())
        forged = payload.replace(b"T033", b"T666")
        entry.write_bytes(cachekey.seal(forged))  # well-formed, under the wrong key
    finally:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "me"))
        cachekey.forget()
    out, _ = fast(quiet, ["next"], capsys)
    assert "T666" not in out and "T033" in out
    entry.write_bytes(entry.read_bytes()[:-3] + b"zzz")  # corrupted under my own key
    assert fast(quiet, ["next"], capsys)[0] == out
    cachekey.forget()


def test_env_lists_what_rich_reads():
    """A rich upgrade that reads another environment variable must be added to replay.ENV."""
    import rich.console

    src = Path(rich.console.__file__).read_text()
    read = set(re.findall(r"environ\.get\(\s*\"([A-Z_]+)\"", src))
    read |= set(re.findall(r"getenv\(\s*\"([A-Z_]+)\"", src))
    assert read and read <= set(replay.ENV), read - set(replay.ENV)


def test_a_changed_renderer_or_path_is_a_different_drawing(monkeypatch, tmp_path):
    (tmp_path / "tables.py").write_text("x = 1\n")
    monkeypatch.setattr(replay, "_RENDER", str(tmp_path))
    before = replay.surroundings()
    (tmp_path / "tables.py").write_text("x = 22\n")
    assert replay.surroundings() != before
    before = replay.surroundings()
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path / "another-rich")])
    assert replay.surroundings() != before  # another rich could be imported


@pytest.mark.parametrize("colour", [True, False])
def test_a_real_hit_imports_no_rich(quiet, colour):
    """Subprocesses: the second `next` (a table) is written without importing rich; the first
    imports it only to draw in colour (a pipe gets render/plain.py's text)."""
    code = ("import atexit, sys\n@atexit.register\ndef heavy():\n"  # at exit: main() ends it
            "    heavy = [m for m in ('rich', 'typer', 'yaml', 'json', 'hashlib', 'typing',"
            " 'socket', '_socket')"
            " if m in sys.modules]\n    print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
            "from taskctl.cli.quick import main\nmain()\n")
    env = {k: v for k, v in os.environ.items() if k not in replay.ENV}
    if colour:
        env["FORCE_COLOR"] = "1"
    args = [sys.executable, "-c", code, "next", "--tasks-dir", str(quiet)]
    first = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
    second = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
    assert ("rich" in first.stderr.split("HEAVY=")[1]) == colour
    assert ("\x1b[" in first.stdout) == colour
    assert second.stderr.endswith("HEAVY=\n"), second.stderr
    assert first.stdout == second.stdout and "T033" in first.stdout
    assert first.stderr.split("HEAVY=")[0] == second.stderr.split("HEAVY=")[0]


def test_a_terminal_gets_the_same_bytes_twice(quiet):
    """On a real pseudo-terminal (colour, the terminal's size): drawn, then replayed."""
    from tests.taskctl.cli.test_terminal_output import run_in_pty

    first = run_in_pty(quiet.parent, ["list"])
    assert list((quiet / ".cache").glob("out-list-*"))
    second = run_in_pty(quiet.parent, ["list"])
    assert "\x1b[" in first and first == second


@pytest.mark.parametrize("planted", ["fifo", "link"])
def test_a_planted_fifo_or_link_is_not_read(quiet, tmp_path, planted):
    """A committed entry that is a FIFO (or a link to one) would block the read forever."""
    env = {k: v for k, v in os.environ.items() if k not in replay.ENV}
    args = [sys.executable, "-m", "taskctl", "next", "--tasks-dir", str(quiet)]
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    [entry] = (quiet / ".cache").glob("out-next-*")
    entry.unlink()
    if planted == "fifo":
        os.mkfifo(entry)
    else:
        os.mkfifo(tmp_path / "fifo")
        entry.symlink_to(tmp_path / "fifo")
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)
    assert (again.returncode, again.stdout) == (0, first.stdout)
