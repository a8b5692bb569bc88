"""What a simulated day is made of, as data: demand by channel and hour, the customers' taste, how nodes,
carriers and customers behave, the incidents of the day, and the configuration the retailer runs.

Scenarios are JSON files checked by these models (``scenarios/*.json`` are the built-in ones); a configuration
to compare is the data the API already takes for each part it changes, checked by the API's own models.
"""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, ValidationError, field_validator, model_validator

from ..domain.errors import FieldError, InvalidInput
from ..domain.vocabulary import Channel, DeliveryMode
from ..services.reference.inputs import (
    CarrierServiceIn,
    Clock,
    DeliveryCapacityIn,
    DeliveryPricesIn,
    NodeIn,
    SourcingSettingsIn,
    StockRulesIn,
)
from ..services.runtime.shapes import Strict

HERE = Path(__file__).parent
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Share = Annotated[StrictFloat, Field(ge=0, le=1)]
Weight = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1000)]


class ChannelDemand(Strict):
    share: Share = Field(description="The channel's share of the day's orders")
    profile: str = Field(min_length=1, max_length=40, description="The name of its hourly profile")


class Basket(Strict):
    """What a cart holds: lines and units drawn around these means, products by popularity: a product sells in
    proportion to the units the network holds of it (a retailer stocks what sells), times a draw of its own
    (a log-normal of spread ``popularity_spread``: a long tail)."""

    lines_mean: StrictFloat = Field(default=1.5, ge=1, le=20)
    lines_max: StrictInt = Field(default=6, ge=1, le=50)
    units_mean: StrictFloat = Field(default=1.2, ge=1, le=10, description="Units of a line (a bulky product: one)")
    popularity_spread: StrictFloat = Field(default=0.8, ge=0, le=3)
    bulky_factor: StrictFloat = Field(default=0.25, ge=0, le=10, description="How much less often a bulky product "
                                                                           "(a sofa) is bought than its rank says")


class Choice(Strict):
    """How a customer chooses among the promise's options (a logit): each option's appeal is its mode's taste,
    less ``per_euro`` for each euro it costs and ``per_day`` for each day until its latest delivery, plus a
    random taste of this customer's (Gumbel); the customer walks away when not buying is more appealing
    (``walk_away``), which is a lost sale."""

    per_euro: StrictFloat = Field(default=0.3, ge=0, le=10)
    per_day: StrictFloat = Field(default=0.45, ge=0, le=10)
    walk_away: StrictFloat = Field(default=-4.0, ge=-100, le=100)
    taste: dict[DeliveryMode, Annotated[StrictFloat, Field(ge=-100, le=100)]] = Field(default_factory=lambda: {
        DeliveryMode.HOME_STANDARD: 0.0, DeliveryMode.HOME_EXPRESS: -0.3, DeliveryMode.CLICK_AND_COLLECT: -0.6,
        DeliveryMode.LOCKER: -0.8, DeliveryMode.PICKUP_POINT: -0.7, DeliveryMode.ONE_HOUR: -1.5,
        DeliveryMode.SCHEDULED: -1.2, DeliveryMode.RESERVE_IN_STORE: -2.0})


class Nodes(Strict):
    """How the nodes work. By default as the retailer's nodes are meant to: an order is prepared well within the
    node's ``processing_minutes`` (its median time about half of them: nine in ten within two thirds), one after
    the other at the pace of its daily capacity over its opening hours."""

    accept_minutes: StrictFloat = Field(default=5, gt=0, le=1440,
                                        description="Median minutes of opening time before a node accepts")
    reject_share: dict[str, Share] = Field(
        default_factory=lambda: {"warehouse": 0.002, "store": 0.03, "dark_store": 0.01, "supplier": 0.01})
    silent_share: Share = Field(default=0.002, description="Work a node never answers (its SLA passes)")
    work_factor: StrictFloat = Field(default=0.4, gt=0, le=10,
                                     description="Median time to pick and pack an order, as a share of the node's "
                                                 "processing_minutes")
    store_accuracy: Share = Field(default=0.97, description="Share of a store's stock rows whose count is right; "
                                                            "the others hold fewer units than the OMS believes")
    walk_in_units: StrictFloat = Field(default=40, ge=0, le=100_000,
                                       description="Units a store sells a day to walk-in customers (its tills' feed)")


class Carriers(Strict):
    late_share: Share = Field(default=0.01, description="Parcels delivered after the service's slowest transit")
    late_days: StrictFloat = Field(default=1.0, gt=0, le=30, description="Mean delivery days they are late by")


class Customers(Strict):
    collect_hours: StrictFloat = Field(default=26, gt=0, le=2000,
                                       description="Mean hours before a customer collects a parcel ready for them")
    uncollected_share: Share = Field(default=0.02, description="Parcels never collected (sent back in time)")
    call_hours: StrictFloat = Field(default=2, ge=0, le=240,
                                    description="Hours before customer service calls the customer of an order at "
                                                "risk (no node can keep its promise)")
    accept_late: Share = Field(default=0.6, description="Customers called who take the later date offered; the "
                                                        "others have the missing units cancelled")


IncidentKind = Literal["node_closed", "out_of_stock", "flash_sale", "carrier_off"]


class Incident(Strict):
    """Something that goes wrong (or a promotion): on simulated day ``day`` (1 the first), from ``at`` local time.

    ``node_closed``: the ``nodes`` reject all work from then on (a DC's fire alarm, a strike);
    ``out_of_stock``: the ``nodes`` are counted empty of everything then (their stock is gone);
    ``flash_sale``: ``orders`` more carts with one unit of ``sku`` over the hour from then;
    ``carrier_off``: the ``carrier`` neither collects nor delivers that day.
    ``nodes`` are node ids, node types or id prefixes ending with ``*`` (``ST-LYON-*``)."""

    kind: IncidentKind
    day: StrictInt = Field(default=1, ge=1, le=366)
    at: Clock = "00:00"
    nodes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default=[], max_length=1000)
    sku: str | None = Field(default=None, max_length=64)
    orders: StrictInt = Field(default=0, ge=0, le=1_000_000)
    carrier: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _complete(self):
        needs = {"node_closed": "nodes", "out_of_stock": "nodes", "flash_sale": "sku", "carrier_off": "carrier"}
        field = needs[self.kind]
        if not getattr(self, field):
            raise ValueError(f"a {self.kind} incident names its {field}")
        if self.kind == "flash_sale" and not self.orders:
            raise ValueError("a flash_sale incident gives the orders it brings")
        return self


class Configuration(Strict):
    """What the retailer runs, in the API's own shapes; a part left out is the database's as it is. ``nodes``:
    changes to nodes (``daily_capacity``, ``carrier_cutoff``, ``release_waves`` …) by node id, node type or id
    prefix ending with ``*``."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field(default="", max_length=500)
    sourcing: SourcingSettingsIn | None = None
    stock_rules: StockRulesIn | None = None
    delivery_capacity: DeliveryCapacityIn | None = None
    delivery_prices: DeliveryPricesIn | None = None
    carrier_services: list[CarrierServiceIn] = Field(default=[], max_length=200)
    nodes: dict[Annotated[str, Field(min_length=1, max_length=64)], dict] = Field(default={}, max_length=1000)

    @field_validator("nodes")
    @classmethod
    def _node_fields(cls, value: dict[str, dict]) -> dict[str, dict]:
        changeable = set(NodeIn.model_fields) - {"id", "type"}
        for pattern, fields in value.items():
            if wrong := sorted(set(fields) - changeable):
                raise ValueError(f"{pattern}: {', '.join(wrong)} cannot be changed (a node's fields: "
                                 f"{', '.join(sorted(changeable))})")
        return value


AS_IS = Configuration(name="as-is", description="The retailer's configuration as the database holds it")


class Scenario(Strict):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field(default="", max_length=1000)
    starts: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "black-friday"] = Field(
        default="tue", description="The first day: the next such weekday after the service's clock, or the next "
                                   "Black Friday (the day after the fourth Thursday of November)")
    days: StrictInt = Field(default=1, ge=1, le=28)
    orders_per_day: StrictInt = Field(default=20_000, ge=1, le=5_000_000)
    channels: dict[Channel, ChannelDemand] = Field(min_length=1)
    profiles: dict[str, list[Weight]] = Field(min_length=1, description="24 hourly weights each, local time")
    basket: Basket = Basket()
    choice: Choice = Choice()
    nodes: Nodes = Nodes()
    carriers: Carriers = Carriers()
    customers: Customers = Customers()
    incidents: list[Incident] = Field(default=[], max_length=100)
    settle_days: StrictInt = Field(default=8, ge=0, le=60,
                                   description="Days the world goes on after the last order, so that it is delivered")

    @field_validator("profiles")
    @classmethod
    def _hours(cls, value: dict[str, list[float]]):
        for name, weights in value.items():
            if len(weights) != 24 or not sum(weights):
                raise ValueError(f"profile {name} gives 24 hourly weights, not all zero")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        for channel, demand in self.channels.items():
            if demand.profile not in self.profiles:
                raise ValueError(f"channel {channel} names profile {demand.profile!r}, which profiles lack")
        if abs(sum(d.share for d in self.channels.values()) - 1) > 1e-6:
            raise ValueError("the channels' shares add up to 1")
        for i, incident in enumerate(self.incidents):
            if incident.day > self.days:
                raise ValueError(f"incidents.{i}: day {incident.day} is beyond the scenario's {self.days} days")
        return self

    def first_day(self, today: date) -> date:
        """The scenario's first local date, after ``today``."""
        if self.starts == "black-friday":
            for year in (today.year, today.year + 1):
                november = date(year, 11, 1)
                thursday = november + timedelta(days=(3 - november.weekday()) % 7 + 21)
                if thursday + timedelta(days=1) > today:
                    return thursday + timedelta(days=1)
        wanted = WEEKDAYS.index(self.starts)
        return today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)


def built_in(folder: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((HERE / folder).glob("*.json"))}


def _read(text: str, model, what: str):
    try:
        return model.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput([FieldError(what, f"is not JSON: {exc}")]) from None
    except ValidationError as exc:
        raise InvalidInput([FieldError(f"{what}: {'.'.join(str(p) for p in e['loc']) or '(top)'}", e["msg"])
                            for e in exc.errors()]) from None


def _find(name_or_path: str, folder: str, what: str) -> tuple[str, str]:
    known = built_in(folder)
    if name_or_path in known:
        return known[name_or_path].read_text(encoding="utf-8"), name_or_path
    path = Path(name_or_path)
    if not path.is_file():
        raise InvalidInput([FieldError(what, f"{name_or_path!r} is neither a file nor one of {', '.join(known)}")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput([FieldError(what, f"{name_or_path} is larger than {MAX_FILE_BYTES // 1024} KiB")])
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except UnicodeDecodeError as exc:
        raise InvalidInput([FieldError(what, f"{name_or_path} is not UTF-8 text ({exc.reason} at byte "
                                             f"{exc.start})")]) from None


MAX_FILE_BYTES = 4 << 20


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a JSON file; a wrong one is named field by field."""
    text, where = _find(name_or_path, "scenarios", "scenario")
    return _read(text, Scenario, where)


def load_configuration(name_or_path: str) -> Configuration:
    """A built-in configuration by name (``cost_optimal``, ``nearest``, ``priority``), or a JSON file."""
    text, where = _find(name_or_path, "configurations", "configuration")
    return _read(text, Configuration, where)
