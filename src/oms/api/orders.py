"""Orders: capture, follow, cancel."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from ..domain.lifecycle import OStatus
from ..domain.vocabulary import Channel
from ..services.orders import cancel, capture, changes, queries, release, resourcing
from ..services.orders.inputs import AddressChangeIn, CancelIn, OrderIn, ReleaseIn, ResourceIn
from .deps import Caller, Ctx, IdempotencyKey, body_of, caller_for, idempotency_key_of, may
from .json import Json
from .schemas import PROBLEMS, EventOut, OrderOut, OrderPage, SourcingExplanation

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEMS)


@router.post("", dependencies=[may("order_write")], status_code=201, response_model=OrderOut,
             responses={200: {"model": OrderOut, "description": "The same order was captured before"}})
async def capture_order(
    order: OrderIn, ctx: Ctx, caller: Caller,
    idempotency_key: IdempotencyKey = None,
):
    """Capture an order: choose the nodes, reserve the stock, store it — or nothing at all.

    Replaying the same `Idempotency-Key` or the same `(channel, external_ref)` with the same request
    answers `200` with the order captured first and creates nothing; with another request, `409
    idempotency_conflict` naming that order. `409 out_of_stock` when no node can supply a line;
    `409 no_carrier_service` when the nodes that could are beyond the reach of the mode's carrier services.
    """
    return await _captured(ctx, caller, order, idempotency_key)


async def capture_order_fast(request: Request):
    """``POST /v1/orders`` without FastAPI's per-request machinery (the hottest write): the same checks,
    made here; the route above documents it."""
    caller = await caller_for(request, "order_write")  # before the body is read
    return await _captured(request.app.state.ctx, caller, await body_of(request, OrderIn), idempotency_key_of(request))


async def _captured(ctx, caller, order: OrderIn, idempotency_key: str | None):
    view, created = await capture.capture_order(ctx, order, principal=caller, idempotency_key=idempotency_key)
    return Json(view, status_code=201 if created else 200, headers={"Location": f"/v1/orders/{view['id']}"})


@router.get("", response_model=OrderPage)
async def list_orders(
    ctx: Ctx, caller: Caller,
    channel: Channel | None = None, status: OStatus | None = None, customer_email: str | None = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=queries.MAX_ORDERS_PAGE)] = 50,
):
    """Orders, newest first, one page at a time (`next_cursor` gives the next page)."""
    return Json(await queries.list_orders(ctx, principal=caller, channel=channel, status=status,
                                          customer_email=customer_email, cursor=cursor, limit=limit))


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: str, ctx: Ctx, caller: Caller):
    return Json(await queries.get_order(ctx, order_id, principal=caller))


@router.get("/{order_id}/events", response_model=list[EventOut])
async def order_events(order_id: str, ctx: Ctx, caller: Caller):
    """The order's timeline: every change with its time, actor and reason."""
    return Json(await queries.order_events(ctx, order_id, principal=caller))


@router.get("/{order_id}/sourcing", response_model=SourcingExplanation)
async def order_sourcing(order_id: str, ctx: Ctx, caller: Caller):
    """Why the order's units come from where they do: the `strategy`, the `shipments` with their cost
    (`handling`, `carrier`, `depletion`, `total`) and distance, the `split_penalty`, the `total_cost`;
    the plan's nodes and a few other `candidates` (the cheapest for the whole order, those passed over
    before the strategy chose, the nearest holding some of it) with what each had, its cost alone where it
    had everything, and why it was not used (`rejected_because`); the `others` counted by reason."""
    return Json(await queries.order_sourcing(ctx, order_id, principal=caller))


@router.post("/{order_id}/cancel", dependencies=[may("order_write")], response_model=OrderOut,
             responses={202: {"model": OrderOut, "description": "Part of it waits for a node to confirm the cancel"}})
async def cancel_order(order_id: str, ctx: Ctx, caller: Caller, body: Annotated[CancelIn, Body()]):
    """Cancel the whole order (no `lines`) or some units of some lines, with the `reason` (required: it
    goes into the timeline), before they leave the node. Units
    of work released to a node that confirms cancels wait for its answer: `202`, the fulfilment's
    `details.cancel_request` says what is asked."""
    view = await cancel.cancel_order(ctx, order_id, body, principal=caller)
    # 202: part of it waits for a node that confirms cancels of the work it has.
    waiting = any("cancel_request" in f["details"] for f in view["fulfillments"])
    return Json(view, status_code=202 if waiting else 200)


@router.post("/{order_id}/release", dependencies=[may("order_write")], response_model=OrderOut)
async def release_order(order_id: str, ctx: Ctx, caller: Caller, body: Annotated[ReleaseIn, Body()] = ReleaseIn()):
    """Release an order on hold (`hold`: payment, now paid): its nodes get the work its units were reserved
    for, at once or at their next release wave. `409` when it is not on hold."""
    return Json(await release.release_order(ctx, order_id, principal=caller, reason=body.reason))


@router.post("/{order_id}/resource", dependencies=[may("order_write")], response_model=OrderOut)
async def resource_order(order_id: str, ctx: Ctx, caller: Caller,
                         body: Annotated[ResourceIn, Body()] = ResourceIn()):
    """Plan again the units no node holds (a node rejected or did not find them). With `late`, a delivery
    later than promised is accepted; 409 with the order's `at_risk` when nothing can be sent at all."""
    reason = body.reason or ("a later delivery was accepted" if body.late else "asked to source again")
    return Json(await resourcing.resource_order(ctx, order_id, reason=reason, late=body.late, principal=caller))


@router.put("/{order_id}/address", dependencies=[may("order_write")], response_model=OrderOut)
async def change_address(order_id: str, body: AddressChangeIn, ctx: Ctx, caller: Caller):
    """Deliver to another address (`{"address": {…}, "reason"}`), while no unit has left a node: `409`
    after; `422` for an order collected at a store or a locker."""
    return Json(await changes.change_address(ctx, order_id, body, principal=caller))
