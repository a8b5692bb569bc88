"""Store replenishment: what each store sells, day by day."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..services.replenishment import demand
from ..services.runtime.shapes import NodeId, Sku
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, StoreDemand

router = APIRouter(prefix="/v1/replenishment", tags=["replenishment"], responses=PROBLEMS)


class DemandQuery(BaseModel):
    node_id: NodeId = Field(description="The store")
    sku: Sku
    days: int = Field(default=90, ge=1, le=366, description="How many days back, today included")


@router.get("/demand", dependencies=[may("replenishment")], response_model=StoreDemand)
async def store_demand(query: Annotated[DemandQuery, Query()], ctx: Ctx, caller: Caller):
    """A store's daily demand of a SKU over the last `days` days (its local dates): `walk_in` (till sales,
    the store's `sale` movements), `online` (units of online orders it sent or handed over), `returns` (units
    put back on its shelves), the on-hand each day began with, and `out_of_stock` — the day began with
    nothing on hand and nothing left: a forecast leaves such a day out rather than learn "no demand".
    Admin and viewer keys read any store, a node key its own."""
    return Json(await demand.demand(ctx, principal=caller, node_id=query.node_id, sku=query.sku,
                                    days=query.days))
