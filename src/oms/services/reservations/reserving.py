"""The loop every reservation runs (orders and holds): plan, store, and plan again when the stock moved.

A lost race means the plan was made on numbers another reservation has just changed: read and plan
again. Every lost race is another reservation's success, so stock runs out long before the bound.
The first plan is made on the in-memory stock mirror (a fraction of a second old, and it saves a
round trip); after any doubt the database is read. An expired hold never blocks a sale: when the
stock seems gone, the expired holds on these SKUs are freed at once and the plan is made once more.
Only then is the stock settled: what is missing now is really missing (and may wait for supply).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from ...db.capture_tx import Duplicate, LostRace
from ...domain.errors import Conflict, OutOfStock
from ..runtime.context import Context
from .expiry import release_expired

T = TypeVar("T")
ATTEMPTS = 50


@dataclass
class Try:
    from_memory: bool = True  # plan on the stock mirror
    settled: bool = False  # read from the database, expired holds freed: missing units are really missing


async def reserving(ctx: Context, skus: set[str], attempt: Callable[[Try], Awaitable[T]],
                    replayed: Callable[[], Awaitable[T | None]] | None = None, *, fallback: bool = False) -> T:
    """``attempt(try)`` until it stores. ``replayed()``: what a request sent before answered, if this one
    repeats it (asked when the store finds a duplicate, and before saying the stock is gone).
    ``fallback``: the attempt can do something else with missing units once the stock is settled (wait
    for supply), so it gets that last try even when no expired hold was freed."""
    tries = Try()
    for _ in range(ATTEMPTS):
        try:
            return await attempt(tries)
        except Duplicate:
            existing = await replayed() if replayed else None
            if existing is not None:
                return existing
            # Nothing to answer with (the colliding request did not commit after all): try again.
        except LostRace:
            tries.from_memory = False
        except OutOfStock:
            if tries.from_memory:  # the mirror may be a moment behind a replenishment: ask the database
                tries.from_memory = False
                continue
            # A replay must answer what it replays, even when the units are gone since.
            existing = await replayed() if replayed else None
            if existing is not None:
                return existing
            if tries.settled:
                raise
            tries.settled = True
            if not await release_expired(ctx, skus=skus) and not fallback:
                raise
    raise Conflict(f"the stock of these lines changed under {ATTEMPTS} attempts in a row; try again")
