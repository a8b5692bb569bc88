"""Store replenishment: what each store sells, day by day, and how it is supplied."""

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from ..services.replenishment import approve, demand, runs, settings
from ..services.replenishment.inputs import ApproveIn, ReplenishmentRuleIn, ReplenishmentStoreIn, RunIn
from ..services.runtime.shapes import NodeId, Sku
from .deps import Caller, Ctx, may
from .json import Json
from .reference import BULK_MAX
from .schemas import PROBLEMS, Approval, BulkResult, Page, ReplenishmentRun, StoreDemand

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


Limit = Annotated[int, Query(ge=1, le=500)]


@router.put("/stores", dependencies=[may("admin")], response_model=BulkResult)
async def put_stores(items: Annotated[list[ReplenishmentStoreIn], Body(max_length=BULK_MAX)], ctx: Ctx,
                     caller: Caller):
    """Create or replace up to 5,000 stores' supply: the DC each is supplied from (`source_node_id`), the ISO
    weekdays it orders (an order must last until the next one: its review period), the lead time in days and its spread.
    All or nothing; a bad item is named."""
    caller.require_admin()
    return Json({"upserted": await settings.put_stores(ctx, items)})


@router.get("/stores", dependencies=[may("replenishment")], response_model=Page)
async def list_stores(ctx: Ctx, caller: Caller, cursor: str | None = None, limit: Limit = 100):
    """Stores' supply (admin and viewer keys)."""
    caller.require_planner()
    return Json(await settings.list_stores(ctx, cursor=cursor, limit=limit))


@router.put("/rules", dependencies=[may("admin")], response_model=BulkResult)
async def put_rules(items: Annotated[list[ReplenishmentRuleIn], Body(max_length=BULK_MAX)], ctx: Ctx,
                    caller: Caller):
    """Create or replace up to 5,000 replenishment rules, for a store or every store (`"node_id": "*"`) and a
    SKU, a class of SKUs by their common start (`"DEC-*"`) or all (`"*"`): `policy`, `service_level`,
    `presentation_min`, `shelf_capacity`, `case_pack`, `rounding_threshold`, `min_order`, `days_of_supply`. A
    store's SKU takes each field from the most specific rule that sets it (an exact SKU, then the longest
    class, then `*`; a store's own rule before every store's). All or nothing."""
    caller.require_admin()
    return Json({"upserted": await settings.put_rules(ctx, items)})


@router.get("/rules", dependencies=[may("replenishment")], response_model=Page)
async def list_rules(ctx: Ctx, caller: Caller, node_id: str | None = None, cursor: str | None = None,
                     limit: Limit = 100):
    """Replenishment rules, all or a store's own (`node_id`; admin and viewer keys)."""
    caller.require_planner()
    return Json(await settings.list_rules(ctx, node_id=node_id, cursor=cursor, limit=limit))


@router.post("/runs", dependencies=[may("admin")], response_model=ReplenishmentRun, status_code=201)
async def start_run(body: RunIn, ctx: Ctx, caller: Caller):
    """Propose what each store should receive: for the stores named in `nodes` (else those ordering on
    `date`'s weekday, default today) and the SKUs in `skus` (else all they range), from the last 90 days of
    demand (days out of stock left out), the settings, and what each has on hand and on order less what is
    reserved. A DC short of what its stores ask shares its units by equal days of supply; `unfilled` says
    what it could not send to whom. Each line keeps its inputs and says why."""
    return Json(await runs.start_run(ctx, body, principal=caller), status_code=201)


@router.get("/runs/{run_id}", dependencies=[may("replenishment")], response_model=ReplenishmentRun)
async def get_run(run_id: str, ctx: Ctx, caller: Caller, offset: Annotated[int, Query(ge=0, le=10**8)] = 0):
    """A run and its proposals (admin and viewer keys), 5,000 lines at a time by store and SKU: `next_offset`
    gives the next page's `offset` (null: the last page)."""
    return Json(await runs.get_run(ctx, run_id, principal=caller, offset=offset))


@router.post("/runs/{run_id}/approve", dependencies=[may("admin")], response_model=Approval)
async def approve_run(run_id: str, ctx: Ctx, caller: Caller, body: Annotated[ApproveIn, Body()] = ApproveIn()):
    """Send the run's proposals: every line as proposed, but those named in `lines` at their `quantity` (0: not
    sent). One transfer per store and DC, its units reserved at the DC now — beyond its safety stock and the part
    the run kept for its online orders (`kept`) — and expected at the store. A line the DC can no longer fill in
    full since the run gets what is there and is listed in `short`. A run is approved once (`409` after)."""
    return Json(await approve.approve(ctx, run_id, body, principal=caller))
