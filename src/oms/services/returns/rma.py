"""Returns (RMA): started by any channel for units that left a node, with an exchange order if asked;
read and listed; cancelled while nothing came back. Receipts and inspections are in ``return_receipts``."""

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...db.rows import FulfillmentRow
from ...domain.access import Principal
from ...domain.errors import (
    Conflict,
    FieldError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OmsError,
    Problems,
    missing,
)
from ...domain.ids import new_id
from ...domain.lifecycle import REACHED, RStatus, check_return_transition
from ...domain.returns import Kind, returnable
from ...domain.vocabulary import Role
from ..orders.cancel import cancel_order
from ..orders.capture import capture_order
from ..orders.inputs import CancelIn, OrderIn
from ..orders.state import OrderState
from ..orders.view import money
from ..runtime import pages
from ..runtime.context import Context
from ..runtime.shapes import Customer, DeliveryIn, Money, OrderLineIn
from .inputs import ReturnCancelIn, ReturnIn

r, rl = t.returns.c, t.return_lines.c
# The OMS itself, when it cancels the exchange of a return called off.
RETURNS = Principal("returns", Role.ADMIN)


def return_view(ret: dict, lines: list[dict], order_channel: str) -> dict:
    return {
        "id": ret["id"], "order_id": ret["order_id"], "order_channel": order_channel, "channel": ret["channel"],
        "kind": ret["kind"], "method": ret["method"], "node_id": ret["node_id"], "status": ret["status"],
        "lines": [{k: ln[k] for k in ("line_no", "sku", "quantity", "reason", "received", "restocked", "damaged",
                                      "to_inspect")} for ln in sorted(lines, key=lambda x: x["line_no"])],
        "refunded": money(ret["refunded"], ret["currency"]),
        "exchange_order_id": ret["exchange_order_id"],
        "exchange_credit": money(ret["exchange_credit"], ret["currency"]),
        "created_at": ret["created_at"].isoformat(), "updated_at": ret["updated_at"].isoformat(),
    }


async def start_return(ctx: Context, body: ReturnIn, *, principal: Principal,
                       idempotency_key: str | None = None) -> tuple[dict, bool]:
    """The return as stored, and whether it was created now (False: the key was seen before).

    With an exchange, the new order is captured first (it may find no stock: nothing is written then);
    if the return then cannot be stored, the exchange order is cancelled again.
    """
    principal.require_return_start(body.channel)
    # A key is the channel's own: another channel's same key is another return.
    idempotency_key = f"{body.channel}:{idempotency_key}" if idempotency_key else None
    if idempotency_key and (seen := await _by_key(ctx, idempotency_key)) is not None:
        return seen, False
    snap = await ctx.reference.get(ctx.db)
    if body.node_id and body.node_id not in snap.nodes:
        raise InvalidInput([FieldError("node_id", f"no node {body.node_id!r}")])
    return_id = new_id("ret")
    exchange = None
    if body.exchange:
        async with ctx.db.write() as conn:
            state, on_returns = await _order(conn, body.order_id)
            principal.require_exchange(state.order["channel"])
            lines = _lines(state, body, on_returns, shown=True)
            order = _exchange_order(state, body, return_id, lines, snap)
        exchange, _ = await capture_order(ctx, order, principal=principal, idempotency_key=f"exchange:{return_id}")
    try:
        async with ctx.db.write() as conn:
            state, on_returns = await _order(conn, body.order_id)
            shown = principal.sees_order(state.order["channel"])
            lines = [{**x, "return_id": return_id} for x in _lines(state, body, on_returns, shown=shown)]
            ret = _row(return_id, state, body, exchange, idempotency_key, ctx.clock.now())
            await conn.execute(t.returns.insert().values(ret))
            await conn.execute(t.return_lines.insert(), lines)
            at, actor = ret["created_at"], principal.actor
            state.record("return.created", actor=actor, at=at,
                         data={"order_id": state.order["id"], **_event_data(ret, lines)})
            await state.save(conn, actor=actor, at=at)
    except (OmsError, IntegrityError) as exc:
        if exchange is not None:
            await cancel_order(ctx, exchange["id"], CancelIn(reason=f"return {return_id} not stored"),
                               principal=principal)
        if isinstance(exc, IntegrityError) and idempotency_key and (seen := await _by_key(ctx, idempotency_key)):
            return seen, False  # the same key, sent twice at once: the first one stands
        raise
    return return_view(ret, lines, state.order["channel"]), True


async def undelivered(conn: AsyncConnection, state: OrderState, f: FulfillmentRow, node_id: str, reason: str, *,
                      actor: str, at) -> str:
    """A return for the units of a parcel coming back to ``node_id`` without reaching the customer (not
    collected in time, returned by the carrier); received there like any return, and refunded then."""
    return_id = new_id("ret")
    lines = [{"return_id": return_id, "line_no": fl["line_no"], "sku": fl["sku"], "quantity": fl["shipped"],
              "reason": reason, "received": 0, "restocked": 0, "damaged": 0, "to_inspect": 0}
             for fl in state.lines_of(f) if fl["shipped"]]
    ret = {"id": return_id, "order_id": state.order["id"], "channel": state.order["channel"],
           "kind": Kind.UNDELIVERED, "method": "carrier", "node_id": node_id, "status": RStatus.REQUESTED,
           "currency": state.order["currency"], "refunded": 0, "exchange_order_id": None, "exchange_credit": 0,
           "idempotency_key": None, "created_at": at, "updated_at": at}
    await conn.execute(t.returns.insert().values(ret))
    await conn.execute(t.return_lines.insert(), lines)
    state.record("return.created", actor=actor, at=at, reason=reason,
                 data={"order_id": state.order["id"], "fulfillment_id": f["id"], **_event_data(ret, lines)})
    return return_id


async def _order(conn: AsyncConnection, order_id: str) -> tuple[OrderState, dict[int, int]]:
    """The order under its lock (one return at a time counts what is left) and the units per order line
    already on its returns."""
    try:
        state = await OrderState.load(conn, order_id)
    except NotFound:
        raise InvalidInput([FieldError("order_id", f"no order {order_id!r}")]) from None
    rows = await conn.execute(select(rl.line_no, func.sum(rl.quantity)).join(t.returns)
                              .where(r.order_id == order_id, r.status != RStatus.CANCELLED).group_by(rl.line_no))
    return state, {no: int(q) for no, q in rows}


# What a channel that may not read the order is told of a line it cannot return: the same for every
# cause, so that trying SKUs and quantities does not tell it what the order holds.
NOT_RETURNABLE = ("cannot be returned on this order (not on it, not delivered yet, or on a return already); "
                  "the order's own channel sees why")


def _lines(state: OrderState, body: ReturnIn, on_returns: dict[int, int], *, shown: bool) -> list[dict]:
    """The return's lines, one per order line, or errors naming each asked line that cannot be returned:
    saying why (``422`` for a SKU the order lacks, ``409`` for more units than can come back) to a key that
    may read the order, ``shown``; to another, the same ``409`` words for every cause."""
    unknown = Problems()
    asked: dict[int, dict] = {}
    for i, want in enumerate(body.lines):
        matches = [ln for ln in state.lines if want.sku == ln["sku"] and want.line_no in (None, ln["line_no"])]
        if not matches:
            unknown.add(f"lines.{i}.sku", f"{want.sku!r} is not on order {state.order['id']}"
                        + (f" as line {want.line_no}" if want.line_no else ""))
        elif len(matches) > 1:
            unknown.add(f"lines.{i}.line_no", f"{want.sku} is on several lines; give line_no")
        else:
            no = matches[0]["line_no"]
            line = asked.setdefault(no, {"line_no": no, "sku": want.sku, "quantity": 0, "reason": want.reason,
                                         "received": 0, "restocked": 0, "damaged": 0, "to_inspect": 0, "at": i})
            line["quantity"] += want.quantity
    sent: dict[int, int] = {}  # units that reached the customer: a parcel on its way may still come back
    reached = {f["id"] for f in state.fuls if f["status"] in REACHED}
    for fl in state.flines:
        if fl["fulfillment_id"] in reached:
            sent[fl["line_no"]] = sent.get(fl["line_no"], 0) + fl["shipped"]
    can = returnable(state.lines, sent, on_returns)
    too_many = [FieldError(f"lines.{x['at']}.quantity", f"line {no} ({x['sku']}) has {can[no]} units that "
                                                        "reached the customer and are not on a return yet, "
                                                        f"not {x['quantity']}")
                for no, x in asked.items() if x["quantity"] > can[no]]
    if not shown and (unknown.errors or too_many):
        at = sorted({int(e.field.split(".")[1]) for e in unknown.errors + too_many})
        too_many = [FieldError(f"lines.{i}", NOT_RETURNABLE) for i in at]
    else:
        unknown.raise_if_any()
    if too_many:
        raise Conflict("; ".join(f"{e.field}: {e.reason}" for e in too_many),
                       errors=[{"field": e.field, "reason": e.reason} for e in too_many])
    return [{k: v for k, v in x.items() if k != "at"} for x in asked.values()]


def _exchange_order(state: OrderState, body: ReturnIn, return_id: str, lines: list[dict], snap) -> OrderIn:
    """The exchange as an order of the returned order's channel (the customer's details stay in the channel
    they were given to, also when an admin starts the return in another) for the same customer, priced at
    catalogue prices and worth no more than the units returned (the difference is refunded, never charged
    here)."""
    ex = body.exchange
    assert ex is not None  # (asked only of a return with an exchange)
    currency = state.order["currency"]
    wrong = Problems()
    for i, x in enumerate(ex.lines):
        product = snap.products.get(x.sku)
        if product is None:
            wrong.add(f"exchange.lines.{i}.sku", f"no product {x.sku!r}")
        elif product.currency != currency:
            wrong.add(f"exchange.lines.{i}.sku", f"{x.sku} is priced in {product.currency}, the order in {currency}")
    wrong.raise_if_any()
    price = {ln["line_no"]: ln["unit_price"] for ln in state.lines}
    returned = sum(x["quantity"] * price[x["line_no"]] for x in lines)
    worth = sum(x.quantity * snap.products[x.sku].price_amount for x in ex.lines)
    if worth > returned:
        raise InvalidInput([FieldError("exchange.lines", f"the exchange is worth {worth} but the units returned "
                                                         f"{returned} (minor units); order the difference apart")])
    try:
        delivery = ex.delivery or DeliveryIn.model_validate(
            {k: v for k, v in state.order["delivery"].items() if k in ("mode", "address", "pickup_node_id")})
    except ValidationError:
        raise InvalidInput([FieldError("exchange.delivery", f"give the exchange's delivery: a "
                                                            f"{state.order['delivery_mode']} order's cannot be "
                                                            "taken over as it is (its slot has passed)")]) from None
    o = state.order
    return OrderIn(channel=o["channel"], external_ref=f"EXCHANGE-{return_id}",
                   customer=Customer(name=o["customer_name"], email=o["customer_email"]), delivery=delivery,
                   lines=[OrderLineIn(sku=x.sku, quantity=x.quantity,
                                      unit_price=Money(amount=snap.products[x.sku].price_amount, currency=currency))
                          for x in ex.lines])


def _row(return_id: str, state: OrderState, body: ReturnIn, exchange: dict | None, key: str | None,
         at: datetime) -> dict:
    return {"id": return_id, "order_id": state.order["id"], "channel": body.channel, "kind": Kind.CUSTOMER,
            "method": body.method, "node_id": body.node_id, "status": RStatus.REQUESTED,
            "currency": state.order["currency"], "refunded": 0,
            "exchange_order_id": exchange["id"] if exchange else None,
            "exchange_credit": exchange["total"]["amount"] if exchange else 0,
            "idempotency_key": key, "created_at": at, "updated_at": at}


def _event_data(ret: dict, lines: list[dict]) -> dict:
    return {"return_id": ret["id"], "channel": ret["channel"], "kind": ret["kind"], "method": ret["method"],
            "node_id": ret["node_id"], "exchange_order_id": ret["exchange_order_id"],
            "lines": [{"line_no": x["line_no"], "sku": x["sku"], "quantity": x["quantity"], "reason": x["reason"]}
                      for x in lines]}


async def load_return(conn: AsyncConnection, return_id: str, *, lock: bool = False) -> tuple[dict, list[dict], str]:
    """A return's row, its lines and its order's channel; NotFound if there is none."""
    query = select(t.returns, t.orders.c.channel.label("order_channel")).join(t.orders).where(r.id == return_id)
    found = (await conn.execute(query.with_for_update(of=t.returns) if lock else query)).mappings().first()
    if found is None:
        raise missing("return", return_id)
    lines = (await conn.execute(select(t.return_lines).where(rl.return_id == return_id))).mappings()
    ret = dict(found)
    return ret, [dict(x) for x in lines], ret.pop("order_channel")


async def get_return(ctx: Context, return_id: str, *, principal: Principal) -> dict:
    async with ctx.db.read() as conn:
        ret, lines, order_channel = await load_return(conn, return_id)
    principal.require_return(return_id, (ret["channel"], order_channel), ret["node_id"])
    return return_view(ret, lines, order_channel)


async def list_returns(ctx: Context, *, principal: Principal, order_id: str | None, status: str | None,
                       node_id: str | None, cursor: str | None, limit: int) -> dict:
    """Newest first; each key sees the returns it may read."""
    query = select(r.id).join(t.orders).order_by(r.id.desc()).limit(limit + 1)
    for column, value in ((r.order_id, order_id), (r.status, status), (r.node_id, node_id)):
        if value:
            query = query.where(column == value)
    if channel := principal.channel_filter():
        query = query.where(or_(r.channel == channel, t.orders.c.channel == channel))
    if node := principal.node_filter():
        query = query.where(r.node_id == node)
    if after := pages.decode(cursor):
        query = query.where(r.id < after[0])
    async with ctx.db.read() as conn:
        ids = list((await conn.scalars(query)).all())
        items = [return_view(*await load_return(conn, i)) for i in ids]
    return pages.page(items, limit, lambda x: [x["id"]])


async def cancel_return(ctx: Context, return_id: str, body: ReturnCancelIn, *, principal: Principal) -> dict:
    """A return nothing of which came back is called off; its exchange order, if any, is cancelled too
    while nothing of it has left."""
    principal.require_return_change()
    async with ctx.db.write() as conn:
        order_id = await conn.scalar(select(r.order_id).where(r.id == return_id))
        if order_id is None:
            raise missing("return", return_id)
        state = await OrderState.load(conn, order_id)
        ret, lines, order_channel = await load_return(conn, return_id, lock=True)
        principal.require_return(return_id, (ret["channel"], order_channel), None)
        status = check_return_transition(ret["status"], RStatus.CANCELLED)  # only while nothing came back
        at = ctx.clock.now()
        ret.update(status=status, updated_at=at)
        await conn.execute(update(t.returns).where(r.id == return_id).values(status=ret["status"], updated_at=at))
        state.record("return.cancelled", actor=principal.actor, at=at, reason=body.reason,
                     data={"order_id": order_id, **_event_data(ret, lines)})
        await state.save(conn, actor=principal.actor, at=at, reason=body.reason)
    if ret["exchange_order_id"]:
        try:
            await cancel_order(ctx, ret["exchange_order_id"], CancelIn(reason=f"return {return_id} cancelled"),
                               principal=RETURNS)
        except (Conflict, IllegalTransition):
            pass  # it left already, or was cancelled: the customer service settles it
    return return_view(ret, lines, order_channel)


async def _by_key(ctx: Context, key: str) -> dict | None:
    async with ctx.db.read() as conn:
        return_id = await conn.scalar(select(r.id).where(r.idempotency_key == key))
        return return_view(*await load_return(conn, return_id)) if return_id else None
