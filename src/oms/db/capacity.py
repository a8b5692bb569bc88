"""Places in capacities (a node's day, a delivery slot): taken by a capture, in its transaction; given
back by a cancel.

A day's places are kept in ``STRIPES`` rows (see ``domain.capacity``): takers on different stripes do not
wait for each other's commit. Every writer takes capacity rows after the stock rows (and before supply
rows), in (resource, day, stripe) order. The table's check (``used <= cap``, ``cap`` the stripe's share of
the taker's limit) refuses a taker that would overbook: the statement fails whole, so a capture that
meets a full stripe stores nothing and plans again.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import BigInteger, Date, Integer, String, bindparam, case, cast, exists, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from ..domain.capacity import STRIPES, Counted, Take, dealt, given_back, share, spread
from . import tables as t
from .rows import FulfillmentRow
from .statements import insert_for

c = t.capacity_use.c
_u = t.capacity_use.alias("u")  # the day's other stripes, seen from a statement on one


def _tilted(resource, day, limit) -> ColumnElement[bool]:
    """Whether a stripe of the day holds more than its share of ``limit``. Only a lowered limit leaves one
    so, and then the other stripes' shares alone would let the day pass the limit: a take refuses while
    one is there (the capture lays the day out again first, ``lay_out``)."""
    # (A limit near the largest integer must not overflow on its way: the share is worked out in bigint.)
    return exists().where(_u.c.resource == resource, _u.c.day == day,
                          _u.c.used > dealt(cast(limit, BigInteger), _u.c.stripe))


def guarded_cap(resource, day, limit, cap) -> ColumnElement[int]:
    """The cap a take writes: the stripe's share, or -1 (which the check refuses) on a tilted day."""
    return case((_tilted(resource, day, limit), -1), else_=cap)


def _take(insert):
    n, d, limit = bindparam("n", type_=String), bindparam("d", type_=Date), bindparam("lim", type_=Integer)
    stmt = insert(t.capacity_use).values(resource=n, day=d, stripe=bindparam("s"), used=bindparam("q"),
                                         cap=guarded_cap(n, d, limit, bindparam("cap", type_=Integer)))
    return stmt.on_conflict_do_update(index_elements=[c.resource, c.day, c.stripe],
                                      set_={"used": c.used + stmt.excluded.used, "cap": stmt.excluded.cap})


TAKE_PG = _take(postgresql.insert)
_TAKE = {"postgresql": TAKE_PG, "sqlite": _take(sqlite.insert)}
_REWRITE = (update(t.capacity_use).where(c.resource == bindparam("n"), c.day == bindparam("d"),
                                         c.stripe == bindparam("s"))
            .values(used=bindparam("u"), cap=bindparam("k")))


def params(taken: Iterable[Take]) -> list[dict]:
    return [{"n": x.resource, "d": x.day, "s": x.stripe, "q": x.orders, "cap": x.cap, "lim": x.limit}
            for x in taken]


async def take(conn: AsyncConnection, taken: Sequence[Take]) -> bool:
    """Take every place or none, on the stripes chosen: False when one is full (the caller rolls its
    transaction back)."""
    for one in params(taken):
        if one["q"] > one["cap"]:
            return False
        try:
            await conn.execute(_TAKE[conn.dialect.name], one)
        except IntegrityError:
            return False
    return True


async def take_locked(conn: AsyncConnection, counts: Iterable[Counted]) -> bool:
    """Take every place or none, on whatever stripes have room, each day's rows locked meanwhile: for
    writers that hold no reading of the stripes (a re-sourcing; a claim and the batch through ``shift``),
    which a stripe full since would refuse although the day has room. False when a day is full."""
    for resource, day, orders, limit in sorted(counts):
        if not await lay_out(conn, resource, day, limit, orders):
            return False
    return True


async def lay_out(conn: AsyncConnection, resource: str, day: date, limit: int, more: int = 0) -> bool:
    """Lay the day's places out again, with ``more`` taken now, each stripe within its share of ``limit``
    where the limit allows (``domain.capacity.spread``), under the lock of all its rows; False, and no
    place moved, when ``more`` do not fit."""
    used, _ = await _locked(conn, resource, day)
    if more and sum(used) + more > limit:
        return False
    laid = spread(limit, used, more)
    await _rewrite(conn, resource, day, laid, [max(share(limit, s), u) for s, u in enumerate(laid)])
    return True


async def give_back(conn: AsyncConnection, claims: Iterable[tuple[str, date, int]]) -> None:
    """Give places back on whichever stripes hold them (places are fungible: nobody records which stripe
    an order took), a day at a time in every writer's order; never below zero. The day's rows are locked
    first, all in stripe order as every writer takes them: a stripe chosen from a read and updated alone
    could be found changed, its lock kept, and the others then locked out of order (a deadlock)."""
    back: Counter[tuple[str, date]] = Counter()
    for resource, day, orders in claims:
        back[(resource, day)] += orders
    for (resource, day), orders in sorted(back.items()):
        used, caps = await _locked(conn, resource, day)
        await _rewrite(conn, resource, day, given_back(used, caps, orders), caps)


async def shift(conn: AsyncConnection, back: Iterable[tuple[str, date, int]], taken: list[Counted]) -> bool:
    """Give places back and take others in one pass over the rows, in (resource, day) order as every
    writer locks them (only the difference per day is written); False when a day is full."""
    net: dict[tuple[str, date], list[int]] = {}
    for resource, day, orders in back:
        net.setdefault((resource, day), [0, 0])[0] -= orders
    for resource, day, orders, limit in taken:
        entry = net.setdefault((resource, day), [0, limit])
        entry[0] += orders
        entry[1] = limit
    for (resource, day), (orders, limit) in sorted(net.items()):
        if orders < 0:
            await give_back(conn, [(resource, day, -orders)])
        elif orders > 0 and not await lay_out(conn, resource, day, limit, orders):
            return False
    return True


async def _locked(conn: AsyncConnection, resource: str, day: date) -> tuple[list[int], list[int]]:
    """Every stripe row of the day (those missing made, holding nothing), locked in stripe order as every
    writer takes them; their places and caps per stripe. An upsert that changes nothing locks each row,
    existing or not, in the order given, where a read ``FOR UPDATE`` would leave missing ones open."""
    stmt = insert_for(conn.dialect.name, t.capacity_use).values(
        [{"resource": resource, "day": day, "stripe": s, "used": 0, "cap": 0} for s in range(STRIPES)])
    stmt = stmt.on_conflict_do_update(index_elements=[c.resource, c.day, c.stripe], set_={"used": c.used})
    used, caps = [0] * STRIPES, [0] * STRIPES
    for stripe, u, cap in await conn.execute(stmt.returning(c.stripe, c.used, c.cap)):
        used[stripe], caps[stripe] = u, cap
    return used, caps


async def _rewrite(conn: AsyncConnection, resource: str, day: date, used: list[int], caps: list[int]) -> None:
    """Write each stripe's places and cap (its rows locked by ``_locked``)."""
    await conn.execute(_REWRITE, [{"n": resource, "d": day, "s": s, "u": u, "k": k}
                                  for s, (u, k) in enumerate(zip(used, caps, strict=True))])


def places_of(fuls: Iterable[FulfillmentRow], *, worked: bool = False) -> list[tuple[str, date, int]]:
    """The places these fulfilment orders took at capture (``details.capacity``), to give back. ``worked``:
    their nodes did the work (picked), so their own places stay taken; the others (a locker bank's, a
    slot, a courier hour) go back."""
    return [(resource, date.fromisoformat(day), 1) for f in fuls for resource, day in f["details"].get("capacity", ())
            if not (worked and resource == f["node_id"])]


async def used_since(conn: AsyncConnection, day: date) -> dict[tuple[str, date], list[int]]:
    """Places taken per stripe of each (resource, local date) from ``day`` on (the days a promise can still
    be for)."""
    rows = await conn.execute(select(c.resource, c.day, c.stripe, c.used).where(c.day >= day, c.used > 0))
    found: dict[tuple[str, date], list[int]] = {}
    for resource, d, stripe, used in rows:
        found.setdefault((resource, d), [0] * STRIPES)[stripe] = used
    return found


def guarded_cap_sql(resource: str, day: str, limit: str, cap: str) -> str:
    """``guarded_cap`` over columns named in a statement's text (the capture's), as PostgreSQL text."""
    named = guarded_cap(literal_column(resource), literal_column(day), literal_column(limit, Integer),
                        literal_column(cap, Integer))
    return str(named.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def yesterday(today: date) -> date:
    """Local dates run up to a day behind UTC's: the earliest day a node anywhere may still be working."""
    return today - timedelta(days=1)
