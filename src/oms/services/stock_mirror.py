"""Stock rows mirrored in memory, so availability answers without a database round trip.

A read older than ``max_age`` seconds first asks the database for the rows changed since the last look
(every writer stamps ``updated_at``), so what a product page is told is at most that old plus the time
of one query; each answer says ``as_of``. Writers stamp ``updated_at`` before they commit, so each look
reads again the last ``OVERLAP`` of the past: a slow commit is picked up by the next look.
"""

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db import tables as t
from ..db.engine import Database
from ..db.tables import now
from ..domain.availability import Stock

OVERLAP = timedelta(seconds=2)
c = t.inventory.c
_COLUMNS = (c.node_id, c.sku, c.on_hand, c.reserved, c.safety_stock, c.updated_at)


class StockMirror:
    def __init__(self, max_age_seconds: float = 0.25) -> None:
        self.max_age = max_age_seconds
        self.by_sku: dict[str, dict[str, Stock]] = {}
        self.as_of: datetime | None = None
        self._watermark: datetime | None = None
        self._looked_at = float("-inf")
        self._lock = asyncio.Lock()  # one look at a time; the others wait for it and share it

    async def current(self, db: Database) -> tuple[dict[str, dict[str, Stock]], datetime]:
        if time.monotonic() - self._looked_at >= self.max_age:
            async with self._lock:
                if time.monotonic() - self._looked_at >= self.max_age:
                    await self._look(db)
        return self.by_sku, self.as_of

    async def _look(self, db: Database) -> None:
        started, looked_at = now(), time.monotonic()
        query = select(*_COLUMNS)
        if self._watermark is not None:
            query = query.where(c.updated_at > self._watermark - OVERLAP)
        newest = self._watermark
        async with db.read() as conn:
            for node_id, sku, on_hand, reserved, safety, updated_at in await conn.execute(query):
                self.by_sku.setdefault(sku, {})[node_id] = Stock(on_hand, reserved, safety)
                if newest is None or updated_at > newest:
                    newest = updated_at
        self._watermark = newest
        self.as_of = started
        self._looked_at = looked_at
