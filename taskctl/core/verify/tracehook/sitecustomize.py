"""taskctl's read tracer for acceptance commands (loaded by Python's `site` at start-up).

`taskctl verify` puts this directory first on the command's PYTHONPATH and names a file in
TASKCTL_TRACE_FILE. Every Python process of the command (pytest, `python -m training`, their
Python children: the variables are inherited) then appends, one per line, each file under
TASKCTL_TRACE_ROOT that it opens for reading or imports. Lines are written when the file is
first seen (not at exit), so a killed or os._exit-ing process still leaves its reads behind.

Self-contained on purpose: the command may run an interpreter that cannot import taskctl.
A sitecustomize that was already on the path is chained (run after the hook is installed).
"""

import os
import sys


def _install() -> None:
    out, root = os.environ.get("TASKCTL_TRACE_FILE"), os.environ.get("TASKCTL_TRACE_ROOT")
    if not out or not root:
        return
    root = os.path.realpath(root) + os.sep
    try:
        fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return
    from importlib.util import source_from_cache  # before the hook: no import inside it

    seen = set()
    writes = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def note(path) -> None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path in seen:
            return
        seen.add(path)
        full = os.path.realpath(path)
        if not full.startswith(root):
            return
        if "__pycache__" in full:  # a cached module: its source is what was read
            try:
                full = source_from_cache(full)
            except ValueError:
                return
        try:
            os.write(fd, (full[len(root):] + "\n").encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    here = os.path.dirname(os.path.abspath(__file__))
    keep = {"TASKCTL_TRACE_FILE": out, "TASKCTL_TRACE_ROOT": os.environ["TASKCTL_TRACE_ROOT"]}

    def inherit(env) -> None:
        """A child started with its own environment (tests often set PYTHONPATH) is traced
        too: the audit event hands us the very dict the child will get."""
        if not isinstance(env, dict):
            return
        env.update(keep)
        old = env.get("PYTHONPATH")
        if old and old.split(os.pathsep)[0] == here:
            return
        env["PYTHONPATH"] = here + (os.pathsep + old if old else "")

    def hook(event: str, args) -> None:
        try:
            watch(event, args)
        except Exception:  # noqa: BLE001 - tracing must never break the command it watches
            pass

    def watch(event: str, args) -> None:
        if event in ("subprocess.Popen", "os.exec", "os.posix_spawn"):
            inherit(args[-1] if event == "subprocess.Popen" else args[2])
        elif event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            if mode is not None:
                if any(c in mode for c in "wax"):
                    return
            elif flags & writes and not flags & os.O_RDWR:
                return
            note(os.fspath(path))
        elif event == "import":  # extension modules and namespace packages open nothing
            filename = args[1]
            if filename:
                note(filename)

    sys.addaudithook(hook)
    for mod in list(sys.modules.values()):  # what `site` imported before this file
        filename = getattr(mod, "__file__", None)
        if filename:
            note(filename)


def _chain() -> None:
    """Run the sitecustomize this one shadows, if any (e.g. a distribution's)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if os.path.abspath(entry or ".") == here:
            continue
        candidate = os.path.join(entry or ".", "sitecustomize.py")
        if os.path.isfile(candidate):
            import importlib.util
            spec = importlib.util.spec_from_file_location("_taskctl_chained_sitecustomize",
                                                          candidate)
            if spec and spec.loader:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


try:
    _install()
except Exception:  # noqa: BLE001 - tracing must never break the command it watches
    pass
_chain()
