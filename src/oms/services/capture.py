"""Order capture: validate, choose the nodes, reserve, store the order and its event — one transaction."""

from sqlalchemy import select

from ..db import tables as t
from ..db.capture_tx import Duplicate, LostRace
from ..db.tables import now
from ..domain.access import Principal
from ..domain.errors import Conflict, OutOfStock
from ..domain.ids import new_id
from ..domain.lifecycle import FStatus, OStatus
from ..domain.sourcing import plan_first_rule
from .context import Context
from .events import event
from .holds import release_expired, take_hold
from .inputs import OrderIn
from .order_view import order_view
from .planning import Request, prepare
from .queries import load_order

# A lost race means the plan was made on numbers another order has just changed: read and plan again.
# Every lost race is another order's won reservation, so stock runs out long before this bound.
ATTEMPTS = 50


async def capture_order(ctx: Context, order: OrderIn, *, principal: Principal,
                        idempotency_key: str | None = None) -> tuple[dict, bool]:
    """The stored order and whether it was created now (False: the same order was captured before)."""
    principal.require_order_write(order.channel)
    request = await prepare(ctx, order.channel, order.lines, order.delivery)
    expired_released = False
    from_memory = True  # the first plan uses the in-memory stock; any doubt, and the database is read

    for _ in range(ATTEMPTS):
        try:
            return await _store(ctx, order, request, principal, idempotency_key, from_memory), True
        except Duplicate:
            existing = await _find_existing(ctx, order, idempotency_key)
            if existing is not None:
                return existing, False
            # Nothing to answer with (the colliding request did not commit after all): try again.
        except LostRace:
            from_memory = False
        except OutOfStock:
            if from_memory:  # the mirror may be a moment behind a replenishment: ask the database
                from_memory = False
                continue
            # A replay must answer the order it replays, even when its units are gone since.
            existing = await _find_existing(ctx, order, idempotency_key)
            if existing is not None:
                return existing, False
            # Expired holds never block a sale: free those on these SKUs now, and plan again once.
            if expired_released or not await release_expired(ctx, skus={n.sku for n in request.needs}):
                raise
            expired_released = True
    raise Conflict(f"the stock of these lines changed under {ATTEMPTS} attempts in a row; try again")


async def _store(ctx: Context, order: OrderIn, request: Request, principal: Principal, idempotency_key: str | None,
                 from_memory: bool) -> dict:
    """Plan on the stock available now, then store the order with its reservations (or Duplicate, LostRace).

    ``from_memory``: plan on the stock mirror (a fraction of a second old) and save a round trip; the
    conditional update decides all the same, and a plan it refuses is made again from the database."""
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
    async with ctx.db.capture(transaction=order.hold_id is not None) as tx:
        if order.hold_id:  # the hold's units come back in this transaction, for this order alone
            await take_hold(tx.conn, order.hold_id, order.channel)
        # Planned on what is available now; storing re-checks it under the row lock (conditional update).
        skus = {n.sku for n in request.needs}
        available = await ctx.stock.available(ctx.db, skus) if from_memory else await tx.available(skus)
        plan = plan_first_rule(request.needs, request.candidates, request.promisable(available), request.destination)
        fuls, flines = _fulfillment_rows(order_id, plan, at, order.delivery.pickup_node_id)
        view = order_view(o, lines, fuls, flines)
        created = event("order.created", order_id=order_id, actor=principal.actor, at=at, data=view)
        children = [(t.order_lines, lines), (t.fulfillments, fuls), (t.fulfillment_lines, flines),
                    (t.events, [created])]
        await tx.store(t.orders, o, children, [(fl["node_id"], fl["sku"], fl["quantity"]) for fl in flines],
                       request.guard)
    return view


def _fulfillment_rows(order_id: str, plan, at, handover_node_id: str | None) -> tuple[list[dict], list[dict]]:
    fuls, flines = [], []
    for node_id, node_needs in sorted(plan.items()):
        f_id = new_id("ful")
        fuls.append({"id": f_id, "order_id": order_id, "node_id": node_id, "handover_node_id": handover_node_id,
                     "status": FStatus.RELEASED, "details": {}, "created_at": at, "updated_at": at})
        flines += [
            {"fulfillment_id": f_id, "line_no": n.line_no, "node_id": node_id, "sku": n.sku, "quantity": n.quantity,
             "picked": None, "shipped": 0, "cancelled": 0, "short": 0, "reserved": n.quantity}
            for n in node_needs
        ]
    return fuls, flines


async def _find_existing(ctx: Context, order: OrderIn, idempotency_key: str | None) -> dict | None:
    """The order this request repeats: by its Idempotency-Key first, else by its channel reference.

    A key already used for another channel reference is a client bug, refused rather than answered
    with an unrelated order.
    """
    c = t.orders.c
    async with ctx.db.read() as conn:
        order_id = None
        if idempotency_key:
            row = (await conn.execute(select(c.id, c.external_ref).where(
                c.channel == order.channel, c.idempotency_key == idempotency_key))).first()
            if row is not None and row.external_ref != order.external_ref:
                raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for order {row.id} "
                               f"(external_ref {row.external_ref!r}), not for {order.external_ref!r}")
            order_id = row.id if row else None
        if order_id is None:
            order_id = await conn.scalar(select(c.id).where(c.channel == order.channel,
                                                            c.external_ref == order.external_ref))
        return await load_order(conn, order_id) if order_id else None
