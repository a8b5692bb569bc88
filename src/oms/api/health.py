"""Liveness, readiness and metrics."""

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from ..db.migrate import current_revision, head_revision
from ..domain.errors import Unauthenticated
from ..services.reads import metrics
from .deps import Ctx
from .json import Json

router = APIRouter(tags=["health"])
log = logging.getLogger("oms.health")


@router.get("/healthz")
async def healthz(request: Request):
    """The process is up."""
    return Json({"status": "ok"})


@router.get("/readyz")
async def readyz(ctx: Ctx):
    """The database answers and its schema is at the newest migration."""
    try:
        async with ctx.db.read() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(ctx.db.engine)
    except Exception:  # any failure to reach the database means not ready; the detail goes to the log only
        log.warning("readiness check failed", exc_info=True)
        return Json({"status": "unavailable", "database": "unreachable"}, status_code=503)
    head = head_revision()
    if current != head:
        return Json({"status": "unavailable", "migration": current, "expected": head}, status_code=503)
    return Json({"status": "ok", "migration": current})


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "The Prometheus text format"}})
async def prometheus(request: Request, ctx: Ctx):
    """Prometheus metrics: orders captured by channel and mode, events by type (releases, rejections,
    re-sourcings …), webhook failures, deliveries and lag, the outbox backlog, orders by status. With
    `OMS_METRICS_TOKEN` set, the scraper sends it as `Authorization: Bearer <token>`."""
    token = ctx.settings.metrics_token
    if token and request.headers.get("authorization", "") != f"Bearer {token}":
        raise Unauthenticated("send the metrics token as Authorization: Bearer <token>")
    return Response(await metrics.scrape(ctx), media_type=CONTENT_TYPE_LATEST)
