"""Event rows: the order timeline and the outbox, written inside the change's own transaction."""

from datetime import datetime

from ...domain.ids import new_id
from ...domain.webhooks import EVENT_TYPES


def event(type: str, *, order_id: str | None, actor: str, at: datetime, data: dict,
          reason: str | None = None) -> dict:
    if type not in EVENT_TYPES:  # one list of what is sent: partners subscribe to the types in it
        raise ValueError(f"{type!r} is not in domain.webhooks.EVENT_TYPES")
    return {"id": new_id("evt"), "type": type, "order_id": order_id, "occurred_at": at, "actor": actor,
            "reason": reason, "data": data, "published_at": None}


def event_view(r) -> dict:
    return {"id": r.id, "type": r.type, "occurred_at": r.occurred_at.isoformat(), "actor": r.actor,
            "reason": r.reason, "data": r.data}
