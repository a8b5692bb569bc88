"""Cart holds over HTTP on one hot SKU: reservations/s with N concurrent clients.

    python bench/holds.py --db postgres

Every client holds one unit of the same SKU (stocked at one DC only, in depth) back to back for
--seconds: every reservation competes for the same stock row. Prints a table; the figures are
recorded in docs/benchmarks.md.
"""

import asyncio
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from capture import HOME  # noqa: E402
from common import bench_server, drive, print_table, server_arguments  # noqa: E402


async def main() -> None:
    args = server_arguments(__doc__).parse_args()
    async with bench_server(args) as (url, key, skus):
        hot = skus[-1]  # stocked at the DC alone
        body = orjson.dumps({"channel": "web", "lines": [{"sku": hot, "quantity": 1}],
                             "delivery": {"mode": "home_standard", "address": HOME}, "ttl_seconds": 900})
        await drive(url, key, args.clients, 2, lambda n, i: ("POST", "/v1/holds", body))
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        holds = await drive(url, key, args.clients, args.seconds, lambda n, i: ("POST", "/v1/holds", body))
    print_table(f"server: {args.db}, {args.workers} worker(s); {args.clients} clients; one hot SKU; "
                f"{args.seconds:.0f} s", [("GET /healthz (empty)", empty), ("POST /v1/holds (1 unit)", holds)])


if __name__ == "__main__":
    asyncio.run(main())
