"""Places in capacities (a node's day, a delivery slot): taken by a capture, in its transaction; given
back by a cancel.

Every writer takes capacity rows after the stock rows (and before supply rows), in (resource, day) order.
The table's check (``used <= cap``) refuses a taker that would overbook: the statement fails whole,
so a capture that meets a full day stores nothing and plans again.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t
from .rows import FulfillmentRow

c = t.capacity_use.c
Taken = tuple[str, date, int, int]  # resource, local date, orders, its limit


def _take(insert):
    stmt = insert(t.capacity_use).values(resource=bindparam("n"), day=bindparam("d"), used=bindparam("q"),
                                         cap=bindparam("cap"))
    return stmt.on_conflict_do_update(index_elements=[c.resource, c.day],
                                      set_={"used": c.used + stmt.excluded.used, "cap": stmt.excluded.cap})


TAKE_PG = _take(postgresql.insert)
_TAKE = {"postgresql": TAKE_PG, "sqlite": _take(sqlite.insert)}
_GIVE_BACK = (update(t.capacity_use).where(c.resource == bindparam("n"), c.day == bindparam("d"))
              .values(used=c.used - bindparam("q")))


def params(taken: Iterable[Taken]) -> list[dict]:
    return [{"n": n, "d": d, "q": q, "cap": cap} for n, d, q, cap in taken]


async def take(conn: AsyncConnection, taken: list[Taken]) -> bool:
    """Take every place or none: False when a day is full (the caller rolls its transaction back)."""
    for one in params(taken):
        if one["q"] > one["cap"]:
            return False
        try:
            await conn.execute(_TAKE[conn.dialect.name], one)
        except IntegrityError:
            return False
    return True


async def give_back(conn: AsyncConnection, claims: Iterable[tuple[str, date, int]]) -> None:
    for node_id, day, orders in sorted(claims):
        await conn.execute(_GIVE_BACK, {"n": node_id, "d": day, "q": orders})


async def shift(conn: AsyncConnection, back: Iterable[tuple[str, date, int]], taken: list[Taken]) -> bool:
    """Give places back and take others in one pass over the rows, in (resource, day) order as every
    writer locks them (only the difference per row is written); False when a day is full."""
    net: dict[tuple[str, date], list[int]] = {}
    for resource, day, orders in back:
        net.setdefault((resource, day), [0, 0])[0] -= orders
    for resource, day, orders, cap in taken:
        entry = net.setdefault((resource, day), [0, cap])
        entry[0] += orders
        entry[1] = cap
    for (resource, day), (orders, cap) in sorted(net.items()):
        if orders < 0:
            await give_back(conn, [(resource, day, -orders)])
        elif orders > 0 and not await take(conn, [(resource, day, orders, cap)]):
            return False
    return True


def places_of(fuls: Iterable[FulfillmentRow], *, worked: bool = False) -> list[tuple[str, date, int]]:
    """The places these fulfilment orders took at capture (``details.capacity``), to give back. ``worked``:
    their nodes did the work (picked), so their own places stay taken; the others (a locker bank's, a
    slot, a courier hour) go back."""
    return [(resource, date.fromisoformat(day), 1) for f in fuls for resource, day in f["details"].get("capacity", ())
            if not (worked and resource == f["node_id"])]


async def used_since(conn: AsyncConnection, day: date) -> dict[tuple[str, date], int]:
    """Places taken per (resource, local date) from ``day`` on (the days a promise can still be for)."""
    rows = await conn.execute(select(c.resource, c.day, c.used).where(c.day >= day, c.used > 0))
    return {(n, d): u for n, d, u in rows}


def yesterday(today: date) -> date:
    """Local dates run up to a day behind UTC's: the earliest day a node anywhere may still be working."""
    return today - timedelta(days=1)
