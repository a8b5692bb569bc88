"""Webhook subscriptions (admin): every event, signed, to the partners that want it."""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Query

from ..domain.lifecycle import DStatus
from ..services.partners import webhooks
from ..services.partners.inputs import ReplayIn, WebhookIn
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, DeliveryPage, Replayed, Webhook, WebhookList

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=PROBLEMS)
# A delivery's statuses, listed in the API docs as plain words (known when the module runs: a str to the checker).
if TYPE_CHECKING:
    DeliveryStatus = str
else:
    DeliveryStatus = Literal[tuple(s.value for s in DStatus)]


@router.post("", dependencies=[may("admin")], status_code=201, response_model=Webhook)
async def create_webhook(body: WebhookIn, ctx: Ctx, caller: Caller):
    """Subscribe `url` (http or https, a public address, no credentials) to `events` (types the OMS sends).
    Each event is then POSTed as JSON `{"id", "type", "occurred_at", "order_id", "data"}` with
    `X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`, an order's
    events in their order, retried with growing waits until the partner answers 2xx."""
    return Json(await webhooks.create(ctx, body, principal=caller), status_code=201)


@router.get("", response_model=WebhookList)
async def list_webhooks(ctx: Ctx, caller: Caller):
    return Json(await webhooks.list_all(ctx, principal=caller))


@router.get("/{webhook_id}", response_model=Webhook)
async def get_webhook(webhook_id: str, ctx: Ctx, caller: Caller):
    return Json(await webhooks.get(ctx, webhook_id, principal=caller))


@router.delete("/{webhook_id}", dependencies=[may("admin")], response_model=Webhook)
async def switch_off_webhook(webhook_id: str, ctx: Ctx, caller: Caller):
    """No more events for it (deliveries under way still go out)."""
    return Json(await webhooks.switch_off(ctx, webhook_id, principal=caller))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(webhook_id: str, ctx: Ctx, caller: Caller,
                          status: DeliveryStatus | None = None,
                          cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The delivery log, newest event first: status, attempts, the partner's last answer."""
    return Json(await webhooks.deliveries(ctx, webhook_id, principal=caller, status=status, cursor=cursor,
                                          limit=limit))


@router.post("/{webhook_id}/replay", dependencies=[may("admin")], response_model=Replayed)
async def replay(webhook_id: str, ctx: Ctx, caller: Caller, body: Annotated[ReplayIn, Body()] = ReplayIn()):
    """Send again every dead delivery, or the ones named by `event_ids`."""
    return Json(await webhooks.replay(ctx, webhook_id, body, principal=caller))
