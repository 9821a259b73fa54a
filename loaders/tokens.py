"""Keyed one-way tokens for ids that look like card numbers.

A platform's numeric customer ids (PaySim's 16-digit client ids, for one) often pass the Luhn check, so
they look like card numbers, which ringtrace never stores. In an id column (loaders/validate.py) such a
value is not a reason to lose the row: it is replaced by `tok-<hex>`, the start of HMAC-SHA256 of the
value under a key generated once per ringtrace home (`id-token-key`, owner-only). The same id gives the
same token in every table and every load of the home, so references still join; without the key nobody
can test a candidate number against a token. Losing the key means later loads make other tokens.

The HMAC is written in hex with its digits spelled as the letters g-p (0 -> g ... 9 -> p): a token holds no
digit, so no part of it ever looks like a card number again (to the loader's checks, or a partner's).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from ringtrace.core import config

KEY_FILE = "id-token-key"
KEY_BYTES = 32
KEY_MODE = 0o600
PREFIX = "tok-"
HEX_CHARS = 32  # 128 bits of the HMAC: no two ids of any dataset share a token
NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")

_keys: dict[Path, bytes] = {}


def key_path() -> Path:
    return config.home() / KEY_FILE


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    key = bytes.fromhex(text)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte key")
    if path.stat().st_mode & 0o777 != KEY_MODE:
        os.chmod(path, KEY_MODE)
    return key


def key() -> bytes:
    """This home's token key, generated (owner-only) the first time it is needed."""
    path = key_path()
    if path in _keys:
        return _keys[path]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_MODE)
    except FileExistsError:
        for _ in range(50):  # another process may have created the file and not yet written the key
            if path.stat().st_size:
                break
            time.sleep(0.02)
        found = _read(path)
    else:
        found = secrets.token_bytes(KEY_BYTES)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(found.hex() + "\n")
        os.chmod(path, KEY_MODE)
    _keys[path] = found
    return found


def token(value: str, secret: bytes | None = None) -> str:
    """The token standing for `value` (an id as validated: trimmed)."""
    digest = hmac.new(secret or key(), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS].translate(NO_DIGITS)
