"""Each platform's API as the connectors read it: its orders updated since a time, page by page.

    shopify       GET {shop}/admin/api/2025-10/orders.json?status=any&updated_at_min=…&updated_at_max=…
                  &order=updated_at asc&limit=250, X-Shopify-Access-Token; the next page is the Link header's
                  rel="next" (cursor pagination: page_info)
    woocommerce   GET {shop}/wp-json/wc/v3/orders?modified_after=…&modified_before=…&dates_are_gmt=true
                  &per_page=100&page=n, HTTP Basic with the consumer key and secret; X-WP-TotalPages says how
                  many pages (without it: until a page is not full). Sorted by creation, not by change: a poll's
                  mark moves only once all its pages are read
    prestashop    GET {shop}/api/orders?output_format=JSON&display=full&date=1&filter[date_upd]=[from,to] (the
                  shop's local time)&filter[id]=[after,…]&sort=[id_ASC]&limit=100, the webservice key as HTTP
                  Basic user: pages by id (a page starts after the last id read, so an order changed meanwhile
                  moves no other), then the addresses, customers, currencies, countries and carriers the page
                  names, read along (``read_along``)
    mirakl        OR11 GET {marketplace}/api/orders?start_update_date=…&end_update_date=…&order_state_codes=…
                  &order_tax_mode=TAX_INCLUDED&max=100&offset=n, the shop's API key as ``Authorization``;
                  ``total_count`` says how many. Sorted by creation, like WooCommerce
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from ...domain.connectors import Kind
from ...domain.platform_orders import MIRAKL_STATES, Unreadable, stamp
from ..runtime.context import Context
from .calls import PlatformError, call

SHOPIFY_API = "2025-10"
PAGES_MAX = 200  # pages read in one poll: the rest at the next one, from the mark
SHOPIFY_PAGE, WOO_PAGE, MIRAKL_PAGE, PRESTA_PAGE = 250, 100, 100, 100  # orders a page (at most what each gives)
ID_MAX = 2**63 - 1


@dataclass
class Progress:
    """How far a poll has read: every order changed up to ``mark`` is kept (moved only once it is)."""
    mark: datetime | None


POLLED = frozenset(Kind)
SHRINKS = 8  # times a window too full for one poll is halved


async def orders_since(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """The platform's orders changed from ``since`` to ``until``, a page at a time (PlatformError when a call
    fails). ``progress.mark`` moves, once a page yielded is kept, as far as every order is read."""
    kind = Kind(connector["kind"])
    if kind == Kind.SHOPIFY:
        pages = _shopify(ctx, http, connector, credentials, since, until, progress)
    elif kind == Kind.WOOCOMMERCE:
        pages = _woocommerce(ctx, http, connector, credentials, since, until, progress)
    elif kind == Kind.MIRAKL:
        pages = _mirakl(ctx, http, connector, credentials, since, until, progress)
    elif kind == Kind.PRESTASHOP:
        pages = _prestashop(ctx, http, connector, credentials, since, until, progress)
    else:
        raise PlatformError(f"{kind} orders are not polled yet")
    async for page in pages:
        yield page


async def probe(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                at: datetime) -> str:
    """One call, as a poll makes it: what the platform answered (PlatformError when it failed)."""
    async for page in orders_since(ctx, http, connector, credentials, at, ctx.clock.now(), Progress(None)):
        return f"orders can be read ({len(page)} changed since {at.isoformat()} on the first page)"
    return "orders can be read"


async def _shopify(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """Asked oldest change first: while the pages come so, the mark follows them; once all are read, it is
    ``until``. Pages found out of that order (the sort not kept) move it only at the end."""
    base = connector["base_url"]
    url: str | None = f"{base}/admin/api/{SHOPIFY_API}/orders.json"
    params: dict | None = {"status": "any", "updated_at_min": since.astimezone(UTC).isoformat(),
                           "updated_at_max": until.astimezone(UTC).isoformat(), "limit": SHOPIFY_PAGE,
                           "order": "updated_at asc"}
    headers = {"X-Shopify-Access-Token": credentials["api_token"], "Accept": "application/json"}
    newest: datetime | None = None
    in_order = True
    for _ in range(PAGES_MAX):
        if url is None:
            progress.mark = _later(progress.mark, until)
            return
        answer = await call(ctx, http, connector["id"], Kind.SHOPIFY, "GET", url, params=params, headers=headers)
        page = records(answer, "orders")
        times = [t for t in map(_changed, page) if t is not None]
        if times and newest is not None and min(times) < newest or times != sorted(times):
            in_order = False
        newest = max([*times, *([newest] if newest else [])], default=None)
        yield page
        if in_order and newest is not None:
            progress.mark = _later(progress.mark, newest)  # (this page kept: every change up to it read)
        url = answer.links.get("next", {}).get("url")
        params = None  # (the next page's URL carries its cursor, and Shopify takes nothing else with it)
        if url is not None and _origin(url) != _origin(base):
            raise PlatformError(f"the next page is on another host ({_origin(url)})")
    if url is None:
        progress.mark = _later(progress.mark, until)
    elif not in_order:
        raise PlatformError(f"more than {PAGES_MAX} pages of orders changed, not sorted by change: the mark stays")


async def _woocommerce(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """Asked between ``modified_after`` and ``modified_before``, pages sorted by creation."""
    url = f"{connector['base_url']}/wp-json/wc/v3/orders"
    auth = (credentials["consumer_key"], credentials["consumer_secret"])

    async def page_of(n: int, end: datetime) -> httpx.Response:
        return await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "GET", url, auth=auth, params={
            "modified_after": _gmt(since), "modified_before": _gmt(end), "dates_are_gmt": "true",
            "per_page": WOO_PAGE, "page": n, "order": "asc"})

    async for page in _numbered(page_of, Counted(None, _pages, lambda a: _count(a, "x-wp-total"), WOO_PAGE),
                                since, until, progress):
        yield page


async def _mirakl(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                  since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """OR11, asked between ``start_update_date`` and ``end_update_date`` for the states a shop works on, prices
    with their tax, pages by offset sorted by creation; ``total_count`` says how many."""
    url = f"{connector['base_url']}/api/orders"

    async def page_of(n: int, end: datetime) -> httpx.Response:
        return await call(ctx, http, connector["id"], Kind.MIRAKL, "GET", url, headers=mirakl_headers(credentials),
                          params={"start_update_date": _utc(since), "end_update_date": _utc(end),
                                  "order_state_codes": ",".join(sorted(MIRAKL_STATES)),
                                  "order_tax_mode": "TAX_INCLUDED", "max": MIRAKL_PAGE,
                                  "offset": (n - 1) * MIRAKL_PAGE, "sort": "dateCreated", "order": "asc"})

    def total(answer: httpx.Response) -> int | None:
        try:
            given = answer.json().get("total_count") if answer.status_code == 200 else None
        except (ValueError, AttributeError):
            return None
        return given if isinstance(given, int) and not isinstance(given, bool) and given >= 0 else None

    def pages(answer: httpx.Response) -> int | None:
        count = total(answer)
        return None if count is None else max(1, -(-count // MIRAKL_PAGE))

    async for page in _numbered(page_of, Counted("orders", pages, total, MIRAKL_PAGE), since, until, progress):
        yield page


async def _prestashop(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                      since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """Pages by id within the window of local times, each order given what it names, read along."""
    zone = ZoneInfo(connector["timezone"])

    def local(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    # (across a change of the shop's clocks local times repeat or jump: the window is widened by an hour each
    # side, which the inbox's once-only deliveries make harmless)
    low, high = (since, until) if since.astimezone(zone).utcoffset() == until.astimezone(zone).utcoffset() \
        else (since - timedelta(hours=1), until + timedelta(hours=1))
    after = 0
    for _ in range(PAGES_MAX):
        page = await presta_list(ctx, http, connector, credentials, "orders", {
            "display": "full", "date": "1", "filter[date_upd]": f"[{local(low)},{local(high)}]",
            "filter[id]": f"[{after + 1},{ID_MAX}]", "sort": "[id_ASC]", "limit": str(PRESTA_PAGE)})
        await _read_along(ctx, http, connector, credentials, page, zone)
        yield page
        if len(page) < PRESTA_PAGE:
            progress.mark = _later(progress.mark, until)
            return
        ids = [int(o["id"]) for o in page if isinstance(o, dict) and str(o.get("id", "")).isdigit()]
        if not ids:
            raise PlatformError("a page of orders without their ids: the mark stays")
        after = max(ids)
    raise PlatformError(f"more than {PAGES_MAX} pages of orders changed since {local(since)}: the mark stays")


async def presta_list(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                      resource: str, params: dict[str, str]) -> list:
    """A webservice list, its records whole (PrestaShop answers an empty list as ``[]``, not as an object)."""
    answer = await call(ctx, http, connector["id"], Kind.PRESTASHOP, "GET", f"{connector['base_url']}/api/{resource}",
                        auth=(credentials["api_key"], ""), params={"output_format": "JSON", **params})
    if answer.status_code == 200 and answer.content.strip() in (b"[]", b"{}"):
        return []
    return records(answer, resource)


async def _read_along(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                      page: list, zone: ZoneInfo) -> None:
    """Give each order of a page, in ``read_along``, what the webservice keeps as resources of their own: its
    delivery address (with its country's ISO code), its customer, its currency, its carrier; and its
    ``date_upd`` with the shop's offset."""
    orders = [o for o in page if isinstance(o, dict)]

    async def by_id(resource: str, key: str, fields: str, among: list[dict]) -> dict[str, dict]:
        ids = sorted({str(o.get(key)) for o in among if str(o.get(key, "")).isdigit()})
        found: dict[str, dict] = {}
        for start in range(0, len(ids), PRESTA_PAGE):
            for row in await presta_list(ctx, http, connector, credentials, resource, {
                    "display": fields, "filter[id]": f"[{'|'.join(ids[start:start + PRESTA_PAGE])}]"}):
                if isinstance(row, dict):
                    found[str(row.get("id"))] = row
        return found

    addresses = await by_id("addresses", "id_address_delivery", "full", orders)
    countries = await by_id("countries", "id_country", "[id,iso_code]", list(addresses.values()))
    customers = await by_id("customers", "id_customer", "[id,email,firstname,lastname]", orders)
    currencies = await by_id("currencies", "id_currency", "[id,iso_code]", orders)
    carriers = await by_id("carriers", "id_carrier", "[id,name]", orders)
    for o in orders:
        address = addresses.get(str(o.get("id_address_delivery")))
        if address is not None:
            address = {**address, "country_iso_code": countries.get(str(address.get("id_country")), {}).get("iso_code")}
        o["read_along"] = {
            "updated_at": _offset(o.get("date_upd"), zone), "address": address,
            "customer": customers.get(str(o.get("id_customer"))),
            "currency": currencies.get(str(o.get("id_currency")), {}).get("iso_code"),
            "carrier": carriers.get(str(o.get("id_carrier")), {}).get("name")}


def _offset(local: object, zone: ZoneInfo) -> str | None:
    """A local time the shop wrote, with its offset (None when it is not one)."""
    try:
        at = datetime.strptime(local, "%Y-%m-%d %H:%M:%S") if isinstance(local, str) else None
    except ValueError:
        return None
    return at.replace(tzinfo=zone).isoformat() if at is not None else None


@dataclass(frozen=True)
class Counted:
    """How a platform that pages by number says how many there are (each None when it does not say)."""
    key: str | None  # where the orders are in the answer (None: the answer is the list)
    pages: Callable[[httpx.Response], int | None]
    total: Callable[[httpx.Response], int | None]
    size: int  # orders a full page holds


async def _numbered(page_of: Callable[[int, datetime], Awaitable[httpx.Response]], counted: Counted,
                    since: datetime, until: datetime, progress: Progress) -> AsyncIterator[list]:
    """Pages asked by number, sorted by creation, not by change: the mark moves to the window's end once
    every page is read. A window of more pages than a poll reads is narrowed first; without a count, pages
    are read until one is not full; fewer orders read than counted leave the mark where it was."""
    end = until
    first = await page_of(1, end)
    # (never narrowed to before the mark plus a minute: each poll moves it on)
    floor = (progress.mark or since) + timedelta(minutes=1)
    for _ in range(SHRINKS):
        total = counted.pages(first)
        if total is None or total <= PAGES_MAX or end <= floor:
            break
        end = max(floor, since + (end - since) * PAGES_MAX / (2 * total))  # (the rest at the next poll)
        first = await page_of(1, end)
    expected = counted.total(first)
    answer, n, read = first, 1, 0
    while True:
        page = records(answer, counted.key)
        read += len(page)
        yield page
        total = counted.pages(answer)
        if (total is not None and n >= total) or (total is None and len(page) < counted.size) or n >= PAGES_MAX:
            break
        n += 1
        answer = await page_of(n, end)
    if n >= PAGES_MAX and (total is None or total > n):
        raise PlatformError(f"more than {PAGES_MAX} pages of orders changed since {_gmt(since)}: the mark stays")
    if expected is not None and read < expected:
        # (an order changed while being read left its page, and the pages after it moved up by one)
        raise PlatformError(f"{expected - read} of {expected} orders moved while the pages were read: the mark "
                            f"stays, they are read again at the next poll")
    progress.mark = _later(progress.mark, end)


def mirakl_headers(credentials: dict[str, str]) -> dict[str, str]:
    """The shop's API key, as Mirakl takes it."""
    return {"Authorization": credentials["api_key"], "Accept": "application/json"}


def _pages(answer: httpx.Response) -> int | None:
    return _count(answer, "x-wp-totalpages")


def _count(answer: httpx.Response, header: str) -> int | None:
    given = answer.headers.get(header, "")
    return int(given) if given.isdigit() else None


def _gmt(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _changed(record: object) -> datetime | None:
    try:
        return stamp(Kind.SHOPIFY, record)[1]
    except Unreadable:
        return None


def _later(mark: datetime | None, at: datetime) -> datetime:
    return at if mark is None else max(mark, at)


def records(answer: httpx.Response, key: str | None) -> list:
    if answer.status_code in (401, 403):
        raise PlatformError(f"{answer.status_code}: the credentials are refused ({answer.text[:200]})")
    if answer.status_code != 200:
        raise PlatformError(f"{answer.status_code}: {answer.text[:200]}")
    try:
        body = answer.json()
    except ValueError:
        raise PlatformError("the answer is not JSON") from None
    records = body.get(key) if key is not None and isinstance(body, dict) else body
    if not isinstance(records, list):
        raise PlatformError(f"the answer holds no list of orders{f' ({key})' if key else ''}")
    return records


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parsed = urlsplit(url)
    return parsed.scheme, parsed.hostname, parsed.port
