"""Units of expected supply promised to backordered order lines: never more than the supply brings."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.sourcing import Incoming
from . import tables as t

s = t.supply.c
# Promised only while expected and only if the units are still free: the row lock serialises two orders.
_PROMISE = (
    update(t.supply)
    .where(s.id == bindparam("k_id"), s.status == "expected", s.quantity - s.allocated >= bindparam("q"))
    .values(allocated=s.allocated + bindparam("q"))
)
_GIVE_BACK = update(t.supply).where(s.id == bindparam("k_id")).values(allocated=s.allocated - bindparam("q"))


async def incoming(conn: AsyncConnection, skus: Iterable[str], node_ids: Iterable[str], today: date) -> list[Incoming]:
    """Expected supply of these SKUs at these nodes, due from ``today`` on, with units not yet promised.
    (A supply past its date without news is not promised: nobody knows when it comes.)"""
    rows = await conn.execute(
        select(s.id, s.node_id, s.sku, s.quantity - s.allocated, s.expected_on)
        .where(s.status == "expected", s.sku.in_(sorted(set(skus))), s.node_id.in_(sorted(set(node_ids))),
               s.quantity > s.allocated, s.expected_on >= today))
    return [Incoming(*row) for row in rows]


def _totals(items: Iterable[tuple[str, int]]) -> list[dict]:
    sums: dict[str, int] = {}
    for supply_id, units in items:
        if units:
            sums[supply_id] = sums.get(supply_id, 0) + units
    return [{"k_id": k, "q": q} for k, q in sorted(sums.items())]  # rows locked in key order


async def promise(conn: AsyncConnection, items: Iterable[tuple[str, int]]) -> bool:
    """Promise ``(supply_id, units)``, all or none: False as soon as one supply lacks them (roll back)."""
    for params in _totals(items):
        if (await conn.execute(_PROMISE, params)).rowcount != 1:
            return False
    return True


async def give_back(conn: AsyncConnection, items: Iterable[tuple[str, int]]) -> None:
    """The lines no longer wait for these units (cancelled, or served from stock after all)."""
    for params in _totals(items):
        await conn.execute(_GIVE_BACK, params)
