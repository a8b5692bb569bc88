"""Webhook rules: the event types one may subscribe to, which subscriptions get an event, how a delivery is signed,
what is kept of a partner's answer, when a failed one is retried."""

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from .events import EVENT_TYPES, FAMILIES
from .lifecycle import DStatus, check_delivery_transition

FIRST_RETRY_S = 2.0
LONGEST_WAIT_S = 3600.0  # an hour between attempts at most
ATTEMPTS = 10  # then the delivery is dead (replayable)


def known(pattern: str) -> bool:
    """Whether a subscription's ``pattern`` (a type, a family "order.*" or "*") names events that exist: types of
    the catalogue (``events.CATALOGUE``), or their families."""
    return pattern == "*" or pattern in EVENT_TYPES or (pattern.endswith(".*") and pattern[:-2] in FAMILIES)


def wants(events: list[str], event_type: str) -> bool:
    """Whether a subscription to ``events`` (types, "*" for all, "order.*" for a family) gets this type."""
    return any(e == "*" or e == event_type or (e.endswith(".*") and event_type.startswith(e[:-1])) for e in events)


def about(node_id: str | None, data: dict[str, Any]) -> bool:
    """Whether an event's data concerns a subscription limited to ``node_id`` (None: every event does):
    the work it sends, the parcels it hands over, the work offered to it."""
    offered = (data.get("details") or {}).get("offered_to", [])
    # (a claim tells the store it was taken from, and those whose offers ended)
    others = [data.get("from"), *data.get("withdrawn_from", [])]
    return node_id is None or node_id in (data.get("node_id"), data.get("handover_node_id"), *offered, *others)


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes) -> str:
    """A carrier's signature (its tracking updates, the OMS's bookings with it): ``sha256=<hex HMAC-SHA256
    of the raw body>``."""
    return "sha256=" + _hmac(secret, body)


def timed_signature(secret: str, body: bytes, at: int) -> str:
    """A webhook delivery's ``X-OMS-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
    The time is signed with the body, so that a receiver can refuse an old delivery sent again (a replay)."""
    return f"t={at},v1={_hmac(secret, str(at).encode() + b'.' + body)}"


EXCERPT = 200  # characters kept of a partner's answer


def excerpt(text: str) -> str:
    """What the delivery log keeps of a partner's answer or error: its first printable characters, control
    characters dropped and line breaks made spaces — enough to see why, never a whole page echoed back."""
    flat = "".join(c if c.isprintable() else " " if c in "\r\n\t" else "" for c in text[: EXCERPT * 4])
    return " ".join(flat.split())[:EXCERPT]


def after_attempt(ok: bool, attempts: int) -> DStatus:
    """A pending delivery's status after its ``attempts``-th attempt: delivered if the partner took it, dead
    after the last one, else still pending (tried again at ``next_attempt``)."""
    status = DStatus.DELIVERED if ok else DStatus.DEAD if attempts >= ATTEMPTS else DStatus.PENDING
    return check_delivery_transition(DStatus.PENDING, status)


def next_attempt(attempts: int, at: datetime) -> datetime:
    """When to try again after ``attempts`` failed ones: 2 s, 4 s, 8 s … up to an hour."""
    return at + timedelta(seconds=min(LONGEST_WAIT_S, FIRST_RETRY_S * 2 ** (attempts - 1)))
