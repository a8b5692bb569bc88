"""Delivery promise: the options a cart can be delivered by, with dates the retailer can keep."""

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError

from ..services import promise
from ..services.inputs import PromiseIn
from .deps import Caller, Ctx, body_of, principal_of
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


async def promise_options_fast(request: Request):
    """``POST /v1/promise`` without FastAPI's per-request machinery (every cart view asks it): the same
    checks, made here; the route above documents it."""
    explain = request.query_params.get("explain", "false").lower()
    if explain not in _BOOLEANS:
        raise RequestValidationError([{"loc": ("query", "explain"), "type": "bool_parsing",
                                       "msg": "Input should be a valid boolean"}])
    return Json(await promise.promise(request.app.state.ctx, await body_of(request, PromiseIn),
                                      principal=await principal_of(request), explain=_BOOLEANS[explain]))


_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
