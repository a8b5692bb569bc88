"""Reservation and consumption of stock rows: the conditional updates that make overselling impossible."""

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, and_, any_, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t
from .statements import insert_unless_exists

c = t.inventory.c
# Units are taken only if the row still has them, beyond its safety stock and what the channel must leave
# (``keep``: units a store keeps for walk-in customers), and within the channel's ``share`` (percent).
RESERVE = (
    update(t.inventory)
    .where(c.node_id == bindparam("n"), c.sku == bindparam("s"),
           # 64-bit from the start: neither the difference (on-hand may be far below zero) nor the product
           # (more than 21 million units) may overflow the 32-bit columns
           (cast(c.on_hand, BigInteger) - c.reserved - c.safety_stock - bindparam("keep")) * bindparam("share")
           >= bindparam("q") * literal_column("100"))
    .values(reserved=c.reserved + bindparam("q"), updated_at=bindparam("at"))
)
# (keep, share) for a node: what a channel's rules leave it of that node's stock.
Guard = Callable[[str], tuple[int, int]]


def open_guard(_node_id: str) -> tuple[int, int]:
    return 0, 100
_RELEASE = (
    update(t.inventory)
    .where(c.node_id == bindparam("n"), c.sku == bindparam("s"))
    .values(reserved=c.reserved - bindparam("q"), updated_at=bindparam("at"))
)
# Reserved whatever the row shows (units that are already the reserving order's own).
_TAKE = (
    update(t.inventory)
    .where(c.node_id == bindparam("n"), c.sku == bindparam("s"))
    .values(reserved=c.reserved + bindparam("q"), updated_at=bindparam("at"))
)
# Units leave the building: on-hand and the reservation that held them go down together.
_CONSUME = (
    update(t.inventory)
    .where(c.node_id == bindparam("n"), c.sku == bindparam("s"))
    .values(on_hand=c.on_hand - bindparam("q"), reserved=c.reserved - bindparam("q"), updated_at=bindparam("at"))
)
# Units come into the building (a feed's movement, a returned unit put back on the shelf).
ADD = (
    update(t.inventory)
    .where(c.node_id == bindparam("k_node"), c.sku == bindparam("k_sku"))
    .values(on_hand=c.on_hand + bindparam("delta"), updated_at=bindparam("updated_at"))
)


def _totals(items: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Quantities summed per (node, sku), in key order: every writer locks rows in this one order."""
    sums: dict[tuple[str, str], int] = {}
    for node_id, sku, qty in items:
        if qty:
            sums[(node_id, sku)] = sums.get((node_id, sku), 0) + qty
    return [(n, s, q) for (n, s), q in sorted(sums.items())]


_ATP = cast(c.on_hand, BigInteger) - c.reserved - c.safety_stock
_AVAILABLE = select(c.node_id, c.sku, _ATP).where(and_(c.sku.in_(bindparam("skus", expanding=True)), _ATP > 0))
# The same on PostgreSQL's driver connection, which has arrays instead of expanding IN lists.
AVAILABLE_PG = select(c.node_id, c.sku, _ATP).where(and_(c.sku == any_(bindparam("skus", type_=ARRAY(String))),
                                                         _ATP > 0))


_NUMBERED = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("node_id", with_ordinality="i") \
    .render_derived()
# The whole table per SKU on PostgreSQL: the nodes holding it, numbered by their place in ``ids`` (from 0),
# and their available units. Five million rows arrive as a hundred thousand pairs of integer arrays, which
# the driver decodes in C: the stock mirror's full read (``services/stock/mirror.py``) then costs its
# process a second of CPU, not the half-minute of decoding every row.
PER_SKU_PG = select(c.sku, func.array_agg(cast(_NUMBERED.c.i, Integer) - 1), func.array_agg(func.greatest(_ATP, 0))) \
    .join_from(t.inventory, _NUMBERED, _NUMBERED.c.node_id == c.node_id).group_by(c.sku)


async def available(conn: AsyncConnection, skus: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units available to promise per (node, sku) for these SKUs, where there are any."""
    return {(n, s): q for n, s, q in await conn.execute(_AVAILABLE, {"skus": sorted(set(skus))})}


def reserve_params(items: Iterable[tuple[str, str, int]], guard: Guard = open_guard, *, at: datetime) -> list[dict]:
    params = []
    for node_id, sku, qty in _totals(items):
        keep, share = guard(node_id)
        params.append({"n": node_id, "s": sku, "q": qty, "at": at, "keep": keep, "share": share})
    return params


async def reserve(conn: AsyncConnection, items: Iterable[tuple[str, str, int]], guard: Guard = open_guard, *,
                  at: datetime) -> bool:
    """Hold every unit or none: False as soon as one row lacks the units (the caller rolls back)."""
    for params in reserve_params(items, guard, at=at):
        if (await conn.execute(RESERVE, params)).rowcount != 1:
            return False
    return True


async def release(conn: AsyncConnection, items: Iterable[tuple[str, str, int]], *, at: datetime) -> None:
    for node_id, sku, qty in _totals(items):
        await conn.execute(_RELEASE, {"n": node_id, "s": sku, "q": qty, "at": at})


async def consume(conn: AsyncConnection, items: Iterable[tuple[str, str, int]], *, reason: str, ref: str,
                  at: datetime) -> None:
    """Reserved units leave stock (shipped, handed over, not found): on-hand falls, the ledger says why."""
    totals = _totals(items)
    for node_id, sku, qty in totals:
        await conn.execute(_CONSUME, {"n": node_id, "s": sku, "q": qty, "at": at})
    if totals:
        await conn.execute(t.movements.insert(), [
            {"node_id": n, "sku": s, "delta": -q, "reason": reason, "ref": ref, "occurred_at": at,
             "recorded_at": at} for n, s, q in totals
        ])


async def reserve_arrived(conn: AsyncConnection, dialect: str, items: Iterable[tuple[str, str, int]],
                          safety_of: Callable[[str], int], *, at: datetime) -> None:
    """Units of a received supply reserved for the orders that waited for them, unconditionally: they are
    theirs, even before the count that brings them in is fed (available shows 0 meanwhile, not more).
    A missing stock row is created at zero (``safety_of(node_id)`` as its safety stock)."""
    totals = await _rows_for(conn, dialect, items, safety_of, at)
    if totals:
        await conn.execute(_TAKE, [{"n": n, "s": s, "q": q, "at": at} for n, s, q in totals])


async def _rows_for(conn: AsyncConnection, dialect: str, items: Iterable[tuple[str, str, int]],
                    safety_of: Callable[[str], int], at: datetime) -> list[tuple[str, str, int]]:
    """The quantities per key, in key order, once every key has its stock row."""
    totals = _totals(items)
    await create_missing(conn, dialect, [(n, s) for n, s, _ in totals], at, safety_of)
    return totals


async def create_missing(conn: AsyncConnection, dialect: str, keys: list[tuple[str, str]], stamp: datetime,
                         safety_of: Callable[[str], int]) -> set[tuple[str, str]]:
    """Create the stock rows of ``keys`` that do not exist yet, at zero (``safety_of(node_id)`` as safety
    stock), so that a lock taken next covers them all; answers the keys created."""
    if not keys:
        return set()
    created = await conn.execute(
        insert_unless_exists(dialect, t.inventory).returning(c.node_id, c.sku),
        [{"node_id": n, "sku": s, "on_hand": 0, "reserved": 0, "safety_stock": safety_of(n), "updated_at": stamp}
         for n, s in keys])
    return {(n, s) for n, s in created}


async def put_back(conn: AsyncConnection, dialect: str, items: Iterable[tuple[str, str, int]], *, reason: str,
                   ref: str, safety_of: Callable[[str], int], at: datetime) -> None:
    """Units back on a node's shelves, sellable again (a returned unit restocked): on-hand rises, the
    ledger says why. A missing stock row is created at zero first (``safety_of(node_id)`` as its safety)."""
    totals = await _rows_for(conn, dialect, items, safety_of, at)
    if not totals:
        return
    await conn.execute(ADD, [{"k_node": n, "k_sku": s, "delta": q, "updated_at": at} for n, s, q in totals])
    await conn.execute(t.movements.insert(), [
        {"node_id": n, "sku": s, "delta": q, "reason": reason, "ref": ref, "occurred_at": at,
         "recorded_at": at} for n, s, q in totals
    ])


async def newest_movement(conn: AsyncConnection) -> int:
    """The id of the newest movement of stock (0 when none): a pass that waits for stock to move compares it."""
    return await conn.scalar(select(func.max(t.movements.c.id))) or 0
