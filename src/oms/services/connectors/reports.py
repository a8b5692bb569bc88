"""Telling the platforms what happened to their orders: each shipment, with its carrier and tracking number.

Made from the outbox, never inline: the relay hands each ``fulfillment.shipped`` event of an order a connector
brought to ``from_events``, in its own transaction, which writes a report (one per connector, fulfilment order
and action: the relay handing an event on again makes no second one). ``report_due`` then sends the reports
whose time has come, each under a lease (a conditional update; it runs out if the process dies mid-call),
tried again with backoff (``calls``: the token bucket, ``429``) until done, or dead with the platform's
reason after ``TRIES_MAX``.

Platforms without idempotency keys are asked first whether they know of the shipment already (its tracking
number on the order), so that a call that reached the platform before the process died is not made twice.

    shopify       GraphQL Admin API: the order's fulfillment orders and fulfillments (their trackingInfo)
                  read, then ``fulfillmentCreate`` on the open fulfillment orders' lines shipped, with
                  ``trackingInfo`` {company, number} and ``notifyCustomer``
    woocommerce   the Shipment Tracking extension (``/wp-json/wc-shipment-tracking/v3/orders/{id}/
                  shipment-trackings``: read, then the tracking added), then the order ``completed``
                  (``PUT /wp-json/wc/v3/orders/{id}``) once the OMS order is shipped whole
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import statements
from ...db import tables as t
from ...domain.connectors import Kind
from ...domain.errors import Unavailable
from ...domain.lifecycle import OStatus
from ..partners import safe_http
from ..runtime.context import Context
from . import settings
from .calls import PlatformError, call
from .platforms import SHOPIFY_API

r, p = t.connector_reports.c, t.connector_orders.c
SHIPPED = "fulfillment.shipped"
PENDING, DONE, DEAD = "pending", "done", "dead"
LEASE = timedelta(seconds=120)
TRIES_MAX = 10
BACKOFF = timedelta(seconds=30)  # doubled at each try, at most BACKOFF_MAX
BACKOFF_MAX = timedelta(hours=1)
BATCH = 50
TIMEOUT_S = 30.0
ERROR_MAX = 500
# The OMS order has left whole: the platform's order is complete.
SENT_WHOLE = frozenset({OStatus.SHIPPED, OStatus.PARTIALLY_DELIVERED, OStatus.DELIVERED})
log = logging.getLogger("oms.connectors")


class Refused(Exception):
    """The platform refused the report for a reason trying again does not change (its words)."""


async def from_events(conn: AsyncConnection, events: Sequence, at: datetime) -> None:
    """The reports the relay's events ask for: a shipment of an order a connector brought."""
    shipped = [ev for ev in events if ev.type == SHIPPED and ev.order_id]
    if not shipped:
        return
    brought = {row.order_id: row for row in await conn.execute(
        select(p.connector_id, p.platform_ref, p.order_id, p.lines).where(
            p.order_id.in_({ev.order_id for ev in shipped})))}
    rows = []
    for ev in shipped:
        origin = brought.get(ev.order_id)
        if origin is None:
            continue
        items = origin.lines or []
        details = ev.data.get("details", {})
        lines = [{"line_no": ln["line_no"], "quantity": ln["shipped"],
                  "item": items[ln["line_no"] - 1] if ln["line_no"] <= len(items) else None}
                 for ln in ev.data.get("lines", []) if ln.get("shipped")]
        rows.append({"connector_id": origin.connector_id, "platform_ref": origin.platform_ref,
                     "order_id": ev.order_id, "fulfillment_id": ev.data["id"], "action": "shipment",
                     "data": {"carrier": details.get("carrier"), "tracking_number": details.get("tracking_number"),
                              "lines": lines},
                     "status": PENDING, "attempts": 0, "next_at": at, "created_at": at})
    for row in rows:
        await conn.execute(statements.insert_unless_exists(conn.dialect.name, t.connector_reports).values(**row))


async def report_due(ctx: Context) -> int:
    """Send the reports whose time has come; how many were sent (done now)."""
    at = ctx.clock.now()
    async with ctx.db.read() as conn:
        ids = (await conn.scalars(select(r.id).join(t.connectors, t.connectors.c.id == r.connector_id).where(
            r.status == PENDING, r.next_at <= at, t.connectors.c.active,
            or_(r.busy_until.is_(None), r.busy_until < at)).order_by(r.next_at, r.id).limit(BATCH))).all()
    done = 0
    for report_id in ids:
        done += await send(ctx, report_id)
    return done


async def send(ctx: Context, report_id: int) -> bool:
    """Send one report under its lease; whether it is done."""
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        taken = await conn.execute(update(t.connector_reports).where(
            r.id == report_id, r.status == PENDING, or_(r.busy_until.is_(None), r.busy_until < at))
            .values(busy_until=at + LEASE))
        if taken.rowcount != 1:
            return False
        report = dict((await conn.execute(select(t.connector_reports).where(r.id == report_id))).mappings().one())
        connector = dict(await settings.found(conn, report["connector_id"]))
        status = await conn.scalar(select(t.orders.c.status).where(t.orders.c.id == report["order_id"]))
    try:
        credentials = settings.credentials(ctx, connector)
        async with safe_http.client(allow_private=ctx.settings.webhook_allow_private, timeout=TIMEOUT_S) as http:
            senders = {Kind.SHOPIFY: _shopify, Kind.WOOCOMMERCE: _woocommerce}
            sender = senders.get(Kind(connector["kind"]))
            if sender is None:
                raise Refused(f"{connector['kind']} is not told of shipments yet")
            note = await sender(ctx, http, connector, credentials, report, status in SENT_WHOLE)
    except (Refused, PlatformError, Unavailable) as exc:
        return await _failed(ctx, report, str(exc) if not isinstance(exc, Unavailable) else exc.detail,
                             final=isinstance(exc, Refused))
    except Exception as exc:  # the OMS's own failure: tried again like the platform's
        log.exception("connector %s: report %s failed", connector["id"], report_id)
        return await _failed(ctx, report, f"{type(exc).__name__}: {exc}", final=False)
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connector_reports).where(r.id == report_id).values(
            status=DONE, done_at=ctx.clock.now(), busy_until=None, attempts=report["attempts"] + 1, error=note))
    return True


async def _failed(ctx: Context, report: Mapping, reason: str, *, final: bool) -> bool:
    tries = report["attempts"] + 1
    dead = final or tries >= TRIES_MAX
    wait = min(BACKOFF * 2 ** (tries - 1), BACKOFF_MAX)
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connector_reports).where(r.id == report["id"]).values(
            status=DEAD if dead else PENDING, attempts=tries, busy_until=None, next_at=ctx.clock.now() + wait,
            error=reason[:ERROR_MAX]))
    return False


async def _shopify(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   report: Mapping, whole: bool) -> str | None:
    data = report["data"]
    order = f"gid://shopify/Order/{report['platform_ref']}"
    found = await _graphql(ctx, http, connector, credentials, _ORDER_QUERY, {"id": order})
    known = found.get("order")
    if known is None:
        raise Refused(f"Shopify has no order {report['platform_ref']}")
    if data["tracking_number"] and any(info.get("number") == data["tracking_number"]
                                       for f in known.get("fulfillments", []) for info in f.get("trackingInfo", [])):
        return "Shopify knew of it already"  # the call before reached it: not made twice
    wanted = {f"gid://shopify/LineItem/{ln['item']}": ln["quantity"] for ln in data["lines"] if ln["item"]}
    if len(wanted) < len(data["lines"]):
        raise Refused("the platform's ids of the lines shipped are unknown")
    by_order = []
    for fo in known["fulfillmentOrders"]["nodes"]:
        if fo.get("status") not in ("OPEN", "IN_PROGRESS", "SCHEDULED"):
            continue
        taken = []
        for item in fo["lineItems"]["nodes"]:
            line = item["lineItem"]["id"]
            quantity = min(wanted.get(line, 0), item["remainingQuantity"])
            if quantity > 0:
                taken.append({"id": item["id"], "quantity": quantity})
                wanted[line] -= quantity
        if taken:
            by_order.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": taken})
    if not by_order:
        raise Refused("Shopify has none of these lines left to fulfil")
    made = await _graphql(ctx, http, connector, credentials, _FULFILLMENT_CREATE, {"fulfillment": {
        "lineItemsByFulfillmentOrder": by_order, "notifyCustomer": True,
        "trackingInfo": {"company": data["carrier"], "number": data["tracking_number"]}}})
    errors = made["fulfillmentCreate"]["userErrors"]
    if errors:
        raise Refused("; ".join(f"{'.'.join(e.get('field') or [])}: {e.get('message')}" for e in errors))
    return None


async def _graphql(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   query: str, variables: dict) -> dict:
    """A GraphQL call's data; Shopify's cost throttle (``THROTTLED``, answered 200) is a PlatformError, tried
    again with the report's backoff."""
    answer = await call(ctx, http, connector["id"], Kind.SHOPIFY, "POST",
                        f"{connector['base_url']}/admin/api/{SHOPIFY_API}/graphql.json",
                        json={"query": query, "variables": variables},
                        headers={"X-Shopify-Access-Token": credentials["api_token"]})
    if answer.status_code in (401, 403):
        raise PlatformError(f"{answer.status_code}: the credentials are refused")
    try:
        body = answer.json()
    except ValueError:
        raise PlatformError(f"{answer.status_code}: the answer is not JSON") from None
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        codes = {e.get("extensions", {}).get("code") for e in errors if isinstance(e, dict)}
        message = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))[:300]
        if "THROTTLED" in codes:
            raise PlatformError(f"throttled: {message}")
        raise Refused(message or str(errors)[:300])
    if answer.status_code != 200 or not isinstance(body.get("data"), dict):
        raise PlatformError(f"{answer.status_code}: {answer.text[:200]}")
    return body["data"]


_ORDER_QUERY = """
query order($id: ID!) {
  order(id: $id) {
    fulfillments(first: 50) { trackingInfo { number company } }
    fulfillmentOrders(first: 20) {
      nodes { id status lineItems(first: 100) { nodes { id remainingQuantity lineItem { id } } } }
    }
  }
}"""
_FULFILLMENT_CREATE = """
mutation fulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""


async def _woocommerce(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       report: Mapping, whole: bool) -> str | None:
    data, base = report["data"], connector["base_url"]
    auth = (credentials["consumer_key"], credentials["consumer_secret"])
    trackings = f"{base}/wp-json/wc-shipment-tracking/v3/orders/{report['platform_ref']}/shipment-trackings"
    note = None
    if data["tracking_number"]:
        known = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "GET", trackings, auth=auth)
        _ok(known, "reading its shipment trackings")
        listed = known.json()
        if any(isinstance(x, dict) and x.get("tracking_number") == data["tracking_number"]
               for x in (listed if isinstance(listed, list) else [])):
            note = "WooCommerce knew of it already"
        else:
            added = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "POST", trackings, auth=auth, json={
                "tracking_provider": data["carrier"] or "", "tracking_number": data["tracking_number"],
                "date_shipped": report["created_at"].date().isoformat()})
            _ok(added, "adding the shipment tracking")
    if whole:  # (setting a status it has already changes nothing)
        done = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "PUT",
                          f"{base}/wp-json/wc/v3/orders/{report['platform_ref']}", auth=auth,
                          json={"status": "completed"})
        _ok(done, "completing the order")
    return note


def _ok(answer: httpx.Response, doing: str) -> None:
    if answer.status_code in (401, 403):
        raise PlatformError(f"{answer.status_code} {doing}: the credentials are refused")
    if answer.status_code == 404:
        raise Refused(f"404 {doing}: {answer.text[:200]} (is the Shipment Tracking extension installed?)")
    if answer.status_code >= 300:
        raise Refused(f"{answer.status_code} {doing}: {answer.text[:200]}")
