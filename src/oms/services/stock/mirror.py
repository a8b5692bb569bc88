"""Stock mirrored in memory, so availability answers without a database round trip.

When the mirror is older than ``max_age`` seconds, a read starts a look at the rows changed since the
last one (every writer stamps ``updated_at``, inside the transaction that writes the row) and answers with
what it has; each answer says ``as_of``.

A row is seen only once its writer commits, which may be after the look that followed its stamp. So each
look starts from before the stamps that might still be uncommitted: ``OVERLAP`` before the previous look
began, and on PostgreSQL also before the oldest transaction still writing then began (a long import is
read once it commits). The watermark moves with the clock, never with the rows' stamps: a million rows
imported with one stamp are read once, not at every look. A clock apart between hosts could still hide a
row, so the whole table is read again every ``full_every`` seconds as a backstop.

Rows are read in slices (``runtime/slices.py``), with the event loop free between them. A whole read on
PostgreSQL comes aggregated per SKU (``db/stock.PER_SKU_PG``): five million rows decoded one by one cost
the process half a minute of CPU, as arrays a second.
"""

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import select, text

from ...clock import Clock
from ...db import stock
from ...db import tables as t
from ...db.engine import Database
from ...domain.inventory import atp
from ..runtime.slices import in_slices
from .units import UnitsBySku

OVERLAP = timedelta(seconds=2)
FULL_EVERY = 600.0
SKUS_PER_SLICE = 50  # of the whole read per SKU: some fifty rows each, a slice a millisecond or two
c = t.inventory.c
_COLUMNS = (c.node_id, c.sku, c.on_hand, c.reserved, c.safety_stock)

# How long ago the oldest transaction still writing (one holding a transaction id) in this database
# began, in seconds; none writing: NULL.
_OLDEST_WRITER = text(
    "SELECT extract(epoch FROM clock_timestamp() - min(xact_start)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_xid IS NOT NULL")


class StockMirror:
    def __init__(self, max_age_seconds: float = 0.25, clock: Clock | None = None,
                 full_every_seconds: float = FULL_EVERY) -> None:
        self.max_age = max_age_seconds
        self.full_every = full_every_seconds
        self.clock = clock or Clock()
        self.units = UnitsBySku()
        self.as_of: datetime | None = None
        self.version = 0  # moves whenever a look changed something: answers built on it can be kept
        self.rows_read = 0  # by the last look
        self._since: datetime | None = None  # the next look reads the rows stamped after this
        self._looked_at = float("-inf")
        self._lock = asyncio.Lock()  # one look at a time
        self._looking: asyncio.Task | None = None
        self._full_at = float("-inf")

    async def current(self, db: Database) -> tuple[UnitsBySku, datetime]:
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
        return self.units, self.as_of

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
        whole = self._since is None or looked_at - self._full_at >= self.full_every
        if whole:
            self._full_at = looked_at
        else:
            query = query.where(c.updated_at > self._since)
        pg = db.dialect == "postgresql"
        async with db.read() as conn:
            writing = await conn.scalar(_OLDEST_WRITER) if pg else None
            since = started - OVERLAP - timedelta(seconds=float(writing or 0))
            read = 0
            if whole and pg:
                ids = self.units.numbered(await conn.scalars(select(t.nodes.c.id)))
                async for part in in_slices(conn, stock.PER_SKU_PG.params(ids=ids), SKUS_PER_SLICE):
                    if self.units.replace(part):
                        self.version += 1
                    read += sum(len(nodes) for _, nodes, _ in part)
            else:
                async for part in in_slices(conn, query):
                    self._apply(part)
                    read += len(part)
        self._since, self.rows_read = since, read
        self.as_of = started
        self._looked_at = looked_at

    def _apply(self, rows) -> None:
        if self.units.update((sku, node_id, atp(on_hand, reserved, safety))
                             for node_id, sku, on_hand, reserved, safety in rows):
            self.version += 1

    async def available(self, db: Database, skus: set[str]) -> dict[tuple[str, str], int]:
        """Units available per (node, sku) for these SKUs, as the mirror has them."""
        units, _ = await self.current(db)
        return {(node_id, sku): n for sku in skus for node_id, n in units.positive(sku)}
