"""Connectors (admin): the shops and marketplaces whose orders come in, and the door their webhooks use."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ..services.connectors import inbox, outgoing, polling, settings, status
from ..services.connectors.inputs import ConnectorIn, ConnectorPatch, MappedSkus
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import (
    PROBLEMS,
    Connector,
    ConnectorList,
    ConnectorStatus,
    Dismissed,
    InboxPage,
    Mapped,
    MappedSkuPage,
    Polled,
    Received,
    ReportPage,
    Retried,
)

router = APIRouter(prefix="/v1/connectors", tags=["connectors"], responses=PROBLEMS)


@router.post("", dependencies=[may("admin")], status_code=201, response_model=Connector)
async def create_connector(body: ConnectorIn, ctx: Ctx, caller: Caller):
    """Connect a shop or marketplace: `kind` (shopify, woocommerce, prestashop, mirakl), the `channel` its
    orders are captured in, its `base_url`, its `credentials` (write-only, sealed at rest), the mapping of its
    shipping methods to delivery modes, how often it is polled. A kind that pushes answers its `webhook_url`."""
    return Json(await settings.create(ctx, body, principal=caller), status_code=201)


@router.get("", response_model=ConnectorList)
async def list_connectors(ctx: Ctx, caller: Caller):
    return Json(await settings.list_all(ctx, principal=caller))


@router.get("/{connector_id}", response_model=Connector)
async def get_connector(connector_id: str, ctx: Ctx, caller: Caller):
    return Json(await settings.get(ctx, connector_id, principal=caller))


@router.patch("/{connector_id}", dependencies=[may("admin")], response_model=Connector)
async def change_connector(connector_id: str, body: ConnectorPatch, ctx: Ctx, caller: Caller):
    """Change what is given; credentials given replace those of the same names, the others are kept."""
    return Json(await settings.change(ctx, connector_id, body, principal=caller))


@router.get("/{connector_id}/status", response_model=ConnectorStatus)
async def connector_status(connector_id: str, ctx: Ctx, caller: Caller):
    """How the connector is doing: its last webhook and poll, how far each is behind (`poll_lag_seconds`: since
    the platform change up to which every order was polled; `inbox_lag_seconds`: the oldest record waiting),
    the records waiting, the dead letters, the orders it brought in the last 24 hours, the last poll's error."""
    return Json(await status.status(ctx, connector_id, principal=caller))


@router.put("/{connector_id}/skus", dependencies=[may("admin")], response_model=Mapped)
async def map_skus(connector_id: str, body: MappedSkus, ctx: Ctx, caller: Caller):
    """Replace the mapping of the platform's product references (SKU or variant id) to the OMS's SKUs."""
    return Json(await settings.map_skus(ctx, connector_id, body, principal=caller))


@router.get("/{connector_id}/skus", response_model=MappedSkuPage)
async def list_skus(connector_id: str, ctx: Ctx, caller: Caller, cursor: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 500):
    return Json(await settings.skus(ctx, connector_id, principal=caller, cursor=cursor, limit=limit))


@router.get("/{connector_id}/inbox", response_model=InboxPage)
async def list_inbox(connector_id: str, ctx: Ctx, caller: Caller,
                     status: Literal["pending", "captured", "ignored", "dead", "dismissed"] | None = None,
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """What the platform pushed, newest first."""
    return Json(await inbox.listing(ctx, connector_id, principal=caller, status=status, cursor=cursor,
                                    limit=limit))


@router.post("/{connector_id}/poll", dependencies=[may("admin")], response_model=Polled)
async def poll_connector(connector_id: str, ctx: Ctx, caller: Caller):
    """Poll the platform now (as the poll every `poll_seconds` does): the orders changed since the mark, less
    ten minutes, into the inbox. Answers what was `read`, what was new and `kept`, the `mark` and the `error`
    (the platform refused the credentials, did not answer …), which the connector keeps until the next poll."""
    caller.require_admin()
    return Json(await polling.poll(ctx, connector_id))


@router.get("/{connector_id}/dead-letters", response_model=InboxPage)
async def list_dead_letters(connector_id: str, ctx: Ctx, caller: Caller, cursor: str | None = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The records that could not be captured, newest first, each with its reason in `error` (an unknown
    product, no address, no stock). The others were captured all the same."""
    return Json(await inbox.listing(ctx, connector_id, principal=caller, status=inbox.DEAD, cursor=cursor,
                                    limit=limit))


@router.post("/{connector_id}/dead-letters/retry", dependencies=[may("admin")], response_model=Retried)
async def retry_dead_letters(connector_id: str, ctx: Ctx, caller: Caller):
    """Try every dead letter again (after the mapping was fixed): pending, captured at the next pass."""
    return Json(await inbox.retry(ctx, connector_id, principal=caller))


@router.post("/{connector_id}/dead-letters/{record_id}/retry", dependencies=[may("admin")],
             response_model=Retried)
async def retry_dead_letter(connector_id: str, record_id: int, ctx: Ctx, caller: Caller):
    return Json(await inbox.retry(ctx, connector_id, principal=caller, record_id=record_id))


@router.post("/{connector_id}/dead-letters/{record_id}/dismiss", dependencies=[may("admin")],
             response_model=Dismissed)
async def dismiss_dead_letter(connector_id: str, record_id: int, ctx: Ctx, caller: Caller):
    """Put a dead letter aside for good (entered by hand, or not wanted)."""
    return Json(await inbox.dismiss(ctx, connector_id, record_id, principal=caller))


@router.get("/{connector_id}/reports", response_model=ReportPage)
async def list_reports(connector_id: str, ctx: Ctx, caller: Caller,
                       status: Literal["pending", "done", "dead"] | None = None, cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """What the platform is told (shipments, cancellations, Mirakl's decisions), newest first, with how the
    sending went: `pending` (with the `error` of the last try when it failed), `done`, `dead`."""
    return Json(await outgoing.listing(ctx, connector_id, principal=caller, status=status, cursor=cursor,
                                       limit=limit))


@router.post("/{connector_id}/reports/retry", dependencies=[may("admin")], response_model=Retried)
async def retry_reports(connector_id: str, ctx: Ctx, caller: Caller):
    """Send every dead report again (once what it died of is mended: a reason code set, the credentials given
    again), its tries counted afresh."""
    return Json(await outgoing.retry(ctx, connector_id, principal=caller))


@router.post("/{connector_id}/reports/{report_id}/retry", dependencies=[may("admin")], response_model=Retried)
async def retry_report(connector_id: str, report_id: int, ctx: Ctx, caller: Caller):
    return Json(await outgoing.retry(ctx, connector_id, principal=caller, report_id=report_id))


@router.post("/{connector_id}/webhooks", response_model=Received)
async def webhook(connector_id: str, request: Request, ctx: Ctx):
    """The platform's webhooks (no API key: the platform signs each delivery). Shopify: `X-Shopify-Hmac-Sha256`
    (base64 HMAC-SHA256 of the raw body with the app's secret), `X-Shopify-Topic` orders/create or
    orders/updated, `X-Shopify-Webhook-Id`. WooCommerce: `X-WC-Webhook-Signature` (the same with the webhook's
    secret), `X-WC-Webhook-Topic` order.created or order.updated, `X-WC-Webhook-Delivery-ID`. `401` unless
    signed; `200` once written in the inbox (a delivery sent again is kept once; another topic, or
    WooCommerce's ping, is answered 200 and not kept)."""
    return Json(await inbox.receive(ctx, connector_id, await request.body(), request.headers))
