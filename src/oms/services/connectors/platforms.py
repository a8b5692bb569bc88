"""Each platform's API as the connectors read it: its orders updated since a time, page by page.

    shopify       GET {shop}/admin/api/2025-10/orders.json?status=any&updated_at_min=…&order=updated_at asc
                  &limit=250, X-Shopify-Access-Token; the next page is the Link header's rel="next" (cursor
                  pagination: page_info)
    woocommerce   GET {shop}/wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&per_page=100&page=n,
                  HTTP Basic with the consumer key and secret; X-WP-TotalPages says how many pages. Sorted by
                  creation, not by change: a poll's mark moves only once all its pages are read
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from ...domain.connectors import Kind
from ..runtime.context import Context
from .calls import PlatformError, call

SHOPIFY_API = "2025-10"
PAGES_MAX = 200  # pages read in one poll: the rest at the next one, from the mark
SHOPIFY_PAGE, WOO_PAGE = 250, 100  # orders a page (the most each platform gives)


@dataclass(frozen=True)
class Reader:
    """How a platform's orders are polled."""
    sorted_by_change: bool  # pages come oldest change first: the mark may move page by page


READERS = {Kind.SHOPIFY: Reader(sorted_by_change=True), Kind.WOOCOMMERCE: Reader(sorted_by_change=False)}


async def orders_since(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       since: datetime) -> AsyncIterator[list]:
    """The platform's orders changed since ``since``, a page at a time (PlatformError when a call fails)."""
    kind = Kind(connector["kind"])
    if kind == Kind.SHOPIFY:
        pages = _shopify(ctx, http, connector, credentials, since)
    elif kind == Kind.WOOCOMMERCE:
        pages = _woocommerce(ctx, http, connector, credentials, since)
    else:
        raise PlatformError(f"{kind} orders are not polled yet")
    async for page in pages:
        yield page


async def probe(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                at: datetime) -> str:
    """One call, as a poll makes it: what the platform answered (PlatformError when it failed)."""
    async for page in orders_since(ctx, http, connector, credentials, at):
        return f"orders can be read ({len(page)} changed since {at.isoformat()} on the first page)"
    return "orders can be read"


async def _shopify(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   since: datetime) -> AsyncIterator[list]:
    base = connector["base_url"]
    url: str | None = f"{base}/admin/api/{SHOPIFY_API}/orders.json"
    params: dict | None = {"status": "any", "updated_at_min": since.astimezone(UTC).isoformat(), "limit": SHOPIFY_PAGE,
                           "order": "updated_at asc"}
    headers = {"X-Shopify-Access-Token": credentials["api_token"], "Accept": "application/json"}
    for _ in range(PAGES_MAX):
        if url is None:
            return
        answer = await call(ctx, http, connector["id"], Kind.SHOPIFY, "GET", url, params=params, headers=headers)
        yield _records(answer, "orders")
        url = answer.links.get("next", {}).get("url")
        params = None  # (the next page's URL carries its cursor, and Shopify takes nothing else with it)
        if url is not None and _origin(url) != _origin(base):
            raise PlatformError(f"the next page is on another host ({_origin(url)})")


async def _woocommerce(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       since: datetime) -> AsyncIterator[list]:
    url = f"{connector['base_url']}/wp-json/wc/v3/orders"
    auth = (credentials["consumer_key"], credentials["consumer_secret"])
    modified = since.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()
    for page in range(1, PAGES_MAX + 1):
        answer = await call(ctx, http, connector["id"], Kind.WOOCOMMERCE, "GET", url, auth=auth, params={
            "modified_after": modified, "dates_are_gmt": "true", "per_page": WOO_PAGE, "page": page,
            "order": "asc"})
        yield _records(answer, None)
        total = answer.headers.get("x-wp-totalpages", "1")
        if not total.isdigit() or page >= int(total):
            return
    # (pages come by creation: the mark cannot move over a part of them)
    raise PlatformError(f"more than {PAGES_MAX} pages of orders changed since {modified}: the mark stays; "
                        f"poll more often")


def _records(answer: httpx.Response, key: str | None) -> list:
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
