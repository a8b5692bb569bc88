"""A SKU across the network: what each node holds, reserves and can promise, what each delivery mode can
be promised for a channel, what is coming, and the latest movements."""

from fastapi import APIRouter, Request

from ..domain.errors import OmsError, Unauthenticated
from ..domain.vocabulary import Channel, Role
from ..services.reference import records
from ..services.stock import availability
from .pages import page, problem, to_sign_in, who_is

router = APIRouter(prefix="/console/inventory", include_in_schema=False)


@router.get("")
async def show(request: Request, sku: str | None = None, channel: str | None = None):
    try:
        who, csrf = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    channels = [who.scope] if who.role == Role.CHANNEL else list(Channel)
    channel = channel or channels[0]
    data = {"section": "inventory", "sku": (sku or "").strip(), "channel": channel, "channels": channels}
    if not data["sku"]:
        return page(request, "inventory.html", who, csrf, **data)
    ctx = request.app.state.ctx
    try:
        answer = await availability.availability(ctx, principal=who, channel=channel, skus=[data["sku"]])
        rows = await records.list_inventory(ctx, principal=who, sku=data["sku"], node_id=None, cursor=None,
                                              limit=500)
        moves = await records.recent_movements(ctx, sku=data["sku"])
    except OmsError as exc:
        return problem(request, exc, who, csrf, "/console/inventory")
    return page(request, "inventory.html", who, csrf, item=answer["items"][0], as_of=answer["as_of"],
                rows=rows["items"], moves=moves, **data)
