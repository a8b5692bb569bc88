"""Stock feed ingestion over HTTP: movements/s through the bulk API, and how soon one is visible.

    python bench/feeds.py --db postgres            # starts a server on a fresh `oms_bench` database
    python bench/feeds.py --db sqlite

While --clients loops post batches of --batch movements (sales and receipts with unique event ids,
over every stock row of the benchmark network), a probe posts one movement at a time and reads the
row back through `GET /v1/inventory`, timing send-to-visible. Prints a table; the figures are
recorded in docs/benchmarks.md.
"""

import asyncio
import random
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_server, percentile, server_arguments  # noqa: E402


def movements(rows: list[tuple[str, str]], n: int, tag: str, rng: random.Random) -> list[dict]:
    stamp = datetime.now(UTC).isoformat()
    out = []
    for i in range(n):
        node_id, sku = rows[rng.randrange(len(rows))]
        out.append({"event_id": f"{tag}-{i}", "node_id": node_id, "sku": sku, "delta": rng.choice([-1, 1, 2]),
                    "reason": "sale", "occurred_at": stamp})
    return out


async def load(url: str, headers: dict, rows, clients: int, batch: int, seconds: float) -> dict:
    done, calls, stop = 0, 0, time.monotonic() + seconds
    async with aiohttp.ClientSession(headers=headers) as session:

        async def client(n: int) -> None:
            nonlocal done, calls
            rng = random.Random(n)
            while time.monotonic() < stop:
                body = orjson.dumps(movements(rows, batch, f"c{n}-{calls}-{secrets.token_hex(4)}", rng))
                async with session.post(url + "/v1/inventory/movements", data=body) as r:
                    answer = await r.json()
                    if r.status != 200:
                        raise SystemExit(f"feed call failed: {r.status} {answer}")
                    done += answer["applied"]
                    calls += 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    return {"rate": done / elapsed, "calls": calls}


async def probe(url: str, headers: dict, node_id: str, sku: str, seconds: float) -> list[float]:
    """Send one movement, then read the row until the new on-hand shows: send-to-visible times."""
    waits, stop = [], time.monotonic() + seconds
    async with aiohttp.ClientSession(headers=headers) as session:
        while time.monotonic() < stop:
            async with session.get(url + f"/v1/inventory?sku={sku}&node_id={node_id}") as r:
                before = (await r.json())["items"][0]["on_hand"]
            t0 = time.perf_counter()
            one = {"event_id": f"probe-{secrets.token_hex(8)}", "node_id": node_id, "sku": sku, "delta": 1,
                   "reason": "receipt", "occurred_at": datetime.now(UTC).isoformat()}
            async with session.post(url + "/v1/inventory/movements", json=[one]) as r:
                await r.read()
            while True:
                async with session.get(url + f"/v1/inventory?sku={sku}&node_id={node_id}") as r:
                    if (await r.json())["items"][0]["on_hand"] >= before + 1:
                        break
            waits.append(time.perf_counter() - t0)
    return sorted(waits)


async def main() -> None:
    ap = server_arguments(__doc__, clients=4)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    async with bench_server(args) as (url, key, skus):
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        rows = [("BENCH-DC", s) for s in skus] + [(f"BENCH-ST-{c}", s) for c in ("PAR", "LYO", "MAR") for s in skus]
        await load(url, headers, rows, args.clients, args.batch, 2)  # warm up
        bulk, waits = await asyncio.gather(load(url, headers, rows, args.clients, args.batch, args.seconds),
                                           probe(url, headers, "BENCH-DC", skus[0], args.seconds))
    print(f"server: {args.db}, {args.workers} worker(s); {args.clients} clients x {args.batch} movements per call; "
          f"{args.seconds:.0f} s")
    print(f"movements applied/s: {bulk['rate']:,.0f} ({bulk['calls']} calls)")
    print(f"send-to-visible ms (n={len(waits)}): p50 {percentile(waits, 50) * 1000:.1f}  "
          f"p99 {percentile(waits, 99) * 1000:.1f}  max {waits[-1] * 1000:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
