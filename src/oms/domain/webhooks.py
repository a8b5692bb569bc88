"""Webhook rules: which subscriptions get an event, how a delivery is signed, when a failed one is retried."""

import hashlib
import hmac
from datetime import datetime, timedelta

FIRST_RETRY_S = 2.0
LONGEST_WAIT_S = 3600.0  # an hour between attempts at most
ATTEMPTS = 10  # then the delivery is dead (replayable)


def wants(events: list[str], event_type: str) -> bool:
    """Whether a subscription to ``events`` (types, "*" for all, "order.*" for a family) gets this type."""
    return any(e == "*" or e == event_type or (e.endswith(".*") and event_type.startswith(e[:-1])) for e in events)


def about(node_id: str | None, data: dict) -> bool:
    """Whether an event's data concerns a subscription limited to ``node_id`` (None: every event does):
    the work it sends, the parcels it hands over, the work offered to it."""
    offered = (data.get("details") or {}).get("offered_to", [])
    # (a claim tells the store it was taken from, and those whose offers ended)
    others = [data.get("from"), *data.get("withdrawn_from", [])]
    return node_id is None or node_id in (data.get("node_id"), data.get("handover_node_id"), *offered, *others)


def signature(secret: str, body: bytes) -> str:
    """The ``X-OMS-Signature`` header: HMAC-SHA256 of the raw body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def next_attempt(attempts: int, at: datetime) -> datetime:
    """When to try again after ``attempts`` failed ones: 2 s, 4 s, 8 s … up to an hour."""
    return at + timedelta(seconds=min(LONGEST_WAIT_S, FIRST_RETRY_S * 2 ** (attempts - 1)))
