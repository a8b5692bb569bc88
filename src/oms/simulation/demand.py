"""Who orders what, when and where to: arrivals by channel and hour, carts by product popularity, customers
where the French live. Plain computation on a seeded generator: the same seed, the same day."""

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np

from ..domain.reference import NodeRef, ProductRef
from .scenario import Scenario

JITTER_KM = 1.5  # customers are spread around their postal code's point
STORE_CUSTOMERS_KM = 12.0  # a store's till customers live this near it
KM_PER_DEGREE = 111.2
MAX_UNITS = 4


@dataclass(frozen=True)
class Place:
    postal_code: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Arrival:
    """A customer who will ask the promise at ``at``."""
    at: datetime
    channel: str
    lines: tuple[tuple[str, int], ...]
    place: Place
    store_id: str | None = None  # a till's order: the store it is placed at


@cache
def population() -> tuple[list[Place], np.ndarray]:
    """Mainland France's postal codes and the share of its people living at each."""
    text = resources.files("oms.demo").joinpath("data/postal_codes_fr.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(text.splitlines()) if int(r["population"]) > 0]
    people = np.array([int(r["population"]) for r in rows], dtype=float)
    return [Place(r["postal_code"], float(r["lat"]), float(r["lng"])) for r in rows], people / people.sum()


class Demand:
    """The day's customers for one scenario and seed."""

    def __init__(self, scenario: Scenario, products: dict[str, ProductRef], held: dict[str, int],
                 stores: list[NodeRef], rng: np.random.Generator, *, timezone: str = "Europe/Paris",
                 scale: float = 1.0) -> None:
        self.scenario, self.rng, self.scale = scenario, rng, scale
        self.zone = ZoneInfo(timezone)
        self.stores = stores
        basket = scenario.basket
        self.skus = [s for s in sorted(products) if products[s].active and held.get(s, 0) > 0]
        own = rng.lognormal(0.0, basket.popularity_spread, size=len(self.skus))  # drawn once per seed
        weights = np.array([held[s] * (basket.bulky_factor if products[s].bulky else 1.0) for s in self.skus]) * own
        self.bulky = {s for s in self.skus if products[s].bulky}
        self.popularity = weights / weights.sum()
        self.places, self.people = population()
        self._lat = np.array([p.lat for p in self.places])
        self._lng = np.array([p.lng for p in self.places])

    def arrivals(self, first: date) -> list[Arrival]:
        """Every customer of the scenario's days, in time order."""
        return [a for d in range(self.scenario.days) for a in self.day(first + timedelta(days=d), d + 1)]

    def day(self, day: date, number: int) -> list[Arrival]:
        """The customers of one day, the scenario's ``number``-th (its incidents), in time order."""
        found: list[Arrival] = []
        scenario = self.scenario
        for channel, demand in scenario.channels.items():
            weights = np.array(scenario.profiles[demand.profile], dtype=float)
            expected = scenario.orders_per_day * self.scale * demand.share * weights / weights.sum()
            for hour, mean in enumerate(expected):
                for _ in range(self.rng.poisson(mean)):
                    found.append(self._arrival(self._instant(day, hour), channel))
        for incident in scenario.incidents:
            if incident.kind == "flash_sale" and incident.day == number and incident.sku:
                start = datetime.combine(day, time.fromisoformat(incident.at), self.zone)
                for _ in range(round(incident.orders * self.scale)):
                    at = start + timedelta(seconds=float(self.rng.uniform(0, 3600)))
                    found.append(Arrival(at, "web", ((incident.sku, 1),), self._place()))
        return sorted(found, key=lambda a: a.at)

    def _instant(self, day: date, hour: int) -> datetime:
        """A moment within the local hour (an hour a change of the clocks skips is read as the next)."""
        start = datetime.combine(day, time(hour), self.zone)
        return start + timedelta(seconds=float(self.rng.uniform(0, 3600)))

    def _arrival(self, at: datetime, channel: str) -> Arrival:
        if channel == "store" and self.stores:
            store = self.stores[int(self.rng.integers(len(self.stores)))]
            return Arrival(at, channel, self.cart(), self._near(store.lat, store.lng, STORE_CUSTOMERS_KM), store.id)
        return Arrival(at, channel, self.cart(), self._place())

    def cart(self) -> tuple[tuple[str, int], ...]:
        basket = self.scenario.basket
        count = min(basket.lines_max, 1 + int(self.rng.poisson(basket.lines_mean - 1)))
        picked = self.rng.choice(len(self.skus), size=min(count, len(self.skus)), replace=False, p=self.popularity)
        lines = []
        for i in picked:
            sku = self.skus[int(i)]
            units = 1 if sku in self.bulky else min(MAX_UNITS, 1 + int(self.rng.poisson(basket.units_mean - 1)))
            lines.append((sku, units))
        return tuple(lines)

    def _place(self) -> Place:
        base = self.places[int(self.rng.choice(len(self.places), p=self.people))]
        return self._near(base.lat, base.lng, JITTER_KM, base.postal_code)

    def _near(self, lat: float, lng: float, km: float, postal_code: str | None = None) -> Place:
        """A point about ``km`` around (a normal spread), named by the postal code nearest it when none is given."""
        dy, dx = self.rng.normal(0, km / 2, size=2) / KM_PER_DEGREE
        at_lat = round(lat + float(dy), 5)
        at_lng = round(lng + float(dx) / max(0.2, math.cos(math.radians(lat))), 5)
        return Place(postal_code or self._code_near(at_lat, at_lng), at_lat, at_lng)

    def _code_near(self, lat: float, lng: float) -> str:
        return self.places[int(np.argmin((self._lat - lat) ** 2 + (self._lng - lng) ** 2))].postal_code
