"""A SKU across the network: what each node holds, reserves and can promise, what each delivery mode can
be promised for a channel, what is coming, and the latest movements."""

from typing import Any

from fastapi import APIRouter, Request

from ..domain.errors import OmsError
from ..services.reference import records
from ..services.stock import availability
from .pages import SignedIn, page, problem

router = APIRouter(prefix="/console/inventory", include_in_schema=False)


@router.get("")
async def show(request: Request, session: SignedIn, sku: str | None = None, channel: str | None = None):
    who = session.who
    channels = who.channels_seen()
    channel = channel or channels[0]
    data: dict[str, Any] = {"section": "inventory", "sku": (sku or "").strip(), "channel": channel,
                            "channels": channels}
    if not data["sku"]:
        return page(request, "inventory.html", session, **data)
    ctx = request.app.state.ctx
    try:
        answer = await availability.availability(ctx, principal=who, channel=channel, skus=[data["sku"]])
        rows = await records.list_inventory(ctx, principal=who, sku=data["sku"], node_id=None, cursor=None,
                                            limit=500)
        moves = await records.recent_movements(ctx, sku=data["sku"])
    except OmsError as exc:
        return problem(request, exc, session, "/console/inventory")
    return page(request, "inventory.html", session, item=answer["items"][0], as_of=answer["as_of"],
                rows=rows["items"], moves=moves, **data)
