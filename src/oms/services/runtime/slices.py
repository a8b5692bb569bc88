"""Large reads in slices, with the event loop free between them: reading a million stock rows or a hundred
thousand products must not hold up the requests served meanwhile."""

import asyncio
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncConnection

SLICE = 500  # rows decoded and used between two turns of the event loop: a millisecond or two


async def in_slices(conn: AsyncConnection, query: Select, size: int = SLICE) -> AsyncIterator[Sequence[Row]]:
    """The query's rows, ``size`` at a time (a server-side cursor on PostgreSQL)."""
    rows = await conn.stream(query.execution_options(yield_per=size))
    async for part in rows.partitions():
        yield part
        await asyncio.sleep(0)  # the caller has used the slice: others' turn
