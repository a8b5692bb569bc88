"""The day sums a run forecasts from: for each store-SKU, per local day from the history's first to today, the
units its till sold, the units it sent online and the net of every movement (``demand.history`` reads them).

On PostgreSQL the ledger is summed in the database, by local day of each node's own timezone, and each series
comes back as a few integer arrays (decoded by the driver in C): a network's 20 million movements are never
sent row by row. Elsewhere (SQLite, a small shop) the movements are read and summed here.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from itertools import chain

import numpy as np
from sqlalchemy import Date, Integer, bindparam, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...domain.replenishment.demand import ONLINE, WALK_IN
from ..reference.cache import Snapshot

mv, nd = t.movements.c, t.nodes.c


@dataclass
class DaySums:
    walk_in: np.ndarray  # series × days, the first day first
    online: np.ndarray
    net: np.ndarray


async def day_sums(conn: AsyncConnection, dialect: str, snap: Snapshot, pairs: list[tuple[str, str]], first: date,
                   days: int, skus: set[str] | None = None) -> DaySums:
    """The day sums of ``pairs`` (store, SKU) over ``days`` days from ``first`` (each store's local dates);
    ``skus``: the only SKUs the run is for, if it names them."""
    stores = sorted({n for n, _ in pairs})
    since = min(snap.times[n].calendar.at(first, time(0)) for n in stores)
    found = DaySums(*(np.zeros((len(pairs), days)) for _ in range(3)))
    index = {key: i for i, key in enumerate(pairs)}
    rows = await (_summed_pg(conn, stores, skus, since, first) if dialect == "postgresql"
                  else _summed_here(conn, snap, stores, skus, since, first))
    # Per series kept: its row, its days, its three sums.
    at: list[int] = []
    days_of: list[list[int]] = []
    sums: tuple[list[list[int]], ...] = ([], [], [])
    for node_id, sku, d, *values in rows:
        if (node_id, sku) in index:
            at.append(index[(node_id, sku)])
            days_of.append(d)
            for kept, v in zip(sums, values, strict=True):
                kept.append(v)
    if not at:
        return found
    lengths = [len(d) for d in days_of]
    total = sum(lengths)
    row = np.repeat(np.array(at), lengths)
    day = np.fromiter(chain.from_iterable(days_of), dtype=np.int64, count=total)
    inside = (day >= 0) & (day < days)  # (a movement of the evening before ``first`` in another timezone)
    for matrix, kept in zip((found.walk_in, found.online, found.net), sums, strict=True):
        values = np.fromiter(chain.from_iterable(kept), dtype=np.float64, count=total)
        matrix[row[inside], day[inside]] = values[inside]
    return found


async def _summed_pg(conn: AsyncConnection, stores: list[str], skus: set[str] | None, since, first: date) -> list:
    """(store, SKU, [day], [walk-in], [online], [net]) per series, summed in the database."""
    local_day = func.date(func.timezone(nd.timezone, mv.occurred_at))
    day = cast(local_day - cast(bindparam("first", first), Date), Integer).label("d")

    def units(reasons: Iterable[str]):
        return func.sum(case((mv.reason.in_(list(reasons)), -mv.delta), else_=0))

    query = (select(mv.node_id, mv.sku, day, units(WALK_IN).label("w"), units(ONLINE).label("o"),
                    func.sum(mv.delta).label("net"))
             .join(t.nodes, nd.id == mv.node_id)
             .where(mv.node_id.in_(stores), mv.occurred_at >= since))
    per_day = (query.where(mv.sku.in_(sorted(skus))) if skus else query).group_by(mv.node_id, mv.sku, day).subquery()
    c = per_day.c
    return list(await conn.execute(
        select(c.node_id, c.sku, func.array_agg(c.d), func.array_agg(c.w), func.array_agg(c.o),
               func.array_agg(c.net)).group_by(c.node_id, c.sku)))


async def _summed_here(conn: AsyncConnection, snap: Snapshot, stores: list[str], skus: set[str] | None, since,
                       first: date) -> list:
    """The same, the movements read and summed here."""
    sums: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    query = select(mv.node_id, mv.sku, mv.delta, mv.reason, mv.occurred_at).where(
        mv.node_id.in_(stores), mv.occurred_at >= since)
    for node_id, sku, delta, reason, at in await conn.execute(query.where(mv.sku.in_(sorted(skus))) if skus
                                                              else query):
        day = sums[(node_id, sku)][(snap.times[node_id].calendar.local_date(at) - first).days]
        day[0] += -delta if reason in WALK_IN else 0
        day[1] += -delta if reason in ONLINE else 0
        day[2] += delta
    return [(n, s, list(days), *([v[k] for v in days.values()] for k in range(3))) for (n, s), days in sums.items()]
