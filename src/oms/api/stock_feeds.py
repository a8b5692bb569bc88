"""Stock feeds from the nodes: counts and movements, replay-safe and order-safe."""

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel

from ..services.stock import feeds
from ..services.stock.inputs import DeltaIn, SnapshotIn
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS

router = APIRouter(prefix="/v1/inventory", tags=["stock feeds"], responses=PROBLEMS)


class SnapshotResult(BaseModel):
    applied: int
    stale: int


class DeltaResult(BaseModel):
    applied: int
    duplicates: int
    stale: int


@router.post("/snapshots", dependencies=[may("stock_feed")], response_model=SnapshotResult)
async def post_snapshot(snapshot: SnapshotIn, ctx: Ctx, caller: Caller):
    """A node's count: on-hand per SKU as counted at `counted_at`, applied whole or not at all.

    Movements that happened after `counted_at` and were already received stay on top of the count; a
    count older than the one a row rests on is `stale` and changes nothing (so a resent count is a no-op).
    A count that, with those movements, would take on-hand beyond what a stock row holds (±2,147,483,647)
    is refused by name (`items.N.on_hand`).
    """
    caller.require_stock_feed({snapshot.node_id})
    applied, stale = await feeds.apply_snapshot(ctx, snapshot)
    return Json({"applied": applied, "stale": stale})


@router.post("/movements", dependencies=[may("stock_feed")], response_model=DeltaResult)
async def post_movements(items: Annotated[list[DeltaIn], Body(max_length=5000)], ctx: Ctx,
                         caller: Caller):
    """Up to 5,000 movements (sales, receipts, adjustments, damages, returns), applied whole or not at all.

    An `event_id` already received from the same node is a `duplicate` and changes nothing (two nodes may
    use the same ids); a movement that happened before the count its row rests on is already in that
    count: it is recorded as `stale` and not applied. A movement that would take on-hand beyond what a
    stock row holds (±2,147,483,647) is refused by name (`items.N.delta`).
    """
    caller.require_stock_feed({d.node_id for d in items})
    return Json(await feeds.apply_deltas(ctx, items))
