"""``POST /v1/promise``: the delivery options for a cart, each with a window the retailer can keep.

Read-only and served from memory (reference data, calendars, carriers and the stock mirror): a cart
page asks it far more often than orders are placed. Each option carries a signed ``promise_id``.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import partial

from ...domain.access import Principal
from ...domain.capacity import Capacity
from ...domain.carbon import total
from ...domain.couriers import SLOTS_OFFERED
from ...domain.errors import NotFound, OutOfStock, Problems, PromiseNotKept
from ...domain.geo import Nearby
from ...domain.ordering import check_skus
from ...domain.promise import NotOffered, Option, really_faster
from ...domain.reference import NodeRef
from ...domain.sourcing import Candidate, Incoming, Need, Plan, plan_backorders, plan_first_rule, plan_what_is_there
from ...domain.vocabulary import DeliveryMode, NodeType
from ..reference.cache import Snapshot
from ..runtime.context import Context
from ..runtime.validation import within_a_year
from .ids import sign, verify
from .inputs import PromiseIn
from .ways import HOME_MODES, Ways, wanted

M = DeliveryMode
STORE_RADIUS_KM = 25.0  # stores offered for collection around the destination
STORES_OFFERED = 3
TRIED = 2 * STORES_OFFERED  # nodes tried for them, nearest first, when the nearest cannot
VALID_FOR = timedelta(minutes=10)
LIVE = timedelta(minutes=1)  # an ``at`` this close to the server's clock is "now"
POINT_RADIUS_KM = 10.0  # locker banks and relay points offered around the destination


@dataclass(frozen=True)
class Cart:
    """What options are asked for: a channel's cart lines (sku, quantity) to a point, ordered at ``at``."""
    channel: str
    lines: list[tuple[str, int]]
    point: tuple[float, float]
    at: datetime
    held: dict[tuple[str, str], int] | None = None  # units a hold keeps for this very cart, (node, sku) -> units


async def promise(ctx: Context, body: PromiseIn, *, principal: Principal, explain: bool = False) -> dict:
    principal.require_availability(body.channel)
    within_a_year(ctx, "at", body.at)
    now = ctx.clock.now()
    at = body.at or now
    skus = [line.sku for line in body.lines]
    snap = await ctx.reference.knowing(ctx.db, set(skus), set())
    problems = Problems()
    check_skus(skus, snap.products, problems)
    problems.raise_if_any()
    lines = [(line.sku, line.quantity) for line in body.lines]
    options, absent = await options_for(ctx, snap, Cart(body.channel, lines, body.destination.point, at))
    # Only a promise made for now can be kept by an order: one asked for another time is a what-if answer.
    issued = now if abs(at - now) <= LIVE else None
    answer = {"at": at.isoformat(), "options": [view(snap, o, lines, body.channel, issued) for o in options]}
    if explain:
        answer["absent"] = [{"mode": mode, "reason": reason} for mode, reason in absent.items()]
    return answer


async def options_for(ctx: Context, snap: Snapshot, cart: Cart, *, prefer: tuple[str, ...] = (),
                      soonest: bool = False, slot: datetime | None = None,
                      kept: bool = False) -> tuple[list[Option], dict[str, str]]:
    """Every option the cart has, and why each absent mode is absent. ``prefer``: nodes to plan from first
    (those a promise was made from, to judge it as it was made). ``soonest``: only the soonest appointment
    slot (the product page shows no more); ``slot``: only the slot starting then. ``kept``: to judge a
    promise made before, whose mode stands on its own (not weighed against the others as when offered)."""
    stock = await ctx.stock.available(ctx.db, {sku for sku, _ in cart.lines})
    modes = _Modes(snap, cart, stock, await ctx.capacity.current(ctx.db, snap), prefer)
    most = 1 if soonest else SLOTS_OFFERED
    tried: list[tuple[str, Callable[[], list[Option]]]] = [
        *((mode, partial(modes.home, mode)) for mode in HOME_MODES),
        (M.ONE_HOUR, partial(modes.own, M.ONE_HOUR, slot, most)),
        (M.SCHEDULED, partial(modes.own, M.SCHEDULED, slot, most)),
        *((mode, partial(modes.drop_off, mode)) for mode in (M.LOCKER, M.PICKUP_POINT)),
        (M.CLICK_AND_COLLECT, partial(modes.collect, M.CLICK_AND_COLLECT, True)),
        (M.RESERVE_IN_STORE, partial(modes.collect, M.RESERVE_IN_STORE, False)),
    ]
    options: list[Option] = []
    absent: dict[str, str] = {}
    for mode, make in tried:
        try:
            options.extend(make())
        except (NotOffered, OutOfStock) as exc:
            absent.setdefault(mode, _reason(exc))
    not_faster = None if kept else really_faster(options, M.HOME_STANDARD, M.HOME_EXPRESS)
    if not_faster:
        options = [o for o in options if o.mode != M.HOME_EXPRESS]
        absent[M.HOME_EXPRESS] = not_faster
    return options, absent


class _Modes:
    """How each delivery mode could bring one cart, on one reading of the stock and the capacity."""

    def __init__(self, snap: Snapshot, cart: Cart, stock: dict[tuple[str, str], int], capacity: Capacity,
                 prefer: tuple[str, ...]) -> None:
        rules, self.channel = snap.rules, cart.channel
        self.snap, self.point, self.prefer = snap, cart.point, prefer
        self.needs = [Need(i + 1, sku, quantity) for i, (sku, quantity) in enumerate(cart.lines)]
        self.usable = _usable(snap, cart.channel)
        self.available = {(n, s): rules.promisable(cart.channel, self.usable[n].type, q)
                          for (n, s), q in stock.items() if n in self.usable}
        for key, units in (cart.held or {}).items():  # the hold's units are the cart's own, whatever the rules
            self.available[key] = self.available.get(key, 0) + units
        # Only the nodes holding some of the cart can be in a plan: the rest of the network is never looked at.
        self.holders = sorted({n for (n, _), units in self.available.items() if units > 0})
        self.ways = Ways(snap, capacity, cart.at)

    def plan(self, mode: str, near: tuple[float, float]) -> Plan:
        """The first rule's plan from the nodes that send ``mode``, nearest ``near`` first."""
        sending = _sending(self.snap, self.channel, mode)
        if not sending:
            raise NotOffered(f"no node the channel may use sends {mode}")
        candidates = [sending[n] for n in self.holders if n in sending]
        return self.ways.plan(lambda c: plan_first_rule(self.needs, c, self.available, near), candidates,
                              prefer=self.prefer)

    def home(self, mode: str) -> list[Option]:
        try:
            return [self.ways.delivered(mode, self.plan(mode, self.point), self.point)]
        except OutOfStock:
            if not self.snap.rules.rule(self.channel).backorder:
                raise
            return [self.waiting(mode)]

    def waiting(self, mode: str) -> Option:
        """For a channel whose orders may wait for expected supply: the lines stock has go now, the others
        once the supply that brings them soonest (at a node sending ``mode``) is received, as if ordered at
        the start of that day; the window is the last parcel's, and ``available_from`` that day. OutOfStock
        when no supply covers a line."""
        sending = _sending(self.snap, self.channel, mode)
        plan, missing = plan_what_is_there(self.needs, [sending[n] for n in self.holders if n in sending],
                                           self.available, self.point)
        today = self.ways.at.date()  # (a supply past its date is not promised, as capture does not)
        incoming = [Incoming(f"{node_id}/{sku}/{i}", node_id, sku, units, on) for sku in {n.sku for n in missing}
                    for i, (node_id, on, units) in enumerate(self.snap.supply.get(sku, ()))
                    if node_id in sending and on >= today]
        waits = plan_backorders(missing, list(sending.values()), incoming, self.point)
        each = [self.ways.delivered(mode, plan, self.point)] if plan else []
        for need, supply in waits:
            received = self.snap.times[supply.node_id].calendar.at(supply.expected_on, time(0))
            ways = Ways(self.snap, self.ways.capacity, max(self.ways.at, received))
            each.append(ways.delivered(mode, {supply.node_id: [need]}, self.point))
        last = max(each, key=lambda o: o.latest)
        return Option(mode, tuple(dict.fromkeys(n for o in each for n in o.nodes)), max(o.earliest for o in each),
                      last.latest,
                      min(o.order_by for o in each), sum(o.cost for o in each),
                      tuple(s for o in each for s in o.services), parcels=tuple(p for o in each for p in o.parcels),
                      available_from=max(supply.expected_on for _, supply in waits),
                      carbon_g=total(o.carbon_g for o in each))

    def own(self, mode: str, slot: datetime | None, most: int) -> list[Option]:
        """The retailer's own vans (a slot) or couriers (within the hour)."""
        return self.ways.own(mode, _sending(self.snap, self.channel, mode), self.available,
                             wanted(self.needs), self.point, slot, most=most)

    def drop_off(self, mode: str) -> list[Option]:
        """Carried to the nearest locker banks or relay points that take this mode and have room."""
        banks = _handing_over(self.snap, mode, self.point, (NodeType.LOCKER, NodeType.PICKUP_POINT), POINT_RADIUS_KM)
        if not banks:
            raise NotOffered(f"no {mode.replace('_', ' ')} within {POINT_RADIUS_KM:.0f} km takes orders")
        skus = [n.sku for n in self.needs]

        def at(bank: NodeRef) -> Option:
            self.ways.receives(bank.id, skus)  # (before planning for it)
            return self.ways.collecting(self.ways.dropped_off(mode, self.plan(mode, (bank.lat, bank.lng)), bank.id),
                                        self.point)
        return _first_few(banks, at)

    def collect(self, mode: str, from_dcs: bool) -> list[Option]:
        """Ready at the nearest stores that hand over this mode (``from_dcs``: sent there from a DC when the
        store lacks some of it)."""
        stores = _handing_over(self.snap, mode, self.point, (NodeType.STORE,), STORE_RADIUS_KM)
        if not stores:
            raise NotOffered(f"no store within {STORE_RADIUS_KM:.0f} km hands over {mode}")
        return _first_few(stores, lambda store: self.ways.collecting(self.at_store(mode, store, from_dcs),
                                                                     self.point))

    def at_store(self, mode: str, store: NodeRef, from_dcs: bool) -> Option:
        """Ready at this store: from its own shelves if it has everything, else (if allowed) sent from a DC."""
        available, usable, needs = self.available, self.usable, self.needs
        own = store.id in usable and mode in store.fulfills and all(
            available.get((store.id, sku), 0) >= quantity for sku, quantity in wanted(needs).items())
        if own:
            return self.ways.collected(mode, {store.id: needs}, store.id)
        if not from_dcs:
            raise NotOffered("lacks some of the lines on its shelves")
        dcs = self.snap.derived(("DCs sending", self.channel, mode), lambda: [
            c for i, c in _sending(self.snap, self.channel, mode).items() if usable[i].type == NodeType.WAREHOUSE])
        if not dcs:
            raise NotOffered(f"lacks some lines, and no DC the channel may use sends {mode}")
        plan = self.ways.plan(lambda c: plan_first_rule(needs, c, available, (store.lat, store.lng)), dcs)
        if len(plan) > 1:
            raise NotOffered("lacks some lines, and no single DC has them all")
        return self.ways.collected(mode, plan, store.id)


@dataclass(frozen=True)
class Kept:
    """A promise an order may carry: the window stored on it, and what capture holds its plan to."""
    window: dict  # {"promise_id", "earliest", "latest"}: the order's service level
    at: datetime  # when the promise was made: the plan is judged as if ordered then
    latest: datetime
    nodes: tuple[str, ...] = ()  # where it was planned from: capture plans from there first


async def keep(ctx: Context, *, channel: str, lines: list[tuple[str, int]], mode: str,
               pickup_node_id: str | None, point: tuple[float, float], promise_id: str,
               held: dict[tuple[str, str], int] | None = None) -> Kept:
    """The promise an order names, if it is still feasible: same mode (and store), delivered no later
    than promised. Otherwise PromiseNotKept with the options there are now.

    Feasibility is judged on the stock, calendars, carriers and capacity of now, for an order placed
    when the promise was made: within its few minutes of validity the clock alone does not break a
    promise (a store's "ready at 11:13" does not slip by the seconds the checkout took). Capture judges
    the plan it stores the same way (``Kept.at``)."""
    snap = await ctx.reference.get(ctx.db)
    promised = verify(snap.promise_secret, promise_id)
    wrong = Problems()
    for name, given, expected in (("channel", channel, promised["channel"]), ("mode", mode, promised["mode"]),
                                  ("pickup_node_id", pickup_node_id, promised["pickup_node_id"])):
        if given != expected:
            wrong.add("delivery.promise_id", f"the promise is for {name} {expected!r}, not {given!r}")
    wrong.raise_if_any()
    if ctx.clock.now() > datetime.fromisoformat(promised["expires_at"]):
        raise await not_kept(ctx, snap, channel, lines, point, held, f"promise expired at {promised['expires_at']}")
    kept = Kept({"promise_id": promise_id, "earliest": promised["earliest"], "latest": promised["latest"]},
                datetime.fromisoformat(promised["at"]), datetime.fromisoformat(promised["latest"]),
                tuple(promised.get("nodes", ())))
    # A slot is judged by itself, wherever it now comes in the list of slots.
    slot = datetime.fromisoformat(kept.window["earliest"]) if mode == M.SCHEDULED else None
    cart = Cart(channel, lines, point, kept.at, held)

    async def keeping(prefer: tuple[str, ...]) -> Option | None:
        options, _ = await options_for(ctx, snap, cart, prefer=prefer, slot=slot, kept=True)
        same = [o for o in options if o.mode == mode and o.pickup_node_id == pickup_node_id
                and o.available_from is None  # (not kept by waiting for a supplier)
                and (mode != M.SCHEDULED or o.earliest.isoformat() == kept.window["earliest"])]  # the same slot
        best = min(same, key=lambda o: o.latest, default=None)
        return best if best is not None and best.latest <= kept.latest else None

    # From its nodes first; when they no longer make it (another address than the one it was asked for, their
    # stock gone), from any node that does, planned for this destination. Capture then plans from the nodes
    # found (a courier's store, a slot's DC: the nearest to this address, not the one asked about).
    found = await keeping(kept.nodes) or (await keeping(()) if kept.nodes else None)
    if found is None:
        raise await not_kept(ctx, snap, channel, lines, point, held, missed(mode, kept))
    return replace(kept, nodes=found.nodes)


def missed(mode: str, kept: Kept) -> str:
    return f"{mode} can no longer be delivered by {kept.window['latest']}"


async def not_kept(ctx: Context, snap: Snapshot, channel: str, lines: list[tuple[str, int]],
                   point: tuple[float, float], held: dict[tuple[str, str], int] | None, reason: str) -> PromiseNotKept:
    """The refusal of a promise, with the options there are now instead."""
    at = ctx.clock.now()
    options, _ = await options_for(ctx, snap, Cart(channel, lines, point, at, held))
    return PromiseNotKept(reason, options=[view(snap, o, lines, channel, at) for o in options])


async def product_page(ctx: Context, *, principal: Principal, channel: str, sku: str,
                       point: tuple[float, float]) -> dict:
    """One SKU near a point, for a product page: units the channel may sell, and per mode the soonest
    window (for collection: the store that has it soonest). Kept for the minute while the stock and the
    reference data do not move; points are rounded to about a kilometre."""
    principal.require_availability(channel)
    snap = await ctx.reference.knowing(ctx.db, {sku}, set())
    if sku not in snap.products:
        raise NotFound(f"no sku {sku!r}")
    stock = await ctx.stock.available(ctx.db, {sku})
    minute = ctx.clock.now().replace(second=0, microsecond=0)
    near = (round(point[0], 2), round(point[1], 2))
    versions, key = (snap.version, ctx.stock.version, minute), (channel, sku, near)
    if (kept := ctx.promise_pages.get(versions, key)) is not None:
        return kept
    rules = snap.rules
    available = sum(rules.promisable(channel, snap.nodes[n].type, q) for (n, _), q in stock.items()
                    if n in snap.nodes and snap.nodes[n].active and rules.uses(channel, snap.nodes[n].type))
    options, _ = await options_for(ctx, snap, Cart(channel, [(sku, 1)], near, minute), soonest=True) \
        if snap.products[sku].active else ([], {})
    soonest: dict[str, Option] = {}
    for o in options:
        if o.mode not in soonest or (o.earliest, o.latest) < (soonest[o.mode].earliest, soonest[o.mode].latest):
            soonest[o.mode] = o
    answer = {"sku": sku, "channel": channel, "at": minute.isoformat(), "available": available if options else 0,
              "modes": [{"mode": o.mode, "earliest": o.earliest.isoformat(), "latest": o.latest.isoformat(),
                         "cutoff": o.order_by.isoformat(), "pickup_node_id": o.pickup_node_id}
                        for o in sorted(soonest.values(), key=lambda o: (o.earliest, o.mode))]}
    if ctx.stock.version == versions[1]:  # not kept if the stock moved while it was being worked out
        ctx.promise_pages.put(key, answer)
    return answer


def _reason(exc: Exception) -> str:
    if isinstance(exc, OutOfStock):
        return "not enough stock at the nodes that send it: " + OutOfStock.units(exc.extra["lines"])
    return str(exc)


def _usable(snap: Snapshot, channel: str) -> dict[str, NodeRef]:
    """The active nodes the channel's rules let it use (worked out once per snapshot and channel)."""
    return snap.derived(("usable", channel), lambda: {
        n.id: n for n in snap.nodes.values() if n.active and snap.rules.uses(channel, n.type)})


def _sending(snap: Snapshot, channel: str, mode: str) -> dict[str, Candidate]:
    """Those of them that send ``mode``."""
    return snap.derived(("sending", channel, mode), lambda: {
        i: Candidate(i, n.lat, n.lng) for i, n in _usable(snap, channel).items() if mode in n.fulfills})


def _handing_over(snap: Snapshot, mode: str, point: tuple[float, float], types: tuple[str, ...],
                  radius_km: float) -> list[NodeRef]:
    """The active nodes of these types that hand over ``mode`` within the radius, nearest first."""
    return [snap.nodes[node_id] for _, node_id in handing_over(snap, mode, types).within(*point, radius_km)[:TRIED]]


def handing_over(snap: Snapshot, mode: str, types: tuple[str, ...]) -> Nearby:
    """The active nodes of these types that hand over ``mode``, found by distance."""
    return snap.derived(("handing over", mode, types), lambda: Nearby(
        (n.lat, n.lng, n.id) for n in snap.nodes.values() if n.active and n.type in types and mode in n.hands_over))


def _first_few(nodes: list[NodeRef], option_at: Callable[[NodeRef], Option]) -> list[Option]:
    """The options of the first ``STORES_OFFERED`` of these nodes that can have one (a full one gives way
    to the next), or NotOffered saying why none could."""
    found, reasons = [], []
    for node in nodes:
        try:
            found.append(option_at(node))
        except (NotOffered, OutOfStock) as exc:
            reasons.append(f"{node.id}: {_reason(exc)}")
            continue
        if len(found) == STORES_OFFERED:
            break
    if not found:
        raise NotOffered("; ".join(reasons))
    return found


def view(snap: Snapshot, o: Option, lines: list[tuple[str, int]], channel: str, issued: datetime | None) -> dict:
    """An option as answered; ``issued``: the server time a promise id is given at (None: none is)."""
    prices = snap.prices or {}
    rule = prices.get("modes", {}).get(o.mode)
    basket = sum(quantity * snap.products[sku].price_amount for sku, quantity in lines)
    amount = 0
    if rule and not (rule.get("free_above") is not None and basket >= rule["free_above"]):
        amount = rule["amount"]
    earliest, latest, nodes = o.earliest.isoformat(), o.latest.isoformat(), list(o.nodes)
    promise_id = expires = None
    if issued is not None and o.available_from is None:  # (a date that hangs on a supplier's is no promise)
        expires = (issued + VALID_FOR).isoformat()
        promise_id = sign(snap.promise_secret, {
            "mode": o.mode, "pickup_node_id": o.pickup_node_id, "channel": channel, "at": issued.isoformat(),
            "nodes": nodes, "earliest": earliest, "latest": latest, "expires_at": expires})
    return {"mode": o.mode, "price": {"amount": amount, "currency": prices.get("currency", "EUR")},
            "earliest": earliest, "latest": latest, "cutoff": o.order_by.isoformat(),
            "nodes": nodes, "pickup_node_id": o.pickup_node_id, "services": list(o.services),
            "cost": o.cost, "parcels": len(o.parcels), "promise_id": promise_id, "expires_at": expires,
            "within_minutes": o.within_minutes,
            "carbon_g": None if o.carbon_g is None else round(o.carbon_g),
            "available_from": o.available_from.isoformat() if o.available_from else None}
