"""A bare interpreter for start-up figures, and taskctl started as an installed console script.

The development venv holds an editable install: its `.pth` file imports a finder, and with it
`pathlib`, `re`, `enum`, `urllib.parse`, ... in every start-up — `python -c pass` there took
35 ms against 13 ms in a venv with a regular install (2026-12-03). A floor measured there hides
those imports, which a regular install pays in taskctl's own start-up. So the read figures are
measured from a venv with nothing installed (`python -m venv --without-pip`: no `.pth` at all),
this checkout and the dev venv's packages on `PYTHONPATH` (which processes no `.pth`), against
that venv's `python -c pass`, and taskctl is started by the script an install writes:

- "taskctl script": `bin/taskctl`, what taskctl installs (pyproject.toml `script-files`), its
  first line rewritten to the interpreter as installers do;
- "pip script": the wrapper pip writes for a `console_scripts` entry point (how taskctl was
  installed up to part 25): `import re` first, to strip a `-script.pyw`/`.exe` suffix, ≈ 8 ms
  of `re`, `enum`, `functools`, ... before taskctl runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zlib
from pathlib import Path

PIP_SCRIPT = """\
# -*- coding: utf-8 -*-
import re
import sys
from taskctl.cli.quick import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
REPO = Path(__file__).resolve().parents[1]
SCRIPTS = {"taskctl script": None, "pip script": PIP_SCRIPT}


class Bare:
    """A venv with nothing installed under `tmp`, and the console scripts of the taskctl
    package in `pkg_parent` (the folder that holds `taskctl/`: this checkout, or another
    version's `git archive` export) started with its interpreter."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "bare-venv"
        if not (self.dir / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.dir)],
                           check=True)
        self.python = str(self.dir / "bin" / "python")
        self.tmp = tmp

    def env(self, pkg_parent: str | Path, base: dict | None = None) -> dict[str, str]:
        """The environment that imports taskctl from `pkg_parent` and its dependencies from
        the dev venv (`PYTHONPATH`: no `.pth` file of either is processed)."""
        e = dict(os.environ if base is None else base)
        e["PYTHONPATH"] = os.pathsep.join([str(pkg_parent), sysconfig.get_paths()["purelib"]])
        e.pop("PYTHONDONTWRITEBYTECODE", None)  # installed packages run from bytecode
        return e

    def floor(self) -> list[str]:
        return [self.python, "-c", "pass"]

    def script(self, kind: str, pkg_parent: str | Path = REPO) -> list[str]:
        """The script `kind` as an executable file: "pip script", or "taskctl script", the
        `bin/taskctl` of `pkg_parent` (pip's wrapper for a version without one, which an
        entry point installed)."""
        text = SCRIPTS[kind]
        if text is None:
            shipped = Path(pkg_parent) / "bin" / "taskctl"
            if not shipped.exists():
                return self.script("pip script")
            text = shipped.read_text().split("\n", 1)[1]
        path = self.tmp / f"taskctl-{kind.split()[0]}-{zlib.crc32(str(pkg_parent).encode()):08x}"
        if not path.exists():
            path.write_text(f"#!{self.python}\n" + text)
            path.chmod(0o755)
        return [str(path)]
