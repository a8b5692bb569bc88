"""The demo stores' last 90 days, seeded (``replenishment.json``, ``history``): what their tills sold of each SKU
they range, day by day, and the deliveries that brought each shelf back to its level on their delivery days.

Each store-SKU starts the 90 days at its level (its on-hand now, at least 2), sells what its class's demand
asks as long as the shelf has units (a sale the shelf could not meet is lost, as in a store), is refilled on
each delivery day (an order weekday plus the lead time), and ends at its on-hand now (a last adjustment the
evening before). The movements go in through the stores' feed (``POST /v1/inventory/movements``), the counts
the 90 days start from through a count dated then: the ledger says what a store's systems would have said.
"""

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ..domain.vocabulary import FeedReason, NodeType
from ..services.reference.inputs import NodeIn
from ..services.replenishment.inputs import ReplenishmentStoreIn
from ..services.stock.inputs import DeltaIn, StockIn
from .source import read_json

SOLD_AT, DELIVERED_AT, SETTLED_AT = time(16, 0), time(7, 0), time(21, 0)


def build_history(stock: list[StockIn], nodes: list[NodeIn], supplied: list[ReplenishmentStoreIn],
                  now: datetime) -> tuple[datetime, list[StockIn], list[DeltaIn]]:
    """When the history begins, the stock as counted then (the stores' rows at their level, the others as
    they are now), and the movements since, oldest first."""
    plan = read_json("replenishment.json")["history"]
    days, index, classes = plan["days"], plan["weekday_index"], plan["classes"]
    stores = {n.id: n for n in nodes if n.type == NodeType.STORE}
    supply = {s.node_id: s for s in supplied}
    rng = np.random.default_rng(plan["seed"])
    zone = ZoneInfo(next(iter(stores.values())).timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days)
    # Counted the evening before the first day: the count's own movement is not a day of the history.
    began = datetime.combine(first - timedelta(days=1), SETTLED_AT, zone)
    counted, moves = [], []
    for row in stock:
        kind = classes.get(row.sku[:3])
        if row.node_id not in stores or kind is None:
            counted.append(row)
            continue
        store = supply[row.node_id]
        busy = plan["busy_factor"] if row.node_id.startswith("ST-PARIS") else 1.0
        delivered = {(d + math.ceil(store.lead_days)) % 7 for d in (w - 1 for w in store.order_weekdays)}
        level = target = max(row.on_hand, 2)
        counted.append(StockIn(node_id=row.node_id, sku=row.sku, on_hand=target, safety_stock=row.safety_stock))
        for n in range(days):
            day = first + timedelta(days=n)
            if day.weekday() in delivered and level < target:
                moves.append(_move(row, n, "receipt", target - level, day, DELIVERED_AT, zone))
                level = target
            asked = _demand(rng, kind, busy * index[day.weekday()], n / days)
            if asked and level:
                sold = min(asked, level)
                moves.append(_move(row, n, "sale", -sold, day, SOLD_AT, zone))
                level -= sold
        if level != row.on_hand:
            moves.append(_move(row, days, "receipt" if row.on_hand > level else "adjustment", row.on_hand - level,
                               today - timedelta(days=1), SETTLED_AT, zone))
    return began, counted, sorted(moves, key=lambda m: m.occurred_at)


def _demand(rng: np.random.Generator, kind: dict, weight: float, through: float) -> int:
    """A day's demand of a class at a store: ``weight`` its weekday's (and store's) index, ``through`` how far
    into the 90 days (0 to 1)."""
    if weight <= 0:
        return 0  # shut
    daily = kind["daily"] * weight
    if kind["pattern"] == "seasonal":
        daily *= 1 + (kind["season_growth"] - 1) * through  # (Christmas comes)
    if kind["pattern"] == "intermittent":
        size = kind["size"]
        return int(1 + rng.poisson(size - 1)) if rng.random() < daily / size else 0
    return int(rng.poisson(daily))


def _move(row: StockIn, n: int, reason: str, delta: int, day: date, at: time, zone: ZoneInfo) -> DeltaIn:
    # (built from values made right here: the feed's checks are for what callers send)
    return DeltaIn.model_construct(event_id=f"demo-{row.sku}-{n}-{reason}", node_id=row.node_id, sku=row.sku,
                                   delta=delta, reason=FeedReason(reason), occurred_at=datetime.combine(day, at, zone))
