"""A replenishment run over a whole network, timed: every store, every SKU it ranges, 90 days of history each.

    python bench/replenishment_run.py --postgres-url postgresql://postgres@127.0.0.1:5432/oms_bench_repl \
        [--network demo|large] [--reuse]

- ``demo``: the demo retailer (42 stores, about 9,300 store-SKU series) with its seeded sales history
  (``oms demo``), loaded through the stores' feed.
- ``large``: the demo grown to 300 stores, 3 DCs and 20,000 SKUs (``oms demo --scale large``: about a million
  store-SKU series), with 90 days of sales drawn here per series by the demo's classes (smooth, seasonal,
  intermittent: ``replenishment.json``), a shelf that loses the sales it cannot meet and deliveries on the
  stores' delivery days, copied into the ledger (one movement per series and day: a till's daily total).
  Loading takes minutes: ``--reuse`` keeps a database loaded before.

Then one run for every store, as ``POST /v1/replenishment/runs`` makes it, is timed: wall time, this process's
CPU (its threads too), PostgreSQL's CPU over the run, and the peak memory of this process. Figures in
docs/benchmarks.md.
"""

import argparse
import asyncio
import math
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.db import tables as t
from oms.demo.large import SCALES
from oms.demo.load import load_demo
from oms.demo.replenishment import build_replenishment
from oms.demo.source import read_json
from oms.services.reference.cache import Snapshot
from oms.services.replenishment.inputs import RunIn
from oms.services.replenishment.runs import propose

sys.path.insert(0, str(Path(__file__).parent))
from seed import fresh_postgres  # noqa: E402

DAY_SUMS_AT = 16  # the hour a day's sales are written (local)


async def loaded(ctx, network: str) -> int:
    """The network and its history in the database; answers the history's movements."""
    if network == "demo":
        return (await load_demo(ctx, if_empty=False, history=True, keys_file=_keys())).history
    await load_demo(ctx, if_empty=False, scale=SCALES[network], keys_file=_keys())
    return await large_history(ctx)


def _keys() -> Path:
    return Path("var") / "bench-demo-keys.txt"


async def large_history(ctx) -> int:
    """90 days of sales for every store-SKU of the large network, drawn per series, COPY'd into the ledger."""
    plan = read_json("replenishment.json")["history"]
    snap: Snapshot = await ctx.reference.get(ctx.db)
    nodes = [n for n in snap.nodes.values() if n.type == "store"]
    settings = {s.node_id: s for s in build_replenishment([_node_in(n) for n in snap.nodes.values()
                                                           if n.type in ("store", "warehouse")])[0]}
    inv = t.inventory.c
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(inv.node_id, inv.sku, inv.on_hand).where(
            inv.node_id.in_([n.id for n in nodes])).order_by(inv.node_id, inv.sku))).all()
    node_ids = [r.node_id for r in rows]
    skus = [r.sku for r in rows]
    now = ctx.clock.now()
    zone = snap.times[nodes[0].id].calendar.zone
    today = now.astimezone(zone).date()
    first = today - timedelta(days=plan["days"])
    began = datetime.combine(first, datetime.min.time(), zone).replace(hour=6)
    rng = np.random.default_rng(plan["seed"])
    classes = plan["classes"]
    kind = [classes.get(s[:3], classes["KIT"]) for s in skus]
    rate = np.array([k["daily"] for k in kind]) * np.array([plan["busy_factor"] if n.startswith("ST-PARIS") else 1
                                                            for n in node_ids])
    seasonal = np.array([k["pattern"] == "seasonal" for k in kind])
    intermittent = np.array([k["pattern"] == "intermittent" for k in kind])
    size = np.array([k.get("size", 1.0) for k in kind])
    growth = np.array([k.get("season_growth", 1.0) for k in kind])
    delivered = {n: {(w - 1 + math.ceil(s.lead_days)) % 7 for w in s.order_weekdays} for n, s in settings.items()}
    on_hand = np.array([r.on_hand for r in rows])
    target = np.maximum(on_hand, 2)
    level = on_hand.copy()
    copied = 0
    url = make_url(ctx.settings.database_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database)
    try:
        for d in range(plan["days"] + 1):
            day = first + timedelta(days=d)
            records = []
            if d < plan["days"]:
                gets = np.array([day.weekday() in delivered[n] for n in node_ids]) & (level < target)
                records += _records(node_ids, skus, np.flatnonzero(gets), (target - level)[gets], "receipt",
                                    datetime.combine(day, datetime.min.time(), zone).replace(hour=7), d)
                level = np.where(gets, target, level)
                weight = plan["weekday_index"][day.weekday()] * rate * np.where(seasonal, 1 + (growth - 1) * d /
                                                                                 plan["days"], 1.0)
                asked = np.where(intermittent, (rng.random(len(rows)) < weight / size) *
                                 (1 + rng.poisson(np.maximum(size - 1, 0))), rng.poisson(weight))
                sold = np.minimum(asked, level)
                at = np.flatnonzero(sold > 0)
                records += _records(node_ids, skus, at, -sold[at], "sale",
                                    datetime.combine(day, datetime.min.time(), zone).replace(hour=DAY_SUMS_AT), d)
                level = level - sold
            else:  # the evening before today: each shelf as it is now
                off = np.flatnonzero(level != on_hand)
                records += _records(node_ids, skus, off, (on_hand - level)[off], "adjustment",
                                    datetime.combine(day - timedelta(days=1), datetime.min.time(), zone)
                                    .replace(hour=21), d)
            await conn.copy_records_to_table("movements", records=records, columns=[
                "node_id", "sku", "delta", "reason", "ref", "occurred_at", "recorded_at", "source_event_id"])
            copied += len(records)
            print(f"  day {d + 1}/{plan['days'] + 1}: {copied:,} movements", end="\r", flush=True)
    finally:
        await conn.close()
    print()
    # The counts the stock rests on were taken before the history (on-hand unchanged: the history nets to 0).
    async with ctx.db.write() as c:
        await c.execute(update(t.movements).where(t.movements.c.reason == "count").values(occurred_at=began))
        await c.execute(update(t.inventory).values(counted_at=began))
    return copied


def _records(node_ids, skus, at, deltas, reason, when, d):
    return [(node_ids[i], skus[i], int(q), reason, "bench-history", when, when, f"bench-{skus[i]}-{d}-{reason}")
            for i, q in zip(at.tolist(), deltas.tolist(), strict=True)]


def _node_in(ref):
    """The few fields ``build_replenishment`` reads of a node, from the snapshot's."""
    return SimpleNamespace(id=ref.id, type=ref.type, address=SimpleNamespace(lat=ref.lat, lng=ref.lng))


async def postgres_cpu(conn) -> float:
    """CPU seconds the database server's processes have used (the server runs on this machine)."""
    return sum(_cpu_of(r[0]) for r in await conn.fetch("SELECT pid FROM pg_stat_activity"))


def _cpu_of(pid: int) -> float:
    """A process's user and system CPU seconds, from /proc (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100
    except (OSError, IndexError, ValueError):
        return 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--network", choices=("demo", "large"), default="demo")
    parser.add_argument("--reuse", action="store_true", help="run on the network loaded before")
    args = parser.parse_args()
    url = args.postgres_url
    if not args.reuse:
        await fresh_postgres(url)
    ctx = build_context(Settings(database_url=url, replenish_at=""))
    await prepare(ctx)
    if not args.reuse:
        started = time.perf_counter()
        moves = await loaded(ctx, args.network)
        print(f"loaded the {args.network} network and {moves:,} movements of history in "
              f"{time.perf_counter() - started:.0f} s")
    async with ctx.db.read() as conn:
        stores = list(await conn.scalars(select(t.replenishment_stores.c.node_id)))
        series = await conn.scalar(select(func.count()).select_from(t.inventory).where(
            t.inventory.c.node_id.in_(stores)))
        ledger = await conn.scalar(select(func.count()).select_from(t.movements))
    parsed = make_url(url)
    watch = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                  database=parsed.database)
    pg_before, cpu_before, wall = await postgres_cpu(watch), time.process_time(), time.perf_counter()
    run_id = await propose(ctx, RunIn(date=ctx.clock.now().date(), nodes=stores), actor="bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu_before
    pg = await postgres_cpu(watch) - pg_before
    await watch.close()
    async with ctx.db.read() as conn:
        lines = await conn.scalar(select(func.count()).select_from(t.replenishment_lines).where(
            t.replenishment_lines.c.run_id == run_id))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"network {args.network}: {len(stores)} stores, {series:,} store-SKU series, {ledger:,} movements in "
          f"the ledger")
    print(f"run {run_id}: {lines:,} proposals in {wall:.1f} s wall; CPU {cpu:.1f} s here "
          f"({cpu * 1000 / max(series, 1):.3f} ms a series) + {pg:.1f} s PostgreSQL; peak memory {peak:,.0f} MiB")
    await ctx.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
