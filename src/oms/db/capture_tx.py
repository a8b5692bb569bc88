"""The capture write: an order, its child rows and its reservations, all stored or none.

Capture is the hottest write, so its cost is counted in round trips to the database:
- PostgreSQL, one (node, SKU) to reserve (every single-line order): ONE autocommit statement. Data-
  modifying CTEs reserve the units, insert the order only if they were reserved, and insert its child
  rows (fed as JSON, so the statement text never changes and stays prepared) only if the order was.
  A duplicate order raises a unique violation, which undoes the whole statement.
  Single-row captures of the same stock row arriving together are combined into one such statement
  (``combiner``): on a hot SKU the row lock, not the server, is the limit.
- PostgreSQL, several rows to reserve: a transaction that reserves them one by one in key order (so
  concurrent orders cannot deadlock), then the same statement without its reservation part.
- SQLite: the same steps as separate statements inside the write transaction.
An order at nodes with a daily capacity also takes its places there (``capacity``), after the stock,
in the same statement or transaction; the table's check refuses overbooking and undoes everything.
On PostgreSQL the statements run on the asyncpg connection itself, compiled once: SQLAlchemy's own
execution costs more CPU here than the database's work (figures in docs/benchmarks.md).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from asyncpg.exceptions import CheckViolationError, UniqueViolationError
from sqlalchemy import Table, literal_column, text
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.postgresql import psycopg2 as pg_psycopg2
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ..domain.capacity import Take
from . import capacity, stock
from .combiner import Combiner
from .statements import insert_unless_exists

Children = list[tuple[Table, Sequence[Mapping[str, Any]]]]  # child rows to insert with the head row, per table
_ASYNCPG = pg_asyncpg.dialect()
# Renders Core statements as PostgreSQL text with :named parameters and no casts, to embed in text().
_NAMED = pg_psycopg2.dialect(paramstyle="named")


class Duplicate(Exception):
    """The order collides with one stored before (same channel reference or idempotency key)."""


class LostRace(Exception):
    """Some units were taken by another order since availability was read."""


class CapacityFull(LostRace):
    """A node's day was filled by other orders since its capacity was read: plan again on fresh numbers."""


@lru_cache(maxsize=64)
def _compiled(stmt: ClauseElement) -> tuple[str, tuple[str, ...], dict]:
    compiled = stmt.compile(dialect=_ASYNCPG)
    assert isinstance(compiled, SQLCompiler)  # a statement's compiler: it has the parameters' positions
    return compiled.string, tuple(compiled.positiontup or ()), compiled.params


def _args(stmt: ClauseElement, params: dict) -> tuple[str, list]:
    """The statement's SQL and its positional arguments: the given ones, else the statement's literals."""
    sql, names, literals = _compiled(stmt)
    return sql, [params[name] if name in params else literals[name] for name in names]


@lru_cache(maxsize=16)
def _family_sql(head: Table, children: tuple[Table, ...], *, reserve_one: bool, takes: bool = False) -> ClauseElement:
    ctes = []
    gate = ""
    if reserve_one:
        reserve = stock.RESERVE.returning(literal_column("1")).compile(dialect=_NAMED)
        ctes.append(f"r AS ({reserve})")
        gate = "WHERE EXISTS (SELECT 1 FROM r)"
    if takes:
        # The places, only once the units are reserved; a full stripe (or a tilted day: ``capacity``)
        # fails the check and the whole statement.
        ctes.append("k AS (INSERT INTO capacity_use (resource, day, stripe, used, cap) SELECT x.n, x.d, x.s, x.q, "
                    f"{capacity.guarded_cap_sql('x.n', 'x.d', 'x.lim', 'x.cap')} "
                    "FROM jsonb_to_recordset(CAST(:places AS jsonb)) "
                    "AS x(n varchar, d date, s smallint, q int, cap int, lim int) "
                    f"{gate} ON CONFLICT (resource, day, stripe) DO UPDATE SET "
                    "used = capacity_use.used + excluded.used, cap = excluded.cap RETURNING 1)")
    ctes.append(f"h AS (INSERT INTO {head.name} SELECT * FROM jsonb_populate_recordset(NULL::{head.name}, "
                f"CAST(:head AS jsonb)) {gate} RETURNING 1)")
    ctes += [f"c{i} AS (INSERT INTO {t.name} SELECT * FROM jsonb_populate_recordset(NULL::{t.name}, "
             f"CAST(:c{i} AS jsonb)) WHERE EXISTS (SELECT 1 FROM h))" for i, t in enumerate(children)]
    return text(f"WITH {', '.join(ctes)} SELECT count(*) FROM h")


class SqlCapture:
    """Capture on a SQLAlchemy connection inside the write transaction (SQLite, or any other database)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def available(self, skus: Iterable[str]) -> dict[tuple[str, str], int]:
        return await stock.available(self.conn, skus)

    async def store(self, head: Table, row: dict, children: Children, reserve: list[tuple[str, str, int]],
                    guard: stock.Guard = stock.open_guard, takes: Sequence[Take] = (), *, at: datetime) -> None:
        inserted = await self.conn.execute(insert_unless_exists(self.conn.dialect.name, head).values(row)
                                           .returning(*head.primary_key.columns))
        if inserted.first() is None:
            raise Duplicate
        for table, rows in children:
            if rows:
                await self.conn.execute(table.insert(), rows)
        # Raised inside the transaction: everything above is rolled back.
        if not await stock.reserve(self.conn, reserve, guard, at=at):
            raise LostRace
        if not await capacity.take(self.conn, list(takes)):
            raise CapacityFull


class PgCapture:
    """Capture on an asyncpg connection in autocommit mode (see the module's note)."""

    def __init__(self, raw, combiner: Combiner) -> None:
        self.raw = raw
        self.combiner = combiner

    async def available(self, skus: Iterable[str]) -> dict[tuple[str, str], int]:
        sql, args = _args(stock.AVAILABLE_PG, {"skus": sorted(set(skus))})
        return {(n, s): q for n, s, q in await self.raw.fetch(sql, *args)}

    async def store(self, head: Table, row: dict, children: Children, reserve: list[tuple[str, str, int]],
                    guard: stock.Guard = stock.open_guard, takes: Sequence[Take] = (), *, at: datetime) -> None:
        reservations = stock.reserve_params(reserve, guard, at=at)
        tables = tuple(table for table, _ in children)
        family = _Family(head, tables, [row], [rows for _, rows in children], tuple(takes))
        if len(reservations) == 1:
            # Reservations of the same row (and the same channel rule, and places on the same days)
            # queue here and go together.
            one = reservations[0]
            stmt = _family_sql(head, tables, reserve_one=True, takes=bool(takes))
            key = (stmt, one["n"], one["s"], one["keep"], one["share"],
                   tuple((x.resource, x.day, x.stripe, x.limit) for x in takes))
            await self.combiner.submit(key, (family, one), lambda batch: self._store_batch(stmt, batch))
            return
        stmt = _family_sql(head, tables, reserve_one=False)
        try:
            async with self.raw.transaction():
                for one in reservations:
                    sql, args = _args(stock.RESERVE, one)
                    if await self.raw.execute(sql, *args) != "UPDATE 1":
                        raise LostRace
                for one in capacity.params(takes):
                    sql, args = _args(capacity.TAKE_PG, one)
                    await self.raw.execute(sql, *args)
                stored = await self.raw.fetchval(*_family_args(stmt, family))
        except UniqueViolationError:
            raise Duplicate from None
        except CheckViolationError:
            raise CapacityFull from None
        if not stored:
            raise LostRace

    async def _store_batch(self, stmt: ClauseElement, batch: list[tuple["_Family", dict]]) -> list:
        """Every family of the batch with its units in one statement; if the database refuses that (too
        few units for all, or one is a duplicate), each alone, so each gets its own answer."""
        if len(batch) > 1:
            families = [f for f, _ in batch]
            first = families[0]
            takes = tuple(x._replace(orders=sum(f.takes[i].orders for f in families))
                          for i, x in enumerate(first.takes))  # the same stripes, for all of them
            merged = _Family(first.head, first.tables, [r for f in families for r in f.heads],
                             [[r for f in families for r in f.children[i]] for i in range(len(first.tables))], takes)
            total = {**batch[0][1], "q": sum(one["q"] for _, one in batch)}
            try:
                if await self.raw.fetchval(*_family_args(stmt, merged, total)) == len(batch):
                    return [None] * len(batch)
            except (UniqueViolationError, CheckViolationError):
                pass  # nothing of the statement was stored
        return [await self._store_one(stmt, family, one) for family, one in batch]

    async def _store_one(self, stmt: ClauseElement, family: "_Family", one: dict) -> Exception | None:
        try:
            stored = await self.raw.fetchval(*_family_args(stmt, family, one))
        except UniqueViolationError:
            return Duplicate()
        except CheckViolationError:
            return CapacityFull()
        return None if stored else LostRace()


@dataclass(frozen=True)
class _Family:
    """Head rows and, per child table, their rows: what one statement inserts."""
    head: Table
    tables: tuple[Table, ...]
    heads: list[dict[str, Any]]
    children: list[Sequence[Mapping[str, Any]]]
    takes: tuple[Take, ...] = ()  # places in nodes' daily capacity


def _family_args(stmt: ClauseElement, family: _Family, reservation: dict | None = None) -> list:
    params = {"head": orjson.dumps(family.heads).decode(),
              **{f"c{i}": orjson.dumps(rows).decode() for i, rows in enumerate(family.children)},
              "places": orjson.dumps(capacity.params(family.takes)).decode(),
              **(reservation or {})}
    sql, args = _args(stmt, params)
    return [sql, *args]
