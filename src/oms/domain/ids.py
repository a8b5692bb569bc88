"""Identifiers made by the application, so rows can be written without asking the database first.

An id is a prefix and 32 hex digits: 48 bits of milliseconds then 80 bits that start random and count
up within a millisecond. Ids therefore sort in creation order within a process (the events of one
change keep their order in the timeline and the outbox) and by time across processes.
"""

import os
import threading
import time

_lock = threading.Lock()
_last = (0, 0)


def new_id(prefix: str) -> str:
    global _last
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        last_ms, last_rand = _last
        if now_ms <= last_ms:  # same millisecond (or the clock stepped back): count up
            _last = (last_ms, last_rand + 1)
        else:
            _last = (now_ms, int.from_bytes(os.urandom(10), "big") >> 1)  # headroom for counting up
        ms, rand = _last
    return f"{prefix}_{ms:012x}{rand:020x}"

