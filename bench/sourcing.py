"""Sourcing quality and speed over the demo network, without a database.

    python bench/sourcing.py --orders 10000

The demo retailer is built in memory: its products, nodes with their handling costs, stock, carrier
services and sourcing settings (a split penalty, a store protection level, a depletion cost; the web
channel's strategy, cost_optimal). A reproducible set of home deliveries is drawn: 60 % one line,
30 % two or three, 10 % four to eight, one to three units a line, to addresses around the retailer's
cities. Each order is planned:

- by ``cost_optimal``, as capture plans it (the same ``Sourcer``), over the nodes that keep the promise:
  the promised window is the one the order gets from its nearest nodes, the fastest;
- by HiGHS on the same model and the same nodes: the exact optimum, to compare with;
- by ``nearest`` and ``priority`` (the DCs, then the stores and the supplier), as other OMS do it, over
  every node.

Prints, per strategy, the total cost, shipments per order and promise misses; how many cost_optimal
plans cost exactly the optimum; and cost_optimal's decisions per second on one core, with p50 and p99.
"""

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from oms.demo.generate import build, build_delivery, build_sourcing
from oms.domain.calendar import calendar_from, clock
from oms.domain.costs import Source, cost_of
from oms.domain.errors import OutOfStock
from oms.domain.geo import haversine_km
from oms.domain.lead_times import NodeTimes, service_from, ship
from oms.domain.mip import solve
from oms.domain.reference import NodeRef, ProductRef
from oms.domain.sourcing import Candidate, Need
from oms.domain.strategy import Strategy, choose, settings_from
from oms.services.reference.cache import Snapshot
from oms.services.sourcing.sourcer import Sourcer

sys.path.insert(0, str(Path(__file__).parent))
from common import percentile  # noqa: E402

MODE = "home_standard"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday morning
PRIORITY = Strategy("priority", node_groups=(("warehouse",), ("store", "supplier")))


def network() -> tuple[Snapshot, dict[tuple[str, str], int]]:
    products, nodes, stock = build()
    services, _, _ = build_delivery()
    snap = Snapshot(
        1,
        {p.sku: ProductRef(p.sku, p.name, p.weight_g, p.price.amount, p.price.currency, p.bulky, p.hazardous)
         for p in products},
        {n.id: NodeRef(n.id, n.type, n.name, n.address.lat, n.address.lng, n.timezone, frozenset(n.fulfills),
                       frozenset(n.hands_over), n.active, n.daily_capacity, n.handling_cost_per_order,
                       n.handling_cost_per_unit) for n in nodes},
        times={n.id: NodeTimes(calendar_from(n.timezone, n.model_dump(mode="json")["opening_hours"], {}),
                               n.processing_minutes, clock(n.carrier_cutoff)) for n in nodes},
        carriers=tuple(service_from(s.model_dump(mode="json")) for s in services),
        sourcing=settings_from(build_sourcing().model_dump(mode="json")))
    return snap, {(s.node_id, s.sku): s.on_hand for s in stock}


def orders(snap: Snapshot, available: dict[tuple[str, str], int], count: int, seed: int) -> list:
    rng = random.Random(seed)
    held: dict[str, int] = {}
    for (_, sku), units in available.items():
        held[sku] = held.get(sku, 0) + units
    skus = sorted(sku for sku, units in held.items() if units >= 3)
    stores = [n for n in snap.nodes.values() if n.type == "store"]
    drawn = []
    for _ in range(count):
        r = rng.random()
        lines = 1 if r < 0.6 else rng.randint(2, 3) if r < 0.9 else rng.randint(4, 8)
        needs = [Need(i + 1, sku, rng.choices((1, 2, 3), (75, 20, 5))[0])
                 for i, sku in enumerate(rng.sample(skus, lines))]
        near = rng.choice(stores)
        drawn.append((needs, (near.lat + rng.uniform(-0.2, 0.2), near.lng + rng.uniform(-0.3, 0.3))))
    return drawn


def latest(snap: Snapshot, node_id: str, point: tuple[float, float]) -> datetime | None:
    """When a parcel from this node ordered at AT reaches ``point``, at the latest."""
    node, times = snap.nodes[node_id], snap.times[node_id]
    km = haversine_km(node.lat, node.lng, *point)
    found = [s.latest for c in snap.carriers if MODE in c.modes
             if (s := ship(times.calendar, AT, times.processing_minutes, times.cutoff, c, km)) is not None]
    return min(found, default=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    snap, stock = network()
    by_sku: dict[str, dict[tuple[str, str], int]] = {}
    for (node_id, sku), units in stock.items():
        by_sku.setdefault(sku, {})[(node_id, sku)] = units
    senders = [n for n in snap.nodes.values() if n.active and MODE in n.fulfills]
    weight = {sku: p.weight_g for sku, p in snap.products.items()}
    results = {name: {"cost": 0, "shipments": 0, "misses": 0, "planned": 0, "unserved": 0}
               for name in ("cost_optimal", "exact (HiGHS)", "nearest", "priority")}
    equal, timings = 0, []
    for needs, point in orders(snap, stock, args.orders, args.seed):
        arrives = {n.id: latest(snap, n.id, point) for n in senders}
        everyone = [Candidate(n.id, n.lat, n.lng) for n in senders if arrives[n.id] is not None]
        sourcer = Sourcer(snap, "web", MODE, point, weight)
        available = {key: units for n in needs for key, units in by_sku.get(n.sku, {}).items()}  # as capture reads
        first = _by(Strategy("nearest"), needs, sourcer, everyone, available, point)  # the promise's nodes
        if first is None:
            for r in results.values():
                r["unserved"] += 1
            continue
        promised = max(arrives[n] for n in first)
        keeping = [c for c in everyone if arrives[c.node_id] <= promised]
        t0 = time.perf_counter()
        plan = Sourcer(snap, "web", MODE, point, weight).maker(needs, available)(keeping)
        timings.append(time.perf_counter() - t0)
        exact = solve(needs, _sources(sourcer, keeping), available, weight, sourcer.model)
        plans = {"cost_optimal": plan, "exact (HiGHS)": exact, "nearest": first,
                 "priority": _by(PRIORITY, needs, sourcer, everyone, available, point)}
        priced = {c.node_id: sourcer.source(c.node_id) for c in everyone}
        costs = {}
        for name, p in plans.items():
            r = results[name]
            if p is None:
                r["unserved"] += 1
                continue
            costs[name] = cost_of(p, priced, weight, available, sourcer.model).total
            r["cost"] += costs[name]
            r["shipments"] += len(p)
            r["planned"] += 1
            r["misses"] += any(arrives[n] > promised for n in p)
        equal += costs["cost_optimal"] == costs["exact (HiGHS)"]
    planned = results["cost_optimal"]["planned"]
    print(f"{args.orders:,} orders (seed {args.seed}) over {len(senders)} nodes that send {MODE}; "
          f"{results['cost_optimal']['unserved']} without stock for them")
    print(f"cost_optimal plans costing exactly the optimum: {equal:,} of {planned:,}")
    print(f"{'strategy':<16}{'orders':>8}{'total cost €':>14}{'€ / order':>11}{'shipments/order':>17}"
          f"{'promise misses':>16}")
    for name, r in results.items():
        n = r["planned"] or 1
        print(f"{name:<16}{r['planned']:>8}{r['cost'] / 100:>14,.2f}{r['cost'] / 100 / n:>11.2f}"
              f"{r['shipments'] / n:>17.3f}{r['misses']:>16}")
    timings.sort()
    print(f"cost_optimal decisions: {len(timings) / sum(timings):,.0f}/s on one core; "
          f"p50 {percentile(timings, 50) * 1000:.3f} ms, p99 {percentile(timings, 99) * 1000:.3f} ms, "
          f"max {timings[-1] * 1000:.2f} ms")


def _sources(sourcer: Sourcer, candidates: list[Candidate]) -> list[Source]:
    return [s for c in candidates if isinstance(s := sourcer.source(c.node_id), Source)]


def _by(strategy: Strategy, needs: list[Need], sourcer: Sourcer, candidates: list[Candidate],
        available: dict[tuple[str, str], int], point: tuple[float, float]):
    """The strategy's plan over every candidate, or None where it finds none."""
    types = {n.id: n.type for n in sourcer.snap.nodes.values()}
    where = {c.node_id: (c.lat, c.lng) for c in candidates}
    try:
        return choose(strategy, needs, _sources(sourcer, candidates), available, sourcer.weight, sourcer.model,
                      types, point, where)
    except OutOfStock:
        return None


if __name__ == "__main__":
    main()
