"""Cart holds over HTTP on one hot SKU: reservations/s with N concurrent clients.

    python bench/holds.py --db postgres

Every client holds one unit of the same SKU (stocked at one DC only, in depth) back to back for
--seconds: every reservation competes for the same stock row. Prints a table; the figures are
recorded in docs/benchmarks.md.
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
from capture import HOME  # noqa: E402
from common import ROOT, drive, start_server, wait_ready  # noqa: E402
from seed import bench_network, fresh_postgres  # noqa: E402


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()

    key = "bench-" + secrets.token_hex(8)
    if args.db == "postgres":
        db_url = await fresh_postgres(args.postgres_url)
    else:
        db_url = f"sqlite:///{ROOT / 'var' / f'bench-{secrets.token_hex(4)}.db'}"
    proc, url = start_server(db_url, args.workers, key)
    try:
        await wait_ready(url)
        hot = (await bench_network(url, key))[-1]  # stocked at the DC alone
        body = orjson.dumps({"channel": "web", "lines": [{"sku": hot, "quantity": 1}],
                             "delivery": {"mode": "home_standard", "address": HOME}, "ttl_seconds": 900})
        await drive(url, key, args.clients, 2, lambda n, i: ("POST", "/v1/holds", body))
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        holds = await drive(url, key, args.clients, args.seconds, lambda n, i: ("POST", "/v1/holds", body))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    print(f"server: {args.db}, {args.workers} worker(s); {args.clients} clients; one hot SKU; {args.seconds:.0f} s")
    print(f"{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  failures")
    for name, m in (("GET /healthz (empty)", empty), ("POST /v1/holds (1 unit)", holds)):
        figures = f"{m['rate']:>10.0f}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['p99']:>10.2f}"
        print(f"{name:<26}{figures}  {m['failures'] or '-'}")


if __name__ == "__main__":
    asyncio.run(main())
