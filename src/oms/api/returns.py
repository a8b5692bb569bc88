"""Returns (RMA): started by any channel, received and judged at a node, refunded."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from ..domain.lifecycle import RStatus
from ..services.returns import receipts, rma
from ..services.returns.inputs import InspectIn, ReceiveIn, ReturnCancelIn, ReturnIn
from .deps import Caller, Ctx, IdempotencyKey, may
from .json import Json
from .schemas import PROBLEMS, ReturnOut, ReturnPage

router = APIRouter(prefix="/v1/returns", tags=["returns"], responses=PROBLEMS)


@router.post("", dependencies=[may("return_start")], status_code=201, response_model=ReturnOut,
             responses={200: {"model": ReturnOut, "description": "The same return was started before"}})
async def start_return(body: ReturnIn, ctx: Ctx, caller: Caller, idempotency_key: IdempotencyKey = None):
    """Start a return for units of an order that left a node, from any channel (a web order brought to a
    store). `exchange` captures a new order for the same customer, paid with the returned units' value; only
    the order's own channel (or an admin) asks for one.
    `409` names each line with fewer units to return than asked."""
    view, created = await rma.start_return(ctx, body, principal=caller, idempotency_key=idempotency_key)
    return Json(view, status_code=201 if created else 200, headers={"Location": f"/v1/returns/{view['id']}"})


@router.get("", response_model=ReturnPage)
async def list_returns(ctx: Ctx, caller: Caller, order_id: str | None = None, status: RStatus | None = None,
                       node_id: str | None = None, cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Returns, newest first. A channel key sees those it started and those of its orders; a node key those
    expected or received at its node."""
    return Json(await rma.list_returns(ctx, principal=caller, order_id=order_id, status=status,
                                       node_id=node_id, cursor=cursor, limit=limit))


@router.get("/{return_id}", response_model=ReturnOut)
async def get_return(return_id: str, ctx: Ctx, caller: Caller):
    return Json(await rma.get_return(ctx, return_id, principal=caller))


@router.post("/{return_id}/receive", dependencies=[may("return_receipt")], response_model=ReturnOut)
async def receive(return_id: str, body: ReceiveIn, ctx: Ctx, caller: Caller):
    """Units arrived at `node_id`, each with its disposition: `restock` (sellable there again), `damaged`
    (written off) or `inspect` (kept aside). Restocked and damaged units are refunded at once
    (`refund.requested`), less what an exchange took."""
    return Json(await receipts.receive(ctx, return_id, body, principal=caller))


@router.post("/{return_id}/inspect", dependencies=[may("return_receipt")], response_model=ReturnOut)
async def inspect(return_id: str, body: InspectIn, ctx: Ctx, caller: Caller):
    """Units kept to inspect are judged `restock` or `damaged`, and refunded."""
    return Json(await receipts.inspect(ctx, return_id, body, principal=caller))


@router.post("/{return_id}/cancel", dependencies=[may("return_start")], response_model=ReturnOut)
async def cancel(return_id: str, ctx: Ctx, caller: Caller,
                 body: Annotated[ReturnCancelIn, Body()] = ReturnCancelIn()):
    """Call off a return nothing of which came back (its exchange order is cancelled while it has not left)."""
    return Json(await rma.cancel_return(ctx, return_id, body, principal=caller))
