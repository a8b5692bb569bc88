"""The simulated days, driven through the real service: each thing that happens in the world is a call to the
same service functions the API calls (the promise, the capture, a node's confirmations, a carrier's tracking,
a till's stock feed), made with the service's clock set to when it happens; the sweep runs as a server runs it.
Nodes and carriers learn of their work as partners do, from the events the service writes."""

import asyncio
import heapq
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import numpy as np

from ..domain.access import Principal
from ..domain.errors import OmsError
from ..domain.tracking import Tracking
from ..domain.vocabulary import DeliveryMode, Role
from ..services.fulfillment import tracking
from ..services.fulfillment.confirmations import act
from ..services.fulfillment.inputs import ActionIn, TrackingIn
from ..services.fulfillment.sla import expire_unaccepted
from ..services.fulfillment.uncollected import send_back_uncollected
from ..services.orders.batch import when_due
from ..services.orders.cancel import cancel_order
from ..services.orders.capture import capture_order
from ..services.orders.inputs import CancelIn, OrderIn
from ..services.orders.resourcing import resource_order, retry_waiting
from ..services.orders.waves import release_due
from ..services.promise import options
from ..services.promise.inputs import PromiseIn
from ..services.reads import outcomes
from ..services.reservations.expiry import release_expired
from ..services.runtime.context import Context
from ..services.stock import feeds
from ..services.stock.inputs import DeltaIn
from ..services.stock.low_stock import tell_low_stock
from ..services.supply.backorders import release_backorders
from .choice import choose
from .demand import Arrival, Demand
from .scenario import Scenario
from .world import LocalTime, World

log = logging.getLogger("oms.simulation")
M = DeliveryMode
OWN = (M.SCHEDULED, M.ONE_HOUR)
AT_THE_NODE = (M.CLICK_AND_COLLECT, M.RESERVE_IN_STORE, M.STORE_CARRY_OUT)
TICK = timedelta(minutes=1)  # what happens within a minute is done together, at the minute's start
SWEEP = timedelta(minutes=5)  # while orders come in
SETTLING_SWEEP = timedelta(minutes=30)  # the days after, while parcels travel and wait to be collected
IDLE_SWEEP = timedelta(hours=1)  # when nothing else happens
LIVE_NAP = 30.0  # live, the longest wait before looking at what is next (the server's clock may be moved)
AT_ONCE = 8  # calls in flight together (a shop's, nodes', carriers' calls overlap in the real world)
WATCHED = ("fulfillment.released", "fulfillment.ready_for_pickup", "order.at_risk")
CUSTOMER_SERVICE = Principal("simulation", Role.ADMIN, None)
# The sweep's passes, as a server runs them (replenishment proposals are left out: nothing approves them here).
SWEPT = (release_expired, when_due, release_due, expire_unaccepted, release_backorders, retry_waiting,
         send_back_uncollected, tell_low_stock)


@dataclass
class Tally:
    """What the simulation saw from the customers' side, and what it cost."""
    offered: int = 0  # customers who asked the promise
    captured: int = 0
    walked_away: int = 0  # offered options, chose none
    no_option: int = 0  # offered nothing
    refused: Counter = field(default_factory=Counter)  # capture refused, by code
    chosen: Counter = field(default_factory=Counter)  # options chosen, by mode
    carbon_g: int = 0
    carbon_known: int = 0
    by_hour: Counter = field(default_factory=Counter)  # (local hour, channel) -> customers
    phantom_units: int = 0
    walk_in_units: int = 0
    short_units: int = 0
    late_accepted: int = 0  # orders at risk whose customers took a later date
    lines_cancelled: int = 0  # … or had the missing lines cancelled
    given_up: set = field(default_factory=set)  # the orders of those
    calls: int = 0
    failed_calls: Counter = field(default_factory=Counter)  # a node's or carrier's call refused, by code
    flags: dict = field(default_factory=dict)  # order id -> what happened to it that may make it late
    wall_s: float = 0.0
    cpu_s: float = 0.0
    started: datetime | None = None
    ended: datetime | None = None


class Simulation:
    def __init__(self, ctx: Context, scenario: Scenario, *, seed: int, scale: float = 1.0, first: date | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.given_first = first  # the first day, when another run chose it already
        self.ctx, self.scenario, self.seed, self.scale = ctx, scenario, seed, scale
        self.rng = np.random.default_rng(seed)
        self.progress = progress
        self.tally = Tally()
        self._heap: list[tuple[datetime, int, Callable[[], Awaitable[object]], bool]] = []
        self._seq = itertools.count()
        self._pending = 0  # things to happen besides the sweep
        self._last_event = ""
        self._seen: set[str] = set()
        self._numbers = itertools.count(1)
        self.settling = datetime.max.replace(tzinfo=UTC)  # from when the sweep may come less often
        self.live_mode = False
        self.total = 0
        self.prefix = f"SIM-{seed}"  # the orders' channel references: SIM-<seed>-<day>-<n>

    def at(self, when: datetime, action: Callable[[], Awaitable[object]], *, periodic: bool = False) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), action, periodic))
        if not periodic:
            self._pending += 1

    async def _begin(self, today_only: bool = False) -> None:
        """The world as the service's data says it is, and the days' customers."""
        ctx, scenario = self.ctx, self.scenario
        snap = await ctx.reference.get(ctx.db, now=True)
        zone = ZoneInfo(next(iter(snap.nodes.values())).timezone) if snap.nodes else ZoneInfo("Europe/Paris")
        self.local = LocalTime(zone)
        self.snap = snap
        today = self.local.date(ctx.clock.now())
        first = today if today_only else self.given_first or scenario.first_day(today)
        self.world = World(scenario, snap.nodes, snap.times, snap.carriers, self.rng, first)
        rows = await outcomes.stock_rows(ctx)
        self.world.stock(rows)
        held: Counter[str] = Counter()
        for _, sku, on_hand in rows:
            held[sku] += on_hand
        self.world.incidents(self.local)
        self.tally.phantom_units = self.world.phantom
        self._last_event = await outcomes.last_event(ctx)
        self.stores = [n for n in snap.nodes.values() if n.type == "store" and n.active]
        self.demand = Demand(scenario, snap.products, held, self.stores, self.rng, timezone=str(zone),
                             scale=self.scale)
        self.first = first

    async def run(self) -> Tally:
        """The scenario's days, from the first one after the service's clock, as fast as the service goes."""
        ctx, scenario = self.ctx, self.scenario
        await self._begin()
        first = self.first
        start = self.local.at(first, "00:00")
        self.end = self.local.at(first + timedelta(days=scenario.days + scenario.settle_days), "00:00")
        self.settling = self.local.at(first + timedelta(days=scenario.days + 1), "00:00")
        ctx.clock.set(start)
        self.total = 0
        for d in range(scenario.days):
            self._day(first + timedelta(days=d), d + 1)
        for incident in scenario.incidents:
            if incident.kind == "out_of_stock":
                when = self.local.at(first + timedelta(days=incident.day - 1), incident.at)
                self.at(when, partial(self._emptied, incident))
        self.at(start, self._sweep, periodic=True)
        self.tally.started = start
        wall, cpu = time.perf_counter(), time.process_time()
        await self._loop()
        self.tally.wall_s, self.tally.cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        self.tally.ended = ctx.clock.now()
        return self.tally

    async def live(self) -> None:
        """Day after day in real time, on the service's own clock, beside a server that runs its own sweep:
        the demo retailer at work (``oms serve --live``). Runs until cancelled."""
        await self._begin(today_only=True)
        self.live_mode = True
        self.end = datetime.max.replace(tzinfo=self.local.zone)
        self._day(self.first, 1, after=self.ctx.clock.now())
        self.tally.started = self.ctx.clock.now()
        await self._loop()

    def _day(self, day, number: int, *, after: datetime | None = None) -> None:
        """A day's customers and walk-in sales; live, the next day's come at its midnight."""
        arrivals = [a for a in self.demand.day(day, number) if after is None or a.at >= after]
        self.total += len(arrivals)
        tag = f"{day:%Y%m%d}"
        for n, arrival in enumerate(arrivals):
            self.at(arrival.at, partial(self._customer, arrival, f"{tag}-{n}"))
        self._walk_ins(day, after)
        if self.live_mode:
            self.at(self.local.at(day + timedelta(days=1), "00:00"),
                    partial(self._next_day, day + timedelta(days=1), number + 1))

    async def _next_day(self, day, number: int) -> None:
        self._day(day, number)

    async def _loop(self) -> None:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(action):
            async with gate:
                if not self.live_mode:
                    await action()
                    return
                try:
                    await action()
                except Exception:  # live beside a server: a failed step is logged, the flow goes on
                    log.exception("a simulated step failed")

        while self._heap:
            when = self._heap[0][0]
            if when >= self.end:
                break
            now = self.ctx.clock.now()
            if self.live_mode and when > now:
                await asyncio.sleep(min(LIVE_NAP, (when - now).total_seconds()))
                continue
            if when > now:
                self.ctx.clock.set(when)
            batch = []
            while self._heap and self._heap[0][0] < when + TICK:
                _, _, action, periodic = heapq.heappop(self._heap)
                if not periodic:
                    self._pending -= 1
                batch.append(one(action))
            await asyncio.gather(*batch)
            await self._read_events()

    # The customers.

    async def _customer(self, arrival: Arrival, n: str) -> None:
        ctx, tally = self.ctx, self.tally
        tally.offered += 1
        tally.by_hour[(arrival.at.astimezone(self.local.zone).hour, arrival.channel)] += 1
        channel = Principal("simulation", Role.CHANNEL, arrival.channel)
        body = PromiseIn.model_validate({"channel": arrival.channel,
                                         "lines": [{"sku": s, "quantity": q} for s, q in arrival.lines],
                                         "destination": {"lat": arrival.place.lat, "lng": arrival.place.lng}})
        try:
            answer = await options.promise(ctx, body, principal=channel)
        except OmsError as exc:
            tally.refused[exc.code] += 1
            return
        offered = [o for o in answer["options"] if o.get("promise_id")]
        if arrival.store_id:  # at a till, the store's own counter is the pickup place offered
            offered = [o for o in offered
                       if o["mode"] not in AT_THE_NODE or o.get("pickup_node_id") == arrival.store_id]
        if not offered:
            tally.no_option += 1
            return
        # The customer's own draw: the same customer chooses alike in every configuration and however the
        # calls in flight interleave.
        chosen = choose(offered, ctx.clock.now(), self.scenario.choice,
                        np.random.default_rng((self.seed, *map(int, n.split("-")))))
        if chosen is None:
            tally.walked_away += 1
            return
        order = self._order(arrival, chosen, n)
        try:
            await capture_order(ctx, order, principal=channel, idempotency_key=f"{self.prefix}-{n}")
        except OmsError as exc:
            tally.refused[exc.code] += 1
            return
        tally.captured += 1
        tally.chosen[chosen["mode"]] += 1
        if chosen.get("carbon_g") is not None:
            tally.carbon_g += chosen["carbon_g"]
            tally.carbon_known += 1
        if self.progress:
            self.progress(tally.offered, self.total)

    def _order(self, arrival: Arrival, option: dict, n: str) -> OrderIn:
        products = self.snap.products
        place = arrival.place
        delivery: dict = {"mode": option["mode"], "promise_id": option["promise_id"]}
        if option.get("pickup_node_id"):
            delivery["pickup_node_id"] = option["pickup_node_id"]
        else:
            number = 1 + int(n.rsplit("-", 1)[1]) % 120
            delivery["address"] = {"line1": f"{number} rue de la Simulation", "postal_code": place.postal_code,
                                   "city": "Simulée", "country": "FR", "lat": place.lat, "lng": place.lng}
        return OrderIn.model_validate({
            "channel": arrival.channel, "external_ref": f"{self.prefix}-{n}",
            "customer": {"name": f"Client {n}", "email": f"client.{n}@example.com"},
            "lines": [{"sku": s, "quantity": q, "unit_price": {"amount": products[s].price_amount,
                                                               "currency": products[s].currency}}
                      for s, q in arrival.lines],
            "delivery": delivery})

    # The stores' tills and the incidents on stock.

    def _walk_ins(self, day, after: datetime | None) -> None:
        """Each store's walk-in sales of the day, told hour by hour through its tills' feed."""
        if not self.scenario.nodes.walk_in_units:
            return
        for hour in range(24):
            when = self.local.at(day, f"{hour:02d}:59")
            if after is None or when >= after:
                self.at(when, partial(self._sell, when))

    async def _sell(self, when: datetime) -> None:
        moves = []
        skus_of: dict[str, list[str]] = {}
        for (node_id, sku), units in self.world.shelves.items():
            if units > 0:
                skus_of.setdefault(node_id, []).append(sku)
        for store in self.stores:
            calendar = self.snap.times[store.id].calendar
            spans = calendar.spans(calendar.local_date(when))
            minutes = sum((b - a).total_seconds() / 60 for a, b in spans)
            if not minutes or not any(a <= when - timedelta(minutes=30) < b for a, b in spans):
                continue
            skus = skus_of.get(store.id) or []
            for _ in range(int(self.rng.poisson(self.scenario.nodes.walk_in_units * 60 / minutes))):
                if not skus:
                    break
                sku = skus[int(self.rng.integers(len(skus)))]
                if self.world.shelves.get((store.id, sku), 0) > 0:
                    self.world.shelves[(store.id, sku)] -= 1
                    moves.append(DeltaIn(event_id=f"sim-{self.seed}-{next(self._numbers)}", node_id=store.id, sku=sku,
                                         delta=-1, reason="sale", occurred_at=when - timedelta(minutes=1)))
        if moves:
            await feeds.apply_deltas(self.ctx, moves)
            self.tally.walk_in_units += len(moves)

    async def _emptied(self, incident) -> None:
        gone = self.world.emptied(incident)
        when = self.ctx.clock.now()
        moves = [DeltaIn(event_id=f"sim-{self.seed}-{next(self._numbers)}", node_id=n, sku=s, delta=-u,
                         reason="adjustment", occurred_at=when) for n, s, u in gone]
        for start in range(0, len(moves), 5000):
            await feeds.apply_deltas(self.ctx, moves[start:start + 5000])

    # The service's own timers.

    async def _sweep(self) -> None:
        for task in SWEPT:
            try:
                await task(self.ctx)
            except Exception:  # as the server's sweep: a failed pass is tried again at the next
                log.exception("%s failed", task.__name__)
        now = self.ctx.clock.now()
        every = SWEEP if now < self.settling else SETTLING_SWEEP
        self.at(now + (every if self._pending else IDLE_SWEEP), self._sweep, periodic=True)

    # Nodes and carriers, told of their work by the service's events.

    async def _read_events(self) -> None:
        while True:
            found = await outcomes.events_after(self.ctx, self._last_event, WATCHED)
            for event_id, kind, occurred, data in found:
                self._last_event = event_id
                if kind == "fulfillment.released":
                    self._released(data, occurred)
                elif kind == "fulfillment.ready_for_pickup":
                    self._ready(data, occurred)
                elif kind == "order.at_risk" and data["order_id"] not in self._seen:
                    self._seen.add(data["order_id"])
                    self.at(occurred + timedelta(hours=self.scenario.customers.call_hours),
                            partial(self._call_customer, data))
            if len(found) < outcomes.PAGE:
                return

    def _released(self, work: dict, at: datetime) -> None:
        if work["id"] in self._seen:  # (released again after a wave or a claim: the node has it already)
            return
        self._seen.add(work["id"])
        answer = self.world.answer(work["node_id"], at)
        if answer is None:
            self._flag(work, "a node never answered")
            return
        what, when = answer
        if what == "accept":
            self.at(when, lambda: self._accept(work, at))
        else:
            self._flag(work, "a node closed" if what == "closed" else "a node rejected it")
            reason = "closed" if what == "closed" else "cannot prepare it"
            self.at(when, lambda: self._call(work["node_id"], work["id"], "reject", ActionIn(reason=reason)))

    async def _accept(self, work: dict, released: datetime) -> None:
        if not await self._call(work["node_id"], work["id"], "accept", ActionIn()):
            return
        done = self.world.picked_by(work["node_id"], self.ctx.clock.now())
        times = self.snap.times[work["node_id"]]
        if done > (times.calendar.after_working(released, times.processing_minutes) or done):
            self._flag(work, "a node took longer than its processing_minutes")
        self.at(done, lambda: self._pick(work))

    def _flag(self, work: dict, what: str) -> None:
        """Something that may make the order late, to tell why a late order was (``late_because``)."""
        self.tally.flags.setdefault(work["order_id"], set()).add(what)

    async def _pick(self, work: dict) -> None:
        node_id = work["node_id"]
        lines = [(fl["sku"], fl["reserved"]) for fl in work["lines"] if fl["reserved"]]
        found = self.world.found(node_id, lines)
        short = sum(q for _, q in lines) - sum(found.values())
        # A WMS confirms the pick when it is short; shipping (or readying) an accepted order says all was picked.
        picked = ActionIn(lines=[{"sku": s, "quantity": q} for s, q in found.items()])
        if short and not await self._call(node_id, work["id"], "pick", picked):
            return
        self.tally.short_units += short
        if short:
            self._flag(work, "a node picked short")
        if not sum(found.values()):
            return  # nothing found: the service sources it again
        mode = work["order"]["delivery"]["mode"]
        handover = work.get("handover_node_id")
        now = self.ctx.clock.now()
        if mode in AT_THE_NODE and handover in (None, node_id):
            self.at(now + 2 * TICK, lambda: self._ready_at_node(work))
        elif mode in OWN:
            self.at(now, lambda: self._own_delivery(work))
        else:
            self._carried(work, found, now)

    def _carried(self, work: dict, found: dict[str, int], ready: datetime) -> None:
        node = self.snap.nodes[work["node_id"]]
        delivery = work["order"]["delivery"]
        mode = delivery["mode"]
        to_node = delivery.get("pickup_node_id") or work.get("handover_node_id")
        if to_node and to_node in self.snap.nodes:
            target = self.snap.nodes[to_node]
            point = (target.lat, target.lng)
        else:
            address = delivery.get("address") or {}
            point = (address.get("lat", node.lat), address.get("lng", node.lng))
        # To a store where the customer collects, a carrier's transfer service takes it.
        carried_mode = mode if mode in ("home_standard", "home_express", "locker", "pickup_point") else "transfer"
        products = [self.snap.products[s] for s in found]
        pick = self.world.carrier_for(carried_mode, products, node, point)
        if pick is None:
            self.tally.failed_calls["no_carrier"] += 1
            return
        service, days, late = pick
        if late:
            self._flag(work, "the carrier was late")
        collected = self.world.collected(node.id, ready)
        while self.world.pickup_day_off(service, collected, self.local):
            self._flag(work, "the carrier's day off")
            collected = self.world.collected(node.id, collected + timedelta(hours=1))
        number = f"SIM{self.seed}-{next(self._numbers)}"
        delivered = self.world.delivered(service, collected, days, self.local)
        self.at(collected, lambda: self._ship(work, service.id, number, delivered))

    async def _ship(self, work: dict, carrier: str, number: str, delivered: datetime) -> None:
        node_id = work["node_id"]
        if not await self._call(node_id, work["id"], "ship", ActionIn(carrier=carrier, tracking_number=number)):
            return
        self.at(delivered, lambda: self._deliver(work, carrier, number))

    async def _deliver(self, work: dict, carrier: str, number: str) -> None:
        try:
            await tracking.record(self.ctx, carrier, TrackingIn(tracking_number=number, status=Tracking.DELIVERED))
        except OmsError as exc:
            self.tally.failed_calls[exc.code] += 1
            return
        handover = work.get("handover_node_id")
        if handover and self.snap.nodes[handover].type == "store":
            # A store readies a parcel sent to it once it is on its shelf (its next opening).
            calendar = self.snap.times[handover].calendar
            when = calendar.after_working(self.ctx.clock.now(), 30) or self.ctx.clock.now()
            self.at(when, lambda: self._call(handover, work["id"], "ready", ActionIn()))

    async def _ready_at_node(self, work: dict) -> None:
        await self._call(work["node_id"], work["id"], "ready", ActionIn())

    async def _own_delivery(self, work: dict) -> None:
        """The retailer's own van or courier: it leaves when the order is ready and delivers within the slot (an
        appointment) or the ride (within the hour)."""
        node_id = work["node_id"]
        if not await self._call(node_id, work["id"], "ship", ActionIn()):
            return
        now = self.ctx.clock.now()
        promised = (work["order"]["delivery"].get("promised") or {})
        if work["order"]["delivery"]["mode"] == M.SCHEDULED and promised.get("earliest"):
            start = max(now, datetime.fromisoformat(promised["earliest"]))
            end = max(start, datetime.fromisoformat(promised["latest"]))
            when = start + (end - start) * float(self.rng.uniform(0.05, 0.95))
        else:
            when = now + timedelta(minutes=float(self.rng.uniform(10, 45)))
        self.at(when, lambda: self._call(node_id, work["id"], "deliver", ActionIn()))

    def _ready(self, fulfilment: dict, at: datetime) -> None:
        """A parcel ready where the customer collects: they come (in its opening hours), or never do."""
        after = self.world.collect_after()
        if after is None:
            return
        where = fulfilment.get("handover_node_id") or fulfilment["node_id"]
        calendar = self.snap.times[where].calendar if where in self.snap.times else None
        when = at + after
        if calendar is not None:
            when = calendar.after_working(when, 0) or when
        code = (fulfilment.get("details") or {}).get("pickup_code")
        self.at(when, lambda: self._call(where, fulfilment["id"], "collect", ActionIn(pickup_code=code)))

    async def _call_customer(self, risk: dict) -> None:
        """Customer service calls the customer of an order no node can send as promised: they take the later
        date offered, or the missing units are cancelled."""
        later = any(o["option"] == "later_date" for o in risk["options"])
        try:
            if later and self.rng.random() < self.scenario.customers.accept_late:
                await resource_order(self.ctx, risk["order_id"], reason="the customer takes a later date", late=True,
                                     principal=CUSTOMER_SERVICE)
                self.tally.late_accepted += 1
                self.tally.flags.setdefault(risk["order_id"], set()).add("its customer took a later date")
            else:
                lines = [{"line_no": m["line_no"], "quantity": m["quantity"]} for m in risk["missing"]]
                await cancel_order(self.ctx, risk["order_id"], CancelIn.model_validate(
                    {"lines": lines, "reason": "the customer would not wait"}), principal=CUSTOMER_SERVICE)
                self.tally.lines_cancelled += len(lines)
                self.tally.given_up.add(risk["order_id"])
        except OmsError as exc:  # sourced meanwhile, or no longer possible: nothing to do
            self.tally.failed_calls[f"customer service: {exc.code}"] += 1

    async def _call(self, node_id: str, fulfilment_id: str, action: str, body: ActionIn) -> bool:
        """A node's confirmation; refused (the work was cancelled, sourced elsewhere, or sent back), the node
        drops it, as a WMS told the order is gone."""
        self.tally.calls += 1
        try:
            await act(self.ctx, fulfilment_id, action, body, principal=Principal("simulation", Role.NODE, node_id))
            return True
        except OmsError as exc:
            self.tally.failed_calls[f"{action}: {exc.code}"] += 1
            return False
