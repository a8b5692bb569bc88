"""The one error tree of the OMS. Each error has a stable ``code``; the API maps classes to HTTP once.

    OmsError
    ├── InvalidInput        bad field(s) in a request or a file          -> 422
    ├── NotFound            no such resource, or none this key may see   -> 404
    ├── Conflict            the request clashes with the current state   -> 409
    │   ├── IllegalTransition   a status move the lifecycle forbids
    │   ├── OutOfStock          no node can supply some lines
    │   │   └── NoCarrierService    … because no carrier service reaches the address from where the stock is
    │   └── IdempotencyConflict a key or reference already used by another request
    ├── Unauthenticated     no or unknown API key                        -> 401
    └── Forbidden           the key's role (or a scope named in the body
                            or a filter) does not allow it               -> 403
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One bad field: ``field`` is a dotted path (``lines.0.quantity``), ``reason`` says why."""

    field: str
    reason: str


class OmsError(Exception):
    code = "oms_error"
    title = "OMS error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra  # more members of the problem answer (JSON), as each error names them


class InvalidInput(OmsError):
    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(detail or "; ".join(f"{e.field}: {e.reason}" for e in errors))


class NotFound(OmsError):
    code = "not_found"
    title = "Not found"


def missing(kind: str, ident: str) -> NotFound:
    """The one answer for a resource that does not exist, and for one the key may not see: the same words,
    so that a key cannot tell them apart and learn which ids exist."""
    return NotFound(f"no {kind} {ident!r}")


class Conflict(OmsError):
    code = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal status transition"

    def __init__(self, entity: str, current: str, requested: str) -> None:
        current, requested = str(current), str(requested)  # plain text, also for status enums
        super().__init__(
            f"{entity} is {current!r} and cannot become {requested!r}",
            current_status=current,
            requested_status=requested,
        )


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "Not enough stock"

    def __init__(self, lines: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail or f"no eligible node can supply: {self.units(lines)}", lines=lines)

    @staticmethod
    def units(lines: list[dict[str, Any]]) -> str:
        """The lines as the messages name them: ``A x2, B x1``."""
        return ", ".join(f"{line['sku']} x{line['quantity']}" for line in lines)


class NoCarrierService(OutOfStock):
    """The units are there, but no carrier service of the mode goes from where they are to the address: the
    client should offer another address or mode, not wait for stock. An OutOfStock all the same for the
    callers that plan again on fresher stock, or let the lines wait for supply."""
    code = "no_carrier_service"
    title = "No carrier service reaches the address"

    def __init__(self, lines: list[dict[str, Any]], mode: str) -> None:
        super().__init__(lines, f"no {mode} carrier service reaches the address from the nodes that have: "
                                f"{self.units(lines)}")


class IdempotencyConflict(Conflict):
    """An ``Idempotency-Key`` or a channel reference sent again with another request: answering the first
    one's result would tell the client its new request was done. ``extra`` names what the first created."""
    code = "idempotency_conflict"
    title = "Already used by another request"


class Unauthenticated(OmsError):
    code = "unauthenticated"
    title = "Authentication required"


class Unavailable(OmsError):
    """The service cannot do it now, through no fault of the request: it may be sent again later."""

    code = "unavailable"
    title = "Unavailable"


class Forbidden(OmsError):
    code = "forbidden"
    title = "Forbidden"


@dataclass
class Problems:
    """Collects field errors so a request reports every bad field at once, not just the first."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, reason: str) -> None:
        self.errors.append(FieldError(path, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


class PromiseNotKept(Conflict):
    """A promise an order names can no longer be kept (expired, or the stock or calendars moved); the
    answer lists the options there are now."""
    code = "promise_not_kept"
    title = "The promise can no longer be kept"
