"""The shapes every input is built from: codes, dates and times, money, addresses, an order's lines and
delivery. Shared by the API (JSON bodies), the CLI (CSV rows) and the console (forms)."""

import re
from datetime import date, datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...domain.vocabulary import PICKUP_MODES, DeliveryMode

# What a SKU or a node id may be (bulk readers match it themselves before asking a model: ``importer``).
CODE_PATTERN, CODE_MAX_LENGTH = r"^[A-Za-z0-9][A-Za-z0-9._\-]*$", 64

Sku = Annotated[str, Field(min_length=1, max_length=CODE_MAX_LENGTH, pattern=CODE_PATTERN)]


NodeId = Annotated[str, Field(min_length=1, max_length=CODE_MAX_LENGTH, pattern=CODE_PATTERN)]


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


INT32 = 2**31 - 1  # the largest count an Integer column holds


def _written(value):
    """A date or time comes as ISO 8601 text: a number is not read as seconds since 1970."""
    if isinstance(value, int | float):
        raise ValueError("write a date or time as ISO 8601 text (2026-12-24, 2026-12-24T18:30:00+01:00)")
    return value


Day = Annotated[date, BeforeValidator(_written)]


Instant = Annotated[AwareDatetime, BeforeValidator(_written)]


class Strict(BaseModel):
    """What every input shape shares: no unknown fields, no control characters, and numbers that are numbers:
    fields are ``StrictInt`` and ``StrictFloat``, so ``false`` or ``"1"`` is refused, not read as 0 or 1
    (times and the vocabulary's words are still read from JSON strings). Text sources (CSV files, the
    console's forms) validate with ``strict=False``: their numbers can only be written as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value):
        # Control characters (a NUL above all) cannot be stored by PostgreSQL and never belong in these fields.
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class Money(Strict):
    # Bounded so that 200 lines x 10,000 units x the amount still fit in a 64-bit total.
    amount: StrictInt = Field(ge=0, le=10**12, description="Minor units (cents)")
    currency: Currency


class Address(Strict):
    line1: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    lat: StrictFloat = Field(ge=-90, le=90)
    lng: StrictFloat = Field(ge=-180, le=180)


def _not_ancient(value: datetime) -> datetime:
    if value.year < 2000:
        raise ValueError("is before the year 2000")
    return value


# A time a node reports, with its UTC offset. That it is not ahead of the service's clock is checked by the
# service that takes it (``validation.not_ahead``): the clock is the service's, not the model's.
NodeTime = Annotated[Instant, AfterValidator(_not_ancient)]
_ZONES = frozenset(available_timezones())


def _zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError(f"unknown IANA timezone {value!r}")
    return value


Timezone = Annotated[str, AfterValidator(_zone)]  # an IANA time zone: Europe/Paris


class Customer(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class OrderLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)
    unit_price: Money


class DeliveryIn(Strict):
    mode: DeliveryMode
    # Checked even when absent, so a missing one is reported on its own field.
    address: Address | None = Field(default=None, validate_default=True)
    pickup_node_id: NodeId | None = Field(default=None, validate_default=True)
    promise_id: str | None = Field(default=None, min_length=1, max_length=4000,
                                   description="The promise (POST /v1/promise) this order keeps")
    slot_start: Instant | None = Field(
        default=None, description="scheduled: the start of the slot chosen (else the promise's slot)")

    @model_validator(mode="after")
    def _slot_for_scheduled(self):
        if self.mode == DeliveryMode.SCHEDULED and self.slot_start is None and self.promise_id is None:
            raise ValueError("a scheduled delivery needs slot_start or the promise_id of a slot")
        if self.mode != DeliveryMode.SCHEDULED and self.slot_start is not None:
            raise ValueError(f"mode {self.mode} has no slots; slot_start is for scheduled deliveries")
        return self

    @field_validator("address")
    @classmethod
    def _address_for_home(cls, value: Address | None, info: ValidationInfo):
        mode = info.data.get("mode")
        if value is None and mode is not None and mode not in PICKUP_MODES:
            raise ValueError(f"mode {mode} needs an address with lat and lng")
        return value

    @field_validator("pickup_node_id")
    @classmethod
    def _node_for_pickup(cls, value: str | None, info: ValidationInfo):
        mode = info.data.get("mode")
        if value is None and mode in PICKUP_MODES:
            raise ValueError(f"mode {mode} needs the node where the customer collects")
        if value is not None and mode is not None and mode not in PICKUP_MODES:
            raise ValueError(f"mode {mode} is delivered to an address; pickup_node_id is for pickup modes")
        return value
