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

import numpy as np

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


def stocked_out(opening: np.ndarray, sold: np.ndarray) -> np.ndarray:
    """Days out of stock: they began with nothing on hand and nothing left (no demand could be met)."""
    found: np.ndarray = (opening <= 0) & (sold <= 0)
    return found


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
        out = bool(stocked_out(np.asarray(level), np.asarray(walk_in + online)))
        days.append(Day(day, walk_in, online, returns, level, out))
        day -= timedelta(days=1)
    return days[::-1]


def history(walk_in: np.ndarray, online: np.ndarray, net: np.ndarray,
            on_hand_now: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``daily`` for many series at once, from their day sums (series × days, oldest first, the last today):
    units sold at the till, sent online, and every movement's net. Answers each day's demand, whether it was
    seen (not out of stock) and whether it emptied the shelf (a day seen that ended with nothing on hand: what was
    sold is a lower bound of what was asked, and a forecast reads it so)."""
    since = np.cumsum(net[:, ::-1], axis=1)[:, ::-1]  # each day's net and every later one's
    opening = np.asarray(on_hand_now, float)[:, None] - since
    demand = walk_in + online
    seen = ~stocked_out(opening, demand)
    return demand, seen, seen & (opening + net <= 0)
