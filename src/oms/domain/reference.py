"""Reference data as the domain sees it: plain, immutable snapshots of products and nodes."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .parcels import Compartment, Limits


@dataclass(frozen=True)
class ProductRef:
    sku: str
    name: str
    weight_g: int
    price_amount: int
    currency: str
    bulky: bool
    hazardous: bool
    active: bool = True
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0


@dataclass(frozen=True)
class NodeRef:
    id: str
    type: str
    name: str
    lat: float
    lng: float
    timezone: str
    fulfills: frozenset[str]
    hands_over: frozenset[str]
    active: bool
    daily_capacity: int | None = None  # orders a day it can take; None: no limit
    handling_cost_per_order: int = 0  # minor units
    handling_cost_per_unit: int = 0
    confirms_cancel: bool = False  # a cancel of work released to it waits for its word
    takes: "Limits | None" = None  # what it hands over or receives, each unit or parcel; None: no limits of its own
    compartments: "tuple[Compartment, ...]" = ()  # a locker bank's, smallest first
    collection_car_share: float | None = None  # customers who drive to collect here (None: the default share)
