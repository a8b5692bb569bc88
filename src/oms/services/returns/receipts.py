"""Returned units received at a node and judged: restocked (sellable there again), written off, or kept
to inspect first. Each judged unit is refunded, less what an exchange order took of its value."""

from sqlalchemy import bindparam, func, select, update

from ...db import stock
from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, IllegalTransition, InvalidInput, missing
from ...domain.lifecycle import RStatus, check_return_transition
from ...domain.returns import Disposition, Take, allot, apply, refund, status_of
from ...domain.vocabulary import STOCKLESS_NODE_TYPES
from ..orders.state import OrderState
from ..orders.view import money
from ..runtime.context import Context
from ..stock.feeds import default_safety
from .inputs import InspectIn, ReceiveIn
from .rma import load_return, return_view

r, rl = t.returns.c, t.return_lines.c
_LINE = (update(t.return_lines).where(rl.return_id == bindparam("k_return"), rl.line_no == bindparam("k_line"))
         .values(received=bindparam("v_received"), restocked=bindparam("v_restocked"),
                 damaged=bindparam("v_damaged"), to_inspect=bindparam("v_to_inspect")))


async def receive(ctx: Context, return_id: str, body: ReceiveIn, *, principal: Principal) -> dict:
    """Units of the return arrived at ``body.node_id``; the return as it now stands."""
    principal.require_return_receipt(body.node_id)
    if body.node_id not in (await ctx.reference.get(ctx.db)).nodes:
        raise InvalidInput([FieldError("node_id", f"no node {body.node_id!r}")])
    asked = [(x.sku, x.quantity, x.disposition) for x in body.lines]
    return await _judge(ctx, return_id, asked, principal=principal, node_id=body.node_id, inspecting=False)


async def inspect(ctx: Context, return_id: str, body: InspectIn, *, principal: Principal) -> dict:
    """Units kept to inspect are judged: restocked where they were received, or written off."""
    principal.require_return_receipt()
    asked = [(x.sku, x.quantity, x.disposition) for x in body.lines]
    return await _judge(ctx, return_id, asked, principal=principal, node_id=None, inspecting=True)


async def _judge(ctx: Context, return_id: str, asked: list, *, principal: Principal, node_id: str | None,
                 inspecting: bool) -> dict:
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        order_id = await conn.scalar(select(r.order_id).where(r.id == return_id))
        if order_id is None:
            raise missing("return", return_id)
        state = await OrderState.load(conn, order_id)  # order, then stock: every writer's lock order
        ret, lines, order_channel = await load_return(conn, return_id, lock=True)
        node_id = _where(ret, (ret["channel"], order_channel), node_id, principal, inspecting)
        await _shelves(ctx, node_id, asked)
        takes, errors = allot(lines, asked, room="to_inspect" if inspecting else "to_receive")
        if errors:
            raise InvalidInput(errors)
        apply(lines, takes, inspecting=inspecting)
        await stock.put_back(conn, ctx.db.dialect, [(node_id, x.sku, x.quantity) for x in takes
                                                    if x.disposition == Disposition.RESTOCK],
                             reason="return", ref=return_id, safety_of=await default_safety(ctx), at=at)
        price = {ln["line_no"]: ln["unit_price"] for ln in state.lines}
        ret["exchange_credit"] = await _credit_left(conn, ret)
        amount, used, valued = refund(takes, price, ret["exchange_credit"])
        status = check_return_transition(ret["status"], status_of(lines))
        ret.update(node_id=node_id, status=status, refunded=ret["refunded"] + amount,
                   exchange_credit=ret["exchange_credit"] - used, updated_at=at)
        await _store(conn, ret, lines)
        if not inspecting:
            for ln in state.lines:
                ln["returned"] += sum(x.quantity for x in takes if x.line_no == ln["line_no"])
        actor = principal.actor
        state.record("return.inspected" if inspecting else "return.received", actor=actor, at=at,
                     data={"order_id": order_id, "return_id": return_id, "node_id": node_id,
                           "status": ret["status"], "lines": _taken(takes)})
        if amount or used:
            state.record("refund.requested" if amount else "refund.covered_by_exchange", actor=actor, at=at,
                         data={"order_id": order_id, "return_id": return_id,
                               "amount": money(amount, ret["currency"]),
                               "exchange_credit_used": used, "exchange_order_id": ret["exchange_order_id"],
                               "lines": valued})
        await state.save(conn, actor=actor, at=at)
    return return_view(ret, lines, order_channel)


async def _credit_left(conn, ret: dict) -> int:
    """What the exchange order still asks of the returned units' value: less what of it was cancelled
    since (a cancelled exchange asks nothing, and the customer is refunded in full)."""
    if not ret["exchange_order_id"] or not ret["exchange_credit"]:
        return ret["exchange_credit"]
    o, ol = t.orders.c, t.order_lines.c
    total = await conn.scalar(select(o.total_amount).where(o.id == ret["exchange_order_id"]))
    live = await conn.scalar(select(func.sum((ol.quantity - ol.cancelled) * ol.unit_price))
                             .where(ol.order_id == ret["exchange_order_id"])) or 0
    used = total - ret["exchange_credit"]
    return max(0, min(ret["exchange_credit"], live - used))


def _where(ret: dict, channels: tuple[str, str], node_id: str | None, principal: Principal,
           inspecting: bool) -> str:
    """The node the units are at: where they are received (all of a return at one node), or, for an
    inspection, where they were received. Units may turn up at any node while nothing of the return came
    back; after, a node key that does not see the return is told there is none."""
    if inspecting or ret["status"] != RStatus.REQUESTED:
        principal.require_return(ret["id"], channels, ret["node_id"])
    if ret["status"] == RStatus.CANCELLED:
        raise IllegalTransition("return", ret["status"], RStatus.RECEIVED)
    if inspecting:
        if ret["status"] == RStatus.REQUESTED:
            raise Conflict("nothing of this return was received yet", current_status=ret["status"])
        node_id = ret["node_id"]
    elif ret["status"] != RStatus.REQUESTED and ret["node_id"] != node_id:
        raise Conflict(f"this return is being received at {ret['node_id']}: the rest goes there too",
                       current_status=ret["status"])
    assert node_id is not None  # (a receipt names its node; an inspection's is the return's)
    principal.require_return_receipt(node_id)
    return node_id


async def _shelves(ctx: Context, node_id: str, asked: list) -> None:
    """InvalidInput naming each unit to restock at a node that holds no stock (a locker, a relay point)."""
    node = (await ctx.reference.get(ctx.db)).nodes[node_id]
    if node.type in STOCKLESS_NODE_TYPES:
        wrong = [FieldError(f"lines.{i}.disposition", f"{node_id} is a {node.type}: it holds no stock to put "
                                                      "units back in; receive them where they are restocked")
                 for i, (_, _, disposition) in enumerate(asked) if disposition == Disposition.RESTOCK]
        if wrong:
            raise InvalidInput(wrong)


async def _store(conn, ret: dict, lines: list[dict]) -> None:
    await conn.execute(update(t.returns).where(r.id == ret["id"]).values(
        node_id=ret["node_id"], status=ret["status"], refunded=ret["refunded"],
        exchange_credit=ret["exchange_credit"], updated_at=ret["updated_at"]))
    await conn.execute(_LINE, [{"k_return": ret["id"], "k_line": x["line_no"], "v_received": x["received"],
                                "v_restocked": x["restocked"], "v_damaged": x["damaged"],
                                "v_to_inspect": x["to_inspect"]} for x in lines])


def _taken(takes: list[Take]) -> list[dict]:
    return [{"line_no": x.line_no, "sku": x.sku, "quantity": x.quantity, "disposition": x.disposition}
            for x in takes]
