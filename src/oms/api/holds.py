"""Cart and checkout holds."""

from fastapi import APIRouter, Request

from ..services.reservations import holds
from ..services.reservations.inputs import HoldIn
from .deps import Caller, Ctx, IdempotencyKey, body_of, caller_for, idempotency_key_of, may
from .json import Json
from .schemas import PROBLEMS, HoldOut

router = APIRouter(prefix="/v1/holds", tags=["holds"], responses=PROBLEMS)


@router.post("", dependencies=[may("order_write")], status_code=201, response_model=HoldOut,
             responses={200: {"model": HoldOut, "description": "The same hold was created before"}})
async def create_hold(body: HoldIn, ctx: Ctx, caller: Caller, idempotency_key: IdempotencyKey = None):
    """Keep units for a cart or a checkout for `ttl_seconds` (default 15 minutes). An order that gives
    this `hold_id` takes the held units; otherwise they go back by themselves when the hold expires.
    `409 out_of_stock` when the units are not there. Sending the same `Idempotency-Key` again with the
    same request answers `200` with the hold created first, and holds nothing more; with another request,
    `409 idempotency_conflict` naming that hold."""
    return await _created(ctx, caller, body, idempotency_key)


async def create_hold_fast(request: Request):
    """``POST /v1/holds`` without FastAPI's per-request machinery (a checkout asks it for every cart): the
    same checks, made here; the route above documents it."""
    caller = await caller_for(request, "order_write")  # before the body is read
    return await _created(request.app.state.ctx, caller, await body_of(request, HoldIn), idempotency_key_of(request))


async def _created(ctx, caller, body: HoldIn, idempotency_key: str | None):
    view, created = await holds.create_hold(ctx, body, principal=caller, idempotency_key=idempotency_key)
    return Json(view, status_code=201 if created else 200, headers={"Location": f"/v1/holds/{view['id']}"})


@router.get("/{hold_id}", response_model=HoldOut)
async def get_hold(hold_id: str, ctx: Ctx, caller: Caller):
    return Json(await holds.get_hold(ctx, hold_id, principal=caller))


@router.delete("/{hold_id}", dependencies=[may("order_write")], response_model=HoldOut)
async def release_hold(hold_id: str, ctx: Ctx, caller: Caller):
    """Give the units back now (the cart was abandoned). A hold that has ended stays as it is."""
    return Json(await holds.release_hold(ctx, hold_id, principal=caller))
