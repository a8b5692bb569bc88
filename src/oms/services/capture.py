"""Order capture: validate, choose the nodes, reserve, store the order and its event — one transaction."""

from sqlalchemy import or_, select

from ..db import tables as t
from ..db.statements import insert_unless_exists
from ..db.tables import now
from ..domain.access import Principal
from ..domain.errors import Conflict, OutOfStock
from ..domain.ids import new_id
from ..domain.lifecycle import FStatus, OStatus
from ..domain.ordering import check_order
from ..domain.sourcing import Need, plan_first_rule
from . import stock
from .context import Context
from .events import event
from .inputs import OrderIn
from .order_view import order_view
from .queries import load_order

# A lost race means the plan was made on numbers another order has just changed: read and plan again.
# Every lost race is another order's won reservation, so stock runs out long before this bound.
ATTEMPTS = 50


class _Duplicate(Exception):
    pass


class _LostRace(Exception):
    pass


async def capture_order(ctx: Context, order: OrderIn, *, principal: Principal,
                        idempotency_key: str | None = None) -> tuple[dict, bool]:
    """The stored order and whether it was created now (False: the same order was captured before)."""
    principal.require_order_write(order.channel)
    delivery = order.delivery
    skus = [line.sku for line in order.lines]
    pickup_ids = {delivery.pickup_node_id} if delivery.pickup_node_id else set()
    snap = await ctx.reference.knowing(ctx.db, set(skus), pickup_ids)
    point = (delivery.address.lat, delivery.address.lng) if delivery.address else None
    candidates, destination = check_order(skus, delivery.mode, delivery.pickup_node_id, point,
                                          snap.products, snap.nodes)
    needs = [Need(i + 1, line.sku, line.quantity) for i, line in enumerate(order.lines)]

    for _ in range(ATTEMPTS):
        async with ctx.db.read() as conn:
            availability = await stock.available(conn, skus)
        plan = plan_first_rule(needs, candidates, availability, destination)
        try:
            return await _store(ctx, order, plan, principal, idempotency_key), True
        except _Duplicate:
            existing = await _find_existing(ctx, order, idempotency_key)
            if existing is None:  # the first request was rolled back after ours conflicted: retry
                continue
            return existing, False
        except _LostRace:
            continue
    raise OutOfStock([{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity} for n in needs])


async def _store(ctx: Context, order: OrderIn, plan, principal: Principal, idempotency_key: str | None) -> dict:
    at = now()
    order_id = new_id("ord")
    currency = order.lines[0].unit_price.currency
    o = {
        "id": order_id, "channel": order.channel, "external_ref": order.external_ref,
        "idempotency_key": idempotency_key, "status": OStatus.CREATED,
        "customer_name": order.customer.name, "customer_email": order.customer.email,
        "delivery_mode": order.delivery.mode, "delivery": order.delivery.model_dump(mode="json", exclude_none=True),
        "currency": currency, "total_amount": sum(ln.quantity * ln.unit_price.amount for ln in order.lines),
        "created_at": at, "updated_at": at,
    }
    lines = [
        {"order_id": order_id, "line_no": i + 1, "sku": ln.sku, "quantity": ln.quantity, "cancelled": 0,
         "unit_price": ln.unit_price.amount}
        for i, ln in enumerate(order.lines)
    ]
    fuls, flines = [], []
    for node_id, needs in sorted(plan.items()):
        f_id = new_id("ful")
        fuls.append({"id": f_id, "order_id": order_id, "node_id": node_id, "status": FStatus.RELEASED,
                     "details": {}, "created_at": at, "updated_at": at})
        flines += [
            {"fulfillment_id": f_id, "line_no": n.line_no, "node_id": node_id, "sku": n.sku, "quantity": n.quantity,
             "picked": None, "shipped": 0, "cancelled": 0, "short": 0, "reserved": n.quantity}
            for n in needs
        ]
    view = order_view(o, lines, fuls, flines)

    async with ctx.db.write() as conn:
        inserted = await conn.execute(insert_unless_exists(ctx.db.dialect, t.orders).values(o).returning(t.orders.c.id))
        if inserted.first() is None:
            raise _Duplicate
        if not await stock.reserve(conn, [(fl["node_id"], fl["sku"], fl["quantity"]) for fl in flines]):
            raise _LostRace  # leaving the block rolls the order back
        await conn.execute(t.order_lines.insert(), lines)
        await conn.execute(t.fulfillments.insert(), fuls)
        await conn.execute(t.fulfillment_lines.insert(), flines)
        await conn.execute(t.events.insert(), event("order.created", order_id=order_id, actor=principal.actor,
                                                    at=at, data=view))
    return view


async def _find_existing(ctx: Context, order: OrderIn, idempotency_key: str | None) -> dict | None:
    c = t.orders.c
    same = c.external_ref == order.external_ref
    if idempotency_key:
        same = or_(same, c.idempotency_key == idempotency_key)
    async with ctx.db.read() as conn:
        order_id = await conn.scalar(select(c.id).where(c.channel == order.channel, same).limit(1))
        if order_id is None:
            return None
        found = await load_order(conn, order_id)
    if found is None:
        raise Conflict(f"order {order_id} vanished while being read")
    return found
