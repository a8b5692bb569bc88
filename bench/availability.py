"""Availability over HTTP: one SKU (a product page) and 50-SKU batches, next to the same server's empty endpoint.

    python bench/availability.py --db postgres
    python bench/availability.py --db sqlite
    python bench/availability.py --db postgres --network demo   # the demo retailer's 55 nodes and 500 SKUs

Measures, with --clients concurrent keep-alive clients: the empty endpoint (`GET /healthz`) flat out;
`GET /v1/availability/{sku}` flat out, then paced at half that rate (the p99 that matters for pages),
without and with a point (`lat`, `lng`: the stores near the shopper);
`POST /v1/availability` with 50 SKUs flat out and at half rate. Prints a table; the figures are
recorded in docs/benchmarks.md.
"""

import asyncio
import random
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_server, drive, print_table, server_arguments  # noqa: E402


async def main() -> None:
    args = server_arguments(__doc__, seconds=10).parse_args()
    async with bench_server(args) as (url, key, skus):

        def one(n: int, i: int):
            return "GET", f"/v1/availability/{skus[(n + i) % len(skus)]}?channel=web", None

        def one_near(n: int, i: int):
            return "GET", f"/v1/availability/{skus[(n + i) % len(skus)]}?channel=web&lat=48.86&lng=2.35", None

        def batch(n: int, i: int):
            rng = random.Random(n * 100_003 + i)
            return "POST", "/v1/availability", orjson.dumps({"channel": "web", "skus": rng.sample(skus, 50)})

        async def flat_then_half(name: str, make) -> None:
            full = await drive(url, key, args.clients, args.seconds, make)
            results.append((f"{name}, flat out", full))
            half = await drive(url, key, args.clients, args.seconds, make, rate=full["rate"] / 2)
            results.append((f"{name}, half rate", half))

        results = []
        await drive(url, key, args.clients, 2, one)  # warm up
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        results.append(("GET /healthz (empty)", empty))
        await flat_then_half("1 SKU", one)
        await flat_then_half("1 SKU near me", one_near)
        await flat_then_half("50 SKUs", batch)
    print_table(f"server: {args.db}, {args.workers} worker(s), {args.network} network; "
                f"{args.clients} concurrent clients; {args.seconds:.0f} s each", results)
    print(f"1 SKU flat out / empty endpoint: {results[1][1]['rate'] / empty['rate']:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
