"""The rows most passed between modules, as the plain dicts they are at run time, with their keys named.

A fulfilment order and its lines are read under the order's lock (``OrderState``), built new by sourcing,
changed by confirmations, cancels, re-sourcing and returns, and shown by the order's view: each of those
reads the keys below. They are the columns of ``tables.fulfillments`` and ``tables.fulfillment_lines``.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import RowMapping


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
