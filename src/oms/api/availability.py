"""Availability: what channels may promise, per SKU, from memory."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from ..domain.availability import Near
from ..domain.errors import InvalidInput, NotFound
from ..domain.vocabulary import Channel
from ..services import availability
from ..services.inputs import Sku, Strict
from .deps import Caller, Ctx
from .json import Json
from .schemas import PROBLEMS

router = APIRouter(prefix="/v1/availability", tags=["availability"], responses=PROBLEMS)


class NearIn(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_km: float = Field(default=25, gt=0, le=500)


class AvailabilityIn(Strict):
    channel: Channel
    skus: list[Sku] = Field(min_length=1, max_length=500)
    near: NearIn | None = Field(default=None, description="Also list the stores within radius_km, nearest first")


@router.post("")
async def batch(body: AvailabilityIn, ctx: Ctx, caller: Caller):
    """Up to 500 SKUs: for each, units available over the network, per node, per delivery mode (what can
    be sent for it) and, with `near`, in the stores around a point. `as_of` tells how fresh it is."""
    near = Near(body.near.lat, body.near.lng, body.near.radius_km) if body.near else None
    return Json(await availability.availability(ctx, principal=caller, channel=body.channel, skus=body.skus,
                                                near=near))


@router.get("/{sku}")
async def one(sku: str, ctx: Ctx, caller: Caller, channel: Channel,
              lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
              lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
              radius_km: Annotated[float, Query(gt=0, le=500)] = 25):
    """One SKU, for a product page; give `lat` and `lng` for the stores near the shopper."""
    near = Near(lat, lng, radius_km) if lat is not None and lng is not None else None
    try:
        answer = await availability.availability(ctx, principal=caller, channel=channel, skus=[sku], near=near)
    except InvalidInput:
        raise NotFound(f"no sku {sku!r}") from None
    return Json({"channel": answer["channel"], "as_of": answer["as_of"], **answer["items"][0]})
