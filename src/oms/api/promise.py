"""Delivery promise: the options a cart can be delivered by, with dates the retailer can keep."""

from fastapi import APIRouter

from ..services import promise
from ..services.inputs import PromiseIn
from .deps import Caller, Ctx
from .json import Json
from .schemas import PROBLEMS

router = APIRouter(prefix="/v1/promise", tags=["promise"], responses=PROBLEMS)


@router.post("")
async def promise_options(body: PromiseIn, ctx: Ctx, caller: Caller, explain: bool = False):
    """The delivery options for a cart to a destination, at `at` (default now): per mode, the price to
    the customer, the promised window (`earliest`, `latest`), the order-by `cutoff` that keeps it, the
    nodes it comes from, the internal `cost` and a `promise_id` valid until `expires_at`. A mode that
    cannot be offered is absent; with `explain=true`, `absent` says why for each."""
    return Json(await promise.promise(ctx, body, principal=caller, explain=explain))
