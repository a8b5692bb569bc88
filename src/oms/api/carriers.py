"""Carriers' tracking updates, signed by each carrier."""

from fastapi import APIRouter, Request

from ..services.fulfillment import tracking
from ..services.fulfillment.inputs import TrackingIn
from .deps import Ctx, body_of
from .json import Json
from .schemas import PROBLEMS, OrderOut

router = APIRouter(prefix="/v1/carriers", tags=["carriers"], responses=PROBLEMS)


@router.post("/{carrier}/tracking", response_model=OrderOut, openapi_extra={"requestBody": {"content": {
    "application/json": {"schema": TrackingIn.model_json_schema()}}, "required": True}})
async def tracking_update(carrier: str, request: Request, ctx: Ctx):
    """A carrier's news of a parcel: `{"tracking_number", "status": in_transit | out_for_delivery | delivered
    | failed_attempt | returned_to_sender, "occurred_at"?, "description"?}`, signed with the carrier's secret:
    `X-Carrier-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (`401` otherwise). `delivered` moves
    the shipped fulfilment order to delivered; every update goes into the order's timeline."""
    tracking.check_signature(ctx, carrier, await request.body(), request.headers.get("x-carrier-signature"))
    return Json(await tracking.record(ctx, carrier, await body_of(request, TrackingIn)))
