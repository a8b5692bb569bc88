"""The event catalogue: one definition per event type, what the outbox writes, what partners may subscribe
to, and the API guide's table of events, all the same list."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from oms.domain import events as catalogue
from oms.domain.events import CATALOGUE, EVENT_TYPES, FAMILIES, EventType
from oms.domain.lifecycle import FStatus
from oms.domain.tracking import Tracking
from oms.domain.webhooks import known
from oms.services.orders.view import fulfillment_view, order_view, release_message
from oms.services.partners.events import event
from oms.services.partners.inputs import WebhookIn
from oms.services.replenishment.transfers import transfer_view

GUIDE = Path(__file__).parents[2] / "docs" / "api.md"
HEADER = "| Event type | When it is emitted | Fields its `data` always carries |"
AT = datetime(2026, 11, 28, 9, 12, tzinfo=UTC)


def test_every_fulfilment_status_and_every_tracking_status_has_its_event():
    assert {f"fulfillment.{s}" for s in FStatus} <= EVENT_TYPES
    assert {f"shipment.{s}" for s in Tracking} <= EVENT_TYPES
    assert CATALOGUE["fulfillment.released"].fields == catalogue.RELEASE
    assert all(CATALOGUE[f"fulfillment.{s}"].fields == catalogue.FULFILLMENT for s in FStatus if s != "released")


def test_each_type_is_defined_once_with_its_fields_once_and_one_sentence():
    assert len(catalogue._TYPES) == len(CATALOGUE) == len(EVENT_TYPES)
    assert FAMILIES == {"order", "fulfillment", "shipment", "return", "refund", "inventory", "replenishment",
                        "transfer"}
    for name, kind in CATALOGUE.items():
        assert isinstance(kind, EventType) and kind.name == name
        family, _, what = name.partition(".")
        assert family in FAMILIES and what and what.replace("_", "").isalpha() and what.islower(), name
        assert kind.fields and len(set(kind.fields)) == len(kind.fields), name
        assert kind.when[0].isupper() and kind.when.endswith(".") and kind.when.count(". ") == 0, name
        assert "|" not in kind.when and "`" not in kind.when, name  # a plain sentence, in a table cell


def test_the_shared_payloads_are_what_the_views_build():
    f = {"id": "ful_1", "order_id": "ord_1", "node_id": "DC-PARIS", "handover_node_id": None, "status": "released",
         "details": {}, "created_at": AT, "updated_at": AT}
    fl = {"fulfillment_id": "ful_1", "line_no": 1, "sku": "SKU-A", "quantity": 1, "picked": 0, "shipped": 0,
          "cancelled": 0, "short": 0, "reserved": 1}
    o = {"id": "ord_1", "channel": "web", "external_ref": "W-1", "status": "created", "customer_name": "Ada",
         "customer_email": "ada@example.com", "delivery": {"mode": "home"}, "total_amount": 1000, "currency": "EUR",
         "created_at": AT, "updated_at": AT}
    line = {"line_no": 1, "sku": "SKU-A", "quantity": 1, "cancelled": 0, "returned": 0, "unit_price": 1000}
    assert tuple(fulfillment_view(f, [fl])) == catalogue.FULFILLMENT
    assert tuple(release_message(o, f, [fl])) == catalogue.RELEASE
    assert tuple(order_view(o, [line], [f], [fl])) == catalogue.ORDER
    transfer = {"id": "trf_1", "source_node_id": "DC-PARIS", "node_id": "ST-PARIS", "run_id": None,
                "status": "released", "expected_on": AT.date(), "details": {}, "created_at": AT, "updated_at": AT}
    tl = {"line_no": 1, "sku": "SKU-A", "quantity": 2, "picked": None, "shipped": 0, "received": 0, "damaged": 0}
    assert tuple(transfer_view(transfer, [tl])) == catalogue.TRANSFER


def test_the_outbox_writes_only_catalogued_events_with_their_fields():
    data = {"order_id": "ord_1", "from": "created", "to": "accepted"}
    row = event("order.status_changed", order_id="ord_1", actor="system", at=AT, data=data)
    assert row["type"] == "order.status_changed" and row["data"] is data and row["published_at"] is None
    # More than the listed fields is fine (some events of a type carry more).
    event("order.status_changed", order_id="ord_1", actor="system", at=AT, data={**data, "note": 1})

    with pytest.raises(ValueError, match=r"'order\.shipped' is not an event type"):
        event("order.shipped", order_id="ord_1", actor="system", at=AT, data=data)
    with pytest.raises(ValueError, match=r"order\.status_changed data lacks from, to"):
        event("order.status_changed", order_id="ord_1", actor="system", at=AT, data={"order_id": "ord_1"})
    with pytest.raises(ValueError, match=r"inventory\.low data lacks threshold"):
        event("inventory.low", order_id=None, actor="system", at=AT,
              data={"node_id": "DC-PARIS", "sku": "SKU-A", "available": 2})


def _subscription(*events: str) -> WebhookIn:
    return WebhookIn(url="https://partner.example/oms", events=list(events), secret="s" * 16)


def test_subscriptions_may_name_every_catalogued_type_and_family_and_nothing_else():
    assert all(known(name) for name in CATALOGUE) and all(known(f"{f}.*") for f in FAMILIES) and known("*")
    assert _subscription(*CATALOGUE, *(f"{f}.*" for f in FAMILIES)).events == sorted({*CATALOGUE, *(
        f"{f}.*" for f in FAMILIES)})
    with pytest.raises(ValidationError) as refused:
        _subscription("order.created", "order.shipped", "fulfillment.*")
    [error] = refused.value.errors()
    assert error["loc"] == ("events", 1) and "'order.shipped'" in error["msg"]


# --- The API guide's table of events --------------------------------------------------------------------------

def row(kind: EventType) -> str:
    """The guide's line for an event type."""
    return f"| `{kind.name}` | {kind.when} | {', '.join(f'`{f}`' for f in kind.fields)} |"


def documented() -> list[tuple[str, str, tuple[str, ...]]]:
    """The guide's table of events: (type, when, fields) per line, in its order."""
    lines = GUIDE.read_text().splitlines()
    start = lines.index(HEADER) + 2  # below the header and its rule
    found = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        name, when, fields = (cell.strip() for cell in line.strip().strip("|").split(" | "))
        found.append((name.strip("`"), when, tuple(f.strip().strip("`") for f in fields.split(","))))
    return found


def test_the_guides_table_of_events_is_the_catalogue():
    expected = [(k.name, k.when, k.fields) for k in CATALOGUE.values()]
    table = "\n".join([HEADER, "|---|---|---|", *map(row, CATALOGUE.values())])
    assert documented() == expected, f"docs/api.md's table of events should read:\n{table}"
