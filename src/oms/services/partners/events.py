"""Event rows: the order timeline and the outbox, written inside the change's own transaction."""

from datetime import datetime

from ...domain.events import CATALOGUE
from ...domain.ids import new_id


def event(type: str, *, order_id: str | None, actor: str, at: datetime, data: dict,
          reason: str | None = None) -> dict:
    """An event row; ValueError for a type the catalogue lacks or data without its type's fields: the outbox
    sends only what partners may subscribe to, with what the API guide says each carries."""
    kind = CATALOGUE.get(type)
    if kind is None:
        raise ValueError(f"{type!r} is not an event type of domain.events.CATALOGUE")
    if missing := kind.missing(data):
        raise ValueError(f"{type} data lacks {', '.join(missing)} (domain.events.CATALOGUE)")
    return {"id": new_id("evt"), "type": type, "order_id": order_id, "occurred_at": at, "actor": actor,
            "reason": reason, "data": data, "published_at": None}


def event_view(r) -> dict:
    return {"id": r.id, "type": r.type, "occurred_at": r.occurred_at.isoformat(), "actor": r.actor,
            "reason": r.reason, "data": r.data}
