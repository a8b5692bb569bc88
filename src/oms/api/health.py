"""Liveness, readiness and metrics."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..domain.errors import Unauthenticated
from ..services.reads import health, metrics
from .deps import Ctx
from .json import Json
from .schemas import PROBLEMS, Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(request: Request):
    """The process is up."""
    return Json({"status": "ok"})


@router.get("/readyz", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Not ready: the database is unreachable or its "
                                                                "schema is behind"}})
async def readyz(ctx: Ctx):
    """The database answers and its schema is at the newest migration."""
    ready, answer = await health.readiness(ctx)
    return Json(answer, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "The Prometheus text format"},
                       401: PROBLEMS[401]})
async def prometheus(request: Request, ctx: Ctx):
    """Prometheus metrics: orders captured by channel and mode, events by type (releases, rejections,
    re-sourcings …), webhook failures, deliveries and lag, the outbox backlog, orders by status. With
    `OMS_METRICS_TOKEN` set, the scraper sends it as `Authorization: Bearer <token>`."""
    token = ctx.settings.metrics_token
    if token and request.headers.get("authorization", "") != f"Bearer {token}":
        raise Unauthenticated("send the metrics token as Authorization: Bearer <token>")
    return Response(await metrics.scrape(ctx), media_type=CONTENT_TYPE_LATEST)
