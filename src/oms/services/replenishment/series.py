"""The day sums a run forecasts from: for each store-SKU, per local day from the history's first to today, the
units its till sold, the units it sent online and the net of every movement (``demand.history`` reads them),
with each series' on-hand read in the same snapshot.

On PostgreSQL each movement comes with its series numbered as the run numbers them, its local day in its
node's own timezone and its stream, as a binary COPY of fixed-width integer rows that numpy reads whole and
sums in one pass: a network's 35 million movements are never decoded row by row. Elsewhere (SQLite, a small
shop) the movements are read here, then summed the same way.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

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


@dataclass
class _Moved:
    """The movements as they come: for each, its series (its number in ``pairs``), its day (from the first),
    its delta and its stream (``STREAM``); and each series' on-hand."""
    series: np.ndarray
    day: np.ndarray
    delta: np.ndarray
    stream: np.ndarray
    held: np.ndarray  # (series number, on-hand) per series with a stock row


STREAM = {"other": 0, "walk_in": 1, "online": 2}


async def day_sums(conn: AsyncConnection, dialect: str, snap: Snapshot, pairs: list[tuple[str, str]], first: date,
                   days: int, skus: set[str] | None = None) -> DaySums:
    """The day sums of ``pairs`` (store, SKU) over ``days`` days from ``first`` (each store's local dates), the
    last of them holding every later day's (only their net counts: it tells the opening stock of the days
    before); ``skus``: the only SKUs the run is for, if it names them (a narrower read).

    ``conn``: one snapshot (on PostgreSQL, repeatable read), so that the on-hand and the movements agree."""
    stores = sorted({n for n, _ in pairs})
    # From the first day's start in the timezone furthest east: a movement of the evening before elsewhere comes
    # with them, its day before the first (left out).
    since = min(snap.times[n].calendar.at(first, time(0)) for n in stores)
    moved = await (_moved_pg(conn, snap, pairs, stores, skus, since, first) if dialect == "postgresql"
                   else _moved_here(conn, snap, pairs, stores, skus, since, first))
    on_hand = np.zeros(len(pairs))
    on_hand[moved.held[:, 0]] = moved.held[:, 1]
    inside = moved.day >= 0
    # Summed per series and day by counting (one pass in C); the days after the last column's fall into it.
    cell = (moved.series * days + np.minimum(moved.day, days - 1))[inside]
    delta, stream, size = moved.delta[inside], moved.stream[inside], len(pairs) * days

    def summed(weights: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        found = np.bincount(cell if where is None else cell[where], weights, minlength=size)
        return found.reshape(len(pairs), days).astype(float, copy=False)  # (no movement at all: integers)

    sold = stream == STREAM["walk_in"]
    online = stream == STREAM["online"]
    return DaySums(summed(-delta[sold], sold), summed(-delta[online], online), summed(delta), on_hand)


# Each movement of the series asked for (the pairs given as two arrays, joined by hash: a run's numbering), with
# its local day (each store's own timezone) and stream. Stores of one timezone (most batches) take it as a
# parameter: no join with the nodes for each movement. Nothing is grouped here: with about one movement per
# series and day, grouping would cost the database more than it spares (numpy counts them in one pass).
_MOVED_PG = """
SELECT p.i::int4 - 1, (date(timezone({zone}, m.occurred_at)) - $4::date)::int4, m.delta,
       (CASE WHEN m.reason IN ({walk_in}) THEN {sold} WHEN m.reason IN ({online}) THEN {sent} ELSE 0 END)::int4
FROM movements m {join}
JOIN unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(node_id, sku, i) ON p.node_id = m.node_id AND p.sku = m.sku
WHERE m.node_id = ANY($3::text[]) AND m.occurred_at >= $5 AND ($6::text[] IS NULL OR m.sku = ANY($6::text[]))
"""
# (the streams' reasons are the code's own words, written into the statement: compared as constants, row by row)
_STREAMS = {"walk_in": ", ".join(f"'{r}'" for r in WALK_IN), "online": ", ".join(f"'{r}'" for r in ONLINE),
            "sold": STREAM["walk_in"], "sent": STREAM["online"]}
_ONE_ZONE = _MOVED_PG.format(zone="$7::text", join="", **_STREAMS)
_EACH_ZONE = _MOVED_PG.format(zone="n.timezone", join="JOIN nodes n ON n.id = m.node_id", **_STREAMS)
_HELD_PG = """
SELECT p.i::int4 - 1, i.on_hand
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(node_id, sku, i)
JOIN inventory i ON i.node_id = p.node_id AND i.sku = p.sku
"""


async def _moved_pg(conn: AsyncConnection, snap: Snapshot, pairs: list[tuple[str, str]], stores: list[str],
                    skus: set[str] | None, since: datetime, first: date) -> _Moved:
    """The movements, copied out of the database as binary rows of int4 (read by numpy, not row by row)."""
    # One core per batch: batches are read side by side (``runs.READ_AHEAD``), and parallel workers would only
    # add their own overhead to the same work. The series are found by hash: a sort of 2 million rows by their
    # text keys costs more than the whole read. (It opens the transaction before the driver is used.)
    for setting in ("max_parallel_workers_per_gather = 0", "enable_mergejoin = off", "enable_sort = off"):
        await conn.exec_driver_sql(f"SET LOCAL {setting}")
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None  # (a live connection)
    nodes, keys = [n for n, _ in pairs], [s for _, s in pairs]
    zones = {snap.times[n].calendar.timezone for n in stores}
    arguments = [nodes, keys, stores, first, since, sorted(skus) if skus else None]
    if len(zones) == 1:
        statement, arguments = _ONE_ZONE, [*arguments, zones.pop()]
    else:
        statement = _EACH_ZONE
    moved = await _copied(raw, statement, *arguments, width=4)
    held = await _copied(raw, _HELD_PG, nodes, keys, width=2)
    return _Moved(moved[:, 0], moved[:, 1], moved[:, 2], moved[:, 3], held)


_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER, _TRAILER = 19, 2  # a binary COPY's signature, flags and extension length (none); its end mark


async def _copied(raw, query: str, *arguments, width: int) -> np.ndarray:
    """A query's rows of ``width`` non-null int4 columns, copied out in binary (rows × width, int64)."""
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    await raw.copy_from_query(query, *arguments, output=keep, format="binary")
    data = b"".join(chunks)
    # Each row: its column count (int16), then per column its length (int32, always 4) and its value (int32).
    row = np.dtype([("columns", ">i2"), *((f"{k}", ">i4") for i in range(width) for k in (f"n{i}", f"v{i}"))])
    count, rest = divmod(len(data) - _HEADER - _TRAILER, row.itemsize)
    if rest or not data.startswith(_SIGNATURE) or data[15:19] != bytes(4) or data[-_TRAILER:] != b"\xff\xff":
        raise ValueError("the movements came back other than as whole rows of int4 columns")
    rows = np.frombuffer(data, dtype=row, offset=_HEADER, count=count)
    if (rows["columns"] != width).any() or any((rows[f"n{i}"] != 4).any() for i in range(width)):
        raise ValueError("the movements came back other than as rows of whole int4 columns")
    values = np.empty((len(rows), width), dtype=np.int64)
    for i in range(width):
        values[:, i] = rows[f"v{i}"]
    return values


async def _moved_here(conn: AsyncConnection, snap: Snapshot, pairs: list[tuple[str, str]], stores: list[str],
                      skus: set[str] | None, since: datetime, first: date) -> _Moved:
    """The same, the movements read here."""
    index = {key: i for i, key in enumerate(pairs)}
    stream = {**{r: STREAM["walk_in"] for r in WALK_IN}, **{r: STREAM["online"] for r in ONLINE}}
    query = select(mv.node_id, mv.sku, mv.delta, mv.reason, mv.occurred_at).where(
        mv.node_id.in_(stores), mv.occurred_at >= since)
    moved = [(index[(node_id, sku)], (snap.times[node_id].calendar.local_date(at) - first).days, delta,
              stream.get(reason, 0))
             for node_id, sku, delta, reason, at in await conn.execute(
                 query.where(mv.sku.in_(sorted(skus))) if skus else query) if (node_id, sku) in index]
    held = [(index[(n, s)], q) for n, s, q in await conn.execute(
        select(inv.node_id, inv.sku, inv.on_hand).where(inv.node_id.in_(stores))) if (n, s) in index]
    flat = np.array(moved, dtype=np.int64).reshape(-1, 4)
    return _Moved(flat[:, 0], flat[:, 1], flat[:, 2], flat[:, 3], np.array(held, dtype=np.int64).reshape(-1, 2))
