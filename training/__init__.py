"""Bundled JAX + Flax NNX trainer: ``python -m training train``; see docs/training.md."""
