"""Reading orders, their timelines and fulfilment work."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...db.rows import FulfillmentLineRow, as_fulfillment_lines, as_fulfillments, order_rows
from ...domain.access import Principal
from ...domain.errors import NotFound, Problems, missing
from ...domain.lifecycle import FStatus, OStatus
from ...domain.vocabulary import Channel
from ..partners.events import event_view
from ..runtime import pages
from ..runtime.context import Context
from .view import fulfillment_view, order_brief, order_view

MAX_ORDERS_PAGE = 100
_STATUSES, _CHANNELS = frozenset(s.value for s in OStatus), frozenset(c.value for c in Channel)


def _check_filters(status: str | None, channel: str | None) -> None:
    """A filter naming no status or channel is a mistake to say (InvalidInput), not a search finding nothing."""
    wrong = Problems()
    if status and status not in _STATUSES:
        wrong.add("status", f"{status!r} is not an order status ({', '.join(sorted(_STATUSES))})")
    if channel and channel not in _CHANNELS:
        wrong.add("channel", f"{channel!r} is not a channel ({', '.join(sorted(_CHANNELS))})")
    wrong.raise_if_any()


async def load_orders(conn: AsyncConnection, order_ids: list[str]) -> list[dict]:
    """The views of these orders, in the given order, with four queries whatever their number."""
    if not order_ids:
        return []
    rows = await order_rows(conn, order_ids)
    return [order_view(*rows[i]) for i in order_ids if i in rows]


async def load_order(conn: AsyncConnection, order_id: str) -> dict | None:
    found = await load_orders(conn, [order_id])
    return found[0] if found else None


async def get_order(ctx: Context, order_id: str, *, principal: Principal) -> dict:
    principal.require_order_read()
    async with ctx.db.read() as conn:
        found = await load_order(conn, order_id)
    if found is None:
        raise missing("order", order_id)
    principal.require_in_channel("order", order_id, found["channel"])
    return found


async def list_orders(ctx: Context, *, principal: Principal, channel: str | None, status: str | None,
                      customer_email: str | None, cursor: str | None, limit: int) -> dict:
    """Newest first. A channel key sees only its channel's orders."""
    return await _orders(ctx, principal, _Wanted(channel, status, customer_email=customer_email), cursor, limit)


async def search_orders(ctx: Context, *, principal: Principal, text: str | None, status: str | None,
                        channel: str | None, day: date | None, cursor: str | None, limit: int) -> dict:
    """What customer service looks for: an order number, a channel reference, an email or part of a name
    (``text``), narrowed by status, channel and the day it was placed (UTC); newest first."""
    return await _orders(ctx, principal, _Wanted(channel, status, text=text, day=day), cursor, limit)


@dataclass(frozen=True)
class _Wanted:
    """The orders a listing or a search asks for."""
    channel: str | None
    status: str | None
    customer_email: str | None = None  # that address exactly
    text: str | None = None  # an order number, a channel reference, an email (any case) or part of a name
    day: date | None = None  # placed that day (UTC)


async def _orders(ctx: Context, principal: Principal, wanted: _Wanted, cursor: str | None, limit: int) -> dict:
    """One page of the orders wanted, newest first; a channel key sees only its channel's."""
    _check_filters(wanted.status, wanted.channel)
    principal.require_order_read(wanted.channel)
    query = _page_query(replace(wanted, channel=wanted.channel or principal.channel_filter()), cursor, limit)
    async with ctx.db.read() as conn:
        items = await load_orders(conn, list((await conn.scalars(query)).all()))
    return pages.page(items, limit, lambda o: [o["id"]])


def _page_query(wanted: _Wanted, cursor: str | None, limit: int) -> Select[Any]:
    """The ids of one page of the orders wanted, newest first, and one more (another page follows)."""
    c = t.orders.c
    query = select(c.id).order_by(c.id.desc()).limit(limit + 1)
    if text := (wanted.text or "").strip():
        query = query.where(or_(c.id == text, c.external_ref == text, func.lower(c.customer_email) == text.lower(),
                                func.lower(c.customer_name).contains(text.lower(), autoescape=True)))
    for column, value in ((c.channel, wanted.channel), (c.status, wanted.status),
                          (c.customer_email, wanted.customer_email)):
        if value:
            query = query.where(column == value)
    if wanted.day:
        start = datetime.combine(wanted.day, time(), tzinfo=UTC)
        query = query.where(c.created_at >= start, c.created_at < start + timedelta(days=1))
    if after := pages.decode(cursor):
        query = query.where(c.id < after[0])
    return query


async def order_events(ctx: Context, order_id: str, *, principal: Principal) -> list[dict]:
    principal.require_order_read()
    c = t.events.c
    async with ctx.db.read() as conn:
        channel = await conn.scalar(select(t.orders.c.channel).where(t.orders.c.id == order_id))
        if channel is None:
            raise missing("order", order_id)
        principal.require_in_channel("order", order_id, channel)
        rows = await conn.execute(select(t.events).where(c.order_id == order_id).order_by(c.id))
        return [event_view(r) for r in rows]


async def order_sourcing(ctx: Context, order_id: str, *, principal: Principal) -> dict:
    """Why the order's units come from where they do, as decided at capture."""
    principal.require_order_read()
    async with ctx.db.read() as conn:
        found = (await conn.execute(select(t.orders.c.channel, t.sourcing_decisions.c.explanation)
                                    .select_from(t.orders.outerjoin(t.sourcing_decisions))
                                    .where(t.orders.c.id == order_id))).first()
    if found is None:
        raise missing("order", order_id)
    principal.require_in_channel("order", order_id, found.channel)
    if found.explanation is None:
        raise NotFound(f"order {order_id!r} was captured before sourcing decisions were kept")
    return found.explanation


async def _fulfillment_rows(conn: AsyncConnection, query: Select[Any]) -> list[dict[str, Any]]:
    fuls = as_fulfillments((await conn.execute(query)).mappings())
    if not fuls:
        return []
    fl, o = t.fulfillment_lines.c, t.orders.c
    by_f: dict[str, list[FulfillmentLineRow]] = {}
    for row in as_fulfillment_lines((await conn.execute(
        select(t.fulfillment_lines).where(fl.fulfillment_id.in_([f["id"] for f in fuls]))
    )).mappings()):
        by_f.setdefault(row["fulfillment_id"], []).append(row)
    # What the node needs to do the work: who the customer is and where it goes.
    orders = {r["id"]: order_brief(dict(r)) for r in (await conn.execute(
        select(o.id, o.status, o.channel, o.customer_name, o.customer_email, o.delivery)
        .where(o.id.in_({f["order_id"] for f in fuls})))).mappings()}
    return [{**fulfillment_view(f, by_f.get(f["id"], [])), "order": orders[f["order_id"]]} for f in fuls]


async def get_fulfillment(ctx: Context, fulfillment_id: str, *, principal: Principal) -> dict:
    principal.require_fulfillment_read()
    async with ctx.db.read() as conn:
        found = await _fulfillment_rows(conn, select(t.fulfillments).where(t.fulfillments.c.id == fulfillment_id))
    if not found:
        raise missing("fulfillment", fulfillment_id)
    f = found[0]
    principal.require_fulfillment(fulfillment_id, f["node_id"], f["handover_node_id"],
                                  f["details"].get("offered_to", []) if f["status"] == FStatus.RELEASED else [])
    return found[0]


async def list_fulfillments(ctx: Context, *, principal: Principal, node_id: str | None, status: str | None,
                            cursor: str | None, limit: int) -> dict:
    """Oldest first, the order a node works through its queue: what it sends and what it hands over.
    A node key sees only its node's."""
    node_id = node_id or principal.node_filter()
    principal.require_fulfillment_read(node_id)
    c = t.fulfillments.c
    query = select(t.fulfillments).order_by(c.id).limit(limit + 1)
    if node_id:
        offers = t.fulfillment_offers.c
        offered = select(offers.fulfillment_id).where(offers.node_id == node_id)
        query = query.where(or_(c.node_id == node_id, c.handover_node_id == node_id,
                                and_(c.id.in_(offered), c.status == FStatus.RELEASED)))
    if status:
        query = query.where(c.status == status)
    if after := pages.decode(cursor):
        query = query.where(c.id > after[0])
    async with ctx.db.read() as conn:
        items = await _fulfillment_rows(conn, query)
    return pages.page(items, limit, lambda f: [f["id"]])
