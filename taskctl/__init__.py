"""taskctl: task specs whose "done" is proven by executed, recorded evidence."""

__version__ = "0.1.0"
