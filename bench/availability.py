"""Availability over HTTP: one SKU (a product page) and 50-SKU batches, next to the same server's empty endpoint.

    python bench/availability.py --db postgres
    python bench/availability.py --db sqlite

Measures, with --clients concurrent keep-alive clients: the empty endpoint (`GET /healthz`) flat out;
`GET /v1/availability/{sku}` flat out, then paced at half that rate (the p99 that matters for pages),
without and with a point (`lat`, `lng`: the stores near the shopper);
`POST /v1/availability` with 50 SKUs flat out and at half rate. Prints a table; the figures are
recorded in docs/benchmarks.md.
"""

import argparse
import asyncio
import os
import random
import secrets
import signal
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, drive, start_server, wait_ready  # noqa: E402
from seed import bench_network, fresh_postgres  # noqa: E402


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()

    key = "bench-" + secrets.token_hex(8)
    if args.db == "postgres":
        db_url = await fresh_postgres(args.postgres_url)
    else:
        db_url = f"sqlite:///{ROOT / 'var' / f'bench-{secrets.token_hex(4)}.db'}"
    proc, url = start_server(db_url, args.workers, key)
    try:
        await wait_ready(url)
        skus = await bench_network(url, key)

        def one(n: int, i: int):
            return "GET", f"/v1/availability/{skus[(n + i) % len(skus)]}?channel=web", None

        def one_near(n: int, i: int):
            return "GET", f"/v1/availability/{skus[(n + i) % len(skus)]}?channel=web&lat=48.86&lng=2.35", None

        def batch(n: int, i: int):
            rng = random.Random(n * 100_003 + i)
            return "POST", "/v1/availability", orjson.dumps({"channel": "web", "skus": rng.sample(skus, 50)})

        results = []
        await drive(url, key, args.clients, 2, one)  # warm up
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        results.append(("GET /healthz (empty)", empty))
        full = await drive(url, key, args.clients, args.seconds, one)
        results.append(("1 SKU, flat out", full))
        results.append(("1 SKU, half rate", await drive(url, key, args.clients, args.seconds, one,
                                                         rate=full["rate"] / 2)))
        near_full = await drive(url, key, args.clients, args.seconds, one_near)
        results.append(("1 SKU near me, flat out", near_full))
        results.append(("1 SKU near me, half rate", await drive(url, key, args.clients, args.seconds, one_near,
                                                                 rate=near_full["rate"] / 2)))
        batch_full = await drive(url, key, args.clients, args.seconds, batch)
        results.append(("50 SKUs, flat out", batch_full))
        results.append(("50 SKUs, half rate", await drive(url, key, args.clients, args.seconds, batch,
                                                           rate=batch_full["rate"] / 2)))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    print(f"server: {args.db}, {args.workers} worker(s); {args.clients} concurrent clients; {args.seconds:.0f} s each")
    print(f"{'load':<24}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  failures")
    for name, m in results:
        figures = f"{m['rate']:>10.0f}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['p99']:>10.2f}"
        print(f"{name:<24}{figures}  {m['failures'] or '-'}")
    print(f"1 SKU flat out / empty endpoint: {full['rate'] / empty['rate']:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
