"""Delivery promise: the options a cart can be delivered by, with dates the retailer can keep."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from ..domain.vocabulary import Channel
from ..services.promise import options
from ..services.promise.inputs import PromiseIn
from .availability import Lat, Lng
from .deps import Caller, Ctx, body_of, caller_for, may, principal_of, query_of
from .json import Json
from .schemas import PROBLEMS, PromiseOut, PromisePage

router = APIRouter(prefix="/v1/promise", tags=["promise"], responses=PROBLEMS)


@router.post("", dependencies=[may("availability")], response_model=PromiseOut)
async def promise_options(body: PromiseIn, ctx: Ctx, caller: Caller, explain: bool = False):
    """The delivery options for a cart to a destination, at `at` (default now): per mode, the price to
    the customer, the promised window (`earliest`, `latest`), the order-by `cutoff` that keeps it, the
    nodes it comes from, the internal `cost` and a `promise_id` valid until `expires_at`. A mode that
    cannot be offered is absent; with `explain=true`, `absent` says why for each."""
    return Json(await options.promise(ctx, body, principal=caller, explain=explain))


async def promise_options_fast(request: Request):
    """``POST /v1/promise`` without FastAPI's per-request machinery (every cart view asks it): the same
    checks, made here; the route above documents it."""
    explain = request.query_params.get("explain", "false").lower()
    if explain not in _BOOLEANS:
        raise RequestValidationError([{"loc": ("query", "explain"), "type": "bool_parsing",
                                       "msg": "Input should be a valid boolean"}])
    principal = await caller_for(request, "availability")
    return Json(await options.promise(request.app.state.ctx, await body_of(request, PromiseIn),
                                      principal=principal, explain=_BOOLEANS[explain]))


_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


class PromisePageQuery(BaseModel):
    """The query of the product-page form: the OpenAPI document's parameters, and what the route checks."""

    channel: Channel
    lat: Lat = Field(description="The point the shopper is near")
    lng: Lng = Field(description="The point the shopper is near")


# A point left out is named with what it is for.
_NO_POINT = dict.fromkeys(("lat", "lng"), "give lat and lng: the point the shopper is near")


@router.get("/{sku}", name="product_page", response_model=PromisePage)
async def documented_product_page(sku: str, query: Annotated[PromisePageQuery, Query()], ctx: Ctx, caller: Caller):
    """One SKU near a point, for a product page: the units the channel may sell and, per mode, the
    soonest window (`earliest`, `latest`, the order-by `cutoff`; for collection, the store). Answers are
    kept for the minute while nothing moves; asked on every page view, so this route reads its
    parameters itself (they are checked all the same, with the same model)."""
    return Json(await options.product_page(ctx, principal=caller, channel=query.channel, sku=sku,
                                           point=(query.lat, query.lng)))


async def product_page(request: Request):
    """``GET /v1/promise/{sku}`` without FastAPI's per-request machinery: the route above documents it."""
    query = query_of(request.query_params, PromisePageQuery, missing=_NO_POINT)
    return Json(await options.product_page(request.app.state.ctx, principal=await principal_of(request),
                                           channel=query.channel, sku=request.path_params["sku"],
                                           point=(query.lat, query.lng)))
