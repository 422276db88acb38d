"""``python -m training COMMAND ...`` (see ``python -m training --help``)."""

from training.cli import main

raise SystemExit(main())
