"""Identifiers made by the application, so rows can be written without asking the database first.

An id is a prefix and 32 hex digits laid out as a UUIDv7 is (RFC 9562, "monotonic random"): 48 bits of
milliseconds, then 80 bits drawn from ``secrets`` at each new millisecond and, within one millisecond,
raised by a random step of up to 2**40. Ids therefore sort in creation order within a process (the events
of one change keep their order in the timeline and the outbox) and by time across processes, while
the next id cannot be guessed from the last one: an order id is not a counter a caller can walk.
"""

import secrets
import threading
import time

_RANDOM_BITS = 80
_STEP_BITS = 40
_lock = threading.Lock()
_last = (0, 0)


def new_id(prefix: str) -> str:
    global _last
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        last_ms, last_rand = _last
        if now_ms <= last_ms:  # same millisecond (or the clock stepped back): a random step up
            ms, rand = last_ms, last_rand + 1 + secrets.randbits(_STEP_BITS)
            if rand >> _RANDOM_BITS:  # the millisecond is used up: borrow the next one
                ms, rand = last_ms + 1, secrets.randbits(_RANDOM_BITS - 1)
        else:
            # The top bit clear leaves room for steps within the millisecond.
            ms, rand = now_ms, secrets.randbits(_RANDOM_BITS - 1)
        _last = (ms, rand)
    return f"{prefix}_{ms:012x}{rand:020x}"

