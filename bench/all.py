"""Every hot path on one network, in one table: availability, promise and capture, with the server's and
PostgreSQL's CPU per request and the p99 of `GET /healthz` asked meanwhile (an event loop held up shows
there first).

    python bench/all.py                         # the demo retailer (`make bench`)
    python bench/all.py --network large         # 300 stores, 20,000 SKUs, ~1M stock rows (`make bench-large`)
    python bench/all.py --network very-large    # 1,000 stores, 100,000 SKUs, ~5M stock rows
    python bench/all.py --workers 2

One server on a fresh PostgreSQL database loaded with `oms demo [--scale …]`; --clients keep-alive clients.
Also prints the time from the server's start to its first correct availability answer and the server's
memory after the loads. The figures are recorded in docs/benchmarks.md.
"""

import asyncio
import random
import secrets
import sys
import time
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from capture import HOME, limit_capacity  # noqa: E402
from common import STARTED, bench_server, drive, print_table, server_arguments, server_rss_mib  # noqa: E402


def order(skus: list[str], run: str, lines: int):
    """Home orders of ``lines`` different SKUs, each with its own channel reference."""
    def make(n: int, i: int):
        rng = random.Random(n * 1_000_003 + i)
        body = {"channel": "web", "external_ref": f"{run}-{lines}-{n}-{i}",
                "customer": {"name": "Bench", "email": "bench@example.com"},
                "lines": [{"sku": sku, "quantity": 1, "unit_price": {"amount": 1999, "currency": "EUR"}}
                          for sku in rng.sample(skus, lines)],
                "delivery": {"mode": "home_standard", "address": HOME}}
        return "POST", "/v1/orders", orjson.dumps(body)
    return make


async def first_answer(url: str, key: str, sku: str) -> float:
    """Seconds from the server's start to its first availability answer (the stock mirror read)."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.get(f"{url}/v1/availability/{sku}", params={"channel": "web"}) as r:
            if r.status != 200:
                raise SystemExit(f"availability refused: {r.status} {await r.text()}")
    return time.monotonic() - STARTED[url]


async def main() -> None:
    ap = server_arguments(__doc__, seconds=10)
    ap.set_defaults(network="demo")
    ap.add_argument("--capacity", type=int,
                    help="give every node this daily capacity: each capture then takes a place in its node's day")
    args = ap.parse_args()
    if args.db != "postgres":
        raise SystemExit("bench/all.py measures PostgreSQL (--db postgres)")
    rows = []
    async with bench_server(args) as (url, key, skus):
        start_up = await first_answer(url, key, skus[0])
        if args.capacity is not None:
            await limit_capacity(url, key, args.capacity)
        rng = random.Random(secrets.randbits(32))
        carts = [orjson.dumps({"channel": "web", "destination": {"address": HOME},
                               "lines": [{"sku": s, "quantity": 1} for s in rng.sample(skus, 3)]})
                 for _ in range(1000)]

        async def measure(name: str, make, *, half: bool = False) -> None:
            full = await drive(url, key, args.clients, args.seconds, make, probe=True)
            rows.append((name + (", flat out" if half else ""), full))
            if half:
                paced = await drive(url, key, args.clients, args.seconds, make, rate=full["rate"] / 2, probe=True)
                rows.append((name + ", half rate", paced))

        def one(n: int, i: int):
            return "GET", f"/v1/availability/{skus[(n * 13 + i) % len(skus)]}?channel=web&lat=48.86&lng=2.35", None

        def fifty(n: int, i: int):
            return "POST", "/v1/availability", orjson.dumps(
                {"channel": "web", "skus": random.Random(n * 100_003 + i).sample(skus, 50)})

        run = secrets.token_hex(3)
        await drive(url, key, args.clients, 2, one)  # warm caches and pools
        await drive(url, key, args.clients, 2, order(skus, run + "w", 1))
        await measure("GET /healthz (empty)", lambda n, i: ("GET", "/healthz", None))
        await measure("availability 1 SKU near me", one, half=True)
        await measure("availability 50 SKUs", fifty)
        await measure("promise 3 lines", lambda n, i: ("POST", "/v1/promise", carts[(n * 31 + i) % 1000]), half=True)
        await measure("capture 1 line", order(skus, run, 1))
        await measure("capture 3 lines", order(skus, run, 3))
        memory = server_rss_mib(url)
    print_table(f"server: postgres, {args.workers} worker(s), {args.network} network; {args.clients} clients; "
                f"{args.seconds:.0f} s each", rows)
    empty, near = rows[0][1]["rate"], rows[1][1]["rate"]
    print(f"availability 1 SKU / empty endpoint: {near / empty:.1%}; start-up to the first availability answer: "
          f"{start_up:.1f} s; server memory after the loads: {memory:,.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
