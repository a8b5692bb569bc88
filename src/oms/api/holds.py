"""Cart and checkout holds."""

from fastapi import APIRouter

from ..services import holds
from ..services.inputs import HoldIn
from .deps import Caller, Ctx
from .json import Json
from .schemas import PROBLEMS

router = APIRouter(prefix="/v1/holds", tags=["holds"], responses=PROBLEMS)


@router.post("", status_code=201)
async def create_hold(body: HoldIn, ctx: Ctx, caller: Caller):
    """Keep units for a cart or a checkout for `ttl_seconds` (default 15 minutes). An order that gives
    this `hold_id` takes the held units; otherwise they go back by themselves when the hold expires.
    `409 out_of_stock` when the units are not there."""
    return Json(await holds.create_hold(ctx, body, principal=caller), status_code=201)


@router.get("/{hold_id}")
async def get_hold(hold_id: str, ctx: Ctx, caller: Caller):
    return Json(await holds.get_hold(ctx, hold_id, principal=caller))


@router.delete("/{hold_id}")
async def release_hold(hold_id: str, ctx: Ctx, caller: Caller):
    """Give the units back now (the cart was abandoned). A hold that has ended stays as it is."""
    return Json(await holds.release_hold(ctx, hold_id, principal=caller))
