"""Byte-level tokenizer: ids 0-255 are UTF-8 bytes, then PAD and EOS.

No vocabulary file, no download, lossless on any text. The model's ``vocab_size`` may be
larger (padded for matmul efficiency); the extra ids are simply never produced by data.
"""

from __future__ import annotations

import numpy as np

PAD_ID = 256  # fills rows past the end of an example; always masked out of the loss
EOS_ID = 257  # ends an example; also the "beginning" token a prompt starts with
VOCAB_SIZE = 258


class ByteTokenizer:
    """Encode ``str`` <-> ``np.ndarray[int32]`` of byte ids."""

    pad_id = PAD_ID
    eos_id = EOS_ID
    vocab_size = VOCAB_SIZE

    def encode(self, text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32)

    def decode(self, ids) -> str:
        """Decode ids, stopping at the first EOS and dropping PAD/out-of-range ids."""
        out = bytearray()
        for i in np.asarray(ids).tolist():
            if i == EOS_ID:
                break
            if 0 <= i < 256:
                out.append(i)
        return out.decode("utf-8", errors="replace")
