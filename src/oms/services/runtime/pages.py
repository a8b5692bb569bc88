"""Cursor pagination: the cursor is the last key of the page, opaque to the client."""

import base64
import json

from ...domain.errors import FieldError, InvalidInput

MAX_LIMIT = 500


def encode(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode(cursor: str | None, size: int = 1) -> list[str] | None:
    """The key a cursor carries: ``size`` strings, or InvalidInput for anything this API did not make."""
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        value = None
    if not (isinstance(value, list) and len(value) == size and all(isinstance(v, str) for v in value)):
        raise InvalidInput([FieldError("cursor", "not a cursor this API returned")])
    return value


def before(query, column, cursor: str | None, limit: int):
    """``query`` newest first by an integer ``column``, from after the cursor's row, ``limit + 1`` rows."""
    query = query.order_by(column.desc()).limit(limit + 1)
    if after := decode(cursor):
        try:
            query = query.where(column < int(after[0]))
        except ValueError:
            raise InvalidInput([FieldError("cursor", "not a cursor this API gave")]) from None
    return query


def page(items: list[dict], limit: int, key) -> dict:
    """``items`` holds up to ``limit + 1`` rows; the extra one only says there is a next page."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode(key(items[-1])) if more else None}
