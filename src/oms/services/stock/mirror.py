"""Stock rows mirrored in memory, so availability answers without a database round trip.

When the mirror is older than ``max_age`` seconds, a read starts a look at the rows changed since the
last one (every writer stamps ``updated_at``) and answers with what it has; each answer says ``as_of``.
Writers stamp ``updated_at`` before they commit, so each look reads again the last ``OVERLAP`` of the
past; a write slower than that from stamp to commit (a long import, a clock apart) would be missed, so
the whole mirror is read again every ``FULL_EVERY`` seconds as a backstop.
"""

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from ...clock import Clock
from ...db import tables as t
from ...db.engine import Database
from ...domain.availability import Stock

OVERLAP = timedelta(seconds=2)
FULL_EVERY = 30.0
c = t.inventory.c
_COLUMNS = (c.node_id, c.sku, c.on_hand, c.reserved, c.safety_stock, c.updated_at)


class StockMirror:
    def __init__(self, max_age_seconds: float = 0.25, clock: Clock | None = None) -> None:
        self.max_age = max_age_seconds
        self.clock = clock or Clock()
        self.by_sku: dict[str, dict[str, Stock]] = {}
        self.as_of: datetime | None = None
        self.version = 0  # moves whenever a look changed something: answers built on it can be kept
        self._watermark: datetime | None = None
        self._looked_at = float("-inf")
        self._lock = asyncio.Lock()  # one look at a time
        self._looking: asyncio.Task | None = None
        self._full_at = float("-inf")

    async def current(self, db: Database) -> tuple[dict[str, dict[str, Stock]], datetime]:
        """The mirror, brought up to date first when it is older than ``max_age``.

        With a ``max_age`` of zero every read waits for a look (exact, for tests and strict setups).
        Otherwise a read never waits once there is a mirror: it starts a look in the background and
        answers with what it has, so a slow query never stalls the pages (their ``as_of`` tells).
        """
        if time.monotonic() - self._looked_at >= self.max_age:
            if self.as_of is None or self.max_age == 0:
                await self._look_once(db)
            elif self._looking is None or self._looking.done():
                self._looking = asyncio.create_task(self._look_once(db))
        assert self.as_of is not None  # (set by every look: a mirror with none waited for one)
        return self.by_sku, self.as_of

    async def close(self) -> None:
        """Let a look under way finish (before the database it reads is closed)."""
        if self._looking is not None:
            await asyncio.gather(self._looking, return_exceptions=True)

    async def _look_once(self, db: Database) -> None:
        async with self._lock:
            if self.max_age == 0 or time.monotonic() - self._looked_at >= self.max_age:
                await self._look(db)

    async def _look(self, db: Database) -> None:
        started, looked_at = self.clock.now(), time.monotonic()
        query = select(*_COLUMNS)
        if self._watermark is not None and looked_at - self._full_at < FULL_EVERY:
            query = query.where(c.updated_at > self._watermark - OVERLAP)
        else:
            self._full_at = looked_at
        newest = self._watermark
        async with db.read() as conn:
            for node_id, sku, on_hand, reserved, safety, updated_at in await conn.execute(query):
                stock = Stock(on_hand, reserved, safety)
                row = self.by_sku.setdefault(sku, {})
                if row.get(node_id) != stock:
                    row[node_id] = stock
                    self.version += 1
                if newest is None or updated_at > newest:
                    newest = updated_at
        self._watermark = newest
        self.as_of = started
        self._looked_at = looked_at

    async def available(self, db: Database, skus: set[str]) -> dict[tuple[str, str], int]:
        """Units available per (node, sku) for these SKUs, as the mirror has them."""
        by_sku, _ = await self.current(db)
        return {(node_id, sku): stock.available for sku in skus for node_id, stock in by_sku.get(sku, {}).items()
                if stock.available > 0}
