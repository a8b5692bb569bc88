"""Daily capacity: how many orders a node can take on a local date, and what is left of it.

A node with a limit prepares at most that many fulfilment orders a day (a locker bank or a relay point:
receives that many parcels). Work is counted on the day it is done. When that day is full, the work
waits for the next day with room: the promise shows the later date, and capture takes the place on
that day. Nodes whose day is full are passed over for others with room when those can send the order.

A day's places are kept in a few stripes (rows), each holding at most its share of the limit, so that
concurrent orders at one node take places side by side instead of queueing for one row. Places are
fungible: an order takes them on any stripe with room and gives them back on any stripe that has them.
"""

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, NamedTuple, TypeVar

from .calendar import DAY, HORIZON_DAYS
from .errors import OutOfStock
from .lead_times import NodeTimes
from .sourcing import Candidate

Claim = tuple[str, date]  # one order's place in a node's capacity on a local date
Counted = tuple[str, date, int, int]  # places a capacity's day gives: resource, local date, orders, its limit
P = TypeVar("P")  # what a planner answers: a plan, or a plan and what it could not send
STRIPES = 4  # rows a day's places are kept in: as many takers at once, without one waiting for another


def share(limit: int, stripe: int) -> int:
    """The places of ``limit`` that a stripe may hold: the stripes' shares add up to the limit exactly."""
    return int(dealt(limit, stripe))


def dealt(limit: Any, stripe: Any) -> Any:
    """``share`` as one integer division (the whole numbers below the limit, dealt out in turn), which SQL
    computes as Python does: the database's check of a take uses this very expression, on its columns
    (``db/capacity.py``)."""
    return (limit + (STRIPES - 1) - stripe) // STRIPES


def _per_stripe(used: Sequence[int]) -> list[int]:
    """Places per stripe, every stripe named (a stripe without a row holds none)."""
    return [*used[:STRIPES], *[0] * (STRIPES - len(used))]


def over_share(limit: int, used: Sequence[int]) -> bool:
    """Whether a stripe holds more than its share: only a limit lowered since leaves one so."""
    return any(u > share(limit, s) for s, u in enumerate(used))


def spread(limit: int, used: Sequence[int], more: int = 0) -> list[int]:
    """The day's places (``used`` per stripe, and ``more`` taken now) per stripe again, each within its
    share where the limit allows: what the limit cannot hold stays on the stripe most over its share, so
    that the day stays full. Stripes within their share keep what they hold (the fewest rows move)."""
    used = _per_stripe(used)
    laid = [min(u, share(limit, s)) for s, u in enumerate(used)]
    left = sum(used) + more - sum(laid)
    for s in range(STRIPES):
        moved = min(left, share(limit, s) - laid[s])
        laid[s] += moved
        left -= moved
    if left:
        laid[max(range(STRIPES), key=lambda s: used[s] - share(limit, s))] += left
    return laid


def given_back(used: Sequence[int], caps: Sequence[int], orders: int) -> list[int]:
    """The stripes after giving back ``orders`` places (as many as they hold): from the stripe with the
    least room under its cap first (one over its share of a lowered limit has none), then the fullest."""
    left = list(used)
    for s in sorted(range(len(left)), key=lambda s: (caps[s] - left[s], -left[s], s)):
        back = min(orders, left[s])
        left[s] -= back
        orders -= back
    return left


class Take(NamedTuple):
    """Places taken on one stripe of a capacity's day, held to the stripe's share of the taker's limit.
    The fields' order is the order every writer takes capacity rows in."""
    resource: str
    day: date
    stripe: int
    orders: int
    limit: int

    @property
    def cap(self) -> int:
        return share(self.limit, self.stripe)


@dataclass(frozen=True)
class Capacity:
    limits: Mapping[str, int]  # orders a day, per node that has a limit
    used: Mapping[Claim, int] = field(default_factory=dict)  # places taken, all stripes together
    stripes: Mapping[Claim, Sequence[int]] = field(default_factory=dict)  # places taken per stripe
    crowded: frozenset[str] = field(init=False, repr=False, compare=False)  # the nodes with a full day
    # … and those that take no work at all: the only nodes whose work may wait for a later day.
    may_wait: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Only nodes with a full day need their calendar consulted.
        object.__setattr__(self, "crowded", frozenset(n for (n, d), u in self.used.items()
                                                      if n in self.limits and u >= self.limits[n]))
        object.__setattr__(self, "may_wait", self.crowded | {n for n, limit in self.limits.items() if limit == 0})

    @classmethod
    def of_stripes(cls, limits: Mapping[str, int], stripes: Mapping[Claim, Sequence[int]]) -> "Capacity":
        return cls(limits, {claim: sum(used) for claim, used in stripes.items()}, stripes)

    def tilted(self, counts: Iterable[Counted]) -> list[Counted]:
        """The days among ``counts`` where a stripe holds more than its share of the limit (left by a
        higher one): the database refuses every place there until the day is laid out again."""
        return [one for one in counts if over_share(one[3], self.stripes.get(one[:2], ()))]

    def striped(self, counts: Iterable[Counted], preferred: int,
                pick: Callable[[list[int]], int] = random.choice) -> list[Take]:
        """The places on stripes with room, in the order every writer takes rows: from stripe
        ``preferred`` while it has room (orders that would be stored together choose the same one), else
        from one ``pick``ed among those with room (so that concurrent orders spread), then the next ones.
        A day whose stripes cannot hold them as read (a moment ago) has them all on one stripe: the
        database refuses them, and the capture reads again."""
        return sorted(take for one in counts for take in self._on_stripes(*one, preferred, pick))

    def _on_stripes(self, resource: str, day: date, orders: int, limit: int, preferred: int,
                    pick: Callable[[list[int]], int]) -> list[Take]:
        used = _per_stripe(self.stripes.get((resource, day), ()))
        room = [s for s in range(STRIPES) if used[s] < share(limit, s)]
        first = preferred if preferred in room or not room else pick(room)
        takes, left = [], orders
        for stripe in [(first + i) % STRIPES for i in range(STRIPES)]:
            here = min(left, share(limit, stripe) - used[stripe])
            if here > 0:
                takes.append(Take(resource, day, stripe, here, limit))
                left -= here
        return takes if not left else [Take(resource, day, first, orders, limit)]

    def has_room(self, node_id: str, day: date, orders: int = 1) -> bool:
        limit = self.limits.get(node_id)
        return limit is None or self.used.get((node_id, day), 0) + orders <= limit

    def start(self, node_id: str, times: NodeTimes, at: datetime) -> datetime | None:
        """The first moment from ``at`` on at which work begun at the node ends on a day with room (None:
        no such day within the horizon). Work planned at ``at`` begins at the node's next release wave."""
        at = times.released(at)
        if node_id not in self.crowded and self.limits.get(node_id, 1) > 0:
            return at
        calendar = times.calendar
        start = at
        for _ in range(HORIZON_DAYS):
            ready = calendar.after_working(start, times.processing_minutes)
            if ready is None:
                return None
            day = calendar.local_date(ready)
            if self.has_room(node_id, day):
                return start
            start = times.released(calendar.at(day + DAY, time(0)))  # the next day, from its first wave
        return None

    def busy(self, node_ids: Iterable[str], times: Mapping[str, NodeTimes], at: datetime) -> set[str]:
        """The nodes whose work would wait for a later day than it could be done on."""
        if not self.may_wait:  # (most of the time: nothing to look at, however many nodes)
            return set()
        return {n for n in node_ids if n in self.may_wait and self.start(n, times[n], at) != times[n].released(at)}


NO_LIMITS = Capacity({})


def shared_out(claims: Iterable[Claim], nodes: Iterable[str], limits: Mapping[str, int],
               owned: Iterable[tuple[str, Claim]] = ()) -> dict[str, list[Claim]]:
    """The places a plan's option takes, per fulfilment order (one per node): each node's own place in its
    day, the places taken for its own parcels (``owned``: a locker bank's and its compartments', one per
    parcel), and the places taken for the whole order elsewhere (the store readying it; the slot; the
    courier hour) shared out among them, as the option counts them. Only places with a limit count (one set
    later starts from zero)."""
    ordered = sorted(nodes)
    places: dict[str, list[Claim]] = {node_id: [] for node_id in ordered}
    for node_id, claim in owned:
        if claim[0] in limits:
            places[node_id].append(claim)
    shared = 0
    for resource, day in claims:
        if resource not in limits:
            continue
        if resource in places:
            if not any(r == resource for r, _ in places[resource]):
                places[resource].append((resource, day))
        else:
            places[ordered[shared % len(ordered)]].append((resource, day))
            shared += 1
    return places


def counted(claims: Iterable[Claim], limits: Mapping[str, int]) -> list[Counted]:
    """(node, day, orders, limit) per place the claims take, only at nodes with a limit, in the order every
    writer locks capacity rows (by node, then day) so that concurrent takers cannot deadlock."""
    totals = Counter(c for c in claims if c[0] in limits)
    return [(node_id, day, orders, limits[node_id]) for (node_id, day), orders in sorted(totals.items())]


def serves(plan: Callable[[list[Candidate]], P], candidates: list[Candidate]) -> P | None:
    """``plan(candidates)`` if it sends everything, else None. ``plan`` raises OutOfStock or answers
    ``(plan, missing)`` for what it cannot send."""
    try:
        found = plan(candidates)
    except OutOfStock:
        return None
    return None if isinstance(found, tuple) and found[1] else found


def around_busy(plan: Callable[[list[Candidate]], P], candidates: list[Candidate], busy: set[str]) -> P:
    """``plan(candidates)`` over the nodes with room first; over every node when those cannot send it all."""
    if busy:
        found = serves(plan, [c for c in candidates if c.node_id not in busy])
        if found is not None:
            return found
    return plan(candidates)
