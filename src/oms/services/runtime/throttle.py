"""Failed authentications slowed per client address: a key or a console password guessed by the thousand
is refused for a while (429 with Retry-After) before each guess costs a database read.

The counting is ``limits``' moving window, kept in the process's memory: each server process counts its
own callers (several processes let a guesser through a few times more, never unboundedly).
"""

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class FailureThrottle:
    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def wait(self, address: str) -> int:
        """Seconds ``address`` must wait before trying again (0: it may try now)."""
        if self.item is None or self.limiter.test(self.item, address):
            return 0
        reset_at = self.limiter.get_window_stats(self.item, address).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, address: str) -> None:
        if self.item is not None:
            self.limiter.hit(self.item, address)
