"""The service's clock: the one place that reads the time of day.

Services, the sweep, the promise and the console ask ``ctx.clock.now()`` and stamp what they write with
it; nothing else calls ``datetime.now()``. A clock set to another instant keeps flowing from there at the
wall clock's pace, so that timers, expiries and stamps written one after the other keep their order: tests
set it to a Saturday night or Christmas Eve and the whole service lives that evening.
"""

from datetime import UTC, datetime, timedelta


class Clock:
    """Now, in UTC. ``at``: start at that instant instead of the wall clock's (tests, simulations)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if at is not None:
            self.set(at)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, at: datetime) -> None:
        """From now on, time flows from ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError("the clock is set to an aware time (with its UTC offset)")
        self._offset = at - datetime.now(UTC)

    def advance(self, by: timedelta) -> None:
        self._offset += by
