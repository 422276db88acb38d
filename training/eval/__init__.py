"""Long-context evaluation: synthetic passkey retrieval and needle-in-a-haystack.

``prompts`` builds the prompts (pure, no JAX), ``harness`` decodes them greedily from a
checkpoint and scores exact match per (length, depth), ``report`` writes the results pack,
the heat map and the summary line. CLI: ``python -m training eval passkey|niah``.
"""
