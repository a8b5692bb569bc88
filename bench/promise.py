"""Delivery promise: a 3-line cart over the demo network (55 nodes and 361 relay points) to a Paris address.

    python bench/promise.py --db postgres [--in-process]

First in-process (the service function, no HTTP): latencies and CPU time of --calls promises, and of as
many relay-point lists near Paris (`GET /v1/pickup-points`'s service). Then (unless --in-process) over HTTP
with --clients keep-alive clients against `oms serve` on the same kind of database, next to the same
server's empty endpoint. Prints the figures recorded in docs/benchmarks.md.
"""

import asyncio
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

import orjson

from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.demo.load import load_demo
from oms.domain.access import Principal
from oms.domain.vocabulary import Role
from oms.services.promise.inputs import PromiseIn
from oms.services.promise.options import promise
from oms.services.promise.points import near
from oms.services.reference.records import list_inventory

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_server, drive, percentile, print_table, server_arguments  # noqa: E402

HOME = {"line1": "8 rue de Rivoli", "postal_code": "75004", "city": "Paris", "country": "FR",
        "lat": 48.8556, "lng": 2.3601}


def cart(skus: list[str], rng: random.Random) -> dict:
    return {"channel": "web", "lines": [{"sku": s, "quantity": rng.randint(1, 2)} for s in rng.sample(skus, 3)],
            "destination": {"address": HOME}}


async def in_process(calls: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = build_context(Settings(database_url=f"sqlite:///{tmp}/oms.db"))
        await prepare(ctx)
        await load_demo(ctx, if_empty=False, keys_file=Path(tmp) / "keys.txt")
        await ctx.reference.get(ctx.db, now=True)  # the data just loaded, without waiting for the refresh
        caller, rng = Principal("bench", Role.ADMIN), random.Random(7)
        rows = (await list_inventory(ctx, principal=caller, sku=None, node_id="DC-PARIS-NORD", cursor=None,
                                     limit=500))["items"]
        skus = [r["sku"] for r in rows if r["available"] >= 10]
        bodies = [PromiseIn.model_validate(cart(skus, rng)) for _ in range(calls)]
        for body in bodies[:200]:  # warm the caches (reference data, stock mirror)
            await promise(ctx, body, principal=caller)
        latencies = []
        cpu = time.process_time()
        for body in bodies:
            t0 = time.perf_counter()
            answer = await promise(ctx, body, principal=caller)
            latencies.append(time.perf_counter() - t0)
            assert answer["options"], answer
        cpu = time.process_time() - cpu
        points = time.process_time()
        for i in range(calls):  # shoppers spread over Paris
            found = await near(ctx, principal=caller, lat=48.82 + (i % 9) / 100, lng=2.27 + (i % 11) / 100,
                               mode="pickup_point", radius_km=10, limit=10)
            assert found["items"], found
        points = time.process_time() - points
        await ctx.stock.close()
        await ctx.capacity.close()
        await ctx.db.dispose()
    latencies.sort()
    return {"calls": calls, **{f"p{p}": percentile(latencies, p) * 1000 for p in (50, 95, 99)},
            "cpu_ms": cpu / calls * 1000, "points_cpu_ms": points / calls * 1000}


async def main() -> None:
    ap = server_arguments(__doc__)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--in-process", action="store_true", help="only the in-process figures")
    args = ap.parse_args()
    local = await in_process(args.calls)
    print(f"in-process, {local['calls']} promises of a 3-line cart: p50 {local['p50']:.2f} ms, "
          f"p95 {local['p95']:.2f} ms, p99 {local['p99']:.2f} ms, CPU {local['cpu_ms']:.2f} ms a promise; "
          f"relay points near Paris: CPU {local['points_cpu_ms']:.2f} ms a list")
    if args.in_process:
        return
    async with bench_server(args, demo=True) as (url, key, skus):
        rng = random.Random(secrets.randbits(32))
        bodies = [orjson.dumps(cart(skus, rng)) for _ in range(1000)]
        await drive(url, key, args.clients, 2, lambda n, i: ("POST", "/v1/promise", bodies[i % 1000]))
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        promised = await drive(url, key, args.clients, args.seconds,
                               lambda n, i: ("POST", "/v1/promise", bodies[(n * 31 + i) % 1000]))
        # Product pages: any SKU, shoppers spread over Paris (about 100 distinct rounded points).
        pages = [f"/v1/promise/{rng.choice(skus)}?channel=web&lat={48.80 + rng.randrange(10) / 100:.2f}"
                 f"&lng={2.25 + rng.randrange(10) / 100:.2f}" for _ in range(5000)]
        page = await drive(url, key, args.clients, args.seconds,
                           lambda n, i: ("GET", pages[(n * 97 + i) % len(pages)], None))
    print_table(f"server: {args.db}, {args.workers} worker(s); {args.clients} clients; {args.seconds:.0f} s",
                [("GET /healthz (empty)", empty), ("POST /v1/promise (3 lines)", promised),
                 ("GET /v1/promise/{sku} (page)", page)])


if __name__ == "__main__":
    asyncio.run(main())
