"""The database: an async engine and the unit of work that services use to read and to write."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..config import async_url
from ..files import private_file, private_folder
from .capture_tx import LostRace, PgCapture, SqlCapture
from .combiner import Combiner


def make_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    url = async_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool_size)
    # Overflow connections are closed on return: under steady load they would be opened and closed
    # again and again, so the pool itself must cover the expected concurrency.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size // 4)


def _sqlite_engine(url: str, pool_size: int) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        private_folder(Path(database).parent)
        private_file(Path(database))
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the driver so writers can BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        # A writer takes SQLite's write lock up front: two deferred writers would deadlock on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("oms_write") else "BEGIN")

    return engine


RETRYABLE = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)


class Database:
    """Opens transactions. ``write()`` is the unit of work: all of it commits, or none of it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time; queueing here is cheaper than its busy-wait loop.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._combiner = Combiner()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            await conn.execution_options(oms_write=True)
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def capture(self, *, transaction: bool = False) -> AsyncIterator[SqlCapture | PgCapture]:
        """The order-capture unit of work (see ``capture_tx``): all of the order is stored, or none of it.

        ``transaction``: the capture does more in the same transaction (taking a hold), so it runs as
        ordinary SQLAlchemy statements in one, on every database.
        """
        try:
            if self.dialect != "postgresql" or transaction:
                async with self.write() as conn:
                    yield SqlCapture(conn)
                return
            # Straight from the pool: the statements run on the driver connection (see ``capture_tx``).
            pooled = await self.engine.raw_connection()
            try:
                yield PgCapture(pooled.driver_connection, self._combiner)
            finally:
                pooled.close()
        except Exception as exc:
            # PostgreSQL broke a deadlock or a serialisation conflict by aborting this one: nothing was
            # stored, so it is a lost race like any other, planned again by the caller.
            if _sqlstate(exc) in RETRYABLE:
                raise LostRace from exc
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
