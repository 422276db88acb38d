"""A bare interpreter for start-up figures, and taskctl started as an installed console script.

The development venv holds an editable install: its `.pth` file imports a finder, and with it
`pathlib`, `re`, `enum`, `urllib.parse`, ... in every start-up — `python -c pass` there took
35 ms against 13 ms in a venv with a regular install (2026-12-03). A floor measured there hides
those imports, which a regular install pays in taskctl's own start-up. So the read figures are
measured from a venv with nothing installed (`python -m venv --without-pip`: no `.pth` at all),
this checkout and the dev venv's packages on `PYTHONPATH` (which processes no `.pth`), against
that venv's `python -c pass`, and taskctl is started by a copy of the console script an
installer writes:

- "pip script": pip's wrapper (`import re` first, to strip a `-script.pyw`/`.exe` suffix: ≈ 8 ms
  of `re`, `enum`, `functools`, ... before taskctl runs);
- "uv script": uv's wrapper, the same without `re`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
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
UV_SCRIPT = """\
# -*- coding: utf-8 -*-
import sys
from taskctl.cli.quick import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""
SCRIPTS = {"pip script": PIP_SCRIPT, "uv script": UV_SCRIPT}


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

    def script(self, kind: str) -> list[str]:
        """The console script `kind` ("pip script" or "uv script") as an executable file."""
        path = self.tmp / f"taskctl-{kind.split()[0]}"
        if not path.exists():
            path.write_text(f"#!{self.python}\n" + SCRIPTS[kind])
            path.chmod(0o755)
        return [str(path)]
