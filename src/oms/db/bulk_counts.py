"""Counts for many stock rows at once on PostgreSQL: the rows are copied into a temporary table, then
applied node group by node group in set-based statements (``services/stock/bulk.py`` says the rules).

Every statement runs on the asyncpg connection of the caller's transaction: the copy, the checks and the
writes commit together or not at all. The temporary tables are dropped at its end.
"""

from collections.abc import Sequence
from datetime import datetime

import asyncpg

COLUMNS = ("i", "node_id", "sku", "on_hand", "safety_stock")
_C = 'COLLATE "C"'  # the order every writer of stock rows locks them in (``statements.byte_order``)

CREATE = """
CREATE TEMPORARY TABLE import_counts (i integer, node_id text, sku text, on_hand integer, safety_stock integer)
ON COMMIT DROP;
CREATE TEMPORARY TABLE import_later (node_id text, sku text, total bigint) ON COMMIT DROP;
"""
# The sort that finds a repeated row also serves every later join (node groups, then the stock rows' keys).
_UNIQUE = f'CREATE UNIQUE INDEX import_counts_key ON import_counts (node_id {_C}, sku {_C})'
# Rows given again: their place, and the place the same (node, sku) first came.
_REPEATED = """
SELECT i, node_id, sku, first FROM (
    SELECT i, node_id, sku, min(i) OVER (PARTITION BY node_id, sku) AS first FROM import_counts) d
WHERE i <> first ORDER BY i
"""
# A new row is created at the count itself: a key without a stock row has no movements (every writer makes
# the row before its movement, and rows are never deleted). Created with counted_at = the count's time, it
# is not touched again by the update below, which only takes rows counted before. The rows that exist are
# left out by a join first: an insert tried and given up per row costs ten times as much (a row created
# meanwhile by another writer is still passed over by the conflict clause).
_ADD = f"""
WITH added AS (
    INSERT INTO inventory (node_id, sku, on_hand, reserved, safety_stock, counted_at, updated_at)
    SELECT s.node_id, s.sku, s.on_hand, 0, coalesce(s.safety_stock, d.safety), $2, $3
    FROM import_counts s JOIN unnest($1::text[], $4::int[]) AS d(node_id, safety) USING (node_id)
    WHERE NOT EXISTS (SELECT FROM inventory v WHERE v.node_id = s.node_id AND v.sku = s.sku)
    ORDER BY s.node_id {_C}, s.sku {_C}
    ON CONFLICT DO NOTHING
    RETURNING node_id, sku, on_hand
), moved AS (
    INSERT INTO movements (node_id, sku, delta, reason, ref, occurred_at, recorded_at)
    SELECT node_id, sku, on_hand, 'count', $5, $2, $3 FROM added WHERE on_hand <> 0
)
SELECT count(*) FROM added
"""
# Rows the counts apply to (none resting on a count as recent), locked in key order before anything reads
# them: a concurrent writer of one of them has committed, or waits for this transaction.
_LOCK = f"""
SELECT count(*) FROM (
    SELECT FROM inventory v JOIN import_counts s USING (node_id, sku)
    WHERE v.node_id = ANY($1::text[]) AND (v.counted_at IS NULL OR v.counted_at < $2)
    ORDER BY v.node_id {_C}, v.sku {_C} FOR UPDATE OF v) locked
"""
# Movements that happened after the count (a node's clock may be a little ahead): on-hand keeps them on top.
_LATER = """
INSERT INTO import_later
SELECT m.node_id, m.sku, sum(m.delta) FROM movements m
WHERE m.node_id = ANY($1::text[]) AND m.occurred_at > $2 AND m.reason <> 'count'
GROUP BY m.node_id, m.sku
"""
_BEYOND = """
SELECT s.i, s.node_id, s.sku, s.on_hand + l.total AS on_hand
FROM import_counts s JOIN import_later l USING (node_id, sku) JOIN inventory v USING (node_id, sku)
WHERE (v.counted_at IS NULL OR v.counted_at < $1) AND abs(s.on_hand + l.total) > $2
ORDER BY s.i
"""
# The count (plus what came after it) replaces on-hand; the ledger gets the difference. Reserved is left
# alone: a count never touches live reservations.
_SET = """
WITH counted AS (
    SELECT v.node_id, v.sku, v.on_hand AS was, s.on_hand + coalesce(l.total, 0) AS on_hand,
           coalesce(s.safety_stock, v.safety_stock) AS safety
    FROM inventory v JOIN import_counts s USING (node_id, sku) LEFT JOIN import_later l USING (node_id, sku)
    WHERE v.node_id = ANY($1::text[]) AND (v.counted_at IS NULL OR v.counted_at < $2)
), changed AS (
    UPDATE inventory v SET on_hand = c.on_hand, safety_stock = c.safety, counted_at = $2, updated_at = $3
    FROM counted c WHERE v.node_id = c.node_id AND v.sku = c.sku
    RETURNING 1
), moved AS (
    INSERT INTO movements (node_id, sku, delta, reason, ref, occurred_at, recorded_at)
    SELECT node_id, sku, on_hand - was, 'count', $4, $2, $3 FROM counted WHERE on_hand <> was
)
SELECT count(*) FROM changed
"""


async def create(conn: asyncpg.Connection) -> None:
    # Big sorts and hashes stay in memory for this transaction only.
    await conn.execute("SET LOCAL work_mem = '64MB'")
    await conn.execute(CREATE)


async def copy(conn: asyncpg.Connection, first: int, rows: Sequence[tuple]) -> None:
    """Rows (node_id, sku, on_hand, safety_stock) numbered from ``first``."""
    await conn.copy_records_to_table("import_counts", columns=COLUMNS,
                                     records=[(first + k, *row) for k, row in enumerate(rows)])


async def repeated(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every row whose (node, sku) came earlier: (i, node_id, sku, first). Also indexes the rows by key."""
    await conn.execute("ANALYZE import_counts")
    try:
        async with conn.transaction():  # a savepoint: the failed index leaves the transaction usable
            await conn.execute(_UNIQUE)
        return []
    except asyncpg.UniqueViolationError:
        return await conn.fetch(_REPEATED)


async def nodes_counted(conn: asyncpg.Connection) -> list[tuple[str, int]]:
    """The nodes of the rows with their number of rows, in key order."""
    return [(r["node_id"], r["n"]) for r in await conn.fetch(
        f"SELECT node_id, count(*) AS n FROM import_counts GROUP BY node_id ORDER BY node_id {_C}")]


async def add_new(conn: asyncpg.Connection, nodes: list[str], safety: list[int], *, counted_at: datetime,
                  stamp: datetime, ref: str | None) -> int:
    """Create the missing stock rows of these nodes at their counts: how many."""
    return await conn.fetchval(_ADD, nodes, counted_at, stamp, safety, ref)


async def lock_and_look(conn: asyncpg.Connection, nodes: list[str], *, counted_at: datetime,
                        limit: int) -> list[asyncpg.Record]:
    """Lock the existing rows the counts apply to, and gather the movements after the count; answers the rows
    whose on-hand would end beyond ±``limit``: (i, node_id, sku, on_hand)."""
    await conn.fetchval(_LOCK, nodes, counted_at)
    await conn.execute("TRUNCATE import_later")
    await conn.execute(_LATER, nodes, counted_at)
    return await conn.fetch(_BEYOND, counted_at, limit)


async def set_counted(conn: asyncpg.Connection, nodes: list[str], *, counted_at: datetime, stamp: datetime,
                      ref: str | None) -> int:
    """Apply the counts to the locked rows of these nodes: how many."""
    return await conn.fetchval(_SET, nodes, counted_at, stamp, ref)
