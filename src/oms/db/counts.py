"""Counters kept in the database, so that every server process adds to the same ones (``/metrics``)."""

from collections import Counter

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t

c = t.counts.c


def _add(insert):
    stmt = insert(t.counts).values(name=bindparam("n"), labels=bindparam("l"), value=bindparam("v"))
    return stmt.on_conflict_do_update(index_elements=[c.name, c.labels], set_={"value": c.value + stmt.excluded.value})


_ADD = {"postgresql": _add(postgresql.insert), "sqlite": _add(sqlite.insert)}


async def add(conn: AsyncConnection, counted: Counter) -> None:
    """Add to each (name, labels) counter, in this write (in key order, as every writer locks rows)."""
    if counted:
        await conn.execute(_ADD[conn.dialect.name], [{"n": n, "l": labels, "v": v}
                                                     for (n, labels), v in sorted(counted.items())])
