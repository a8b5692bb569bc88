"""Telling the platforms what happened to their orders: each shipment, with its carrier and tracking number, and
where the platform waits for it (Mirakl), the shop's acceptance or refusal of each line.

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
    prestashop    the order's carrier given the tracking number, then the order "Shipped" once the OMS order
                  has left whole (``prestashop``)
    mirakl        OR21 (the lines accepted and refused), OR23 (the tracking) then OR24 (shipped) once the OMS
                  order has left whole; the order read by OR11 before each (``mirakl``)
"""

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import statements
from ...db import tables as t
from ...domain.access import Principal
from ...domain.connectors import Kind
from ...domain.errors import Unavailable
from ...domain.lifecycle import OStatus
from ...domain.platform_orders import Snapshot
from ...domain.vocabulary import Role
from ..partners import safe_http
from ..runtime.context import Context
from . import mirakl, prestashop, settings
from .calls import PlatformError, Refused, call, expect_ok
from .platforms import SHOPIFY_API

r, p = t.connector_reports.c, t.connector_orders.c
SHIPPED = "fulfillment.shipped"
CANCELLED = ("order.cancelled", "order.lines_cancelled")
SHIPMENT, ACCEPTANCE, CANCELLATION = "shipment", "acceptance", "cancellation"  # what a report tells
PENDING, DONE, DEAD = "pending", "done", "dead"
LEASE = timedelta(minutes=20)  # longer than a sending takes at worst (its calls, each tried 4 times)
TRIES_MAX = 10
BACKOFF = timedelta(seconds=30)  # doubled at each try, at most BACKOFF_MAX
BACKOFF_MAX = timedelta(hours=1)
BATCH = 50
TIMEOUT_S = 30.0
ERROR_MAX = 500
# The OMS order has left whole: the platform's order is complete.
SENT_WHOLE = frozenset({OStatus.SHIPPED, OStatus.PARTIALLY_DELIVERED, OStatus.DELIVERED})
log = logging.getLogger("oms.connectors")


async def from_events(conn: AsyncConnection, events: Sequence, at: datetime) -> None:
    """The reports the relay's events ask for, of orders a connector brought (known by their
    ``connector_orders`` row, or, where the outcome of a capture was never recorded, by the Idempotency-Key it
    was captured with): each shipment, and each cancellation the OMS made (not those the connector made
    because the platform had cancelled)."""
    wanted = [ev for ev in events if ev.order_id and ev.type in (SHIPPED, *CANCELLED)]
    if not wanted:
        return
    brought = await _brought(conn, {ev.order_id for ev in wanted})
    for ev in wanted:
        if ev.order_id not in brought:
            continue
        connector_id, ref = brought[ev.order_id]
        if ev.type == SHIPPED:
            details = ev.data.get("details", {})
            key, action, data = ev.data["id"], SHIPMENT, {
                "carrier": details.get("carrier"), "tracking_number": details.get("tracking_number"),
                "lines": [{"line_no": ln["line_no"], "quantity": ln["shipped"]}
                          for ln in ev.data.get("lines", []) if ln.get("shipped")]}
        elif ev.actor == Principal(key_id=connector_id, role=Role.ADMIN).actor:
            continue  # (the platform's own cancellation, which the connector took)
        else:
            key, action, data = ev.id, CANCELLATION, {"whole": ev.type == CANCELLED[0],
                                                      "lines": ev.data.get("lines", [])}
        await conn.execute(statements.insert_unless_exists(conn.dialect.name, t.connector_reports).values(
            connector_id=connector_id, platform_ref=ref, order_id=ev.order_id, fulfillment_id=key, action=action,
            status=PENDING, attempts=0, next_at=at, created_at=at, data=data))


async def _brought(conn: AsyncConnection, wanted: set[str]) -> dict[str, tuple[str, str]]:
    """Of these orders, those a connector brought: order id -> (connector id, the platform's order id)."""
    brought = {row.order_id: (row.connector_id, row.platform_ref) for row in await conn.execute(
        select(p.connector_id, p.platform_ref, p.order_id).where(p.order_id.in_(wanted)))}
    o = t.orders.c
    for order_id, key in await conn.execute(select(o.id, o.idempotency_key).where(
            o.id.in_(wanted - set(brought)), o.idempotency_key.like("con\\_%:%", escape="\\"))):
        connector_id, _, ref = key.partition(":")
        if await conn.scalar(select(t.connectors.c.id).where(t.connectors.c.id == connector_id)):
            brought[order_id] = (connector_id, ref)
    return brought


async def decided(conn: AsyncConnection, connector_id: str, snapshot: Snapshot, order_id: str | None,
                  accepted: Sequence[str | None], at: datetime) -> None:
    """The shop's decision on the lines of a platform order that waits for it (Mirakl): those ``accepted``, the
    others refused. Written with the record it was made from, sent after like a shipment."""
    await conn.execute(statements.insert_unless_exists(conn.dialect.name, t.connector_reports).values(
        connector_id=connector_id, platform_ref=snapshot.ref, order_id=order_id, fulfillment_id=snapshot.ref,
        action=ACCEPTANCE, status=PENDING, attempts=0, next_at=at, created_at=at,
        data={"accepted": [item for item in accepted if item], "lines": [line.item for line in snapshot.lines]}))


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
    at, token = ctx.clock.now(), secrets.token_hex(16)
    async with ctx.db.write() as conn:
        taken = await conn.execute(update(t.connector_reports).where(
            r.id == report_id, r.status == PENDING, or_(r.busy_until.is_(None), r.busy_until < at))
            .values(busy_until=at + LEASE, lease=token))
        if taken.rowcount != 1:
            return False
        report = dict((await conn.execute(select(t.connector_reports).where(r.id == report_id))).mappings().one())
        connector = dict(await settings.found(conn, report["connector_id"]))
        status = await conn.scalar(select(t.orders.c.status).where(t.orders.c.id == report["order_id"]))
        report["order_status"] = status
        ol = t.order_lines.c
        report["lines_now"] = {n: (quantity, cancelled) for n, quantity, cancelled in await conn.execute(
            select(ol.line_no, ol.quantity, ol.cancelled).where(ol.order_id == report["order_id"]))}
        report["platform_state"] = await conn.scalar(select(p.state).where(
            p.connector_id == report["connector_id"], p.platform_ref == report["platform_ref"]))
        report["shipments_pending"] = await conn.scalar(select(func.count()).select_from(t.connector_reports).where(
            r.connector_id == report["connector_id"], r.platform_ref == report["platform_ref"],
            r.action == SHIPMENT, r.status == PENDING, r.id != report_id))
        report["items"] = await conn.scalar(select(p.lines).where(
            p.connector_id == report["connector_id"], p.platform_ref == report["platform_ref"])) or []
    try:
        credentials = settings.credentials(ctx, connector)
        async with safe_http.client(allow_private=ctx.settings.webhook_allow_private, timeout=TIMEOUT_S) as http:
            sender = _SENDERS.get((Kind(connector["kind"]), report["action"]))
            if sender is None:
                raise Refused(f"{connector['kind']} is not told of a {report['action']} yet")
            # (the platform's own cancellation, the nodes' confirmations of it come after: nothing to tell)
            theirs = report["action"] == CANCELLATION and report["platform_state"] == "cancelled"
            note = f"{connector['kind']} cancelled the order itself" if theirs else \
                await sender(ctx, http, connector, credentials, report, status in SENT_WHOLE)
    except (Refused, PlatformError, Unavailable) as exc:
        return await _failed(ctx, report, token, str(exc) if not isinstance(exc, Unavailable) else exc.detail,
                             final=isinstance(exc, Refused))
    except Exception as exc:  # the OMS's own failure: tried again like the platform's
        log.exception("connector %s: report %s failed", connector["id"], report_id)
        return await _failed(ctx, report, token, f"{type(exc).__name__}: {exc}", final=False)
    return await _settled(ctx, report, token, status=DONE, done_at=ctx.clock.now(), error=note)


async def _failed(ctx: Context, report: Mapping, token: str, reason: str, *, final: bool) -> bool:
    tries = report["attempts"] + 1
    wait = min(BACKOFF * 2 ** (tries - 1), BACKOFF_MAX)
    await _settled(ctx, report, token, status=DEAD if final or tries >= TRIES_MAX else PENDING,
                   next_at=ctx.clock.now() + wait, error=reason[:ERROR_MAX])
    return False


async def _settled(ctx: Context, report: Mapping, token: str, **values) -> bool:
    """How the sending went, written only while this sender holds the lease (one that outlived it says
    nothing: another has the report now)."""
    async with ctx.db.write() as conn:
        done = await conn.execute(update(t.connector_reports).where(r.id == report["id"], r.lease == token).values(
            attempts=report["attempts"] + 1, busy_until=None, lease=None, **values))
    if done.rowcount != 1:
        log.warning("connector %s: report %s outlived its lease", report["connector_id"], report["id"])
        return False
    return values.get("status") == DONE


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
    items = report["items"]
    lines = [(items[ln["line_no"] - 1] if ln["line_no"] <= len(items) else None, ln["quantity"])
             for ln in data["lines"]]
    if any(item is None for item, _ in lines):  # (the capture's outcome not recorded yet: later)
        raise PlatformError("the platform's ids of the lines shipped are not known yet")
    wanted = {f"gid://shopify/LineItem/{item}": n for item, n in lines}
    by_order = []
    waiting = False
    for fo in known["fulfillmentOrders"]["nodes"]:
        if fo.get("status") in ("ON_HOLD", "SCHEDULED"):  # (Shopify takes no fulfillment of it yet)
            waiting = True
        if fo.get("status") not in ("OPEN", "IN_PROGRESS"):
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
    if not by_order and waiting:
        raise PlatformError("Shopify holds the order's fulfillment orders (on hold, scheduled): later")
    if not by_order:
        raise Refused("Shopify has none of these lines left to fulfil")
    made = await _graphql(ctx, http, connector, credentials, _FULFILLMENT_CREATE, {"fulfillment": {
        "lineItemsByFulfillmentOrder": by_order, "notifyCustomer": True,
        "trackingInfo": {"company": data["carrier"], "number": data["tracking_number"]}}}, changes=True)
    errors = made["fulfillmentCreate"]["userErrors"]
    if errors:
        raise Refused("; ".join(f"{'.'.join(e.get('field') or [])}: {e.get('message')}" for e in errors))
    return None


async def _graphql(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   query: str, variables: dict, *, changes: bool = False) -> dict:
    """A GraphQL call's data; Shopify's own errors (its cost throttle ``THROTTLED``, answered 200, an internal
    error) are a PlatformError, tried again with the report's backoff; an access refused is a refusal."""
    answer = await call(ctx, http, connector["id"], Kind.SHOPIFY, "POST",
                        f"{connector['base_url']}/admin/api/{SHOPIFY_API}/graphql.json", changes=changes,
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
        if codes & {"ACCESS_DENIED", "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}:
            raise Refused(message or str(errors)[:300])
        raise PlatformError(f"{', '.join(sorted(c for c in codes if c)) or 'error'}: {message}")
    if answer.status_code != 200 or not isinstance(body.get("data"), dict):
        raise PlatformError(f"{answer.status_code}: {answer.text[:200]}")
    return body["data"]


_TRACKING = "is the Shipment Tracking extension installed?"
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
        expect_ok(known, "reading its shipment trackings", _TRACKING)
        listed = known.json()
        if any(isinstance(x, dict) and x.get("tracking_number") == data["tracking_number"]
               for x in (listed if isinstance(listed, list) else [])):
            note = "WooCommerce knew of it already"
        else:
            added = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "POST", trackings, auth=auth,
                               changes=True, json={
                "tracking_provider": data["carrier"] or "", "tracking_number": data["tracking_number"],
                "date_shipped": report["created_at"].date().isoformat()})
            expect_ok(added, "adding the shipment tracking", _TRACKING)
    if whole:  # (setting a status it has already changes nothing)
        done = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "PUT",
                          f"{base}/wp-json/wc/v3/orders/{report['platform_ref']}", auth=auth,
                          json={"status": "completed"})
        expect_ok(done, "completing the order")
    return note


async def _shopify_cancel(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                          report: Mapping, whole: bool) -> str | None:
    """A whole order cancelled: ``orderCancel``, refunded to the original payment (the customer paid for what
    will not come), not restocked (the OMS keeps the stock). Lines alone are not told: a part refund is the
    shop's decision."""
    if report["order_status"] != OStatus.CANCELLED:
        return "Shopify is not told of lines cancelled alone (a part refund is the shop's decision)"
    order = f"gid://shopify/Order/{report['platform_ref']}"
    known = (await _graphql(ctx, http, connector, credentials, _CANCELLED_QUERY, {"id": order})).get("order")
    if known is None:
        raise Refused(f"Shopify has no order {report['platform_ref']}")
    if known.get("cancelledAt"):
        return "Shopify knew of it already"
    made = await _graphql(ctx, http, connector, credentials, _ORDER_CANCEL, {"orderId": order}, changes=True)
    errors = made["orderCancel"]["orderCancelUserErrors"]
    if errors:
        raise Refused("; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors))
    return None


_CANCELLED_QUERY = """
query order($id: ID!) { order(id: $id) { cancelledAt } }"""
_ORDER_CANCEL = """
mutation orderCancel($orderId: ID!) {
  orderCancel(orderId: $orderId, reason: INVENTORY, refundMethod: {originalPaymentMethodsRefund: true},
              restock: false, notifyCustomer: true) {
    job { id }
    orderCancelUserErrors { field message code }
  }
}"""


async def _woocommerce_cancel(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                              report: Mapping, whole: bool) -> str | None:
    """A whole order cancelled: its status ``cancelled``, unless the shop has it cancelled, refunded or
    completed already (read first). WooCommerce has no cancelled lines, only refunds: lines alone are not told."""
    if report["order_status"] != OStatus.CANCELLED:
        return "WooCommerce is not told of lines cancelled alone (it knows refunds only)"
    url = f"{connector['base_url']}/wp-json/wc/v3/orders/{report['platform_ref']}"
    auth = (credentials["consumer_key"], credentials["consumer_secret"])
    known = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "GET", url, auth=auth)
    expect_ok(known, "reading the order")
    status = known.json().get("status") if isinstance(known.json(), dict) else None
    if status in ("cancelled", "refunded", "trash"):
        return f"WooCommerce has the order {status} already"
    if status == "completed":
        raise Refused("the order is completed in WooCommerce: not cancelled there")
    done = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "PUT", url, auth=auth, json={"status": "cancelled"})
    expect_ok(done, "cancelling the order")
    return None


_SENDERS = {
    (Kind.SHOPIFY, SHIPMENT): _shopify, (Kind.SHOPIFY, CANCELLATION): _shopify_cancel,
    (Kind.WOOCOMMERCE, SHIPMENT): _woocommerce, (Kind.WOOCOMMERCE, CANCELLATION): _woocommerce_cancel,
    (Kind.PRESTASHOP, SHIPMENT): prestashop.shipment, (Kind.PRESTASHOP, CANCELLATION): prestashop.cancellation,
    (Kind.MIRAKL, ACCEPTANCE): mirakl.acceptance, (Kind.MIRAKL, SHIPMENT): mirakl.shipment,
    (Kind.MIRAKL, CANCELLATION): mirakl.cancellation,
}
