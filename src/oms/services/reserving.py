"""The loop every reservation runs (orders and holds): plan, store, and plan again when the stock moved.

A lost race means the plan was made on numbers another reservation has just changed: read and plan
again. Every lost race is another reservation's success, so stock runs out long before the bound.
The first plan is made on the in-memory stock mirror (a fraction of a second old, and it saves a
round trip); after any doubt the database is read. An expired hold never blocks a sale: when the
stock seems gone, the expired holds on these SKUs are freed at once and the plan is made once more.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..db.capture_tx import Duplicate, LostRace
from ..domain.errors import Conflict, OutOfStock
from .context import Context
from .holds_expiry import release_expired

T = TypeVar("T")
ATTEMPTS = 50


async def reserving(ctx: Context, skus: set[str], attempt: Callable[[bool], Awaitable[T]],
                    replayed: Callable[[], Awaitable[T | None]] | None = None) -> T:
    """``attempt(from_memory)`` until it stores. ``replayed()``: what a request sent before answered, if
    this one repeats it (asked when the store finds a duplicate, and before saying the stock is gone)."""
    expired_released = False
    from_memory = True
    for _ in range(ATTEMPTS):
        try:
            return await attempt(from_memory)
        except Duplicate:
            existing = await replayed() if replayed else None
            if existing is not None:
                return existing
            # Nothing to answer with (the colliding request did not commit after all): try again.
        except LostRace:
            from_memory = False
        except OutOfStock:
            if from_memory:  # the mirror may be a moment behind a replenishment: ask the database
                from_memory = False
                continue
            # A replay must answer what it replays, even when the units are gone since.
            existing = await replayed() if replayed else None
            if existing is not None:
                return existing
            if expired_released or not await release_expired(ctx, skus=skus):
                raise
            expired_released = True
    raise Conflict(f"the stock of these lines changed under {ATTEMPTS} attempts in a row; try again")
