"""Sharing a DC's units between stores that ask for more than it has: fair share by days of supply.

With ``A`` units to share, stores j at positions I_j and daily demands D_j, the common days of supply
DS = (A + Σ I_j) / Σ D_j is what every store would reach if the units could be spread freely; each store is
given (DS − I_j / D_j) · D_j. A store already past DS gets nothing and the share is worked out again without
it; no store gets more than it asked for (what it leaves goes to the others the same way). Shares are then
whole packs (rounded down), and the packs left over go one at a time to the store with the fewest days of
supply after what it has been given, as long as it asked for them.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Ask:
    store: str
    wanted: int  # units the store's proposal asks for
    position: float  # its inventory position, units
    daily: float  # its daily demand forecast
    pack: int = 1


def shared(available: int, asks: list[Ask]) -> dict[str, int]:
    """Units each store gets of ``available`` (all it asked for when there are enough)."""
    if sum(a.wanted for a in asks) <= available:
        return {a.store: a.wanted for a in asks}
    given = {a.store: 0.0 for a in asks}
    open_ = [a for a in asks if a.wanted > 0]
    left = float(available)
    while open_ and left > 1e-9:
        demand = sum(max(a.daily, 1e-9) for a in open_)
        days = (left + sum(a.position + given[a.store] for a in open_)) / demand
        share = {a.store: (days - (a.position + given[a.store]) / max(a.daily, 1e-9)) * max(a.daily, 1e-9)
                 for a in open_}
        past = [a for a in open_ if share[a.store] <= 0]
        if past:  # already past the common days of supply: out, and the share again without them
            open_ = [a for a in open_ if share[a.store] > 0]
            continue
        capped = [a for a in open_ if given[a.store] + share[a.store] >= a.wanted]
        if capped:  # given all they asked for; what they leave goes to the others
            for a in capped:
                left -= a.wanted - given[a.store]
                given[a.store] = a.wanted
            open_ = [a for a in open_ if a not in capped]
            continue
        for a in open_:
            given[a.store] += share[a.store]
        left = 0.0
    # (a share a hair under a whole pack from float sums is that pack)
    units = {a.store: math.floor(given[a.store] / a.pack + 1e-6) * a.pack for a in asks}
    rest = available - sum(units.values())
    while True:
        room = [a for a in asks if units[a.store] + a.pack <= a.wanted and a.pack <= rest]
        if not room:
            return units
        # The store with the fewest days of supply after what it has (where a pack adds most).
        a = min(room, key=lambda a: ((a.position + units[a.store]) / max(a.daily, 1e-9), a.store))
        units[a.store] += a.pack
        rest -= a.pack
