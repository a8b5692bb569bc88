"""Capture from the inbox: each platform record kept there becomes, changes or cancels an OMS order.

A record is a snapshot of a platform order at its ``updated_at``. Its order is worked on by one process at a
time (a lease on its ``connector_orders`` row, taken by a conditional update and given up after, or let run
out if the process dies), and snapshots older than the newest taken change nothing. Then:

- an order the OMS does not have yet is captured (its ``external_ref``: the platform's order id), on hold
  while unpaid; one cancelled before it came is only noted;
- an order the platform asks the shop to accept or refuse line by line (Mirakl) is captured, on hold, with
  the lines whose units can be reserved now (their units are held before any line is accepted), the others
  left out; the decision is written with the record, as a report the platform is sent after (``reports``);
- an order it has is released from its hold when the platform says it is paid, cancelled (what has not left
  the nodes) when the platform cancelled it.

Capture's own idempotency (the channel's ``external_ref``) keeps one order when a record is worked on again
after a crash, or comes by a webhook and a poll at once. A record that cannot be captured (an unknown product,
no address, no stock) is a dead letter with its reason, until an admin retries it after fixing the mapping or
dismisses it; the others go on. A failure of the OMS itself (the database gone) leaves the record pending,
tried again at the next pass, and dead after ``TRIES_MAX`` passes.
"""

import asyncio
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import or_, select, update

from ...db import statements
from ...db import tables as t
from ...domain.access import Principal
from ...domain.connectors import Kind
from ...domain.errors import IdempotencyConflict, InvalidInput, NotFound, OmsError, OutOfStock
from ...domain.lifecycle import FStatus, OStatus
from ...domain.platform_orders import Place, Snapshot, Unreadable, read
from ...domain.vocabulary import PICKUP_MODES, DeliveryMode, Role
from ..orders.cancel import cancel_order
from ..orders.capture import capture_order
from ..orders.changes import change_address
from ..orders.inputs import AddressChangeIn, CancelIn, CancelLine, OrderIn
from ..orders.queries import load_order
from ..orders.release import release_order
from ..runtime.context import Context
from . import places, reports
from .inbox import CAPTURED, DEAD, IGNORED, PENDING

c, i, p = t.connectors.c, t.connector_inbox.c, t.connector_orders.c
LEASE = timedelta(seconds=60)  # longer than any capture takes; a dead process's orders are free again after it
# What a snapshot taken already was, ranked: one of the same time ranked higher still changes it.
RANKS = {"on_hold": 0, "refused": 0, "captured": 1, "closed": 1, "cancelled": 2}
# What no number of tries changes: the record is a dead letter at once (others, a race lost, are tried again).
FINAL = (InvalidInput, NotFound, OutOfStock, IdempotencyConflict)
TRIES_MAX = 5  # passes a record failing for the OMS's own reasons is tried before it is a dead letter
DECIDE_TRIES = 12  # captures a decision tries, each without lines a shortage names (well within the lease)
BATCH = 200
AT_ONCE = 8  # records worked on together: each waits on the database most of its time
REASON_MAX = 500
log = logging.getLogger("oms.connectors")


class Dead(Exception):
    """The record cannot be captured as it is: the reason says what to fix."""


@dataclass(frozen=True)
class Outcome:
    state: str  # of the platform order: on_hold, captured, cancelled
    order_id: str | None
    note: str | None = None
    captured: bool = False  # the OMS order was made from this snapshot (its lines are the snapshot's)
    # The platform's ids of the lines accepted, where the platform waits for the shop's decision (the others
    # are refused).
    accepted: tuple[str | None, ...] | None = None
    items: tuple[str | None, ...] | None = None  # the platform's id of each OMS line, where not the snapshot's


async def capture_pending(ctx: Context) -> int:
    """Work on the pending records of active connectors, oldest first; how many were settled. Records of
    different platform orders are worked on together (``AT_ONCE``: each waits on the database most of its
    time), those of one platform order one after the other, in the order they came."""
    async with ctx.db.read() as conn:
        rows = (await conn.execute(
            select(i.id, i.connector_id, i.platform_ref).join(t.connectors, c.id == i.connector_id)
            .where(i.status == PENDING, c.active).order_by(i.id).limit(BATCH))).all()
    lanes: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        lanes.setdefault((row.connector_id, row.platform_ref or f"#{row.id}"), []).append(row.id)
    room = asyncio.Semaphore(AT_ONCE)

    async def lane(ids: list[int]) -> int:
        async with room:
            return sum([await take(ctx, inbox_id) for inbox_id in ids])

    return sum(await asyncio.gather(*(lane(ids) for ids in lanes.values())))


async def take(ctx: Context, inbox_id: int) -> bool:
    """Work on one record; False when it was left pending (its order leased by another, or a failure)."""
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(t.connector_inbox).where(i.id == inbox_id, i.status == PENDING))
               ).mappings().first()
        connector = (await conn.execute(select(t.connectors).where(c.id == row["connector_id"]))).mappings().first() \
            if row is not None else None
    if row is None or connector is None:
        return False
    try:
        snapshot = read(Kind(connector["kind"]), json.loads(row["body"]))
    except Exception as exc:  # (whatever a record holds: it never stops the others)
        why = str(exc) if isinstance(exc, Unreadable) else f"{type(exc).__name__}: {exc}"
        await _settle(ctx, row, DEAD, f"the record cannot be read: {why}")
        return True
    leased = await _lease(ctx, connector["id"], snapshot.ref)
    if leased is None:
        return False
    token, seen = leased
    try:
        if not _newer(snapshot, seen):
            await _settle(ctx, row, IGNORED, f"not newer than the snapshot taken (updated_at "
                                             f"{snapshot.updated_at.isoformat()}, {seen['version'].isoformat()} "
                                             f"taken, {seen['state']})", lease=token)
            return True
        try:
            outcome = await _apply(ctx, connector, snapshot, seen)
        except (Dead, *FINAL) as exc:
            await _settle(ctx, row, DEAD, _reason(exc), lease=token)
            return True
        except Exception as exc:  # the OMS's own failure, or a race: tried again at the next pass
            if not isinstance(exc, OmsError):
                log.exception("connector %s: record %s failed", connector["id"], inbox_id)
            tries = row["attempts"] + 1
            await _settle(ctx, row, DEAD if tries >= TRIES_MAX else PENDING,
                          f"failed {tries} times, last: {_reason(exc)}", lease=token)
            return tries >= TRIES_MAX
        return await _settle(ctx, row, CAPTURED, outcome.note, snapshot=snapshot, outcome=outcome, lease=token)
    finally:
        await _unlease(ctx, connector["id"], snapshot.ref, token)


def _newer(snapshot: Snapshot, seen: Mapping) -> bool:
    """Whether a snapshot changes what was taken: a later one, or one of the same time further on its way
    (paid after unpaid, cancelled after either: a platform's times may have whole seconds only)."""
    if seen["version"] is None:
        return True
    if snapshot.updated_at != seen["version"]:
        return snapshot.updated_at > seen["version"]
    rank = 2 if snapshot.cancelled else 1 if snapshot.paid else 0
    return rank > RANKS.get(seen["state"], 0)


async def _apply(ctx: Context, connector: Mapping, snapshot: Snapshot, seen: Mapping) -> Outcome:
    principal = Principal(key_id=connector["id"], role=Role.ADMIN)
    kind = connector["kind"]
    # (an order captured before a crash, its outcome not recorded, is found by the key capture was given)
    order_id = seen["order_id"] or await _ours(ctx, connector, snapshot.ref)
    captured = seen["order_id"] is None and order_id is not None
    if order_id is None:
        if snapshot.cancelled:
            return Outcome("cancelled", None, f"cancelled on {kind} before it was captured")
        if seen["state"] == "refused":
            if snapshot.decide or snapshot.cancelled:
                return Outcome("refused", None, "every line was refused already")
            raise Dead(f"every line was refused, yet {kind} asks the order to be sent: accepted by hand there? "
                       f"Cancel it on {kind}, or dismiss this and take the order by the API")
        if snapshot.done:
            return Outcome("closed", None, f"sent already by {kind}'s records when first read: not captured")
        if snapshot.decide:
            return await _decide(ctx, principal, connector, snapshot)
        order = await _order_in(ctx, connector, snapshot)
        try:
            view, _ = await capture_order(ctx, order, principal=principal,
                                          idempotency_key=key_of(connector["id"], snapshot.ref))
        except IdempotencyConflict as exc:
            order_id, captured = await _own(ctx, connector, snapshot.ref, exc), True
        else:
            return Outcome("on_hold" if order.hold else "captured", view["id"], captured=True)
    async with ctx.db.read() as conn:
        found = await load_order(conn, order_id)
    if found is None:
        raise Dead(f"order {order_id}, captured from this platform order, is gone")
    if captured and snapshot.decide:  # (a decision a crash left unrecorded: made again from the order)
        return await _decided(ctx, principal, connector, snapshot, order_id, "decided before a crash")
    outcome = await _change(ctx, principal, kind, order_id, found, snapshot)
    return Outcome(outcome.state, outcome.order_id, outcome.note, captured)


async def _decide(ctx: Context, principal: Principal, connector: Mapping, snapshot: Snapshot) -> Outcome:
    """Accept the lines whose units the OMS can reserve now, refuse the others: the order is captured on hold
    with the lines it can serve, so that every line accepted has its units held before the platform hears of
    it. Capture is tried again without the lines a shortage names (without the last line where it names them
    all: no plan serves them together), ``DECIDE_TRIES`` times at most (the lease runs meanwhile); lines left
    waiting for supply (a channel that takes backorders) are cancelled at once and refused."""
    skus = await _skus(ctx, connector["id"], snapshot)
    kept = list(range(len(snapshot.lines)))
    for _ in range(DECIDE_TRIES):
        if not kept:
            break
        wanted = replace(snapshot, lines=tuple(snapshot.lines[n] for n in kept))
        order = await _order_in(ctx, connector, wanted, [skus[n] for n in kept])
        try:
            view, _ = await capture_order(ctx, order, principal=principal,
                                          idempotency_key=key_of(connector["id"], snapshot.ref))
        except IdempotencyConflict as exc:  # (another process decided it, its lease run out meanwhile)
            return await _decided(ctx, principal, connector, snapshot, await _own(ctx, connector, snapshot.ref, exc),
                                  "decided by another process")
        except OutOfStock as exc:
            named = {line.get("line_no") for line in exc.extra.get("lines", [])}
            left = [n for i, n in enumerate(kept, 1) if i not in named]
            kept = left if 0 < len(left) < len(kept) else kept[:-1]
            continue
        return await _decided(ctx, principal, connector, snapshot, view["id"], None)
    return Outcome("refused", None, "every line refused: none could be served", accepted=())


async def _decided(ctx: Context, principal: Principal, connector: Mapping, snapshot: Snapshot, order_id: str,
                   note: str | None) -> Outcome:
    """The decision an order captured for it makes: its lines waiting for supply cancelled (refused), the
    others accepted. Made again the same for an order a crash or another process left undecided."""
    async with ctx.db.read() as conn:
        view = await load_order(conn, order_id)
    if view is None:
        raise Dead(f"order {order_id}, captured from this platform order, is gone")
    waiting = {fl["line_no"] for f in view["fulfillments"] if f["status"] == FStatus.BACKORDERED for fl in f["lines"]}
    if waiting:
        view = await cancel_order(ctx, order_id, CancelIn(
            lines=[CancelLine(line_no=n) for n in sorted(waiting)],
            reason=f"refused on {connector['kind']}: its units are not in stock, only expected"), principal=principal)
    items, accepted = _matched(view["lines"], await _skus(ctx, connector["id"], snapshot), snapshot)
    refused = len(snapshot.lines) - len(accepted)
    note = note or (f"{len(accepted)} lines accepted, {refused} refused (none could be served)" if refused else None)
    return Outcome("on_hold" if accepted else "refused", order_id, note, True, accepted, items)


def _matched(lines: list[dict], skus: list[str], snapshot: Snapshot) -> tuple[tuple, tuple]:
    """The platform's id of each line of an order a decision made, and of those accepted (not cancelled at
    once): each OMS line matched, in order, with the next snapshot line of its SKU and quantity (the order
    holds the lines kept, in the snapshot's order)."""
    items: list[str | None] = []
    accepted: list[str | None] = []
    n = 0
    for line in lines:
        while n < len(snapshot.lines) and (skus[n], snapshot.lines[n].quantity) != (line["sku"], line["quantity"]):
            n += 1
        items.append(snapshot.lines[n].item if n < len(snapshot.lines) else None)
        if line.get("cancelled", 0) < line["quantity"]:
            accepted.append(items[-1])
        n += 1
    return tuple(items), tuple(accepted)


async def _own(ctx: Context, connector: Mapping, ref: str, exc: IdempotencyConflict) -> str:
    """The order a capture found its key on, when this connector brought it (else Dead: another's)."""
    theirs: str | None = exc.extra.get("order_id")
    if theirs is None or theirs != await _ours(ctx, connector, ref):
        raise Dead(f"channel {connector['channel']} already has an order {theirs} with external_ref {ref!r} that "
                   f"this connector did not bring (an API client's, or another connector's of the channel): give "
                   f"each shop a channel of its own") from None
    return theirs


def key_of(connector_id: str, ref: str) -> str:
    """The Idempotency-Key an order a connector brings is captured with: it tells the connector's own orders
    from another's of the same channel and reference."""
    return f"{connector_id}:{ref}"


async def _ours(ctx: Context, connector: Mapping, ref: str) -> str | None:
    o = t.orders.c
    async with ctx.db.read() as conn:
        return await conn.scalar(select(o.id).where(o.channel == connector["channel"],
                                                    o.idempotency_key == key_of(connector["id"], ref)))


async def _change(ctx: Context, principal: Principal, kind: str, order_id: str, view: dict,
                  snapshot: Snapshot) -> Outcome:
    """What a newer snapshot changes of an order the OMS has: its cancellation, its payment."""
    if snapshot.cancelled:
        if view["status"] == OStatus.CANCELLED:
            return Outcome("cancelled", order_id, "already cancelled")
        try:
            await cancel_order(ctx, order_id, CancelIn(reason=f"cancelled on {kind}"), principal=principal)
        except OmsError as exc:
            return Outcome("cancelled", order_id, f"cancelled on {kind}; the OMS could not cancel: {exc}"[:REASON_MAX])
        return Outcome("cancelled", order_id)
    if view["status"] == OStatus.CANCELLED:  # (the OMS cancelled it: the platform hears of it, nothing to take)
        return Outcome("captured", order_id, "cancelled in the OMS")
    moved = await _given(ctx, principal, kind, order_id, view, snapshot)
    if snapshot.paid and view.get("hold"):
        await release_order(ctx, order_id, principal=principal, reason=f"paid on {kind}")
        return Outcome("captured", order_id, "; ".join(filter(None, [moved, "paid: released"])))
    return Outcome("on_hold" if view.get("hold") else "captured", order_id, moved or "no change the OMS takes")


async def _given(ctx: Context, principal: Principal, kind: str, order_id: str, view: dict,
                 snapshot: Snapshot) -> str | None:
    """An order held before its address was given (Mirakl gives it once the customer is debited) sent to the
    address the platform gives now. Paid without one it could take, it stays on hold: a dead letter says why,
    for an admin to give it its address (``PUT /v1/orders/{id}/address``) and retry. Other orders keep the
    address they have (customer service may have changed it in the OMS)."""
    current = view["delivery"].get("address")
    if current is None or current.get("line1") != places.NOT_GIVEN["line1"]:
        return None
    try:
        if snapshot.address is None:
            raise Dead(f"{kind} gives no address yet")
        await change_address(ctx, order_id, AddressChangeIn.model_validate(
            {"address": _address(snapshot.address), "reason": f"the address {kind} gives"}), principal=principal)
    except (Dead, OmsError, ValidationError) as exc:
        if not snapshot.paid:
            return f"its address is not taken yet: {exc}"[:REASON_MAX]
        raise Dead(f"paid, but the address {kind} gives cannot be taken ({exc}): the order stays on hold; give it "
                   f"its address (PUT /v1/orders/{order_id}/address) and retry"[:REASON_MAX]) from None
    return "address given"


async def _order_in(ctx: Context, connector: Mapping, snapshot: Snapshot, skus: list[str] | None = None) -> OrderIn:
    """The OMS order a snapshot asks for, or Dead naming what is missing."""
    skus = skus if skus is not None else await _skus(ctx, connector["id"], snapshot)
    mode = _mode(connector, snapshot)
    if snapshot.point is not None:
        return _validated(connector, snapshot, skus, {"mode": await _point_mode(ctx, mode, snapshot.point),
                                                      "pickup_node_id": snapshot.point})
    if mode in PICKUP_MODES:
        raise Dead(f"the shipping method {snapshot.methods[0]!r} maps to {mode}, which needs the store or point "
                   f"it is collected at; map it to a home delivery mode")
    if snapshot.address is None and connector["kind"] == Kind.MIRAKL and not snapshot.paid:
        # (Mirakl gives the address once the customer is debited: the units are held meanwhile as for the
        # middle of France, and the order goes to its address when it comes, before it is released)
        return _validated(connector, snapshot, skus, {"mode": mode.value, "address": places.NOT_GIVEN})
    if snapshot.address is None:
        raise Dead("the order has no shipping address")
    return _validated(connector, snapshot, skus, {"mode": mode.value, "address": _address(snapshot.address)})


def _address(address: Place) -> dict:
    """A platform's address as the OMS keeps it: alpha-2, placed by its postal code when it has no
    coordinates (Dead when it cannot be)."""
    country = places.alpha2(address.country)
    if country is None:
        raise Dead(f"the shipping address's country {address.country!r} is no ISO 3166-1 country")
    lat, lng = address.lat, address.lng
    if lat is None or lng is None:
        found = places.coordinates(country, address.postal_code)
        if found is None:
            raise Dead(f"the shipping address has no coordinates and postal code {address.postal_code!r} "
                       f"({country}) is not in the postal code table")
        lat, lng = found
    return {"line1": address.line1, "postal_code": address.postal_code, "city": address.city, "country": country,
            "lat": lat, "lng": lng}


async def _point_mode(ctx: Context, mode: DeliveryMode, point: str) -> str:
    """The mode an order collected at a relay point is delivered by: the mapping's where the point takes it,
    else the point's own (Dead when the OMS knows no relay point or locker bank of that id)."""
    n = t.nodes.c
    async with ctx.db.read() as conn:
        hands_over = await conn.scalar(select(n.hands_over).where(n.id == point)) or []
    collect = [m for m in (DeliveryMode.PICKUP_POINT, DeliveryMode.LOCKER) if m in hands_over]
    if not collect:
        raise Dead(f"the relay point {point!r} the customer chose is not a relay point or locker bank of the OMS: "
                   f"load it (PUT /v1/nodes) with the marketplace's id")
    return mode.value if mode in collect else collect[0].value


def _validated(connector: Mapping, snapshot: Snapshot, skus: list[str], delivery: dict) -> OrderIn:
    try:
        return OrderIn.model_validate({
            "channel": connector["channel"], "external_ref": snapshot.ref,
            "customer": {"name": snapshot.name, "email": snapshot.email},
            "lines": [{"sku": sku, "quantity": line.quantity,
                       "unit_price": {"amount": line.unit_price, "currency": snapshot.currency}}
                      for sku, line in zip(skus, snapshot.lines, strict=True)],
            "delivery": delivery, "hold": None if snapshot.paid else "payment"})
    except ValidationError as exc:
        raise Dead("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])) from None


async def _skus(ctx: Context, connector_id: str, snapshot: Snapshot) -> list[str]:
    """Each line's SKU: the mapping of its variant, of its product, of its platform SKU; else the platform SKU
    itself when the OMS sells it."""
    m = t.connector_skus.c
    wanted = {ref for line in snapshot.lines for ref in (*line.refs, line.sku) if ref}
    async with ctx.db.read() as conn:
        mapped = dict((await conn.execute(select(m.platform_ref, m.sku).where(
            m.connector_id == connector_id, m.platform_ref.in_(wanted)))).all())
        known = set((await conn.scalars(select(t.products.c.sku).where(t.products.c.sku.in_(
            {line.sku for line in snapshot.lines if line.sku})))).all())
    skus: list[str] = []
    unknown: list[str] = []
    for n, line in enumerate(snapshot.lines):
        sku = next((mapped[ref] for ref in (*line.refs, line.sku) if ref in mapped), None)
        sku = sku or (line.sku if line.sku in known else None)
        if sku is not None:
            skus.append(sku)
        else:
            unknown.append(f"line {n + 1} (" + ", ".join([*(f"id {ref}" for ref in line.refs),
                                                           *([f"sku {line.sku!r}"] if line.sku else [])]) + ")")
    if unknown:
        raise Dead(f"no OMS SKU for {'; '.join(unknown)}: map it (PUT /v1/connectors/{connector_id}/skus)")
    return skus


def _mode(connector: Mapping, snapshot: Snapshot) -> DeliveryMode:
    """The delivery mode the shipping method maps to (by its code, else its title); home standard when the
    mapping does not name it."""
    modes: dict[str, str] = connector["shipping_modes"]
    return next((DeliveryMode(modes[m]) for m in snapshot.methods if m in modes), DeliveryMode.HOME_STANDARD)


async def _lease(ctx: Context, connector_id: str, ref: str) -> tuple[str, Mapping] | None:
    """Take the platform order for this process, unless another holds it: the lease's token and what was taken
    of the order so far (its ``connector_orders`` row), or None."""
    at, token = ctx.clock.now(), secrets.token_hex(16)
    async with ctx.db.write() as conn:
        await conn.execute(statements.insert_unless_exists(ctx.db.dialect, t.connector_orders).values(
            connector_id=connector_id, platform_ref=ref, version=None, order_id=None, state="new",
            busy_until=None, updated_at=at))
        taken = await conn.execute(update(t.connector_orders).where(
            p.connector_id == connector_id, p.platform_ref == ref,
            or_(p.busy_until.is_(None), p.busy_until < at)).values(busy_until=at + LEASE, lease=token))
        if taken.rowcount != 1:
            return None
        return token, (await conn.execute(select(t.connector_orders).where(
            p.connector_id == connector_id, p.platform_ref == ref))).mappings().one()


async def _unlease(ctx: Context, connector_id: str, ref: str, token: str) -> None:
    """Give the lease up, if this process still holds it (one that outlived it holds nothing)."""
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connector_orders).where(
            p.connector_id == connector_id, p.platform_ref == ref, p.lease == token).values(busy_until=None,
                                                                                            lease=None))


class _LeaseLost(Exception):
    pass


async def _settle(ctx: Context, row: Mapping, status: str, note: str | None, *, snapshot: Snapshot | None = None,
                  outcome: Outcome | None = None, lease: str | None = None) -> bool:
    """The record's end (or its next try), and the platform order's newest snapshot with it: one write, made
    only while this process holds the lease (else nothing, and the record waits for the next pass)."""
    at = ctx.clock.now()
    try:
        async with ctx.db.write() as conn:
            if lease is not None:
                values: dict = {"updated_at": at}
                if snapshot is not None and outcome is not None:
                    values.update(version=snapshot.updated_at, order_id=outcome.order_id, state=outcome.state)
                    if outcome.items is not None:
                        values["lines"] = list(outcome.items)
                    elif outcome.captured:
                        values["lines"] = [line.item for line in snapshot.lines]
                held = await conn.execute(update(t.connector_orders).where(
                    p.connector_id == row["connector_id"], p.platform_ref == (snapshot.ref if snapshot else
                                                                             row["platform_ref"]),
                    p.lease == lease).values(**values))
                if held.rowcount != 1:
                    raise _LeaseLost
            if snapshot is not None and outcome is not None and outcome.accepted is not None:
                await reports.decided(conn, row["connector_id"], snapshot, outcome.order_id, outcome.accepted, at)
            await conn.execute(update(t.connector_inbox).where(i.id == row["id"]).values(
                status=status, attempts=row["attempts"] + 1, error=note[:REASON_MAX] if note else None))
    except _LeaseLost:
        log.warning("connector %s: record %s outlived its lease; worked on again", row["connector_id"], row["id"])
        return False
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, Dead):
        return str(exc)[:REASON_MAX]
    detail = exc.detail if isinstance(exc, OmsError) else str(exc)
    return f"{type(exc).__name__}: {detail}"[:REASON_MAX]
