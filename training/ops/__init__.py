"""Around a training run: export, a local model registry, run tracking, the
train -> export -> register pipeline, hyper-parameter search and the environment SBOM.

Each module is a library (returns results, raises TrainingError); the commands that wrap
them live in ``training/cli/``.
"""
