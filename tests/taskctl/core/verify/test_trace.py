"""Precise evidence: files an acceptance run read are traced, recorded and fingerprinted."""

from __future__ import annotations

import os
import subprocess
import sys

from taskctl.core.verify import attest, fingerprint, trace
from tests.taskctl.core.verify.verify_support import make_tree, taskctl

READS_A = f"{sys.executable} -c 'import pkg.a; open(\"data.txt\").read()'"


def _repo(tmp_path, run=READS_A, inputs=None):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("X = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("Y = 2\n")
    (tmp_path / "data.txt").write_text("data\n")
    (tmp_path / "out").mkdir()
    item = {"criterion": "reads a and data", "run": run}
    if inputs is not None:
        item["inputs"] = inputs
    root = make_tree(tmp_path, {"T001": {"items": [item]}})
    with open(tmp_path / ".gitignore", "a") as f:
        f.write("out/\n")
    return root


def _record(root):
    """The evidence record inside the signed envelope."""
    data = (root / "evidence" / "T001" / "item-01.json").read_bytes()
    return attest.open_envelope(data)[0]["predicate"]


def test_python_reads_are_traced_and_only_an_edit_of_them_stales(tmp_path):
    root = _repo(tmp_path)
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "python"}, check=0)
    rec = _record(root)
    assert sorted(rec["fingerprint"]["parts"]["inputs"]["traced"]) == [
        "data.txt", "pkg/__init__.py", "pkg/a.py"]
    assert rec["trace"] == {"python": True, "strace": False, "files": 3}
    (tmp_path / "pkg" / "b.py").write_text("Y = 3\n")  # not read by the run
    taskctl(tmp_path, "gate", "--check", check=0)
    (tmp_path / "pkg" / "a.py").write_text("X = 2\n")
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "traced input changed: pkg/a.py" in p.stdout
    (tmp_path / "pkg" / "a.py").unlink()
    p = taskctl(tmp_path, "gate", "--check", check=1)
    assert "traced input removed: pkg/a.py" in p.stdout


def test_a_child_with_its_own_pythonpath_is_traced_too(tmp_path):
    (tmp_path / "child.py").write_text(
        "import os, subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'import pkg.b'], check=True,\n"
        "               env={**os.environ, 'PYTHONPATH': os.getcwd()})\n")
    root = _repo(tmp_path, run=f"{sys.executable} child.py")
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "python"}, check=0)
    assert "pkg/b.py" in _record(root)["fingerprint"]["parts"]["inputs"]["traced"]


def test_declared_inputs_stay_authoritative(tmp_path):
    root = _repo(tmp_path, inputs=["pkg/b.py"])  # declared, though never read
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "python"}, check=0)
    parts = _record(root)["fingerprint"]["parts"]["inputs"]
    assert list(parts["files"]) == ["pkg/b.py"] and "pkg/b.py" not in parts["traced"]
    (tmp_path / "pkg" / "b.py").write_text("Y = 3\n")
    assert "input changed: pkg/b.py" in taskctl(tmp_path, "gate", "--check", check=1).stdout


def test_tracing_off_records_no_traced_files(tmp_path):
    root = _repo(tmp_path)
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "off"}, check=0)
    assert "traced" not in _record(root)["fingerprint"]["parts"]["inputs"]
    (tmp_path / "pkg" / "a.py").write_text("X = 2\n")
    taskctl(tmp_path, "gate", "--check", check=0)


def test_ignored_and_written_files_are_not_inputs(tmp_path):
    run = (f"{sys.executable} -c 'open(\"out/w.txt\", \"w\").write(\"x\"); "
           f"open(\"out/w.txt\").read(); open(\"pkg/new.txt\", \"w\").write(\"y\")'")
    root = _repo(tmp_path, run=run)
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "python"}, check=0)
    traced = _record(root)["fingerprint"]["parts"]["inputs"].get("traced", {})
    assert "out/w.txt" not in traced and "pkg/new.txt" not in traced


def test_non_python_reads_are_traced_by_strace_when_it_can_run(tmp_path):
    root = _repo(tmp_path, run="cat data.txt >/dev/null")
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "auto"}, check=0)
    rec = _record(root)
    traced = rec["fingerprint"]["parts"]["inputs"].get("traced", {})
    # where ptrace is forbidden or strace missing, tracing degrades to the Python hook
    assert rec["trace"]["strace"] is trace.strace_usable()
    assert ("data.txt" in traced) is trace.strace_usable()


def test_forged_traced_paths_are_never_read(tmp_path):
    """A record is committed data: traced paths that are absolute or climb out are dropped
    (so a forged record's key cannot match), and a traced symlink out of the repository is
    hashed as missing, never read."""
    (tmp_path / "repo").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    (tmp_path / "repo" / "link.txt").symlink_to(secret)
    rec = {"fingerprint": {"parts": {"inputs": {"traced": {
        "../secret.txt": "x", "/etc/passwd": "x", "ok.py": "x", "link.txt": "x"}}}}}
    assert trace.recorded(rec) == ["link.txt", "ok.py"]
    got = fingerprint.traced_hashes(tmp_path / "repo", ["link.txt", "ok.py"], {}, None)
    assert got == {"link.txt": "missing", "ok.py": "missing"}


def test_strace_output_parsing():
    text = "\n".join([
        '12 openat(AT_FDCWD, "/r/a.py", O_RDONLY|O_CLOEXEC) = 3',
        '12 openat(AT_FDCWD, "/r/missing", O_RDONLY) = -1 ENOENT (No such file or directory)',
        '12 openat(AT_FDCWD, "/r/out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4',
        '13 execve("/r/tool.sh", ["tool.sh"], 0x7ffd /* 3 vars */) = 0',
        '13 open("rel.txt", O_RDWR) = 5',
        '13 +++ exited with 0 +++',
        '14 execve("/usr/bin/git", ["git", "status"], 0x7ffd /* 3 vars */) = 0',
        '14 openat(AT_FDCWD, "/r/README.md", O_RDONLY) = 3'])  # git's index refresh: not a read
    assert trace.strace_reads(text) == ["/r/a.py", "/r/tool.sh", "rel.txt"]


def test_sitecustomize_chains_and_never_breaks_the_command(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import os; os.environ['CHAINED'] = '1'\n")
    env = {**os.environ, "PYTHONPATH": f"{trace.HOOK_DIR}{os.pathsep}{other}",
           "TASKCTL_TRACE_FILE": str(tmp_path / "no-such-dir" / "t.txt"),
           "TASKCTL_TRACE_ROOT": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('CHAINED'))"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


def test_a_traced_command_keeps_its_exit_status(tmp_path):
    root = _repo(tmp_path, run="cat data.txt >/dev/null; exit 3")
    taskctl(tmp_path, "verify", "T001", env={"TASKCTL_TRACE": "auto"}, check=1)
    rec = _record(root)
    assert rec["status"] == "FAIL" and rec["exit_code"] == 3
