"""The rows most passed between modules, as the plain dicts they are at run time, with their keys named.

A fulfilment order and its lines are read under the order's lock (``OrderState``), built new by sourcing,
changed by confirmations, cancels, re-sourcing and returns, and shown by the order's view: each of those
reads the keys below. They are the columns of ``tables.fulfillments`` and ``tables.fulfillment_lines``.
An order is read with all of them by ``order_rows``, to change (``OrderState``) or to show (its view).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t


class FulfillmentRow(TypedDict):
    """A fulfilment order: the part of an order one node sends (or a supplier ships, or expected supply
    will bring), and where it stands in its lifecycle (``lifecycle.FStatus``)."""
    id: str
    order_id: str
    node_id: str
    handover_node_id: str | None  # where the customer collects, for pickup modes
    status: str
    # What the node told (carrier, tracking, pickup code, reject reason), when each step happened
    # (``shipped_at``…), the places it took (``capacity``), a pending ``cancel_request``, ``offered_to``…
    details: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class FulfillmentLineRow(TypedDict):
    """Units of one order line a fulfilment order sends, and what became of them."""
    fulfillment_id: str
    line_no: int  # the order line's
    node_id: str
    sku: str
    quantity: int
    picked: int | None  # None until the node picks
    shipped: int
    cancelled: int
    short: int  # not found when picking
    reserved: int  # units of the node's stock row held for it: changed only through ``OrderState``
    supply_id: str | None  # the expected supply a backordered line waits for


def as_fulfillments(rows: Iterable[RowMapping]) -> list[FulfillmentRow]:
    """Stored fulfilment orders as dicts of their columns, to change."""
    return [cast(FulfillmentRow, dict(r)) for r in rows]


def as_fulfillment_lines(rows: Iterable[RowMapping]) -> list[FulfillmentLineRow]:
    """Stored fulfilment lines as dicts of their columns, to change."""
    return [cast(FulfillmentLineRow, dict(r)) for r in rows]


OrderRows = tuple[dict[str, Any], list[dict[str, Any]], list[FulfillmentRow], list[FulfillmentLineRow]]


async def order_rows(conn: AsyncConnection, order_ids: Sequence[str], *, lock: bool = False) -> dict[str, OrderRows]:
    """Per order found, its row, its lines' rows, its fulfilment orders and their lines, as dicts of their
    columns: four queries whatever their number (one when none is found). ``lock``: the orders' rows under
    their row locks, taken in id order as every writer takes them (the rest is changed only under them)."""
    o, ol, f, fl = t.orders, t.order_lines, t.fulfillments, t.fulfillment_lines
    query = select(o).where(o.c.id.in_(order_ids))
    if lock:
        query = query.order_by(o.c.id).with_for_update()
    found: dict[str, OrderRows] = {r["id"]: (dict(r), [], [], []) for r in (await conn.execute(query)).mappings()}
    if not found:
        return found
    lines = (await conn.execute(select(ol).where(ol.c.order_id.in_(order_ids)))).mappings()
    fuls = as_fulfillments((await conn.execute(select(f).where(f.c.order_id.in_(order_ids)))).mappings())
    flines = as_fulfillment_lines((await conn.execute(
        select(fl).where(fl.c.fulfillment_id.in_([x["id"] for x in fuls])))).mappings()) if fuls else []
    owner = {x["id"]: x["order_id"] for x in fuls}
    for line in lines:
        found[line["order_id"]][1].append(dict(line))
    for ful in fuls:
        found[ful["order_id"]][2].append(ful)
    for fline in flines:
        found[owner[fline["fulfillment_id"]]][3].append(fline)
    return found
