"""Batch re-optimisation of the orders waiting for release, over the demo network, on a real database.

    python bench/batch.py --orders 5000                  # a fresh SQLite file
    python bench/batch.py --orders 5000 --db postgres    # a fresh PostgreSQL database `oms_bench`

The demo retailer is loaded and every node releases its work at 23:59, so captured orders wait. The DCs
lose their stock of a third of the SKUs; then ``--orders`` home deliveries (the sourcing benchmark's
mix: 60 % one line, 30 % two or three, 10 % four to eight) are captured one after the other, through
the capture service, the lines of those SKUs from stores. The DCs then get back, for each of those SKUs,
half the units the waiting orders want of it: scarce, so that the orders compete for them.

One run plans the waiting orders again together (loading them, planning, storing the moves in one
transaction) and is timed; a second run, with nothing left to gain, too. Prints, per run, the orders
weighed, those whose own plans compete and how they were planned, those moved, the cost before and after, the gain, the
lower bound and the seconds.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.demo.load import SYSTEM, load_demo
from oms.services.orders import batch
from oms.services.orders.capture import capture_order
from oms.services.orders.inputs import OrderIn
from oms.services.reference import records
from oms.services.reference.inputs import NodeIn
from oms.services.stock import feeds
from oms.services.stock.inputs import StockIn

sys.path.insert(0, str(Path(__file__).parent))
from seed import fresh_postgres  # noqa: E402
from sourcing import network, orders  # noqa: E402


def euros(cents: int) -> str:
    return f"{cents / 100:,.2f} €"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--prove", type=float, default=0,
                    help="first give the solver this many seconds on all the competing orders, storing nothing")
    args = ap.parse_args()

    url = await fresh_postgres(args.postgres_url) if args.db == "postgres" else \
        f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    ctx = build_context(Settings(database_url=url, hold_sweep_seconds=0))
    await prepare(ctx)
    with tempfile.TemporaryDirectory() as keys:
        await load_demo(ctx, if_empty=False, keys_file=Path(keys) / "keys.txt")
    nodes = (await records.list_nodes(ctx, type=None, cursor=None, limit=500))["items"]
    waved = [NodeIn.model_validate({**n, "release_waves": ["23:59"]}) for n in nodes]
    await records.upsert_nodes(ctx, waved)
    dcs = {n.id for n in waved if n.type == "warehouse"}

    snap, stock = network()
    skus = sorted({sku for _, sku in stock})
    scarce = set(skus[::3])
    await feeds.set_stock(ctx, [StockIn(node_id=n, sku=s, on_hand=0) for n, s in stock
                                      if n in dcs and s in scarce], ref="bench")
    drawn = orders(snap, stock, 2 * args.orders, args.seed)  # some find no stock: drawn until enough wait
    started, captured, wanted = time.perf_counter(), 0, {}
    for i, (needs, (lat, lng)) in enumerate(drawn):
        if captured == args.orders:
            break
        body = OrderIn.model_validate({
            "channel": "web", "external_ref": f"BATCH-{i}", "customer": {"name": "Bench", "email": "b@example.com"},
            "lines": [{"sku": n.sku, "quantity": n.quantity, "unit_price": {"amount": 1000, "currency": "EUR"}}
                      for n in needs],
            "delivery": {"mode": "home_standard", "address": {"line1": "1 rue", "postal_code": "00000",
                                                               "city": "X", "country": "FR", "lat": lat, "lng": lng}}})
        try:
            await capture_order(ctx, body, principal=SYSTEM)
        except Exception as exc:  # out of stock: the order is not placed
            if type(exc).__name__ != "OutOfStock":
                raise
            continue
        captured += 1
        for n in needs:
            if n.sku in scarce:
                wanted[n.sku] = wanted.get(n.sku, 0) + n.quantity
    print(f"{captured:,} orders captured and waiting in {time.perf_counter() - started:.1f} s ({args.db})")
    first_dc = sorted(dcs)[0]
    await feeds.set_stock(ctx, [StockIn(node_id=first_dc, sku=s, on_hand=units // 2)
                                      for s, units in wanted.items() if units >= 2], ref="bench")
    print(f"{first_dc} restocked with half the units wanted of {len(wanted)} SKUs")
    runs = [("the solver on everything, stored nothing", dict(apply=False, exact_up_to=10**9, time_limit=args.prove))]
    runs = runs if args.prove else []
    for label, options in [*runs, ("first run", {}), ("second run", {})]:
        r = await batch.run(ctx, **options)
        print(f"{label}: {r['orders']:,} orders weighed, {r['competing']:,} competing ({r['method']}), "
              f"{r['moved']:,} moved in {r['seconds']:.2f} s; cost {euros(r['cost_before'])} -> "
              f"{euros(r['cost_after'])}, gain {euros(r['gain'])} "
              f"({100 * r['gain'] / max(1, r['cost_before']):.1f} %); lower bound {euros(r['lower_bound'])}, "
              f"optimal: {r['optimal']}, stored: {r['applied']}{' — ' + r['stale'] if 'stale' in r else ''}; "
              f"seconds loading {r['phases']['load']:.2f}, planning {r['phases']['plan']:.2f}, "
              f"storing {r['phases']['store']:.2f}")
    await ctx.db.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
