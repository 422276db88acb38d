"""Keep secrets out of logs and evidence: which variables are secret, and a streaming redactor.

A variable is secret when the spec names it in `secret_env`, when its name looks like one
(contains TOKEN, SECRET, PASS — PASSWORD, PASSWD, DB_PASS —, COOKIE, CREDENTIAL, API_KEY,
APIKEY or PRIVATE_KEY; has a PAT or PWD part; ends in KEY, or KEY and a number: `API_KEY_1`),
or when its value is a URL carrying credentials (`DATABASE_URL=postgres://u:pw@host/db`).

What is redacted (replaced by `[REDACTED]`) before a byte of output reaches a file:
- each secret value, and its base64 (standard and URL-safe, at all three byte alignments, so
  it is found inside a longer encoded text), hex (both cases) and URL-encoded forms — also when
  a line break splits it (`base64` wraps at 76 columns);
- the credentials of any URL (`https://user:pw@host` → `https://[REDACTED]@host`);
- anything shaped like a well-known token (GitHub, Hugging Face, OpenAI-style, AWS, Slack).
Streaming keeps back enough of the tail that a secret split across chunks is still caught.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

MASK = b"[REDACTED]"
_NAME_PARTS = ("TOKEN", "SECRET", "PASS", "COOKIE", "CREDENTIAL",  # not a status: name parts
               "API_KEY", "APIKEY", "PRIVATE_KEY")
_NAME_RULES = re.compile(r"(?:^|_)(?:PAT|PWD)(?:_|$)|(?:^|_)KEY(?:_?\d+)?$")
_NOT_SECRET = {"PWD", "OLDPWD"}  # the shell's working directories
_SECRET_NAMES = re.compile(r"(?:^|_)(?:DATABASE_URL|DSN)$")  # connection strings
_MIN_VALUE_LEN = 4  # shorter values ("1", "yes") would redact half the log and hide nothing
_MIN_FORM_LEN = 6  # encoded fragments shorter than this match ordinary text by chance
TOKEN_SHAPES = re.compile(
    rb"(?:gh[pousr]_[A-Za-z0-9]{20,}"
    rb"|github_pat_[A-Za-z0-9_]{20,}"
    rb"|hf_[A-Za-z0-9]{20,}"
    rb"|sk-[A-Za-z0-9_\-]{16,}"
    rb"|AKIA[0-9A-Z]{16}"
    rb"|xox[abprs]-[A-Za-z0-9\-]{10,})"
)
URL_CREDENTIALS = re.compile(rb"(?i)\b([a-z][a-z0-9+.\-]{0,20}://)[^\s/@:'\"]+:[^\s/@'\"]+@")
_URL_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]{0,20}://[^\s/@:]*:([^\s/@]+)@")


def is_secret_name(name: str, declared: Iterable[str] = ()) -> bool:
    """Whether a variable is secret by its name alone (values never reach fingerprints)."""
    up = name.upper()
    if name in set(declared):
        return True
    if up in _NOT_SECRET:
        return False
    return (any(p in up for p in _NAME_PARTS) or _NAME_RULES.search(up) is not None
            or _SECRET_NAMES.search(up) is not None)


def url_password(value: str) -> str | None:
    """The password of a URL with credentials (`scheme://user:pw@host`), else None."""
    m = _URL_VALUE.match(value)
    return m.group(1) if m else None


def is_secret(name: str, value: str, declared: Iterable[str] = ()) -> bool:
    return is_secret_name(name, declared) or url_password(value) is not None


def secret_values(env: Mapping[str, str], declared: Iterable[str] = ()) -> list[str]:
    """The values to redact, longest first: secret variables' values, and the password
    inside any URL-with-credentials value (printed alone just as often)."""
    declared = list(declared)
    out: set[str] = set()
    for k, v in env.items():
        if is_secret(k, v, declared) and len(v) >= _MIN_VALUE_LEN:
            out.add(v)
            if (pw := url_password(v)) is not None and len(pw) >= _MIN_VALUE_LEN:
                out.add(pw)
    return sorted(out, key=len, reverse=True)


def _b64_fragments(v: bytes) -> set[bytes]:
    """The base64 characters that depend on `v` alone, at each of the three alignments it
    can have inside a longer encoded text (characters shared with neighbours are dropped)."""
    out = set()
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + v + b"\0\0")
        frag = enc[-(-8 * k // 6):(8 * (k + len(v))) // 6]
        out |= {frag, frag.translate(bytes.maketrans(b"+/", b"-_"))}
    return out


def value_forms(value: str) -> set[bytes]:
    """The byte strings under which `value` may appear in output."""
    v = value.encode()
    forms = {v, v.hex().encode(), v.hex().upper().encode(),
             quote(value, safe="").encode(), quote_plus(value, safe="").encode()}
    forms |= _b64_fragments(v)
    return {f for f in forms if len(f) >= min(_MIN_FORM_LEN, len(v))}


def _needles(form: bytes) -> set[bytes]:
    """Pieces of `form` of which at least one survives intact when line breaks split it:
    its two halves (one break), and for long forms every aligned 30-byte block (a break-free
    run of 76 columns, as `base64` wraps, holds one whole)."""
    h = -(-len(form) // 2)
    out = {form[:h], form[h:]}
    if len(form) > 60:
        out |= {form[i:i + 30] for i in range(0, len(form) - 29, 30)}
    return {n for n in out if n}


def _split_tolerant(form: bytes) -> bytes:
    """A pattern for `form` that also matches it broken by line breaks."""
    return rb"(?:\r?\n)?".join(re.escape(form[i:i + 1]) for i in range(len(form)))


class Redactor:
    """Redacts known secret values (in every listed form), URL credentials and token shapes
    from bytes, whole or streamed."""

    def __init__(self, values: Iterable[str] = ()):
        forms: set[bytes] = set()
        for v in values:
            if len(v) >= _MIN_VALUE_LEN:
                forms |= value_forms(v)
        ordered = sorted(forms, key=len, reverse=True)
        self._values = (re.compile(b"|".join(_split_tolerant(f) for f in ordered))
                        if ordered else None)
        self._needles = sorted({n for f in ordered for n in _needles(f)}, key=len)
        # a split form is at most twice as long (a CR LF between characters is not expected)
        self._keep = 2 * max((len(f) for f in ordered), default=0) + 256
        self._buf = b""

    def _patterns(self) -> list[re.Pattern[bytes]]:
        return [p for p in (self._values, URL_CREDENTIALS, TOKEN_SHAPES) if p is not None]

    def redact(self, data: bytes) -> bytes:
        # the value pattern is slow (a broken-line-tolerant alternation): run it only where
        # a piece of some form occurs at all, which `bytes.find` answers at memchr speed
        if self._values is not None and any(n in data for n in self._needles):
            data = self._values.sub(MASK, data)
        if b"://" in data:
            data = URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + b"@", data)
        return TOKEN_SHAPES.sub(MASK, data)

    def redact_text(self, text: str) -> str:
        return self.redact(text.encode()).decode("utf-8", "replace")

    def feed(self, chunk: bytes) -> bytes:
        """Streamed input: returns what is safe to write now (redacted). The last `keep`
        bytes, and any match reaching into them, wait for the next chunk."""
        self._buf += chunk
        cut = len(self._buf) - self._keep
        if cut <= 0:
            return b""
        start = max(0, cut - self._keep)  # a match crossing the cut starts after this
        window = self._buf[start:]
        moved = True
        while moved and cut > 0:
            moved = False
            for p in self._patterns():
                for m in p.finditer(window):
                    if m.start() + start < cut < m.end() + start:
                        cut, moved = m.start() + start, True
        out, self._buf = self._buf[:cut], self._buf[cut:]
        return self.redact(out)

    def flush(self) -> bytes:
        out, self._buf = self._buf, b""
        return self.redact(out)
