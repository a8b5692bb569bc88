"""The day sums a run forecasts from: for each store-SKU, per local day from the history's first to today, the
units its till sold, the units it sent online and the net of every movement (``demand.history`` reads them).

On PostgreSQL the ledger is summed in the database, by local day of each node's own timezone, and each series
comes back as a few integer arrays (decoded by the driver in C): a network's 20 million movements are never
sent row by row. Elsewhere (SQLite, a small shop) the movements are read and summed here.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from itertools import chain

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...domain.replenishment.demand import ONLINE, WALK_IN
from ..reference.cache import Snapshot

inv, mv = t.inventory.c, t.movements.c


@dataclass
class DaySums:
    walk_in: np.ndarray  # series × days, the first day first; the last column: every later day together
    online: np.ndarray
    net: np.ndarray
    on_hand: np.ndarray  # each series' on-hand, read in the same snapshot as its movements


async def day_sums(conn: AsyncConnection, dialect: str, snap: Snapshot, pairs: list[tuple[str, str]], first: date,
                   days: int, on_hand: np.ndarray, skus: set[str] | None = None) -> DaySums:
    """The day sums of ``pairs`` (store, SKU) over ``days`` days from ``first`` (each store's local dates), the
    last of them holding every later day's (only their net counts: it tells the opening stock of the days
    before); ``skus``: the only SKUs the run is for, if it names them.

    ``on_hand``: each series' on-hand as read before. A series with movements gets it again with them, in the
    same snapshot (``conn``: on PostgreSQL, repeatable read), so that the on-hand and the movements agree; one
    without any had none since either."""
    stores = sorted({n for n, _ in pairs})
    since = min(snap.times[n].calendar.at(first, time(0)) for n in stores)
    index = {key: i for i, key in enumerate(pairs)}
    found = DaySums(np.zeros((len(pairs), days)), np.zeros((len(pairs), days)), np.zeros((len(pairs), days)),
                    np.array(on_hand, dtype=float))
    rows = await (_summed_pg(conn, snap, stores, skus, since, first) if dialect == "postgresql"
                  else _summed_here(conn, snap, stores, skus, since, first))
    rows = [r for r in rows if (r[0], r[1]) in index]
    if not rows:
        return found
    nodes, skus_of, days_of, *sums, held = zip(*rows, strict=True)  # (the series, its days, three sums, on-hand)
    at = [index[key] for key in zip(nodes, skus_of, strict=True)]
    found.on_hand[at] = [0 if q is None else q for q in held]
    lengths = [len(d) for d in days_of]
    total = sum(lengths)
    row = np.repeat(np.array(at), lengths)
    day = np.fromiter(chain.from_iterable(days_of), dtype=np.int64, count=total)
    inside = day >= 0  # (a movement of the evening before ``first`` in another timezone)
    # The days after the last column's are added to it (a series' days are each once: the rest is assigned).
    later = inside & (day >= days - 1)
    inside &= ~later
    for matrix, kept in zip((found.walk_in, found.online, found.net), sums, strict=True):
        values = np.fromiter(chain.from_iterable(kept), dtype=np.float64, count=total)
        matrix[row[inside], day[inside]] = values[inside]
        np.add.at(matrix, (row[later], np.full(later.sum(), days - 1)), values[later])
    return found


# The ledger summed per store, SKU and local day (each store's own timezone), then per store-SKU as arrays.
# Stores of one timezone (most batches) take it as a parameter: no join with the nodes for each movement.
_SUMMED_PG = """
SELECT node_id, sku, array_agg(d), array_agg(w), array_agg(o), array_agg(net),
       (SELECT i.on_hand FROM inventory i WHERE i.node_id = days.node_id AND i.sku = days.sku) FROM (
    SELECT m.node_id, m.sku, (date(timezone({zone}, m.occurred_at)) - $2::date)::int4 AS d,
           sum(CASE WHEN m.reason IN ({walk_in}) THEN -m.delta ELSE 0 END)::int4 AS w,
           sum(CASE WHEN m.reason IN ({online}) THEN -m.delta ELSE 0 END)::int4 AS o,
           sum(m.delta)::int4 AS net
    FROM movements m {join}
    WHERE m.node_id = ANY($1::text[]) AND m.occurred_at >= $3 AND ($4::text[] IS NULL OR m.sku = ANY($4::text[]))
    GROUP BY 1, 2, 3) AS days
GROUP BY 1, 2
"""
# (the streams' reasons are the code's own words, written into the statement: compared as constants, row by row)
_STREAMS = {"walk_in": ", ".join(f"'{r}'" for r in WALK_IN), "online": ", ".join(f"'{r}'" for r in ONLINE)}
_ONE_ZONE = _SUMMED_PG.format(zone="$5::text", join="", **_STREAMS)
_EACH_ZONE = _SUMMED_PG.format(zone="n.timezone", join="JOIN nodes n ON n.id = m.node_id", **_STREAMS)


async def _summed_pg(conn: AsyncConnection, snap: Snapshot, stores: list[str], skus: set[str] | None, since,
                     first: date) -> list:
    """(store, SKU, [day], [walk-in], [online], [net], on-hand) per series, summed in the database and read through the
    driver (its arrays decoded in C, not converted again row by row)."""
    # One core per batch: batches are summed side by side (``runs.READ_AHEAD``), and parallel workers would
    # only add their own overhead to the same work; a batch's day groups fit in memory, not in files on disk.
    # (It opens the transaction before the driver is used.)
    await conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    await conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None  # (a live connection)
    zones = {snap.times[n].calendar.timezone for n in stores}
    arguments = [stores, first, since, sorted(skus) if skus else None]
    if len(zones) == 1:
        return list(await raw.fetch(_ONE_ZONE, *arguments, zones.pop()))
    return list(await raw.fetch(_EACH_ZONE, *arguments))


async def _summed_here(conn: AsyncConnection, snap: Snapshot, stores: list[str], skus: set[str] | None, since,
                       first: date) -> list:
    """The same, the movements read and summed here (with each series' on-hand)."""
    sums: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    query = select(mv.node_id, mv.sku, mv.delta, mv.reason, mv.occurred_at).where(
        mv.node_id.in_(stores), mv.occurred_at >= since)
    for node_id, sku, delta, reason, at in await conn.execute(query.where(mv.sku.in_(sorted(skus))) if skus
                                                              else query):
        day = sums[(node_id, sku)][(snap.times[node_id].calendar.local_date(at) - first).days]
        day[0] += -delta if reason in WALK_IN else 0
        day[1] += -delta if reason in ONLINE else 0
        day[2] += delta
    held = {(n, s): q for n, s, q in await conn.execute(
        select(inv.node_id, inv.sku, inv.on_hand).where(inv.node_id.in_(stores)))}
    return [(n, s, list(days), *([v[k] for v in days.values()] for k in range(3)), held.get((n, s)))
            for (n, s), days in sums.items()]
