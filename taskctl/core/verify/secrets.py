"""Keep secrets out of logs and evidence: which variables are secret, and a streaming redactor.

A variable is secret when the spec names it in `secret_env`, or its name contains TOKEN, SECRET
or PASSWORD, or ends in _KEY. Their values, and anything shaped like a well-known token
(GitHub, Hugging Face, OpenAI-style, AWS access keys, Slack), are replaced by `[REDACTED]`
before a byte of output reaches a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = b"[REDACTED]"
_NAME_PARTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD")
_MIN_VALUE_LEN = 4  # shorter values ("1", "yes") would redact half the log and hide nothing
TOKEN_SHAPES = re.compile(
    rb"(?:gh[pousr]_[A-Za-z0-9]{20,}"
    rb"|github_pat_[A-Za-z0-9_]{20,}"
    rb"|hf_[A-Za-z0-9]{20,}"
    rb"|sk-[A-Za-z0-9_\-]{16,}"
    rb"|AKIA[0-9A-Z]{16}"
    rb"|xox[abprs]-[A-Za-z0-9\-]{10,})"
)
_FLUSH_AT = 1 << 16  # a line longer than this is redacted and written in pieces


def is_secret_name(name: str, declared: Iterable[str] = ()) -> bool:
    up = name.upper()
    return (name in set(declared) or any(p in up for p in _NAME_PARTS)
            or up.endswith("_KEY"))


def secret_values(env: Mapping[str, str], declared: Iterable[str] = ()) -> list[str]:
    declared = list(declared)
    return sorted({v for k, v in env.items()
                   if is_secret_name(k, declared) and len(v) >= _MIN_VALUE_LEN},
                  key=len, reverse=True)


class Redactor:
    """Redacts known secret values and token shapes from bytes, whole or streamed."""

    def __init__(self, values: Iterable[str] = ()):
        vals = sorted({v.encode() for v in values if len(v) >= _MIN_VALUE_LEN},
                      key=len, reverse=True)
        self._values = re.compile(b"|".join(re.escape(v) for v in vals)) if vals else None
        self._keep = max((len(v) for v in vals), default=0) + 128
        self._buf = b""

    def redact(self, data: bytes) -> bytes:
        if self._values is not None:
            data = self._values.sub(MASK, data)
        return TOKEN_SHAPES.sub(MASK, data)

    def redact_text(self, text: str) -> str:
        return self.redact(text.encode()).decode("utf-8", "replace")

    def feed(self, chunk: bytes) -> bytes:
        """Streamed input: returns what is safe to write now (whole lines, redacted)."""
        self._buf += chunk
        cut = self._buf.rfind(b"\n") + 1
        if cut == 0 and len(self._buf) > _FLUSH_AT:
            cut = len(self._buf) - self._keep  # keep a tail that may hold a split secret
        if cut <= 0:
            return b""
        out, self._buf = self._buf[:cut], self._buf[cut:]
        return self.redact(out)

    def flush(self) -> bytes:
        out, self._buf = self._buf, b""
        return self.redact(out)
