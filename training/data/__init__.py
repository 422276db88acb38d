"""Data: the byte tokenizer, the golden arithmetic sets, datasets and batching.

``dataset.py`` loads what ``TrainConfig.dataset`` names; ``golden.py`` generates / builds /
loads golden-v3 and golden-v2; ``tokenizer.py`` is the byte tokenizer. CLI:
``python -m training data``.
"""
