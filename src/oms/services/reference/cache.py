"""Products and nodes held in memory for the hot paths, reloaded when their version counter moves.

Every write of reference data bumps the ``reference`` counter in its own transaction. A process
checks the counter at most every ``refresh_seconds``; a SKU or node it does not know triggers an
immediate reload, so a new product is never refused for being too new.
"""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...db.engine import Database
from ...db.promise_secret import read_secret
from ...domain.calendar import calendar_from, clock
from ...domain.couriers import NO_COURIERS, Couriers, couriers_from
from ...domain.lead_times import CarrierService, NodeTimes, service_from
from ...domain.parcels import compartments_from, limits_from
from ...domain.protection import NO_RULES, SETTING, Rules, rules_from
from ...domain.reference import NodeRef, ProductRef
from ...domain.strategy import NO_SETTINGS, SourcingSettings, settings_from
from ...domain.strategy import SETTING as SOURCING
from ..runtime.slices import in_slices

REFERENCE = "reference"
PRICES = "delivery_prices"  # the settings document of delivery prices
COURIERS = "delivery_capacity"  # … of the retailer's own deliveries: slots and one-hour couriers


@dataclass(frozen=True)
class Snapshot:
    version: int
    products: dict[str, ProductRef]
    nodes: dict[str, NodeRef]
    rules: Rules = NO_RULES
    # Expected supply per SKU: (node_id, expected_on, quantity).
    supply: dict[str, list[tuple[str, date, int]]] = field(default_factory=dict)
    # Each node's calendar and lead times, and the active carrier services.
    times: dict[str, NodeTimes] = field(default_factory=dict)
    carriers: tuple[CarrierService, ...] = ()
    prices: dict = field(default_factory=dict)  # the delivery prices document (see DeliveryPricesIn)
    promise_secret: bytes = b""
    couriers: Couriers = NO_COURIERS  # appointment slots and one-hour couriers
    sourcing: SourcingSettings = NO_SETTINGS  # cost settings and strategies
    # What hot paths derive from this data, worked out once per snapshot (see ``derived``).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def derived(self, key, make):
        """``make()``, computed once for this snapshot: the data it derives from never changes in it."""
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make()
        return found


async def read_version(conn: AsyncConnection) -> int:
    value = await conn.scalar(select(t.counters.c.value).where(t.counters.c.name == REFERENCE))
    return value or 0


class ReferenceCache:
    def __init__(self, refresh_seconds: float = 1.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._snapshot = Snapshot(-1, {}, {})
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()  # concurrent requests that find it stale wait for one reload

    async def get(self, db: Database, *, now: bool = False) -> Snapshot:
        """The snapshot, checked against the version counter if ``refresh_seconds`` passed (or ``now``)."""
        if not now and time.monotonic() - self._checked_at < self.refresh_seconds:
            return self._snapshot
        async with self._lock:
            if now or time.monotonic() - self._checked_at >= self.refresh_seconds:
                async with db.read() as conn:
                    version = await read_version(conn)
                    if version != self._snapshot.version:
                        self._snapshot = await _load(conn, version)
                self._checked_at = time.monotonic()
        return self._snapshot

    async def knowing(self, db: Database, skus: set[str], node_ids: set[str]) -> Snapshot:
        """A snapshot, checked against the version counter first if it lacks any of these SKUs or nodes.

        Only a moved counter reloads: unknown SKUs sent again and again cost one small read each.
        """
        snap = await self.get(db)
        if not skus <= snap.products.keys() or not node_ids <= snap.nodes.keys():
            snap = await self.get(db, now=True)
        return snap


async def _load(conn: AsyncConnection, version: int) -> Snapshot:
    p, n = t.products.c, t.nodes.c
    products: dict[str, ProductRef] = {}
    # A catalogue of a hundred thousand SKUs is read in slices, with the event loop free between them.
    query = select(p.sku, p.name, p.weight_g, p.price_amount, p.currency, p.bulky, p.hazardous, p.active,
                   p.length_mm, p.width_mm, p.height_mm)
    async for part in in_slices(conn, query):
        products.update((r[0], ProductRef(*r)) for r in part)
    nodes = {
        r.id: NodeRef(r.id, r.type, r.name, r.lat, r.lng, r.timezone, frozenset(r.fulfills),
                      frozenset(r.hands_over), r.active, r.daily_capacity, r.handling_cost_per_order,
                      r.handling_cost_per_unit, r.confirms_cancel, None if r.takes is None else limits_from(r.takes),
                      compartments_from(r.compartments), r.collection_car_share)
        for r in await conn.execute(
            select(n.id, n.type, n.name, n.lat, n.lng, n.timezone, n.fulfills, n.hands_over, n.active,
                   n.daily_capacity, n.handling_cost_per_order, n.handling_cost_per_unit, n.confirms_cancel,
                   n.takes, n.compartments, n.collection_car_share)
        )
    }
    public = await _public_holidays(conn)

    def kept(country: str | None, region: str | None, follows: bool) -> frozenset[date]:
        if not follows or country is None:
            return frozenset()
        return public.get((country, ""), frozenset()) | public.get((country, region or ""), frozenset())

    times = {
        r.id: NodeTimes(calendar_from(r.timezone, r.opening_hours, r.exceptions,
                                      kept(r.address.get("country"), r.region, r.public_holidays)),
                        r.processing_minutes, clock(r.carrier_cutoff), tuple(clock(w) for w in r.release_waves))
        for r in await conn.execute(select(n.id, n.timezone, n.opening_hours, n.exceptions, n.processing_minutes,
                                           n.carrier_cutoff, n.release_waves, n.address, n.region,
                                           n.public_holidays))
    }
    cs = t.carrier_services.c
    # A national carrier keeps its country's holidays, not a region's.
    carriers = tuple(service_from(dict(r._mapping), kept(r.country, None, r.public_holidays)) for r in
                     await conn.execute(select(t.carrier_services).where(cs.active).order_by(cs.id)))
    c = t.settings.c
    rules = rules_from(await conn.scalar(select(c.value).where(c.name == SETTING)))
    supply: dict[str, list[tuple[str, date, int]]] = {}
    s = t.supply.c
    for node_id, sku, expected_on, quantity in await conn.execute(
            # Units already promised to backorders are not coming for anyone else.
            select(s.node_id, s.sku, s.expected_on, s.quantity - s.allocated)
            .where(s.status == "expected", s.quantity > s.allocated)):
        supply.setdefault(sku, []).append((node_id, expected_on, quantity))
    prices = await conn.scalar(select(c.value).where(c.name == PRICES)) or {}
    couriers = couriers_from(await conn.scalar(select(c.value).where(c.name == COURIERS)) or {})
    sourcing = settings_from(await conn.scalar(select(c.value).where(c.name == SOURCING)))
    return Snapshot(version, products, nodes, rules, supply, times, carriers, prices, await read_secret(conn), couriers,
                    sourcing)


async def _public_holidays(conn: AsyncConnection) -> dict[tuple[str, str], frozenset[date]]:
    """The public holidays stored, by (country, region); region "" for the whole country."""
    found: dict[tuple[str, str], set[date]] = {}
    h = t.public_holidays.c
    for country, region, day in await conn.execute(select(h.country, h.region, h.day)):
        found.setdefault((country, region), set()).add(day)
    return {place: frozenset(days) for place, days in found.items()}
