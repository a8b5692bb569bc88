"""The parcels a shipment makes, and what a carrier service, a locker compartment, a relay point or a
courier takes in one.

A unit is never split. Each unit must fit on its own: not bulky or hazardous where those are refused,
no heavier than the weight limit, its longest side, the sum of its sides and its length plus girth
(length + 2 × (width + height), what carriers call girth) within theirs, and side by side within a
compartment's inner size. Several units share a parcel while their weight stays within the limit and
their volumes fill at most ``FILL`` of the largest box the limits allow (packing leaves gaps). Parcels
are filled first fit, heaviest units first: fewer parcels, each paid for, is what a packer aims at.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .reference import ProductRef

FILL = 0.8  # the share of a box its contents fill once packed
MAX_PARCELS = 50  # a shipment needing more is freight, not parcels: the service does not take it
_STEP_MM = 5  # the resolution of the search for the largest box


_BIG = 10**9


@cache
def _largest_box(length: int | None, sides_sum: int | None, girth: int | None) -> float:
    """The volume of the largest box (sides l ≥ w ≥ h) within these limits: for a given l, w = h as large as
    the sum and the girth allow is the largest. Found on a 5 mm grid of l."""
    bounds = [x for x in (length, sides_sum, girth) if x is not None]
    if not bounds:
        return float("inf")
    best = 0.0
    for longest in range(_STEP_MM, min(bounds) + 1, _STEP_MM):
        other = float(longest)
        if sides_sum is not None:
            other = min(other, (sides_sum - longest) / 2)
        if girth is not None:
            other = min(other, (girth - longest) / 4)
        if other > 0:
            best = max(best, longest * other * other)
    return best


@dataclass(frozen=True)
class Limits:
    """What one parcel may be; None: no limit. ``inner_mm``: a compartment's inner size, longest first."""
    max_weight_g: int | None = None
    max_length_mm: int | None = None
    max_sides_mm: int | None = None  # length + width + height
    max_girth_mm: int | None = None  # length + 2 × (width + height)
    inner_mm: tuple[int, int, int] | None = None
    bulky: bool = True  # takes bulky goods (two-person handling)
    hazardous: bool = True  # takes hazardous goods (aerosols, fuel, gas)
    volume_mm3: float = field(init=False, repr=False, compare=False)  # of the largest box they allow

    def __post_init__(self) -> None:
        box = _largest_box(self.max_length_mm, self.max_sides_mm, self.max_girth_mm)
        if self.inner_mm is not None:
            a, b, c = self.inner_mm
            box = min(box, float(a * b * c))
        object.__setattr__(self, "volume_mm3", box)

    def both(self, other: "Limits") -> "Limits":
        """What fits both: the lower of each limit (a carrier's service to a relay point that has its own)."""
        inner = self.inner_mm if other.inner_mm is None else other.inner_mm if self.inner_mm is None else \
            tuple(min(a, b) for a, b in zip(self.inner_mm, other.inner_mm, strict=True))
        return Limits(_lower(self.max_weight_g, other.max_weight_g), _lower(self.max_length_mm, other.max_length_mm),
                      _lower(self.max_sides_mm, other.max_sides_mm), _lower(self.max_girth_mm, other.max_girth_mm),
                      inner, self.bulky and other.bulky, self.hazardous and other.hazardous)  # type: ignore[arg-type]

    def refuses(self, p: ProductRef, who: str = "the parcel") -> str | None:
        """Why a unit of ``p`` cannot go in a parcel within these limits (``who``'s), naming the product and
        the limit."""
        length, width, height = sides(p)
        what = limit = ""
        if p.bulky and not self.bulky:
            what, limit = "is bulky", "takes no bulky goods"
        elif p.hazardous and not self.hazardous:
            what, limit = "is hazardous", "takes no hazardous goods"
        elif _over(p.weight_g, self.max_weight_g):
            what, limit = f"weighs {_kg(p.weight_g)}", f"takes at most {_kg(self.max_weight_g or 0)}"
        elif _over(length, self.max_length_mm):
            what, limit = f"is {_cm(length)} long", f"takes at most {_cm(self.max_length_mm or 0)}"
        elif _over(length + width + height, self.max_sides_mm):
            what = f"measures {_cm(length + width + height)} in length, width and height together"
            limit = f"takes at most {_cm(self.max_sides_mm or 0)}"
        elif _over(length + 2 * (width + height), self.max_girth_mm):
            what = f"measures {_cm(length + 2 * (width + height))} in length plus girth"
            limit = f"takes at most {_cm(self.max_girth_mm or 0)}"
        elif self.inner_mm is not None and any(s > i for s, i in zip((length, width, height), self.inner_mm,
                                                                      strict=True)):
            what, limit = f"measures {_size((length, width, height))}", f"is {_size(self.inner_mm)} inside"
        return f"{p.sku} ({p.name}) {what}, {who} {limit}" if what else None


ANYTHING = Limits()


@dataclass(frozen=True)
class Compartment:
    """One size of a locker bank's compartments, and how many parcels of it the bank receives a day."""
    size: str  # S, M, L …
    limits: Limits  # its inner size and the weight it bears
    count: int

    def resource(self, bank_id: str) -> str:
        """Its name in the capacity counts."""
        return f"{bank_id}#{self.size}"


@dataclass
class Parcel:
    """A parcel being filled: its weight, the volume of its units, and the units by SKU."""
    weight_g: int = 0
    volume_mm3: float = 0.0
    longest: tuple[int, int, int] = (0, 0, 0)  # the longest first, second and third sides of its units
    units: dict[str, int] = field(default_factory=dict)
    sender: str = ""  # the node it leaves from

    @property
    def count(self) -> int:
        return sum(self.units.values())

    def room_for(self, p: ProductRef, limits: Limits) -> int:
        """How many more units of ``p`` this parcel takes (each unit already fits alone)."""
        room = _BIG
        if limits.max_weight_g is not None:
            room = min(room, (limits.max_weight_g - self.weight_g) // p.weight_g)
        volume = _volume(p)
        if volume > 0 and limits.volume_mm3 != float("inf"):
            filled = max(0, int((FILL * limits.volume_mm3 - self.volume_mm3) // volume))
            room = min(room, filled if self.units else max(1, filled))  # alone, a unit always fits its box
        return max(0, room)

    def add(self, p: ProductRef, units: int) -> None:
        self.weight_g += p.weight_g * units
        self.volume_mm3 += _volume(p) * units
        self.longest = tuple(max(a, b) for a, b in zip(self.longest, sides(p), strict=True))  # type: ignore[assignment]
        self.units[p.sku] = self.units.get(p.sku, 0) + units

    def fits(self, limits: Limits) -> bool:
        """Whether the parcel as packed goes within ``limits`` (a smaller compartment than it was packed for)."""
        if limits.max_weight_g is not None and self.weight_g > limits.max_weight_g:
            return False
        if limits.inner_mm is not None and any(s > i for s, i in zip(self.longest, limits.inner_mm, strict=True)):
            return False
        return self.count == 1 or self.volume_mm3 <= FILL * limits.volume_mm3


def pack(units: list[tuple[ProductRef, int]], limits: Limits, who: str = "the parcel") -> list[Parcel] | str:
    """The parcels these units make within ``limits`` (``who``'s), or why they cannot go."""
    for p, _ in units:
        if (why := limits.refuses(p, who)) is not None:
            return why
    weight, volume, count = (sum(p.weight_g * n for p, n in units), sum(_volume(p) * n for p, n in units),
                             sum(n for _, n in units))
    if units and (limits.max_weight_g is None or weight <= limits.max_weight_g) and \
            (count == 1 or volume <= FILL * limits.volume_mm3):  # (most carts: one parcel, nothing to sort)
        each = [sides(p) for p, _ in units]
        longest = (max(x[0] for x in each), max(x[1] for x in each), max(x[2] for x in each))
        units_by_sku: dict[str, int] = {}
        for p, n in units:
            units_by_sku[p.sku] = units_by_sku.get(p.sku, 0) + n
        return [Parcel(weight, float(volume), longest, units_by_sku)]
    parcels: list[Parcel] = []
    for p, count in sorted(units, key=lambda u: (-u[0].weight_g, -_volume(u[0]), u[0].sku)):
        left = count
        for parcel in parcels:
            if not left:
                break
            here = min(left, parcel.room_for(p, limits))
            if here:
                parcel.add(p, here)
                left -= here
        while left:
            if len(parcels) == MAX_PARCELS:
                return f"the shipment makes more than {MAX_PARCELS} parcels of at most {describe(limits)}: {who} " \
                       "takes no freight"
            parcel = Parcel()
            here = min(left, parcel.room_for(p, limits))
            parcel.add(p, here)
            parcels.append(parcel)
            left -= here
    return parcels


def limits_from(document: dict[str, Any] | None) -> Limits:
    """Limits from their stored shape (see ``ParcelLimitsIn``); none stored: no limits."""
    if document is None:
        return ANYTHING
    return Limits(document.get("max_weight_g"), document.get("max_length_mm"), document.get("max_sides_mm"),
                  document.get("max_girth_mm"), None, document.get("bulky", False), document.get("hazardous", False))


def compartments_from(documents: list[dict[str, Any]]) -> tuple[Compartment, ...]:
    """A bank's compartments from their stored shape (see ``CompartmentIn``), smallest first. Whether bulky
    or hazardous goods may go in is the bank's to say (its ``takes``), not a compartment's."""
    found = [Compartment(d["size"], Limits(d.get("max_weight_g"), inner_mm=_longest_first(
        (d["length_mm"], d["width_mm"], d["height_mm"]))), d["count"]) for d in documents]
    return tuple(sorted(found, key=lambda c: (c.limits.volume_mm3, c.size)))


def received(node_takes: Limits | None, compartments: tuple[Compartment, ...]) -> Limits:
    """What a parcel brought to a locker bank or relay point may be: within its own limits and, for a bank,
    within the most any of its compartments takes (each side, the weight): which one is ``placed``'s to say."""
    takes = node_takes or ANYTHING
    if not compartments:
        return takes
    weights = [c.limits.max_weight_g for c in compartments]
    inners = [c.limits.inner_mm for c in compartments if c.limits.inner_mm is not None]
    inner = tuple(max(sides) for sides in zip(*inners, strict=True)) if inners else None
    return takes.both(Limits(None if None in weights else max(w for w in weights if w is not None),
                             inner_mm=inner))


def placed(parcels: list[Parcel], compartments: tuple[Compartment, ...],
           has_room: Callable[[Compartment, int], bool]) -> list[Compartment] | str:
    """The compartment each parcel goes in: the smallest it fits with room (``has_room(compartment, taken)``:
    whether one more besides the ``taken`` ones fits that day), or why one cannot."""
    taken: dict[str, int] = {}
    found = []
    for parcel in parcels:
        fitting = [c for c in compartments if parcel.fits(c.limits)]
        free = next((c for c in fitting if has_room(c, taken.get(c.size, 0))), None)
        if free is None:
            return (f"no free compartment fits a parcel of {_kg(parcel.weight_g)}" if fitting else
                    f"no compartment fits a parcel of {_kg(parcel.weight_g)}")
        taken[free.size] = taken.get(free.size, 0) + 1
        found.append(free)
    return found


def sides(p: ProductRef) -> tuple[int, int, int]:
    """The product's sides, longest first."""
    return _longest_first((p.length_mm, p.width_mm, p.height_mm))


def _longest_first(size: tuple[int, int, int]) -> tuple[int, int, int]:
    a, b, c = sorted(size, reverse=True)
    return a, b, c


def _volume(p: ProductRef) -> int:
    return p.length_mm * p.width_mm * p.height_mm


def _lower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _over(value: int, limit: int | None) -> bool:
    return limit is not None and value > limit


def _kg(grams: int) -> str:
    return f"{grams / 1000:g} kg"


def _cm(mm: int) -> str:
    return f"{mm / 10:g} cm"


def _size(mm: tuple[int, int, int]) -> str:
    return " × ".join(f"{x / 10:g}" for x in mm) + " cm"


def describe(limits: Limits) -> str:
    """What a parcel within ``limits`` may hold at most: its weight and volume."""
    parts = [_kg(limits.max_weight_g)] if limits.max_weight_g is not None else []
    if limits.volume_mm3 != float("inf"):
        parts.append(f"{limits.volume_mm3 / 1e6:.0f} L")
    return " and ".join(parts) or "any size"
