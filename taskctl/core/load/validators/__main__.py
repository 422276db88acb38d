"""`python -m taskctl.core.load.validators`: regenerate the compiled validators."""

from taskctl.core.load.validators.generate import write

changed = write()
print("\n".join(f"rewrote {p}" for p in changed) or "up to date")
