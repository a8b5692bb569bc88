"""Identifiers made by the application, so rows can be written without asking the database first.

An id is a prefix and 32 hex digits: 48 bits of milliseconds then 80 random bits, so ids sort by
creation time (cursor pages follow that order) and never collide in practice.
"""

import os
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
