"""Attack: leak secrets in transformed form. The corpus is secrets_corpus.json.

Before: base64 or hex of a secret value, a secret split across lines, names the patterns
missed (DATABASE_URL, API_KEY_1, DB_PASS, GITHUB_PAT, SESSION_COOKIE) and credentials inside
URLs reached logs and evidence verbatim.
After (taskctl/core/verify/secrets.py): every value of a secret-named variable (or of a
credential-carrying URL variable) is redacted in raw, base64 (all alignments, URL-safe,
line-wrapped), hex, URL-encoded and line-split form, also when split across output chunks;
URL credentials are redacted wherever they appear.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from taskctl.core.verify.secrets import Redactor, is_secret, is_secret_name, secret_values
from tests.taskctl.adversarial.support import Box, record, run

CORPUS = json.loads((Path(__file__).parent / "secrets_corpus.json").read_text())
SECRETS: dict[str, str] = CORPUS["secrets"]


def form(value: str, kind: str) -> bytes:
    v = value.encode()
    return {
        "raw": v,
        "base64": base64.b64encode(v),
        "base64_wrapped": base64.encodebytes(b"leading text " * 6 + v),
        "base64_prefixed_1": base64.b64encode(b"u:" + v),
        "base64_prefixed_2": base64.b64encode(b"user:" + v),
        "base64_urlsafe": base64.urlsafe_b64encode(b"x" + v),
        "hex": v.hex().encode(),
        "HEX": v.hex().upper().encode(),
        "url_encoded": quote(value, safe="").encode(),
        "split_line": v[: len(v) // 2] + b"\n" + v[len(v) // 2:],
    }[kind]


def leaks(value: str, data: bytes) -> list[str]:
    """The forms of `value` found in `data` (what a reader could decode back)."""
    v = value.encode()
    found = []
    if v in data or v in data.replace(b"\n", b""):
        found.append("raw")
    for name, enc in (("hex", v.hex().encode()), ("HEX", v.hex().upper().encode()),
                      ("url", quote(value, safe="").encode())):
        if len(enc) >= 6 and (enc in data or enc in data.replace(b"\n", b"")):
            found.append(name)
    flat = data.replace(b"\n", b"")
    for k in range(3):  # the core base64 characters at each alignment
        enc = base64.b64encode(b"\0" * k + v + b"\0\0")
        core = enc[-(-8 * k // 6) + 1:(8 * (k + len(v))) // 6 - 1]
        for c in (core, core.translate(bytes.maketrans(b"+/", b"-_"))):
            if len(c) >= 8 and c in flat:
                found.append(f"base64@{k}")
    return found


def _stream(r: Redactor, data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(data):
        n = rng.randint(1, 97)
        out.append(r.feed(data[i:i + n]))
        i += n
    return b"".join(out) + r.flush()


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_every_listed_name_or_value_is_secret(name):
    assert is_secret(name, SECRETS[name])
    assert SECRETS[name] in secret_values({name: SECRETS[name]})


@pytest.mark.parametrize("name", CORPUS["not_secret_names"])
def test_ordinary_names_are_not_secret(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("kind", CORPUS["forms"])
def test_every_form_is_redacted_whole_and_streamed(name, kind):
    value = SECRETS[name]
    r_whole, r_stream = (Redactor(secret_values(SECRETS)) for _ in range(2))
    data = b"before " + form(value, kind) + b" after\n"
    assert leaks(value, r_whole.redact(data)) == []
    for seed in range(5):
        r_stream = Redactor(secret_values(SECRETS))
        assert leaks(value, _stream(r_stream, data * 3, seed)) == [], seed


def test_clean_lines_pass_untouched():
    r = Redactor(secret_values(SECRETS))
    for line in CORPUS["clean_lines"]:
        assert r.redact(line.encode()) == line.encode()


@pytest.mark.parametrize("line,expected", CORPUS["url_credentials"])
def test_url_credentials_are_redacted_anywhere(line, expected):
    out = Redactor().redact(line.encode()).decode()
    assert expected in out and ":" + line.split(":")[2].split("@")[0] not in out


PRINTER = r"""
import base64, os, sys, time
from urllib.parse import quote
for name in sorted(os.environ):
    if name not in NAMES:
        continue
    v = os.environ[name].encode()
    out = [v, base64.b64encode(v), base64.encodebytes(b"leading text " * 6 + v),
           base64.b64encode(b"user:" + v), v.hex().encode(), v.hex().upper().encode(),
           quote(os.environ[name], safe="").encode(), v[:len(v)//2] + b"\n" + v[len(v)//2:]]
    for o in out:
        for i in range(0, len(o), 7):  # dribbled out: the secret spans many pipe reads
            sys.stdout.buffer.write(o[i:i + 7]); sys.stdout.buffer.flush(); time.sleep(0.001)
        sys.stdout.buffer.write(b"\n")
print("url https://bob:hunter22@git.example.com/x.git", flush=True)
sys.exit(1)
"""


def test_no_secret_byte_in_any_form_reaches_tasks_or_stdout(tmp_path):
    script = tmp_path / "printer.py"
    script.write_text(f"NAMES = {sorted(SECRETS)!r}\n" + PRINTER)
    box = Box(tmp_path, {"T001": {"items": [
        {"criterion": "prints secrets", "run": f"{sys.executable} {script}"}]}})
    p = run(box, "verify", "T001", "--json", env=SECRETS)
    assert p.returncode == 1, p.stderr  # the printer fails on purpose: its tail is stored
    rec = record(box)
    assert "[REDACTED]" in rec["output_tail"]
    blobs = [p.stdout.encode(), p.stderr.encode()]
    blobs += [f.read_bytes() for f in box.root.rglob("*") if f.is_file()]
    for name, value in SECRETS.items():
        if len(value) < 6:
            continue  # 4-5 byte values: redacted, but too short to search for without noise
        for blob in blobs:
            assert leaks(value, blob) == [], name
    assert b"hunter22" not in b"".join(blobs)
