"""Relay points and locker banks near a shopper: the map a checkout shows for ``pickup_point`` and ``locker``."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..services.promise import points
from .availability import Lat, Lng
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, PickupPoints

router = APIRouter(prefix="/v1/pickup-points", tags=["promise"], responses=PROBLEMS)


class PointsQuery(BaseModel):
    lat: Lat = Field(description="The point the shopper is near (their delivery address)")
    lng: Lng = Field(description="The point the shopper is near")
    mode: Literal["pickup_point", "locker"] = Field(default="pickup_point",
                                                    description="Relay points, or locker banks")
    radius_km: float = Field(default=10, gt=0, le=50, description="How far from the point")
    limit: int = Field(default=10, ge=1, le=50)


@router.get("", dependencies=[may("availability")], response_model=PickupPoints)
async def pickup_points(query: Annotated[PointsQuery, Query()], ctx: Ctx, caller: Caller):
    """The relay points (or locker banks, `mode=locker`) within `radius_km` of the point, nearest first: their
    address, hours, when each next opens and the days of the coming two weeks it is shut (a public holiday,
    a closure), the parcels it takes and how many days it keeps them. The promise offers a delivery to the
    nearest that have room; the order names the one chosen as `delivery.pickup_node_id`."""
    return Json(await points.near(ctx, principal=caller, lat=query.lat, lng=query.lng, mode=query.mode,
                                  radius_km=query.radius_km, limit=query.limit))
