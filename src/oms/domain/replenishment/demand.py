"""A store's daily demand of a SKU, from its stock ledger: three streams kept apart, and the days it had
nothing to sell.

    walk-in   units sold at the till (the store's feed: ``sale``);
    online    units of online orders the store sent or handed over (ship-from-store, Click & Collect,
              reserve in store, one hour: ``ship``, ``collect``);
    returns   units brought back and put on its shelves (``return``).

A day counts as out of stock when it began with nothing on hand and nothing left the store: no demand was
seen that day because none could be met, so a forecast leaves it out rather than learning a zero. The
on-hand at each day's start is the on-hand now less every movement since.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

WALK_IN, ONLINE, RETURNS = ("sale",), ("ship", "collect"), ("return",)


@dataclass(frozen=True)
class Move:
    day: date  # the store's local date
    delta: int
    reason: str


@dataclass(frozen=True)
class Day:
    day: date
    walk_in: int
    online: int
    returns: int
    opening: int  # on hand when the day began
    out_of_stock: bool

    @property
    def demand(self) -> int:
        """What customers took that day, walk-in and online."""
        return self.walk_in + self.online


def daily(moves: Iterable[Move], on_hand_now: int, first: date, last: date) -> list[Day]:
    """The days from ``first`` to ``last`` (the store's local dates, ``last`` today), oldest first.
    ``moves``: every movement of the store's SKU since ``first`` began."""
    by_day: dict[date, list[Move]] = {}
    for m in moves:
        by_day.setdefault(m.day, []).append(m)
    days, level = [], on_hand_now
    day = last
    while day >= first:
        today = by_day.get(day, [])
        level -= sum(m.delta for m in today)  # the on-hand the day began with
        walk_in = -sum(m.delta for m in today if m.reason in WALK_IN)
        online = -sum(m.delta for m in today if m.reason in ONLINE)
        returns = sum(m.delta for m in today if m.reason in RETURNS)
        days.append(Day(day, walk_in, online, returns, level, level <= 0 and walk_in + online <= 0))
        day -= timedelta(days=1)
    return days[::-1]


def emptied(days: list[Day], on_hand_now: int) -> list[bool]:
    """For each of ``daily``'s days (up to today): it was seen and ended with nothing on hand, so what was sold
    is a lower bound of what was asked (a forecast reads it so)."""
    closing = [d.opening for d in days[1:]] + [on_hand_now]
    return [not d.out_of_stock and left <= 0 for d, left in zip(days, closing, strict=True)]
