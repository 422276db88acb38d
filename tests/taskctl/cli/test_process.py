"""`cli/process.leave`: the console script's exit without the interpreter's teardown.

Real interpreters: what a command printed, its exit code, its `atexit` work and a thread still
running all come out as with a normal exit; only the freeing of every object is skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess:
    code = "import atexit, sys, threading, time\nfrom taskctl.cli.process import leave\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffers kept
    return subprocess.run([sys.executable, "-c", code + textwrap.dedent(body)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)


def test_buffered_output_and_atexit_work_come_out_and_the_code_is_kept(tmp_path):
    r = _run("""
        atexit.register(lambda: print("atexit ran"))
        sys.stdout.write("x" * 200_000)  # more than the stream's buffer, and a tail in it
        sys.stderr.write("to stderr")
        leave(3)
        """, tmp_path)
    assert r.returncode == 3
    assert r.stdout == "x" * 200_000 + "atexit ran\n" and r.stderr == "to stderr"


def test_exit_codes_as_systemexit_carries_them(tmp_path):
    assert _run("leave(None)", tmp_path).returncode == 0
    assert _run("leave(0)", tmp_path).returncode == 0
    r = _run("leave('taskctl: gone')", tmp_path)
    assert (r.returncode, r.stderr) == (1, "taskctl: gone\n")
    assert _run("leave(-1)", tmp_path).returncode == 255


def test_a_thread_still_running_is_waited_for(tmp_path):
    r = _run("""
        def late():
            time.sleep(0.3)
            open("late.txt", "w").write("done")
        threading.Thread(target=late).start()
        leave(0)
        """, tmp_path)
    assert r.returncode == 0 and (tmp_path / "late.txt").read_text() == "done"


def test_the_teardown_is_skipped(tmp_path):
    """What makes it worth having: objects alive at exit are not freed one by one (2.3 s after
    a `sync` of 100,000 entries). A finaliser shows whether the teardown ran."""
    body = """
        class Kept:
            def __del__(self):
                sys.stdout.write("freed")
        kept = Kept()
        """
    assert _run(body + "leave(0)\n", tmp_path).stdout == ""
    assert _run(body + "sys.exit(0)\n", tmp_path).stdout == "freed"  # the normal exit does


def test_the_console_script_ends_through_it_and_a_host_gets_control_back(tmp_path):
    """`quick.main` imported by the program's `__main__` (the console script, `python -m
    taskctl`, a `python -c` launcher) ends the process through `leave`; called by a host's
    code it returns (or raises SystemExit) as before."""
    exe = Path(sys.executable).with_name("taskctl")
    r = subprocess.run([str(exe), "schema", "task"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("}")
    r = subprocess.run([sys.executable, "-m", "taskctl", "show", "NOPE", "--tasks-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("taskctl: error:")
    kept = ("import sys\nclass Kept:\n    def __del__(self):\n        print('freed')\n"
            "kept = Kept()\nsys.argv = ['taskctl', 'schema', 'task']\n")
    r = _run(kept + "from taskctl.cli.quick import main\nmain()\nprint('after')\n", tmp_path)
    assert r.returncode == 0 and not r.stdout.rstrip().endswith(("after", "freed"))
    host = "import taskctl.cli.quick as q\ntry:\n    q.main()\nexcept SystemExit as e:\n" \
        "    print('exit', e.code)\nprint('after')\n"
    r = _run(kept + host, tmp_path)
    assert r.returncode == 0 and r.stdout.endswith("}\nexit 0\nafter\nfreed\n")
