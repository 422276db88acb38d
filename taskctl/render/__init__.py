"""Renderers: turn core results into tables, JSON documents and pictures."""
