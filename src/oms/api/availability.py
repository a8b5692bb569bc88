"""Availability: what channels may promise, per SKU, from memory."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, model_validator

from ..domain.availability import Near
from ..domain.vocabulary import Channel
from ..services.runtime.shapes import Sku, Strict
from ..services.stock import availability
from .deps import Caller, Ctx, field_error, may, principal_of, query_of
from .json import Json
from .schemas import PROBLEMS, AvailabilityOut, ProductAvailability

router = APIRouter(prefix="/v1/availability", tags=["availability"], responses=PROBLEMS)


Lat = Annotated[float, Field(ge=-90, le=90)]
Lng = Annotated[float, Field(ge=-180, le=180)]
RadiusKm = Annotated[float, Field(gt=0, le=500)]


class NearIn(Strict):
    lat: Lat
    lng: Lng
    radius_km: RadiusKm = 25


class AvailabilityIn(Strict):
    channel: Channel
    skus: list[Sku] = Field(min_length=1, max_length=500)
    near: NearIn | None = Field(default=None, description="Also list the stores within radius_km, nearest first")


class ProductPageQuery(BaseModel):
    """The query of the product-page form: the OpenAPI document's parameters, and what the route checks."""

    channel: Channel
    lat: Lat | None = Field(default=None, description="With lng: the point the shopper is near")
    lng: Lng | None = Field(default=None, description="With lat: the point the shopper is near")
    radius_km: RadiusKm = Field(default=25, description="The stores listed are within this distance of the point")

    @model_validator(mode="after")
    def _both_or_neither(self):
        if (self.lat is None) != (self.lng is None):
            raise field_error("lat" if self.lat is None else "lng", "give both lat and lng, or neither")
        return self

    def near(self) -> Near | None:
        if self.lat is None or self.lng is None:  # both or neither (checked above)
            return None
        return Near(self.lat, self.lng, self.radius_km)


@router.get("/{sku}", name="one", response_model=ProductAvailability)
async def product_page(sku: str, query: Annotated[ProductPageQuery, Query()], ctx: Ctx, caller: Caller):
    """One SKU, for a product page; give `lat` and `lng` for the stores near the shopper.

    Asked far more often than anything else, so this route reads its parameters itself (FastAPI's
    dependency injection would cost more than the answer); they are checked all the same, with the same
    model.
    """
    return Json(await availability.product_page(ctx, principal=caller, channel=query.channel, sku=sku,
                                                near=query.near()))


async def one(request: Request):
    """``GET /v1/availability/{sku}`` without FastAPI's per-request machinery: the route above documents it."""
    ctx = request.app.state.ctx
    caller = await principal_of(request)
    channel, near = page_query(request.query_params)
    return Json(await availability.product_page(ctx, principal=caller, channel=channel,
                                                sku=request.path_params["sku"], near=near))


def page_query(query: Mapping[str, str]) -> tuple[str, Near | None]:
    """The product page's query checked against ``ProductPageQuery``: the channel and the point, if any."""
    checked = query_of(query, ProductPageQuery)
    return checked.channel, checked.near()


@router.post("", dependencies=[may("availability")], response_model=AvailabilityOut)
async def batch(body: AvailabilityIn, ctx: Ctx, caller: Caller):
    """Up to 500 SKUs: for each, units available over the network, per node, per delivery mode (what can
    be sent for it) and, with `near`, in the stores around a point. `as_of` tells how fresh it is."""
    near = Near(body.near.lat, body.near.lng, body.near.radius_km) if body.near else None
    return Json(await availability.availability(ctx, principal=caller, channel=body.channel, skus=body.skus,
                                                near=near))
