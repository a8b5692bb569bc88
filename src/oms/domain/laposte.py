"""La Poste's Suivi v2 answer read: each item's news, oldest first, and whether the parcel's story is over.

    GET {api}/idships/{id}[,{id}…] with X-Okapi-Key → one object, or a list of them (207) for several ids:
    {"returnCode": 200, "shipment": {"idShip", "product", "isFinal", "timeline": [...],
     "event": [{"code": "DI1", "label": "...", "date": "2026-12-05T10:04:00+01:00"}, ...]}}
    or {"returnCode": 104 | 105 | 400 …, "returnMessage": "...", "idShip": "..."} for an item not (yet) known.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .tracking import LAPOSTE, Tracking


@dataclass(frozen=True)
class News:
    status: Tracking
    occurred_at: datetime
    description: str


@dataclass(frozen=True)
class Item:
    number: str
    known: bool  # La Poste knows the parcel (returnCode 200); else ``why`` says what it answered
    final: bool  # nothing more will happen to it
    news: tuple[News, ...]  # oldest first
    why: str | None = None


def items(body: Any) -> list[Item]:
    """Every item of an answer (one object, or a list for several ids); what cannot be read is left out."""
    found = []
    for item in body if isinstance(body, list) else [body]:
        if not isinstance(item, dict):
            continue
        given = item.get("shipment")
        shipment: dict[str, Any] = given if isinstance(given, dict) else {}
        number = str(shipment.get("idShip") or item.get("idShip") or "").strip().upper()
        if not number:
            continue
        if item.get("returnCode") != 200:
            found.append(Item(number, False, False, (), f"{item.get('returnCode')}: {item.get('returnMessage')}"))
            continue
        found.append(Item(number, True, shipment.get("isFinal") is True, tuple(sorted(
            filter(None, (_news(e) for e in shipment.get("event") or [])), key=lambda n: n.occurred_at))))
    return found


def _news(event: Any) -> News | None:
    if not isinstance(event, dict) or not isinstance(event.get("code"), str):
        return None
    try:
        at = datetime.fromisoformat(event.get("date", ""))
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    code = event["code"].strip()[:10]
    label = " ".join(str(event.get("label") or "").split())[:480]  # (as the carriers' door keeps it: stripped)
    return News(LAPOSTE.get(code, Tracking.IN_TRANSIT), at, f"{code} {label}".strip())
