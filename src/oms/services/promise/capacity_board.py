"""What nodes' daily capacity has taken, held in memory for the promise (as the stock mirror is).

A promise read from it may be a fraction of a second behind; capture takes its places under the
table's check, and a capture refused there reads the board again from the database (``fresh``).
"""

import asyncio
import time
from datetime import date

from ...clock import Clock
from ...db import capacity
from ...db.engine import Database
from ...domain.capacity import Capacity
from ..reference.cache import Snapshot


class CapacityBoard:
    def __init__(self, max_age_seconds: float = 0.25, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.max_age = max_age_seconds
        self._used: dict[tuple[str, date], list[int]] | None = None  # places per stripe
        self._read_at = float("-inf")
        self._built: tuple[int, int, Capacity] | None = None  # (snapshot version, reads, capacity)
        self._reads = 0
        self._kept_from = float("-inf")  # when the read kept now started: an older one finishing late is dropped
        self._reading: asyncio.Task | None = None

    async def current(self, db: Database, snap: Snapshot, *, fresh: bool = False) -> Capacity:
        """The capacity as last read, with the snapshot's limits. A read older than ``max_age`` starts a
        new one and answers with what it has (the first read, ``fresh`` or a zero ``max_age`` wait)."""
        if fresh or self._used is None or self.max_age == 0:
            await self._read(db)
        elif time.monotonic() - self._read_at >= self.max_age and (self._reading is None or self._reading.done()):
            self._read_at = time.monotonic()  # one read at a time
            self._reading = asyncio.create_task(self._read(db))
        built = self._built
        if built is None or built[:2] != (snap.version, self._reads):
            limits = {n.id: n.daily_capacity for n in snap.nodes.values() if n.daily_capacity is not None}
            limits.update(snap.couriers.limits())
            limits.update((c.resource(n.id), c.count) for n in snap.nodes.values() for c in n.compartments)
            built = self._built = (snap.version, self._reads, Capacity.of_stripes(limits, self._used or {}))
        return built[2]

    async def close(self) -> None:
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)

    async def _read(self, db: Database) -> None:
        started = time.monotonic()
        async with db.read() as conn:
            used = await capacity.used_since(conn, capacity.yesterday(self.clock.now().date()))
        if started >= self._kept_from:
            self._used, self._kept_from, self._read_at = used, started, max(self._read_at, started)
            self._reads += 1
