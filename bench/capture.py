"""Order capture over HTTP: orders/s and latency at N concurrent clients, next to the same server's empty endpoint.

    python bench/capture.py --db sqlite                 # starts a server on a fresh SQLite file
    python bench/capture.py --db postgres --workers 2   # … on a fresh PostgreSQL database `oms_bench`
    python bench/capture.py --url http://127.0.0.1:8000 --key KEY   # an already running server

The server is seeded with a small network (1 DC, 10 stores, 50 SKUs, deep stock) unless --url is given,
then every client sends single-line home orders back to back for --seconds. Prints a table; the figures
are recorded in docs/benchmarks.md.
"""

import argparse
import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, drive, start_server, wait_ready  # noqa: E402
from seed import bench_network, fresh_postgres  # noqa: E402

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


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--url", help="an already running server (not seeded, needs --key and --skus)")
    ap.add_argument("--key", help="an API key allowed to capture web orders (with --url)")
    ap.add_argument("--skus", default="", help="comma-separated SKUs in stock (with --url)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--hot", action="store_true",
                    help="every order for one SKU held at the DC only: all reservations hit one stock row")
    args = ap.parse_args()

    proc = None
    if args.url:
        url, key, skus = args.url, args.key, [s for s in args.skus.split(",") if s]
        if not key or not skus:
            raise SystemExit("--url needs --key and --skus")
    else:
        key = "bench-" + secrets.token_hex(8)
        if args.db == "postgres":
            db_url = await fresh_postgres(args.postgres_url)
        else:
            path = ROOT / "var" / f"bench-{secrets.token_hex(4)}.db"
            db_url = f"sqlite:///{path}"
        proc, url = start_server(db_url, args.workers, key)
    try:
        await wait_ready(url)
        if proc is not None:
            skus = await bench_network(url, key)
        if args.hot:
            skus = skus[-1:]  # the network's last SKU is stocked at the DC alone
        run = secrets.token_hex(3)
        await drive(url, key, args.clients, 2, order_body(skus, run + "w"))  # warm caches and pools
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        capture = await drive(url, key, args.clients, args.seconds, order_body(skus, run))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)

    where = (args.url or f"{args.db}, {args.workers} worker(s)") + (", one hot SKU" if args.hot else "")
    print(f"server: {where}; {args.clients} concurrent clients; {args.seconds:.0f} s per measure")
    print(f"{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  failures")
    for name, m in (("GET /healthz (empty)", empty), ("POST /v1/orders (1 line)", capture)):
        figures = f"{m['rate']:>10.0f}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['p99']:>10.2f}"
        print(f"{name:<26}{figures}  {m['failures'] or '-'}")
    print(f"capture / empty endpoint: {capture['rate'] / empty['rate']:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
