"""Data: the byte tokenizer, the golden-v2 arithmetic set, datasets and batching.

``dataset.py`` loads what ``TrainConfig.dataset`` names; ``golden.py`` generates / builds /
loads golden-v2; ``tokenizer.py`` is the byte tokenizer. CLI: ``python -m training data``.
"""
