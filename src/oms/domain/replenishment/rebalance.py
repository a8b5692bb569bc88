"""Store-to-store rebalancing: when a DC cannot send a store all it needs, a nearby store holding more than its
own level may send the difference.

A store spares the units beyond its order-up-to level that are free on its shelves (never below its level:
the move must not make it the next one short). A short store takes from the store nearest to it first, and
only from a store nearer to it than its DC: a shorter trip than the DC's own, the proxy this uses for
"cheaper than the DC". The most urgent short store (fewest days of cover) is served first.
"""

from dataclasses import dataclass

from ..geo import haversine_km


@dataclass(frozen=True)
class Spare:
    store: str
    units: int  # beyond its level and free on its shelves
    lat: float
    lng: float


@dataclass(frozen=True)
class Short:
    store: str
    units: int  # what its DC could not send
    days_of_cover: float  # its position over its daily demand: the fewest are served first
    lat: float
    lng: float
    dc_km: float  # how far its DC is


@dataclass(frozen=True)
class Move:
    from_store: str
    to_store: str
    units: int
    km: float


def rebalanced(shorts: list[Short], spares: list[Spare]) -> list[Move]:
    """The moves of one SKU, nearest giver first for each short store, most urgent store first."""
    left = {s.store: s.units for s in spares}
    moves = []
    for short in sorted(shorts, key=lambda s: (s.days_of_cover, s.store)):
        wanted = short.units
        near = sorted((haversine_km(short.lat, short.lng, s.lat, s.lng), s.store) for s in spares
                      if s.store != short.store)
        for km, giver in near:
            if wanted <= 0 or km >= short.dc_km:
                break
            units = min(wanted, left[giver])
            if units > 0:
                moves.append(Move(giver, short.store, units, km))
                left[giver] -= units
                wanted -= units
    return moves
