"""A platform's order read into one plain snapshot, whatever the platform: what capture needs of it.

Each platform sends its order whole (a webhook's body, a page of a poll), as it is at its ``updated_at``: a
snapshot. Snapshots of one order may arrive out of order; the newest seen wins (``services.connectors``).

    shopify       the REST order resource (webhooks orders/create, orders/updated; GET /orders.json):
                  ``id``, ``updated_at``, ``financial_status``, ``cancelled_at``, ``line_items`` (``variant_id``,
                  ``sku``, ``quantity``, ``price`` as a decimal string, ``discount_allocations``),
                  ``shipping_address`` (``address1``, ``zip``, ``city``, ``country_code``, ``latitude``,
                  ``longitude``), ``shipping_lines`` (``code``, ``title``)
    woocommerce   the REST v3 order (webhooks order.created, order.updated; GET /wp-json/wc/v3/orders):
                  ``id``, ``date_modified_gmt``, ``status``, ``line_items`` (``variation_id``, ``product_id``,
                  ``sku``, ``quantity``, ``total`` and ``total_tax`` of the line), ``shipping`` (``address_1``,
                  ``postcode``, ``city``, ``country``), ``shipping_lines`` (``method_id``, ``method_title``)
    prestashop    the webservice's order (GET /api/orders?display=full&output_format=JSON): ``id``,
                  ``date_upd`` (the shop's local time), ``valid``, ``current_state``, ``id_carrier``,
                  ``associations.order_rows`` (``id``, ``product_id``, ``product_attribute_id``,
                  ``product_reference``, ``product_quantity``, ``unit_price_tax_incl``); the webservice gives the
                  delivery address, the customer, the currency and the carrier as resources of their own, which
                  a poll reads along and keeps in ``read_along`` (``updated_at`` with the shop's offset,
                  ``address``: ``address1``, ``address2``, ``postcode``, ``city``, ``firstname``, ``lastname``,
                  ``country_iso_code``; ``customer``: ``email``, ``firstname``, ``lastname``; ``currency``;
                  ``carrier``: its name)
    mirakl        OR11's order (GET /api/orders): ``order_id``, ``last_updated_date``, ``order_state``,
                  ``currency_iso_code``, ``customer_notification_email``, ``customer`` (``firstname``,
                  ``lastname``, ``shipping_address``: ``street_1``, ``street_2``, ``zip_code``, ``city``,
                  ``country_iso_code``, alpha-3 or alpha-2), ``order_lines`` (``order_line_id``, ``offer_id``,
                  ``offer_sku``, ``product_sku``, ``quantity``, ``price`` of the line without shipping,
                  ``order_line_state``), ``shipping_type_code``, ``shipping_type_label``, ``shipping_pudo_id``

Bad input raises ``Unreadable`` naming the field: the record goes to the connector's dead letters.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from .connectors import Kind

Record = dict[str, Any]  # a JSON object as the platform wrote it

# ISO 4217 currencies without minor units; all others have two (the currencies these platforms sell in).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})
LINES_MAX = 200  # as an order taken by the API

# Payment states: an order waits (on hold) until it is paid; an authorised payment is taken at shipment. A
# payment voided or refunded whole leaves nothing to send.
_SHOPIFY_PAID = frozenset({"paid", "authorized", "partially_refunded"})
_SHOPIFY_UNDONE = frozenset({"voided", "refunded"})
_WOO_PAID = frozenset({"processing", "completed"})
_WOO_CANCELLED = frozenset({"cancelled", "refunded", "trash"})
# Mirakl's order states: the shop accepts or refuses each line (WAITING_ACCEPTANCE), the marketplace then
# debits the customer (WAITING_DEBIT…), and the order is the shop's to ship (SHIPPING) and on.
MIRAKL_DECIDE = "WAITING_ACCEPTANCE"
MIRAKL_UNPAID = frozenset({MIRAKL_DECIDE, "WAITING_DEBIT", "WAITING_DEBIT_PAYMENT"})
MIRAKL_PAID = frozenset({"SHIPPING", "SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED"})
MIRAKL_UNDONE = frozenset({"REFUSED", "CANCELED"})
_FIRSTNAME = ("firstname", "lastname")  # how Mirakl and PrestaShop name a person
# PrestaShop's own order states "Canceled" and "Refunded" (PS_OS_CANCELED, PS_OS_REFUND, as it installs them).
_PRESTA_CANCELLED = frozenset({"6", "7"})
_PRESTA_SENT = frozenset({"4", "5"})  # "Shipped", "Delivered"
MIRAKL_STATES = MIRAKL_UNPAID | MIRAKL_PAID | MIRAKL_UNDONE  # those a connector reads (not STAGING: not yet offered)


class Unreadable(ValueError):
    """The platform's record cannot be made an order: the reason names the field."""


@dataclass(frozen=True)
class Line:
    refs: tuple[str, ...]  # the platform's references of the product, the most precise first (variant, product)
    sku: str | None  # the SKU the platform knows it by
    quantity: int
    unit_price: int  # minor units, what the customer pays per unit (discounts taken off)
    item: str | None = None  # the platform's id of the line itself (what a shipment reported names)


@dataclass(frozen=True)
class Place:
    line1: str
    postal_code: str
    city: str
    country: str
    lat: float | None
    lng: float | None


@dataclass(frozen=True)
class Snapshot:
    ref: str  # the platform's order id
    updated_at: datetime
    paid: bool
    cancelled: bool
    name: str
    email: str
    currency: str
    lines: tuple[Line, ...]
    methods: tuple[str, ...]  # the shipping method's code then its title, as the mapping may name either
    address: Place | None
    decide: bool = False  # the platform waits for the shop to accept or refuse each line (Mirakl)
    done: bool = False  # the platform has it sent already (shipped, delivered, closed): nothing left to send
    point: str | None = None  # the relay point the customer collects from, by the platform's id (Mirakl's PUDO)


def read(kind: Kind, body: Any) -> Snapshot:
    readers = {Kind.SHOPIFY: shopify, Kind.WOOCOMMERCE: woocommerce, Kind.PRESTASHOP: prestashop,
               Kind.MIRAKL: mirakl}
    if not isinstance(body, dict):
        raise Unreadable("the record is not a JSON object")
    return readers[kind](body)


def stamp(kind: Kind, body: Any) -> tuple[str, datetime]:
    """The record's order id and ``updated_at`` alone (what a poll goes by), or Unreadable."""
    if not isinstance(body, dict):
        raise Unreadable("the record is not a JSON object")
    if kind == Kind.WOOCOMMERCE:
        return _id(body.get("id")), _woo_updated(body)
    if kind == Kind.MIRAKL:
        return _id(body.get("order_id")), _instant(body.get("last_updated_date"), "last_updated_date")
    if kind == Kind.PRESTASHOP:
        along = _object(body, "read_along") or {}
        return _id(body.get("id")), _instant(along.get("updated_at"), "read_along.updated_at")
    return _id(body.get("id")), _instant(body.get("updated_at"), "updated_at")


def ref_of(kind: Kind, body: Record) -> str | None:
    """The record's order id as far as it can be told (to find the record by; capture reads it whole)."""
    ref = body.get("order_id" if kind == Kind.MIRAKL else "id")
    return str(ref)[:100] if isinstance(ref, int | str) and not isinstance(ref, bool) else None


def shopify(body: Record) -> Snapshot:
    ref, updated = stamp(Kind.SHOPIFY, body)
    currency = _currency(body.get("currency"), "currency")
    shipping = _object(body, "shipping_address")
    customer = _object(body, "customer") or {}
    email = _text(body.get("email") or body.get("contact_email") or customer.get("email"), "email")
    person = shipping or customer
    lines = []
    for i, item in enumerate(_items(body, "line_items")):
        quantity = _quantity(item.get("quantity"), f"line_items.{i}.quantity")
        price = _money(item.get("price"), currency, f"line_items.{i}.price")
        off = _amounts(item, "discount_allocations", "amount", currency, i)
        # (prices written without their tax, where the shop says so: the customer pays it on top)
        tax = _amounts(item, "tax_lines", "price", currency, i) if body.get("taxes_included") is False else 0
        lines.append(Line(_refs(item.get("variant_id"), item.get("product_id")), _optional(item.get("sku")), quantity,
                          max(0, price + _share(tax - off, quantity)), _item(item)))
    methods = _methods(body, "code", "title")
    return Snapshot(
        ref=ref, updated_at=updated, paid=body.get("financial_status") in _SHOPIFY_PAID,
        cancelled=body.get("cancelled_at") is not None or body.get("financial_status") in _SHOPIFY_UNDONE,
        name=_name(person, email), email=email, currency=currency, lines=tuple(lines), methods=methods,
        done=body.get("fulfillment_status") == "fulfilled",
        address=_place(shipping, "shipping_address", "address1", "address2", "zip", "city", "country_code",
                       "latitude", "longitude") if shipping else None)


def woocommerce(body: Record) -> Snapshot:
    ref, updated = stamp(Kind.WOOCOMMERCE, body)
    currency = _currency(body.get("currency"), "currency")
    shipping = _object(body, "shipping")
    billing = _object(body, "billing") or {}
    email = _text(billing.get("email"), "billing.email")
    lines = []
    for i, item in enumerate(_items(body, "line_items")):
        quantity = _quantity(item.get("quantity"), f"line_items.{i}.quantity")
        paid = (_money(item.get("total"), currency, f"line_items.{i}.total")
                + _money(item.get("total_tax") or "0", currency, f"line_items.{i}.total_tax"))
        variation = item.get("variation_id") or None  # (0 when the product has no variations)
        lines.append(Line(_refs(variation, item.get("product_id")), _optional(item.get("sku")), quantity,
                          _share(paid, quantity), _item(item)))
    status = body.get("status")
    has_address = bool(shipping and (shipping.get("address_1") or shipping.get("postcode")))
    return Snapshot(
        ref=ref, updated_at=updated, paid=status in _WOO_PAID, cancelled=status in _WOO_CANCELLED,
        done=status == "completed",
        name=_name(shipping if shipping and has_address else billing, email), email=email, currency=currency,
        lines=tuple(lines), methods=_methods(body, "method_id", "method_title"),
        address=_place(shipping, "shipping", "address_1", "address_2", "postcode", "city", "country", None, None)
        if shipping and has_address else None)


def prestashop(body: Record) -> Snapshot:
    ref, updated = stamp(Kind.PRESTASHOP, body)
    along = _object(body, "read_along") or {}
    currency = _currency(along.get("currency"), "read_along.currency")
    customer = _object(along, "customer") or {}
    address = _object(along, "address")
    email = _text(customer.get("email"), "read_along.customer.email")
    associations = _object(body, "associations") or {}
    lines = []
    for i, row in enumerate(_items(associations, "order_rows")):
        field = f"associations.order_rows.{i}"
        quantity = _quantity(_whole(row.get("product_quantity")), f"{field}.product_quantity")
        lines.append(Line(_refs(row.get("product_attribute_id"), row.get("product_id")),
                          _optional(row.get("product_reference")), quantity,
                          _money(row.get("unit_price_tax_incl"), currency, f"{field}.unit_price_tax_incl"),
                          _item(row)))
    carrier = [x for x in (str(body.get("id_carrier") or ""), along.get("carrier")) if isinstance(x, str) and x]
    return Snapshot(
        ref=ref, updated_at=updated, paid=str(body.get("valid")) in ("1", "True"),
        cancelled=str(body.get("current_state")) in _PRESTA_CANCELLED,
        done=str(body.get("current_state")) in _PRESTA_SENT,
        name=_name(address or customer, email, _FIRSTNAME), email=email, currency=currency, lines=tuple(lines),
        methods=_methods({"shipping_lines": [{"code": carrier[0] if carrier else None,
                                              "title": carrier[-1] if carrier else None}]}, "code", "title"),
        address=_place(address, "read_along.address", "address1", "address2", "postcode", "city",
                       "country_iso_code", None, None) if address else None)


def _whole(value: Any) -> Any:
    """A count PrestaShop writes as a string of digits, as a number."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def mirakl(body: Record) -> Snapshot:
    ref, updated = stamp(Kind.MIRAKL, body)
    state = body.get("order_state")
    if state not in MIRAKL_STATES:
        raise Unreadable(f"order_state: {str(state)[:40]!r} is not one a shop works on")
    currency = _currency(body.get("currency_iso_code"), "currency_iso_code")
    customer = _object(body, "customer") or {}
    shipping = _object(customer, "shipping_address")
    # (a marketplace keeps its customers' addresses to itself: this one forwards to them)
    email = _text(body.get("customer_notification_email"), "customer_notification_email")
    lines = []
    for i, item in enumerate(_items(body, "order_lines")):
        if item.get("order_line_state") in MIRAKL_UNDONE:
            continue  # (a line refused or cancelled: nothing to send)
        quantity = _quantity(item.get("quantity"), f"order_lines.{i}.quantity")
        paid = _money(item.get("price"), currency, f"order_lines.{i}.price")
        lines.append(Line(_refs(item.get("offer_id"), item.get("product_sku")), _optional(item.get("offer_sku")),
                          quantity, _share(paid, quantity), _item(item, "order_line_id")))
    cancelled = state in MIRAKL_UNDONE
    if not lines and not cancelled:
        raise Unreadable("order_lines: every line is refused or cancelled, yet the order is not")
    pudo = _optional(body.get("shipping_pudo_id"))
    if pudo is not None and len(pudo) > 64:
        raise Unreadable("shipping_pudo_id: longer than 64 characters")
    return Snapshot(
        ref=ref, updated_at=updated, paid=state in MIRAKL_PAID, cancelled=cancelled,
        name=_name(shipping if shipping and _name(shipping, "", _FIRSTNAME) else customer, email, _FIRSTNAME),
        email=email,
        currency=currency, lines=tuple(lines), methods=_methods({"shipping_lines": [body]}, "shipping_type_code",
                                                               "shipping_type_label"),
        address=_place(shipping, "customer.shipping_address", "street_1", "street_2", "zip_code", "city",
                       "country_iso_code", None, None) if shipping and shipping.get("zip_code") else None,
        decide=state == MIRAKL_DECIDE, done=state in MIRAKL_PAID - {"SHIPPING"}, point=pudo)


def _woo_updated(body: Record) -> datetime:
    modified = body.get("date_modified_gmt")  # (GMT, written without an offset)
    return _instant(modified + "Z" if isinstance(modified, str) and modified[-1:].isdigit() else modified,
                    "date_modified_gmt")


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise Unreadable("id: missing, or not a number nor a text")
    text = str(value).strip()
    if len(text) > 100:
        raise Unreadable("id: longer than 100 characters")
    return text


def _object(body: Record, name: str) -> Record | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise Unreadable(f"{name}: not an object")
    return value


def _items(body: Record, name: str) -> list[Record]:
    items = body.get(name)
    if not isinstance(items, list) or not items or not all(isinstance(x, dict) for x in items):
        raise Unreadable(f"{name}: no lines")
    if len(items) > LINES_MAX:
        raise Unreadable(f"{name}: {len(items)} lines, more than the {LINES_MAX} an order may have")
    return items


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Unreadable(f"{field}: missing")
    return value.strip()


def _amounts(line: Record, name: str, amount: str, currency: str, i: int) -> int:
    """The sum of a line's list of amounts (its discounts, its taxes)."""
    found = line.get(name) or []
    if not isinstance(found, list) or not all(isinstance(x, dict) for x in found):
        raise Unreadable(f"line_items.{i}.{name}: not a list of objects")
    return sum(_money(x.get(amount), currency, f"line_items.{i}.{name}") for x in found)


def _item(line: Record, key: str = "id") -> str | None:
    found = _refs(line.get(key))
    return found[0][:100] if found else None


def _optional(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _refs(*values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values if isinstance(v, int | str) and not isinstance(v, bool) and str(v) != "0"
                 and str(v).strip())


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000:
        raise Unreadable(f"{field}: not a whole number of units from 1 to 10000")
    return value


def _currency(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise Unreadable(f"{field}: not an ISO 4217 code")
    return value.upper()


def _money(value: Any, currency: str, field: str) -> int:
    """A decimal amount (a string, as these platforms write them, or a number) in minor units."""
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int | float) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > 10**10:
        raise Unreadable(f"{field}: not an amount")
    exponent = 0 if currency in ZERO_DECIMAL else 2
    return int((amount * 10**exponent).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _share(total: int, quantity: int) -> int:
    """A line's amount per unit, to the nearest minor unit."""
    return int((Decimal(total) / quantity).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _instant(value: Any, field: str) -> datetime:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Unreadable(f"{field}: not a time with its UTC offset")
    return at.astimezone(UTC)


def _name(person: Record, email: str, keys: tuple[str, str] = ("first_name", "last_name")) -> str:
    name = " ".join(str(person.get(k) or "").strip() for k in keys).strip()
    return name[:200] or email


def _methods(body: Record, code: str, title: str) -> tuple[str, ...]:
    shipping = body.get("shipping_lines")
    if not isinstance(shipping, list) or not shipping or not isinstance(shipping[0], dict):
        return ()
    return tuple(v.strip() for v in (shipping[0].get(code), shipping[0].get(title)) if isinstance(v, str) and v.strip())


def _place(found: Record, field: str, line1: str, line2: str, postal: str, city: str, country: str,
           lat: str | None, lng: str | None) -> Place:
    street = " ".join(str(found.get(k) or "").strip() for k in (line1, line2)).strip()
    return Place(
        line1=_text(street, f"{field}.{line1}")[:200], postal_code=_text(found.get(postal), f"{field}.{postal}")[:20],
        city=_text(found.get(city), f"{field}.{city}")[:100],
        country=_country(found.get(country), f"{field}.{country}"),
        lat=_coordinate(found.get(lat), 90) if lat else None, lng=_coordinate(found.get(lng), 180) if lng else None)


def _country(value: Any, field: str) -> str:
    """An ISO 3166-1 code as the platform gives it: alpha-2, or alpha-3 (Mirakl), made alpha-2 by the service."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) not in (2, 3) or not code.isalpha():
        raise Unreadable(f"{field}: not an ISO 3166-1 country code")
    return code


def _coordinate(value: Any, bound: float) -> float | None:
    """A coordinate as the platform gives it (a number, sometimes a string), or None when it has none."""
    try:
        number = float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except ValueError:
        return None
    return number if number is not None and -bound <= number <= bound else None
