"""``python -m training`` is the same as ``python -m training.train``."""

from training.cli import main

main()
