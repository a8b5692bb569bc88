"""The console's pages over HTTP, server-rendered, with a signed-in session: pages/s and latency.

    python bench/console.py --db postgres --clients 8 --seconds 10

Starts `oms serve` on a fresh database with the demo retailer, captures orders for a few seconds, signs in
to the console with the admin key (a session cookie, as a browser), then asks for each page back to back
from --clients concurrent clients: the order search (newest 25, and by the customer's email), one order's
page (lines, fulfilment, sourcing, timeline), the dashboard's refreshed part, a SKU across the network, a
store's queue. Prints a table; the figures are recorded in docs/benchmarks.md.
"""

import asyncio
import sys
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from capture import order_body  # noqa: E402
from common import bench_server, drive, print_table, server_arguments  # noqa: E402


async def session_cookie(url: str, key: str) -> str:
    async with aiohttp.ClientSession() as s:
        async with s.post(url + "/console/sign-in", data={"key": key}, allow_redirects=False) as r:
            if r.status != 303:
                raise SystemExit(f"sign-in refused: {r.status}")
            return r.cookies["oms_console"].value


async def main() -> None:
    args = server_arguments(__doc__, clients=8, seconds=10).parse_args()
    async with bench_server(args, demo=True) as (url, key, skus):
        made = await drive(url, key, 16, 5, order_body(skus, "console"))
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
            async with s.get(url + "/v1/orders", params={"limit": 1}) as r:
                order_id = (await r.json())["items"][0]["id"]
        cookie = {"Cookie": f"oms_console={await session_cookie(url, key)}"}
        pages = [("GET /console/orders", "/console/orders"),
                 ("GET /console/orders?q=email", "/console/orders?q=bench%40example.com"),
                 ("GET /console/orders/{id}", f"/console/orders/{order_id}"),
                 ("GET /console/dashboard (part)", "/console/dashboard?fragment=1"),
                 ("GET /console/inventory?sku=", f"/console/inventory?sku={skus[0]}"),
                 ("GET /console/store?node_id=", "/console/store?node_id=DC-PARIS-NORD")]
        rows = []
        for name, path in pages:
            await drive(url, key, args.clients, 1, lambda n, i, p=path: ("GET", p, None), headers=cookie)
            rows.append((name, await drive(url, key, args.clients, args.seconds,
                                           lambda n, i, p=path: ("GET", p, None), headers=cookie)))
    print_table(f"server: {args.db}, {args.workers} worker(s); {args.clients} clients; demo retailer and "
                f"{made['ok']:,} orders; {args.seconds:g} s per page", rows)


if __name__ == "__main__":
    asyncio.run(main())
