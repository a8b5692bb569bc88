"""Shops the tests connect to: real HTTP servers on 127.0.0.1 that answer as the platforms document their APIs.

- Shopify: ``GET /admin/api/2025-10/orders.json`` with ``X-Shopify-Access-Token`` (401 otherwise),
  ``updated_at_min``, ``limit`` (at most 250), ``order=updated_at asc``, ``status=any``; the next page in the
  ``Link`` header (``rel="next"``, a ``page_info`` cursor, with which no filter may be sent);
  ``X-Shopify-Shop-Api-Call-Limit`` on every answer; ``429`` with ``Retry-After`` when told to throttle.
  The GraphQL Admin API (``POST /admin/api/2025-10/graphql.json``) answers ``order(id)`` with its
  ``fulfillmentOrders`` (one, open, holding every line item until fulfilled) and ``fulfillments`` (their
  ``trackingInfo``), and ``fulfillmentCreate`` (``userErrors`` for more than is left to fulfil); ``orderCancel``
  (refund, restock, reason, notifyCustomer; ``orderCancelUserErrors`` for an order cancelled already) and the
  order's ``cancelledAt``.
- WooCommerce: ``GET /wp-json/wc/v3/orders`` with HTTP Basic (consumer key and secret; 401 otherwise),
  ``modified_after`` (GMT with ``dates_are_gmt=true``), ``per_page`` (at most 100), ``page``, ordered by
  creation; ``X-WP-Total`` and ``X-WP-TotalPages``. ``GET /wp-json/wc/v3/orders/<id>`` reads one order, ``PUT``
  changes its status;
  the Shipment Tracking extension's ``/wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings`` lists
  (GET) and adds (POST: ``tracking_provider``, ``tracking_number``, ``date_shipped``) its trackings.
- PrestaShop's webservice: ``GET /api/<resource>`` (orders, addresses, customers, currencies, countries,
  carriers, order_carriers) with the key as HTTP Basic user (401 otherwise), ``output_format=JSON``,
  ``display`` (``full`` or ``[field,…]``), ``filter[field]=[a,b]`` (an interval; of dates only with
  ``date=1``) or ``[a|b|…]`` (any of), ``sort=[field_ASC]``, ``limit=n`` or ``offset,n``; an empty list is
  answered ``[]``. ``PUT /api/order_carriers/<id>`` and ``POST /api/order_histories`` take XML
  (``<prestashop><order_carrier>…``), the latter moving the order to the state given.
- Mirakl (OR11, OR21, OR23, OR24): ``GET /api/orders`` with the shop's key in ``Authorization`` (401
  otherwise), ``order_ids`` or ``start_update_date``/``end_update_date``, ``order_state_codes``, ``max`` (at
  most 100) and ``offset``, sorted by creation, ``total_count`` in the answer; ``PUT /api/orders/<id>/accept``
  (every line waiting decided, else 400; the order then waits for the debit, or is refused whole), ``…/tracking``
  and ``…/ship`` (an order in SHIPPING only, else 400), ``…/cancel`` (OR29: while ``can_cancel``), each
  answered 204 and moving ``last_updated_date``; ``PUT /api/orders/cancel`` (OR30: ``cancelations`` of
  ``order_line_id``, ``quantity``, ``amount``, ``reason_code``, kept in the line's ``cancelations``).
- La Poste's Suivi v2: ``GET /suivi/v2/idships/<id>[,<id>…]`` with ``X-Okapi-Key`` (401 otherwise): one
  parcel's answer, or for several a list of them (207), each with its ``returnCode`` (104 for a number it does
  not know).
"""

import asyncio
import base64
import json
from datetime import UTC, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.support import free_port


class Platform:
    """A platform's server: its orders (as it would answer them), the requests it got, what it is told to do."""

    def __init__(self) -> None:
        self.port = free_port()
        self.orders: list[dict] = []
        self.got: list[web.Request] = []
        self.throttle = 0  # the next calls answered 429
        self.failing = 0  # the next calls answered 503
        self.failing_page: int | None = None  # this page (1: the first) answered 503, however often asked
        self.slow = 0.0  # seconds a change waits, once made, before it is answered (an answer a client may miss)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self):
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        if self._runner:
            await self._runner.cleanup()

    def _told(self, page: int = 1) -> web.Response | None:
        if page == self.failing_page:
            return web.Response(status=503, text="Service Unavailable")
        if self.throttle:
            self.throttle -= 1
            return web.json_response({"errors": "Exceeded 2 calls per second for api client. Reduce request rates "
                                                "to resume uninterrupted service."}, status=429,
                                     headers={"Retry-After": "1.0"})
        if self.failing:
            self.failing -= 1
            return web.Response(status=503, text="Service Unavailable")
        return None


class Shopify(Platform):
    TOKEN = "shpat_polling-token-of-the-app"

    def __init__(self) -> None:
        super().__init__()
        self.fulfillments: dict[str, list[dict]] = {}  # order id -> its fulfillments (lines, trackingInfo)
        self.lose_answers = 0  # the next fulfillments made are answered 502

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/admin/api/2025-10/orders.json", self._orders)
        app.router.add_post("/admin/api/2025-10/graphql.json", self._graphql)

    def _left(self, order: dict) -> dict[str, int]:
        """Each line item's quantity not yet fulfilled."""
        done: dict[str, int] = {}
        for f in self.fulfillments.get(str(order["id"]), []):
            for item, quantity in f["lines"].items():
                done[item] = done.get(item, 0) + quantity
        return {str(li["id"]): li["quantity"] - done.get(str(li["id"]), 0) for li in order["line_items"]}

    async def _graphql(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("X-Shopify-Access-Token") != self.TOKEN:
            return web.json_response({"errors": "[API] Invalid API key or access token"}, status=401)
        if told := self._told():
            return told
        asked = await request.json()
        query, variables = asked["query"], asked.get("variables", {})
        if "fulfillmentCreate" in query:
            return await self._fulfil(variables["fulfillment"])
        order_id = (variables.get("id") or variables["orderId"]).rsplit("/", 1)[-1]
        order = next((o for o in self.orders if str(o["id"]) == order_id), None)
        if "orderCancel(" in query:
            return self._cancel(order, query)
        if order is None:
            return web.json_response({"data": {"order": None}})
        if "cancelledAt" in query:
            return web.json_response({"data": {"order": {"cancelledAt": order.get("cancelled_at")}}})
        left = self._left(order)
        return web.json_response({"data": {"order": {
            "fulfillments": [{"trackingInfo": [f["trackingInfo"]]} for f in self.fulfillments.get(order_id, [])],
            "fulfillmentOrders": {"nodes": [{
                "id": f"gid://shopify/FulfillmentOrder/{order_id}",
                "status": "OPEN" if any(left.values()) else "CLOSED",
                "lineItems": {"nodes": [{"id": f"gid://shopify/FulfillmentOrderLineItem/{item}", "remainingQuantity": n,
                                         "lineItem": {"id": f"gid://shopify/LineItem/{item}"}}
                                        for item, n in left.items()]}}]}}}})

    def _cancel(self, order: dict | None, query: str) -> web.Response:
        if order is None or order.get("cancelled_at"):
            return web.json_response({"data": {"orderCancel": {"job": None, "orderCancelUserErrors": [
                {"field": ["orderId"], "message": "Cannot cancel order", "code": "INVALID"}]}}})
        order["cancelled_at"] = datetime.now(UTC).isoformat()
        order["cancel_asked"] = query[query.index("orderCancel(orderId"):].split(")")[0]  # refund, restock …
        return web.json_response({"data": {"orderCancel": {"job": {"id": "gid://shopify/Job/1"},
                                                           "orderCancelUserErrors": []}}})

    async def _fulfil(self, fulfillment: dict) -> web.Response:
        [by_order] = fulfillment["lineItemsByFulfillmentOrder"]
        order_id = by_order["fulfillmentOrderId"].rsplit("/", 1)[-1]
        order = next(o for o in self.orders if str(o["id"]) == order_id)
        left = self._left(order)
        lines = {x["id"].rsplit("/", 1)[-1]: x["quantity"] for x in by_order["fulfillmentOrderLineItems"]}
        if any(n > left.get(item, 0) for item, n in lines.items()):
            return web.json_response({"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": [
                {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}]}}})
        self.fulfillments.setdefault(order_id, []).append({"lines": lines,
                                                           "trackingInfo": fulfillment["trackingInfo"]})
        await asyncio.sleep(self.slow)
        if self.lose_answers:  # made, but the answer never reaches the caller as it should
            self.lose_answers -= 1
            return web.Response(status=502, text="Bad Gateway")
        return web.json_response({"data": {"fulfillmentCreate": {
            "fulfillment": {"id": f"gid://shopify/Fulfillment/{len(self.fulfillments[order_id])}", "status": "SUCCESS"},
            "userErrors": []}}})

    async def _orders(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("X-Shopify-Access-Token") != self.TOKEN:
            return web.json_response({"errors": "[API] Invalid API key or access token (unrecognized login or "
                                                "wrong password)"}, status=401)
        q = request.query
        if "page_info" in q:
            if set(q) - {"page_info", "limit"}:
                return web.json_response({"errors": {"page_info": "Invalid value."}}, status=400)
            cursor = json.loads(base64.urlsafe_b64decode(q["page_info"]))
            since, until, start, limit = cursor["since"], cursor["until"], cursor["start"], cursor["limit"]
        else:
            if q.get("order") != "updated_at asc" or q.get("status") != "any":
                return web.json_response({"errors": "expected order=updated_at asc, status=any"}, status=400)
            since, until, start, limit = (q["updated_at_min"], q.get("updated_at_max"), 0,
                                          min(int(q.get("limit", 50)), 250))
        if told := self._told(1 + start // limit):
            return told
        floor = datetime.fromisoformat(since)
        ceiling = datetime.fromisoformat(until) if until else None
        found = sorted((o for o in self.orders if floor <= datetime.fromisoformat(o["updated_at"])
                        and (ceiling is None or datetime.fromisoformat(o["updated_at"]) <= ceiling)),
                       key=lambda o: datetime.fromisoformat(o["updated_at"]))
        page = found[start:start + limit]
        headers = {"X-Shopify-Shop-Api-Call-Limit": f"{len(self.got)}/40"}
        if start + limit < len(found):
            cursor = base64.urlsafe_b64encode(json.dumps({"since": since, "until": until, "start": start + limit,
                                                          "limit": limit}).encode()).decode()
            headers["Link"] = (f'<{self.url}/admin/api/2025-10/orders.json?limit={limit}&page_info={cursor}>; '
                               f'rel="next"')
        return web.json_response({"orders": page}, headers=headers)


class WooCommerce(Platform):
    KEY, SECRET = "ck_polling_key", "cs_polling_secret"

    def __init__(self) -> None:
        super().__init__()
        self.counts = True  # X-WP-Total and X-WP-TotalPages sent (a proxy may strip them)
        self.trackings: dict[str, list[dict]] = {}  # order id -> its shipment trackings
        self.statuses: dict[str, str] = {}  # order id -> the status set through the API

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/wp-json/wc/v3/orders", self._orders)
        app.router.add_put("/wp-json/wc/v3/orders/{id}", self._status)
        app.router.add_get("/wp-json/wc/v3/orders/{id}", self._order)
        app.router.add_get("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings", self._trackings)
        app.router.add_post("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings", self._track)

    def _signed_in(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.KEY}:{self.SECRET}".encode()).decode()
        return request.headers.get("Authorization") == expected

    async def _status(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.json_response({"code": "woocommerce_rest_cannot_edit"}, status=401)
        order_id = request.match_info["id"]
        self.statuses[order_id] = (await request.json())["status"]
        return web.json_response({"id": int(order_id), "status": self.statuses[order_id]})

    async def _order(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.json_response({"code": "woocommerce_rest_cannot_view"}, status=401)
        order_id = request.match_info["id"]
        found = next((o for o in self.orders if str(o["id"]) == order_id), None)
        if found is None:
            return web.json_response({"code": "woocommerce_rest_shop_order_invalid_id"}, status=404)
        return web.json_response({**found, "status": self.statuses.get(order_id, found["status"])})

    async def _trackings(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.json_response({"code": "woocommerce_rest_cannot_view"}, status=401)
        return web.json_response(self.trackings.get(request.match_info["id"], []))

    async def _track(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.json_response({"code": "woocommerce_rest_cannot_create"}, status=401)
        given = await request.json()
        made = {"tracking_id": f"trk{len(self.got)}", "tracking_provider": given["tracking_provider"],
                "tracking_number": given["tracking_number"], "date_shipped": given["date_shipped"]}
        self.trackings.setdefault(request.match_info["id"], []).append(made)
        await asyncio.sleep(self.slow)
        return web.json_response(made, status=201)

    async def _orders(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.json_response({"code": "woocommerce_rest_cannot_view",
                                      "message": "Sorry, you cannot list resources.", "data": {"status": 401}},
                                     status=401)
        q = request.query
        if told := self._told(int(q.get("page", 1))):
            return told
        floor, ceiling = (datetime.fromisoformat(q[k]).replace(tzinfo=UTC) if k in q else None
                          for k in ("modified_after", "modified_before"))
        per_page, page = min(int(q.get("per_page", 10)), 100), int(q.get("page", 1))

        def changed(o: dict) -> datetime:
            return datetime.fromisoformat(o["date_modified_gmt"]).replace(tzinfo=UTC)

        found = sorted((o for o in self.orders if (floor is None or changed(o) > floor)
                        and (ceiling is None or changed(o) < ceiling)), key=lambda o: o["date_created_gmt"])
        pages = max(1, -(-len(found) // per_page))
        headers = {"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)} if self.counts else {}
        return web.json_response(found[(page - 1) * per_page:page * per_page], headers=headers)


class PrestaShop(Platform):
    KEY = "QW4VZ8N3K2PRESTASHOPWEBSERVICEKY"

    def __init__(self, zone: str = "Europe/Paris") -> None:
        super().__init__()
        self.zone = ZoneInfo(zone)
        self.resources: dict[str, dict[str, dict]] = {}  # resource -> id -> its fields (not orders)
        self.histories: list[dict] = []  # the order_histories made

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/{resource}", self._list)
        app.router.add_put("/api/order_carriers/{id}", self._carrier)
        app.router.add_post("/api/order_histories", self._history)

    def local(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def _signed_in(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Basic " + base64.b64encode(f"{self.KEY}:".encode()).decode()

    async def _list(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.Response(status=401, text="401 Unauthorized", headers={"WWW-Authenticate": 'Basic realm="WS"'})
        if told := self._told():
            return told
        resource, q = request.match_info["resource"], request.query
        rows = self.orders if resource == "orders" else list(self.resources.get(resource, {}).values())
        for key, value in q.items():
            if not key.startswith("filter["):
                continue
            field = key[len("filter["):-1]
            if field.startswith("date") and q.get("date") != "1":
                return web.json_response({"errors": [{"code": 62, "message": "Unable to filter by date"}]},
                                         status=400)
            inner = value[1:-1]
            if "," in inner:
                low, high = inner.split(",")
                rows = [r for r in rows if _within(str(r[field]), low, high)]
            else:
                rows = [r for r in rows if str(r[field]) in inner.split("|")]
        if q.get("sort") == "[id_ASC]":
            rows = sorted(rows, key=lambda r: int(r["id"]))
        start, _, count = q.get("limit", "").rpartition(",")
        if count:
            rows = rows[int(start or 0):int(start or 0) + int(count)]
        if not rows:
            return web.json_response([])
        display = q.get("display", "")
        if display.startswith("["):
            fields = display[1:-1].split(",")
            rows = [{f: r[f] for f in fields if f in r} for r in rows]
        return web.json_response({resource: rows})

    async def _carrier(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.Response(status=401, text="401 Unauthorized")
        given = ElementTree.fromstring(await request.text()).find("order_carrier")
        row = self.resources.get("order_carriers", {}).get(request.match_info["id"])
        if given is None or row is None:
            return web.Response(status=404 if row is None else 400, text="<prestashop><errors/></prestashop>")
        row.update({child.tag: child.text or "" for child in given})
        return web.Response(status=200, text="<prestashop/>", content_type="text/xml")

    async def _history(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if not self._signed_in(request):
            return web.Response(status=401, text="401 Unauthorized")
        given = ElementTree.fromstring(await request.text()).find("order_history")
        made = {child.tag: child.text for child in given} if given is not None else {}
        order = next((o for o in self.orders if str(o["id"]) == made.get("id_order")), None)
        if order is None:
            return web.Response(status=400, text="<prestashop><errors/></prestashop>")
        self.histories.append({**made, "sendemail": request.query.get("sendemail")})
        order["current_state"] = made["id_order_state"]
        await asyncio.sleep(self.slow)
        return web.Response(status=201, text="<prestashop/>", content_type="text/xml")


def _within(value: str, low: str, high: str) -> bool:
    if value.isdigit() and low.isdigit() and high.isdigit():
        return int(low) <= int(value) <= int(high)
    return low <= value <= high


class Mirakl(Platform):
    KEY = "4f1c2a7e-shop-api-key"

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock  # the marketplace's time: the service's, as the tests set it
        self.changes: list[tuple[str, str, dict]] = []  # (order id, what, the body) of each change asked

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/orders", self._orders)
        app.router.add_put("/api/orders/cancel", self._cancel_lines)
        app.router.add_put("/api/orders/{id}/{action}", self._change)

    def order(self, ref: str) -> dict:
        return next(o for o in self.orders if o["order_id"] == ref)

    def move(self, ref: str, state: str, lines: str | None = None) -> dict:
        """The marketplace moves an order on (the customer debited: SHIPPING; cancelled: CANCELED)."""
        order = self.order(ref)
        order["order_state"] = state
        for line in order["order_lines"]:
            if lines and line["order_line_state"] not in ("REFUSED", "CANCELED"):
                line["order_line_state"] = lines
        order["last_updated_date"] = self.clock().astimezone(UTC).isoformat(timespec="milliseconds")
        return order

    async def _orders(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("Authorization") != self.KEY:
            return web.json_response({"message": "Unauthorized", "status": 401}, status=401)
        q = request.query
        offset = int(q.get("offset", 0))
        if told := self._told(offset // 100 + 1):
            return told
        states = set(q["order_state_codes"].split(",")) if "order_state_codes" in q else None
        ids = set(q["order_ids"].split(",")) if "order_ids" in q else None
        floor, ceiling = (datetime.fromisoformat(q[k]) if k in q else None
                          for k in ("start_update_date", "end_update_date"))

        def changed(o: dict) -> datetime:
            return datetime.fromisoformat(o["last_updated_date"])

        found = sorted((o for o in self.orders if (ids is None or o["order_id"] in ids)
                        and (states is None or o["order_state"] in states)
                        and (floor is None or changed(o) >= floor) and (ceiling is None or changed(o) <= ceiling)),
                       key=lambda o: o["created_date"])
        size = min(int(q.get("max", 10)), 100)
        return web.json_response({"orders": found[offset:offset + size], "total_count": len(found)})

    async def _change(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("Authorization") != self.KEY:
            return web.json_response({"message": "Unauthorized", "status": 401}, status=401)
        if told := self._told():
            return told
        ref, action = request.match_info["id"], request.match_info["action"]
        order = next((o for o in self.orders if o["order_id"] == ref), None)
        if order is None:
            return web.json_response({"message": f"Order with id '{ref}' not found", "status": 404}, status=404)
        body = await request.json() if request.can_read_body else {}
        self.changes.append((ref, action, body))
        if action == "accept":
            if order["order_state"] != "WAITING_ACCEPTANCE":
                return self._refused(f"Order {ref} is not waiting for acceptance")
            decided = {x["id"]: x["accepted"] for x in body["order_lines"]}
            waiting = [ln for ln in order["order_lines"] if ln["order_line_state"] == "WAITING_ACCEPTANCE"]
            if {ln["order_line_id"] for ln in waiting} != set(decided):
                return self._refused("Every order line waiting for acceptance must be accepted or refused")
            for line in waiting:
                line["order_line_state"] = "WAITING_DEBIT" if decided[line["order_line_id"]] else "REFUSED"
            self.move(ref, "WAITING_DEBIT" if any(decided.values()) else "REFUSED")
        elif action == "tracking":
            if order["order_state"] != "SHIPPING":
                return self._refused(f"Order {ref} is not in state SHIPPING")
            order["shipping_tracking"], order["shipping_company"] = body["tracking_number"], body["carrier_name"]
            self.move(ref, "SHIPPING")
        elif action == "ship":
            if order["order_state"] != "SHIPPING":
                return self._refused(f"Order {ref} is not in state SHIPPING")
            self.move(ref, "SHIPPED", "SHIPPED")
        elif action == "cancel":
            if not order.get("can_cancel"):
                return self._refused(f"Order {ref} cannot be canceled")
            self.move(ref, "CANCELED", "CANCELED")
        else:
            return web.json_response({"message": "Not found", "status": 404}, status=404)
        await asyncio.sleep(self.slow)
        return web.Response(status=204)

    async def _cancel_lines(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("Authorization") != self.KEY:
            return web.json_response({"message": "Unauthorized", "status": 401}, status=401)
        body = await request.json()
        lines = {ln["order_line_id"]: (o, ln) for o in self.orders for ln in o["order_lines"]}
        for asked in body["cancelations"]:
            if asked["order_line_id"] not in lines or not asked.get("reason_code"):
                return self._refused("Unknown order line or no reason code")
            if lines[asked["order_line_id"]][1]["order_line_state"] not in ("SHIPPING", "WAITING_DEBIT",
                                                                          "WAITING_DEBIT_PAYMENT"):
                return self._refused(f"Order line {asked['order_line_id']} cannot be canceled")
        for asked in body["cancelations"]:
            order, line = lines[asked["order_line_id"]]
            self.changes.append((order["order_id"], "cancel_lines", asked))
            line.setdefault("cancelations", []).append({"quantity": asked["quantity"], "amount": asked["amount"],
                                                        "reason_code": asked["reason_code"]})
            self.move(order["order_id"], order["order_state"])
        return web.Response(status=204)

    @staticmethod
    def _refused(message: str) -> web.Response:
        return web.json_response({"message": message, "status": 400}, status=400)


class LaPoste(Platform):
    KEY = "okapi-key-of-the-retailer"

    def __init__(self) -> None:
        super().__init__()
        self.parcels: dict[str, dict] = {}  # tracking number -> its answer (shaped as tests/fixtures/platforms)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/suivi/v2/idships/{ids}", self._idships)

    async def _idships(self, request: web.Request) -> web.Response:
        self.got.append(request)
        if request.headers.get("X-Okapi-Key") != self.KEY:
            return web.json_response({"code": "UNAUTHORIZED", "message": "This action requires an authorization"},
                                     status=401)
        if told := self._told():
            return told
        ids = request.match_info["ids"].split(",")
        found = [self.parcels.get(n, {"lang": "fr_FR", "scope": "open", "returnCode": 104, "idShip": n,
                                      "returnMessage": "Numéro de suivi inconnu"}) for n in ids]
        if len(ids) == 1:
            return web.json_response(found[0], status=200 if found[0]["returnCode"] == 200 else 404)
        return web.json_response(found, status=207)
