"""Identifiers made by the application, so rows can be written without asking the database first.

An id is a prefix and 26 Crockford base-32 characters: 48 bits of milliseconds then 80 random bits,
so ids sort by creation time (cursor pages follow that order) and never collide in practice.
"""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str) -> str:
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(reversed(chars))}"
