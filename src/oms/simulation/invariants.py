"""What must hold after any day, however it went: the stock counters match their ledger and reservations
(``oms inventory check``), no node's day took more orders than its capacity, every reservation adds up."""

from ..services.reads import outcomes
from ..services.runtime.context import Context
from ..services.stock.check import promise_differences, stock_differences


async def check(ctx: Context) -> dict:
    """Each invariant: ``clean``, or the rows that break it."""
    found = {
        "inventory_check": [*await stock_differences(ctx), *await promise_differences(ctx)],
        "capacity": await outcomes.overbooked(ctx),
        "reservations": await outcomes.misreserved(ctx),
    }
    return {name: rows[:20] if rows else "clean" for name, rows in found.items()}


def broken(invariants: dict) -> list[str]:
    return [name for name, value in invariants.items() if value != "clean"]
