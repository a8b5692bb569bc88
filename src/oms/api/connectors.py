"""Connectors (admin): the shops and marketplaces whose orders come in, and the door their webhooks use."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ..services.connectors import inbox, settings
from ..services.connectors.inputs import ConnectorIn, ConnectorPatch, MappedSkus
from .deps import Caller, Ctx, may
from .json import Json
from .schemas import PROBLEMS, Connector, ConnectorList, InboxPage, Mapped, MappedSkuPage, Received

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
                     status: Literal["pending", "captured", "dead"] | None = None, cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """What the platform pushed, newest first."""
    return Json(await inbox.listing(ctx, connector_id, principal=caller, status=status, cursor=cursor,
                                    limit=limit))


@router.post("/{connector_id}/webhooks", response_model=Received)
async def webhook(connector_id: str, request: Request, ctx: Ctx):
    """The platform's webhooks (no API key: the platform signs each delivery). Shopify: `X-Shopify-Hmac-Sha256`
    (base64 HMAC-SHA256 of the raw body with the app's secret), `X-Shopify-Topic` orders/create or
    orders/updated, `X-Shopify-Webhook-Id`. WooCommerce: `X-WC-Webhook-Signature` (the same with the webhook's
    secret), `X-WC-Webhook-Topic` order.created or order.updated, `X-WC-Webhook-Delivery-ID`. `401` unless
    signed; `200` once written in the inbox (a delivery sent again is kept once; another topic, or
    WooCommerce's ping, is answered 200 and not kept)."""
    return Json(await inbox.receive(ctx, connector_id, await request.body(), request.headers))
