"""Each order's sourcing explanation, kept beside it: the decision at capture, and every later one."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import tables as t

d = t.sourcing_decisions.c


async def add_decision(conn: AsyncConnection, order_id: str, kind: str, decision: dict) -> None:
    """Add a later decision (``resourced``, ``replanned``) to the order's explanation, in this write."""
    found = await conn.scalar(select(d.explanation).where(d.order_id == order_id))
    if found is None:  # an order captured before explanations were kept
        await conn.execute(t.sourcing_decisions.insert().values(order_id=order_id, explanation={kind: [decision]}))
    else:
        await conn.execute(t.sourcing_decisions.update().where(d.order_id == order_id).values(
            explanation={**found, kind: [*found.get(kind, []), decision]}))
