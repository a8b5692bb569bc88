"""Carriers' tracking updates, through a webhook each carrier signs with its secret
(``OMS_CARRIER_SECRETS``, a JSON object carrier -> secret): the parcel's news goes into its order's
timeline (``shipment.<status>``), and ``delivered`` moves the fulfilment order to delivered."""

import hmac

from sqlalchemy import select

from ...db import tables as t
from ...domain.errors import NotFound, Unauthenticated
from ...domain.lifecycle import FStatus
from ...domain.tracking import MOVES, Tracking
from ...domain.vocabulary import STOCKLESS_NODE_TYPES
from ...domain.webhooks import signature
from ..orders.state import OrderState
from ..runtime.context import Context
from ..runtime.validation import not_ahead
from .confirmations import pickup_code
from .inputs import TrackingIn
from .uncollected import give_up_parcel

s = t.shipments.c


def check_signature(ctx: Context, carrier: str, body: bytes, signed: str | None) -> None:
    """Unauthenticated unless the raw ``body`` is signed with the carrier's secret."""
    secret = ctx.settings.carrier_secrets.get(carrier)
    if secret is None or not signed or not hmac.compare_digest(signature(secret, body), signed):
        raise Unauthenticated(f"the update is not signed with {carrier!r}'s secret (X-Carrier-Signature)")


async def record(ctx: Context, carrier: str, update: TrackingIn) -> dict:
    """Apply a carrier's (signed) update; the order as it now stands."""
    if update.occurred_at is not None:
        not_ahead(ctx, [("occurred_at", update.occurred_at)])
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        found = (await conn.execute(select(s.fulfillment_id).where(
            s.carrier == carrier, s.tracking_number == update.tracking_number))).first()
        if found is None:
            raise NotFound(f"no shipment {update.tracking_number!r} with {carrier}")
        state, ful = await OrderState.of_fulfillment(conn, found[0])
        actor = f"carrier:{carrier}"
        news = {"status": update.status, "occurred_at": (update.occurred_at or at).isoformat(),
                **({"description": update.description} if update.description else {})}
        seen = ful["details"].get("tracking", [])
        if news in seen or (update.occurred_at is None and seen and _same(seen[-1], news)):
            return state.view()  # sent again (without its time: the same as the last news): nothing changes
        ful["details"] = {**ful["details"], "tracking": [*ful["details"].get("tracking", []), news]}
        state.record(f"shipment.{update.status}", actor=actor, at=at, reason=update.description,
                     data={"fulfillment_id": ful["id"], "tracking_number": update.tracking_number, **news})
        target = MOVES.get(update.status)
        if target and ful["status"] == FStatus.SHIPPED and state.pickup:
            # Delivered where the customer collects: a locker bank or relay point has it ready at once,
            # with a code (in the event); a store readies it itself once on its shelf.
            where = (await ctx.reference.get(ctx.db)).nodes.get(ful["handover_node_id"] or "")
            if where is not None and where.type in STOCKLESS_NODE_TYPES:
                ful["details"] = {**ful["details"], "pickup_code": pickup_code()}
                state.move(ful, FStatus.READY_FOR_PICKUP, actor=actor, at=at)
        elif target and ful["status"] == FStatus.SHIPPED:
            state.move(ful, target, actor=actor, at=at, happened=update.occurred_at)
        elif update.status == Tracking.RETURNED_TO_SENDER and ful["status"] == FStatus.SHIPPED:
            # The parcel goes back to the node that sent it: a return to receive there, refunded then.
            await give_up_parcel(conn, state, ful, f"returned to sender by {carrier}", ful["node_id"],
                                 actor=actor, at=at)
        return await state.save(conn, actor=actor, at=at)


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "occurred_at"} == {k: v for k, v in b.items() if k != "occurred_at"}
