"""Transfers: units a DC sends a store, its confirmations and the store's receipt."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Query

from ..domain.lifecycle import TRANSFER_ACTIONS, TStatus
from ..services.replenishment import transfers
from ..services.replenishment.inputs import TransferActionIn
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, Page, Transfer

router = APIRouter(prefix="/v1/transfers", tags=["transfers"], responses=PROBLEMS)

if TYPE_CHECKING:
    Action = str
else:
    Action = Literal[tuple(TRANSFER_ACTIONS)]


@router.get("", response_model=Page)
async def list_transfers(ctx: Ctx, caller: Caller, node_id: str | None = None, source_node_id: str | None = None,
                         status: TStatus | None = None, cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Transfers by id: those a store receives (`node_id`), a DC sends (`source_node_id`), in a `status`. A node
    key sees those it sends or receives."""
    return Json(await transfers.list_transfers(ctx, principal=caller, node_id=node_id, source_node_id=source_node_id,
                                               status=status, cursor=cursor, limit=limit))


@router.get("/{transfer_id}", response_model=Transfer)
async def get_transfer(transfer_id: str, ctx: Ctx, caller: Caller):
    return Json(await transfers.get_transfer(ctx, transfer_id, principal=caller))


@router.post("/{transfer_id}/{action}", dependencies=[may("fulfillment_action")], response_model=Transfer)
async def act(transfer_id: str, action: Action, ctx: Ctx, caller: Caller,
              body: Annotated[TransferActionIn, Body()] = TransferActionIn()):
    """The DC's word (`accept`, `pick` with the units found of each SKU — fewer is a short pick —, `ship` with
    an optional carrier and tracking number, `cancel` before it ships) or the store's (`receive`, with the units
    put on its shelves and those that came damaged; a SKU not named arrived whole). The same word sent again
    changes nothing."""
    return Json(await transfers.act(ctx, transfer_id, action, body, principal=caller))
