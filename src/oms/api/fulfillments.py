"""Fulfilment orders: a node's queue and its confirmations."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Query

from ..domain.lifecycle import ACTIONS, FStatus
from ..services.fulfillment import cancel_requests, confirmations
from ..services.fulfillment.inputs import ActionIn, CancelAnswerIn
from ..services.orders import queries
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, FulfillmentPage, FulfillmentWork, OrderOut, Problem

router = APIRouter(prefix="/v1/fulfillments", tags=["fulfillments"], responses=PROBLEMS)

# The actions the lifecycle knows, listed in the API docs (known when the module runs: a str to the checker).
if TYPE_CHECKING:
    Action = str
else:
    Action = Literal[tuple(ACTIONS)]


@router.get("", response_model=FulfillmentPage)
async def list_fulfillments(
    ctx: Ctx, caller: Caller, node_id: str | None = None, status: FStatus | None = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """Fulfilment orders, oldest first. A node key sees its own node's only."""
    return Json(await queries.list_fulfillments(ctx, principal=caller, node_id=node_id, status=status,
                                                cursor=cursor, limit=limit))


@router.get("/{fulfillment_id}", response_model=FulfillmentWork)
async def get_fulfillment(fulfillment_id: str, ctx: Ctx, caller: Caller):
    return Json(await queries.get_fulfillment(ctx, fulfillment_id, principal=caller))


@router.post("/{fulfillment_id}/confirm_cancel", dependencies=[may("fulfillment_action")], response_model=OrderOut)
async def confirm_cancel(fulfillment_id: str, ctx: Ctx, caller: Caller,
                         body: Annotated[CancelAnswerIn, Body()] = CancelAnswerIn()):
    """The node confirms the cancel it was asked for (`details.cancel_request`): the units are released
    and cancelled on the order."""
    return Json(await cancel_requests.answer(ctx, fulfillment_id, True, body, principal=caller))


@router.post("/{fulfillment_id}/refuse_cancel", dependencies=[may("fulfillment_action")], response_model=OrderOut)
async def refuse_cancel(fulfillment_id: str, ctx: Ctx, caller: Caller,
                        body: Annotated[CancelAnswerIn, Body()] = CancelAnswerIn()):
    """The node cannot cancel (the parcel is closed, on the truck): the units will be sent; `reason` says
    why. Shipping them answers the same."""
    return Json(await cancel_requests.answer(ctx, fulfillment_id, False, body, principal=caller))


@router.post("/{fulfillment_id}/{action}", dependencies=[may("fulfillment_action")], response_model=OrderOut,
             responses={502: {"model": Problem, "content": {"application/problem+json": {}},
                              "description": "`ship`: the carrier did not book the shipment; nothing is recorded"}})
async def confirm(fulfillment_id: str, action: Action, ctx: Ctx, caller: Caller,
                  body: Annotated[ActionIn, Body()] = ActionIn()):
    """A node's confirmation. `pick` takes the quantities found (fewer is a short pick); `pack` the parcels
    made, each weighed; `ship` the carrier and tracking number; `ready` an optional pickup code (one is
    made otherwise); `collect` checks it."""
    return Json(await confirmations.act(ctx, fulfillment_id, action, body, principal=caller))
