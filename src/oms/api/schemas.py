"""Shapes of the API's answers, for the OpenAPI document. Services build the same shapes as dicts."""

from typing import Any

from pydantic import BaseModel, Field

from ..services.runtime.shapes import Money


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None


class Customer(BaseModel):
    name: str
    email: str


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    cancelled: int
    returned: int = Field(description="Units received back on returns")
    unit_price: Money


class FulfillmentLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    picked: int | None
    shipped: int
    cancelled: int
    short: int
    reserved: int
    supply_id: str | None = None  # a backordered line: the expected supply it waits for


class OrderBrief(BaseModel):
    id: str
    status: str
    channel: str
    customer: Customer
    delivery: dict[str, Any]


class FulfillmentOut(BaseModel):
    id: str
    order_id: str
    node_id: str
    handover_node_id: str | None
    status: str
    details: dict[str, Any]
    lines: list[FulfillmentLineOut]
    created_at: str
    updated_at: str


class FulfillmentWork(FulfillmentOut):
    """A fulfilment order as its node reads it: with the customer and the delivery it serves."""

    order: OrderBrief


class AtRisk(BaseModel):
    """Units no node holds and no node can send in time: why, since when, and what can be done."""
    reason: str
    since: str
    missing: list[dict[str, Any]] = Field(description="[{line_no, sku, quantity}] waiting for a node")
    options: list[dict[str, Any]] = Field(
        description="later_date {delivered_by, nodes}, partial {lines, cancel}, cancel_lines {lines}")


class OrderOut(BaseModel):
    id: str
    channel: str
    external_ref: str
    status: str
    customer: Customer
    delivery: dict[str, Any]
    total: Money
    lines: list[OrderLineOut]
    fulfillments: list[FulfillmentOut]
    dates: dict[str, Any] = Field(description="promised (the window kept), first_shipped, delivered (or "
                                                "collected: once every part has)")
    at_risk: AtRisk | None = None
    created_at: str
    updated_at: str


class OrderPage(Page):
    items: list[OrderOut]


class FulfillmentPage(Page):
    items: list[FulfillmentWork]


class EventOut(BaseModel):
    id: str
    type: str
    occurred_at: str
    actor: str
    reason: str | None
    data: dict[str, Any]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    errors: list[dict[str, str]] | None = None


class BulkResult(BaseModel):
    upserted: int


class StockCountResult(BaseModel):
    upserted: int  # rows whose count was applied
    stale: int  # rows left as they were: they rest on a count dated later than this one


PROBLEMS: dict[int | str, dict[str, Any]] = {
    s: {"model": Problem, "content": {"application/problem+json": {}}} for s in (401, 403, 404, 409, 422)}


class ReturnLineOut(BaseModel):
    line_no: int = Field(description="The order line")
    sku: str
    quantity: int
    reason: str
    received: int
    restocked: int
    damaged: int
    to_inspect: int


class ReturnOut(BaseModel):
    id: str
    order_id: str
    order_channel: str
    channel: str
    kind: str = Field(description="customer, or undelivered (not collected, returned by the carrier)")
    method: str
    node_id: str | None
    status: str
    lines: list[ReturnLineOut]
    refunded: Money
    exchange_order_id: str | None
    exchange_credit: Money = Field(description="The exchange order's value still to be paid by returned units")
    created_at: str
    updated_at: str


class ReturnPage(Page):
    items: list[ReturnOut]
