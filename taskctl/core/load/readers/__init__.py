"""Readers: one per dialect of task store (`registry.py` detects and picks one)."""
