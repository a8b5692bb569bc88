"""Each order's sourcing explanation, kept beside it: the decision at capture, and every later one."""

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t

d = t.sourcing_decisions.c


async def add_decision(conn: AsyncConnection, order_id: str, kind: str, decision: dict) -> None:
    """Add a later decision (``resourced``, ``replanned``) to the order's explanation, in this write."""
    await add_decisions(conn, kind, {order_id: decision})


async def add_decisions(conn: AsyncConnection, kind: str, decisions: dict[str, dict]) -> None:
    """The same for several orders, a statement or two for all of them."""
    found = dict((await conn.execute(select(d.order_id, d.explanation).where(
        d.order_id.in_(sorted(decisions))))).all())
    fresh = [{"order_id": i, "explanation": {kind: [x]}} for i, x in decisions.items() if i not in found]
    if fresh:  # orders captured before explanations were kept
        await conn.execute(t.sourcing_decisions.insert(), fresh)
    kept = [{"k": i, "v": {**found[i], kind: [*found[i].get(kind, []), x]}} for i, x in decisions.items()
            if i in found]
    if kept:
        await conn.execute(update(t.sourcing_decisions).where(d.order_id == bindparam("k"))
                           .values(explanation=bindparam("v")), kept)
