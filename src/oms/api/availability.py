"""Availability: what channels may promise, per SKU, from memory."""

from fastapi import APIRouter, Request
from pydantic import Field

from ..domain.availability import Near
from ..domain.errors import Problems
from ..domain.vocabulary import Channel
from ..services.runtime.shapes import Sku, Strict
from ..services.stock import availability
from .deps import Caller, Ctx, may, principal_of
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


_PAGE_PARAMETERS = [
    {"name": "sku", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "channel", "in": "query", "required": True, "schema": {"type": "string", "enum": list(Channel)}},
    {"name": "lat", "in": "query", "schema": {"type": "number", "minimum": -90, "maximum": 90}},
    {"name": "lng", "in": "query", "schema": {"type": "number", "minimum": -180, "maximum": 180}},
    {"name": "radius_km", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 500,
                                                    "default": 25}},
]


@router.get("/{sku}", openapi_extra={"parameters": _PAGE_PARAMETERS})
async def one(request: Request):
    """One SKU, for a product page; give `lat` and `lng` for the stores near the shopper.

    Asked far more often than anything else, so this route reads its parameters itself (FastAPI's
    dependency injection would cost more than the answer); they are checked all the same.
    """
    ctx = request.app.state.ctx
    caller = await principal_of(request)
    channel, near = page_query(request.query_params)
    return Json(await availability.product_page(ctx, principal=caller, channel=channel,
                                                sku=request.path_params["sku"], near=near))


def page_query(query) -> tuple[str, Near | None]:
    problems = Problems()
    channel = query.get("channel")
    if channel not in _CHANNELS:
        problems.add("channel", f"must be one of {', '.join(Channel)}")
    values = {}
    for name, low, high in (("lat", -90, 90), ("lng", -180, 180), ("radius_km", 0, 500)):
        if name in query:
            try:
                values[name] = float(query[name])
            except ValueError:
                problems.add(name, "must be a number")
                continue
            if not low <= values[name] <= high or (name == "radius_km" and values[name] == 0):
                problems.add(name, f"must be between {low} and {high}")
    if ("lat" in values) != ("lng" in values):
        problems.add("lat" if "lat" not in values else "lng", "give both lat and lng, or neither")
    problems.raise_if_any()
    near = Near(values["lat"], values["lng"], values.get("radius_km", 25)) if "lat" in values else None
    return channel, near


_CHANNELS = frozenset(Channel)


@router.post("", dependencies=[may("availability")])
async def batch(body: AvailabilityIn, ctx: Ctx, caller: Caller):
    """Up to 500 SKUs: for each, units available over the network, per node, per delivery mode (what can
    be sent for it) and, with `near`, in the stores around a point. `as_of` tells how fresh it is."""
    near = Near(body.near.lat, body.near.lng, body.near.radius_km) if body.near else None
    return Json(await availability.availability(ctx, principal=caller, channel=body.channel, skus=body.skus,
                                                near=near))
