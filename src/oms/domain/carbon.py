"""What a delivery emits, in grams of CO2 equivalent (well to wheel), and what those grams cost at a carbon
price. Estimates from published emission factors kept as data with what they describe (see docs/api.md,
"Carbon"):

    carried  = per parcel, a carrier service's last mile (``g_per_parcel``: its van's round shared by its
               drops) + its line haul (``g_per_tonne_km`` × the parcel's tonnes × road km);
    own trip = the retailer's van or courier bike: ``g_per_km`` × road km there and back (for a van's round,
               shared by its ``drops_per_round``);
    customer = to collect at a store, a locker or a relay point: the share of customers who drive there for
               it × there and back × a car's grams per km.

Road km are straight-line km × ``ROAD_KM``. An estimate that lacks a factor is None (unknown), never 0.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# Road distance per straight-line distance: a common detour factor for French roads (see docs/api.md).
ROAD_KM = 1.3
# A French average car: 6.5 l/100 km of petrol at 2.79 kg CO2e a litre (SP95-SP98, well to wheel: the fuel
# factors annexed to the arrêté of 26 April 2017 on transport CO2 information) = 181 g a km.
CAR_G_PER_KM = 181.0
# The share of customers who drive to collect a parcel, for a place that does not say (see docs/api.md).
COLLECTION_CAR_SHARE = 0.3


@dataclass(frozen=True)
class Emissions:
    """A carrier service's emission factors."""
    g_per_tonne_km: float = 0.0  # line haul, per tonne carried a road km
    g_per_parcel: float = 0.0  # last mile, per parcel delivered

    def carried(self, km: float, weights_g: Iterable[int]) -> float:
        """Grams for parcels of these weights carried ``km`` (straight line)."""
        road = km * ROAD_KM
        return sum(self.g_per_parcel + self.g_per_tonne_km * w / 1_000_000 * road for w in weights_g)

    def per_kg(self, km: float) -> float:
        """Line-haul grams per kilogram carried ``km`` (straight line)."""
        return self.g_per_tonne_km / 1000 * km * ROAD_KM


def emissions_from(document: dict[str, float] | None) -> Emissions | None:
    """A service's factors from their stored shape, None where it gives none."""
    if document is None:
        return None
    return Emissions(document.get("g_per_tonne_km", 0.0), document.get("g_per_parcel", 0.0))


def driven(g_per_km: float | None, km: float, times: float) -> float | None:
    """A vehicle's grams for ``km`` (straight line) counted ``times`` (a courier's run: 2, there and back; a
    van's round of n drops: 2 / n, its way there and back shared); None without its factor."""
    if g_per_km is None:
        return None
    return g_per_km * km * ROAD_KM * times


def collection_trip(km: float, car_share: float | None) -> float:
    """The customer's trip to collect, ``km`` (straight line) from their address."""
    share = COLLECTION_CAR_SHARE if car_share is None else car_share
    return share * 2 * km * ROAD_KM * CAR_G_PER_KM


def total(parts: Iterable[float | None]) -> float | None:
    """The sum, unknown when a part is."""
    found = 0.0
    for part in parts:
        if part is None:
            return None
        found += part
    return found


def priced(grams: float, price_per_tonne: int) -> float:
    """What the grams cost at a carbon price per tonne, minor units (not rounded)."""
    return grams * price_per_tonne / 1_000_000
