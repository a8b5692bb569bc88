"""Order capture over HTTP: orders/s and latency at N concurrent clients, next to the same server's empty endpoint.

    python bench/capture.py --db sqlite                 # starts a server on a fresh SQLite file
    python bench/capture.py --db postgres --workers 2   # … on a fresh PostgreSQL database `oms_bench`
    python bench/capture.py --url http://127.0.0.1:8000 --key KEY   # an already running server

The server is seeded with a small network (1 DC, 10 stores, 50 SKUs, deep stock; `--network demo`: the demo
retailer) unless --url is given, then every client sends single-line home orders back to back for --seconds.
Prints a table; the figures are recorded in docs/benchmarks.md.
"""

import asyncio
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_server, drive, print_table, server_arguments, wait_ready  # noqa: E402

HOME = {"line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR",
        "lat": 48.8686, "lng": 2.3318}


def order_body(skus: list[str], run: str):
    """Single-line home orders, each with its own channel reference, spread over the SKUs."""
    def make(n: int, i: int):
        body = {"channel": "web", "external_ref": f"{run}-{n}-{i}",
                "customer": {"name": "Bench", "email": "bench@example.com"},
                "lines": [{"sku": skus[(n * 7 + i) % len(skus)], "quantity": 1,
                           "unit_price": {"amount": 1999, "currency": "EUR"}}],
                "delivery": {"mode": "home_standard", "address": HOME}}
        return "POST", "/v1/orders", orjson.dumps(body)
    return make


async def limit_capacity(url: str, key: str, capacity: int) -> None:
    """Every node open round the clock with ``capacity`` orders a day, and a home carrier service, so that
    capture works out each order's day and takes its place (the work a retailer's real network costs)."""
    week = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    carrier = {"id": "bench-std", "name": "Bench standard", "mode": "home_standard",
               "bands": [{"max_km": 2000, "transit_min": 1, "transit_max": 2, "base": 500, "per_kg": 50}]}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.get(url + "/v1/nodes", params={"limit": 500}) as r:
            nodes = (await r.json())["items"]
        for path, body in (("/v1/nodes", [{**n, "opening_hours": week, "daily_capacity": capacity} for n in nodes]),
                           ("/v1/carrier-services", [carrier])):
            async with s.put(url + path, json=body) as r:
                if r.status != 200:
                    raise SystemExit(f"{path} refused: {r.status} {await r.text()}")


@asynccontextmanager
async def running(url: str, key: str | None, skus: str) -> AsyncIterator[tuple[str, str, list[str]]]:
    """A server started elsewhere (``--url``), already holding the given SKUs."""
    listed = [s for s in skus.split(",") if s]
    if not key or not listed:
        raise SystemExit("--url needs --key and --skus")
    await wait_ready(url)
    yield url, key, listed


async def main() -> None:
    ap = server_arguments(__doc__, db="sqlite")
    ap.add_argument("--url", help="an already running server (not seeded, needs --key and --skus)")
    ap.add_argument("--key", help="an API key allowed to capture web orders (with --url)")
    ap.add_argument("--skus", default="", help="comma-separated SKUs in stock (with --url)")
    ap.add_argument("--hot", action="store_true",
                    help="every order for one SKU held at the DC only: all reservations hit one stock row")
    ap.add_argument("--capacity", type=int,
                    help="give every node this daily capacity (and opening hours, a carrier service): each "
                         "capture then takes a place in its node's day")
    args = ap.parse_args()

    server = running(args.url, args.key, args.skus) if args.url else bench_server(args)
    async with server as (url, key, skus):
        if args.capacity is not None:
            await limit_capacity(url, key, args.capacity)
        if args.hot:
            skus = skus[-1:]  # the network's last SKU is stocked at the DC alone
        run = secrets.token_hex(3)
        await drive(url, key, args.clients, 2, order_body(skus, run + "w"))  # warm caches and pools
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        capture = await drive(url, key, args.clients, args.seconds, order_body(skus, run))

    where = (args.url or f"{args.db}, {args.workers} worker(s), {args.network} network") + \
        (", one hot SKU" if args.hot else "") + \
        (f", daily capacity {args.capacity:,} per node" if args.capacity is not None else "")
    print_table(f"server: {where}; {args.clients} concurrent clients; {args.seconds:.0f} s per measure",
                [("GET /healthz (empty)", empty), ("POST /v1/orders (1 line)", capture)])
    print(f"capture / empty endpoint: {capture['rate'] / empty['rate']:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
