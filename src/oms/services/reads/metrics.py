"""What ``/metrics`` shows, read from the database at each scrape (the same from every server process):
counters the relay and the sender keep (``counts``), and gauges of the outbox, the webhooks and the orders."""

from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from ...db import tables as t
from ...domain.lifecycle import DStatus
from ..connectors.status import every
from ..runtime.context import Context

COUNTERS = {  # counts.name -> (metric, help, label names)
    "events": ("oms_events", "Events handed on by the outbox relay, by type (fulfillment.released, "
                             "fulfillment.rejected, order.resourced …)", ["type"]),
    "orders_captured": ("oms_orders_captured", "Orders captured, by channel and delivery mode", ["channel", "mode"]),
    "webhook_failures": ("oms_webhook_failures", "Webhook delivery attempts that failed, by subscription",
                         ["webhook"]),
}


async def scrape(ctx: Context) -> bytes:
    at = ctx.clock.now()
    e, d, o = t.events.c, t.webhook_deliveries.c, t.orders.c
    async with ctx.db.read() as conn:
        counted = (await conn.execute(select(t.counts))).all()
        backlog, oldest = (await conn.execute(select(func.count(), func.min(e.occurred_at)).where(
            e.published_at.is_(None)))).one()
        deliveries = (await conn.execute(select(d.status, func.count()).group_by(d.status))).all()
        waiting = await conn.scalar(select(func.min(d.created_at)).where(d.status == DStatus.PENDING))
        orders = (await conn.execute(select(o.status, func.count()).group_by(o.status))).all()
    families: list[Metric] = []
    for name, (metric, doc, label_names) in COUNTERS.items():
        family = CounterMetricFamily(metric, doc, labels=label_names)
        for row in counted:
            if row.name == name:
                labels = dict(part.split("=", 1) for part in row.labels.split(","))
                family.add_metric([labels.get(k, "") for k in label_names], row.value)
        families.append(family)
    families.append(_gauge("oms_outbox_backlog", "Events not yet handed on by the relay", backlog))
    families.append(_gauge("oms_outbox_oldest_seconds", "Age of the oldest event not yet handed on",
                           _age(oldest, at)))
    families.append(_by_status("oms_webhook_deliveries", "Webhook deliveries by status", deliveries))
    families.append(_gauge("oms_webhook_lag_seconds", "Age of the oldest webhook delivery not yet delivered",
                           _age(waiting, at)))
    families.append(_by_status("oms_orders", "Orders by status", orders))
    families += _connectors(await every(ctx))
    registry = CollectorRegistry()
    registry.register(_Fixed(families))
    return generate_latest(registry)


def _connectors(found: list[dict]) -> list[Metric]:
    """Per connector: its records waiting and dead, how old the oldest waiting is, how far its poll is behind
    the platform, whether its last poll failed, its reports failing."""
    shown = [("pending", "oms_connector_pending", "Records of the connector's inbox waiting to be captured"),
             ("dead_letters", "oms_connector_dead_letters", "Records that could not be captured (dead letters)"),
             ("inbox_lag_seconds", "oms_connector_inbox_lag_seconds", "Age of the oldest record waiting"),
             ("poll_lag_seconds", "oms_connector_poll_lag_seconds",
              "Time since the platform change up to which every order was polled"),
             ("poll_failing", "oms_connector_poll_failing", "1 when the connector's last poll failed"),
             ("reports_failing", "oms_connector_reports_failing",
              "What the platform is told that failed and waits to be tried again"),
             ("reports_dead", "oms_connector_reports_dead", "What the platform is told that failed for good")]
    families: list[Metric] = []
    for key, name, doc in shown:
        family = GaugeMetricFamily(name, doc, labels=["connector", "kind"])
        for f in found:
            family.add_metric([f["id"], f["kind"]], float(f[key] or 0))
        families.append(family)
    return families


class _Fixed:
    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


def _by_status(name: str, doc: str, counted) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["status"])
    for status, count in counted:
        family.add_metric([status], count)
    return family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _age(since: datetime | None, at: datetime) -> float:
    return max(0.0, (at - since).total_seconds()) if since else 0.0
