"""Bad input the service used to accept (or answer with a 500): each is refused by name, or answered as the
API guide says."""

import pytest

from oms.domain.lifecycle import OStatus
from oms.domain.vocabulary import Channel, DeliveryMode
from tests.support import HOME, PRODUCTS, act, all_stock, capture, confirm, ful_at, order, problem, seed

# --- empty bulk bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "answer"),
    [
        ("PUT", "/v1/products", {"upserted": 0}),
        ("PUT", "/v1/nodes", {"upserted": 0}),
        ("PUT", "/v1/inventory", {"upserted": 0, "stale": 0}),
        ("PUT", "/v1/supply", {"upserted": 0}),
        ("PUT", "/v1/carrier-services", {"upserted": 0}),
        ("POST", "/v1/inventory/movements", {"applied": 0, "duplicates": 0, "stale": 0}),
    ],
)
async def test_an_empty_bulk_body_is_a_no_op(ctx, client, method, path, answer):
    keys = await seed(ctx, client)
    before = (await client.get("/v1/inventory", params={"limit": 500}, headers=keys.h("admin"))).json()
    r = await client.request(method, path, json=[], headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == answer
    assert (await client.get("/v1/inventory", params={"limit": 500}, headers=keys.h("admin"))).json() == before
    # Still an admin's call: an empty body does not open it to others.
    problem(await client.request(method, path, json=[], headers=keys.h("viewer")), 403, "forbidden")


async def test_a_count_of_nothing_is_a_no_op(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/inventory/snapshots", headers=keys.h("admin"),
                          json={"node_id": "DC-PARIS", "counted_at": "2026-01-01T00:00:00Z", "items": []})
    assert r.status_code == 200 and r.json() == {"applied": 0, "stale": 0}, r.text


@pytest.mark.parametrize("path", ["/v1/stock-rules", "/v1/delivery-prices", "/v1/delivery-capacity",
                                  "/v1/sourcing/settings"])
async def test_a_list_sent_to_a_settings_endpoint_is_refused(ctx, client, path):
    """These take one object, replaced whole: an array is not an empty version of it."""
    keys = await seed(ctx, client)
    problem(await client.put(path, json=[], headers=keys.h("admin")), 422, "invalid_input")


# --- order lines priced in another currency ------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["XYZ", "USD"])
async def test_a_line_priced_in_another_currency_than_its_products_is_refused(ctx, client, currency):
    keys = await seed(ctx, client)
    body = order("CUR-1", [("SKU-A", 1), ("SKU-B", 1)])
    for line in body["lines"]:
        line["unit_price"]["currency"] = currency
    r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
    errors = problem(r, 422, "invalid_input")["errors"]
    assert [e["field"] for e in errors] == ["lines.0.unit_price.currency", "lines.1.unit_price.currency"]
    assert "EUR" in errors[0]["reason"]
    assert (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"] == []


# --- filters naming no such status, channel or type ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [("/v1/orders", "status"), ("/v1/orders", "channel"), ("/v1/fulfillments", "status"),
     ("/v1/returns", "status"), ("/v1/nodes", "type"), ("/v1/supply", "status")],
)
async def test_a_filter_with_an_unknown_value_is_refused_by_name(ctx, client, path, field):
    keys = await seed(ctx, client)
    r = await client.get(path, params={field: "bogus"}, headers=keys.h("admin"))
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == [field]



# --- cancels and rejections say why ----------------------------------------------------------------------------


async def test_a_cancel_without_a_reason_is_refused_and_cancels_nothing(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("WHY-1", [("SKU-A", 2)]))
    path = f"/v1/orders/{placed['id']}/cancel"
    for body, field in (({}, "reason"), ({"reason": "  "}, "reason"), ({"lines": [{"line_no": 1, "quantity": 1}]},
                                                                       "reason"), (None, "body")):
        r = await client.post(path, json=body, headers=keys.h("web"))
        assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == [field], body
    assert (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()["status"] == "created"
    r = await client.post(path, json={"reason": "the customer found it cheaper"}, headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("web"))).json()
    assert "the customer found it cheaper" in [e["reason"] for e in events]


async def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("WHY-2", [("SKU-A", 1)]))
    fid = ful_at(placed, "ST-PARIS")["id"]
    for body in ({}, {"reason": " "}):
        r = await act(client, keys.h("store_paris"), fid, "reject", **body)
        assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["reason"]
    got = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert ful_at(got, "ST-PARIS")["status"] == "released"
    view = await confirm(client, keys.h("store_paris"), fid, "reject", reason="flooded stock room")
    events = (await client.get(f"/v1/orders/{view['id']}/events", headers=keys.h("admin"))).json()
    assert "flooded stock room" in [e["reason"] for e in events if e["type"] == "fulfillment.rejected"]


# --- an address no carrier reaches is not a shortage -----------------------------------------------------------

NEAR_ONLY = [{"id": "city", "name": "City courier", "mode": "home_standard",
              "bands": [{"max_km": 50, "transit_min": 1, "transit_max": 1, "base": 500}]}]
LYON = {**HOME, "city": "Lyon", "postal_code": "69002", "lat": 45.7578, "lng": 4.8320}


async def test_an_address_no_carrier_reaches_from_the_stock_is_no_carrier_service(ctx, client):
    keys = await seed(ctx, client)
    r = await client.put("/v1/carrier-services", json=NEAR_ONLY, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    # The mugs are all around Paris, 400 km from Lyon; the city courier rides 50 km.
    r = await client.post("/v1/orders", json=order("FAR-1", [("SKU-A", 1)], address=LYON), headers=keys.h("web"))
    body = problem(r, 409, "no_carrier_service")
    assert body["lines"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 1}] and "carrier" in body["detail"]
    # Lyon's store has 4 lamps (within reach), the DC 10 more (out of reach): 6 are there, but not reachable.
    r = await client.post("/v1/orders", json=order("FAR-2", [("SKU-B", 6)], address=LYON), headers=keys.h("web"))
    problem(r, 409, "no_carrier_service")
    # More lamps than the whole network has: a shortage, wherever it goes.
    r = await client.post("/v1/orders", json=order("FAR-3", [("SKU-B", 50)], address=LYON), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")
    # Within reach, the same order goes.
    r = await client.post("/v1/orders", json=order("FAR-4", [("SKU-B", 3)], address=LYON), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert (await all_stock(client, keys))[("DC-PARIS", "SKU-A")]["reserved"] == 0


# --- error messages show values, never Python's enum repr ------------------------------------------------------


async def test_an_error_naming_a_channel_says_its_value(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order("REPR-1", channel="app"), headers=keys.h("web"))
    detail = problem(r, 403, "forbidden")["detail"]
    assert "'app'" in detail and "<Channel" not in detail, detail
    r = await client.post("/v1/holds", headers=keys.h("web"), json={
        "channel": "app", "lines": [{"sku": "SKU-A", "quantity": 1}],
        "delivery": {"mode": "home_standard", "address": HOME}})
    assert "<Channel" not in problem(r, 403, "forbidden")["detail"]


def test_the_vocabulary_prints_its_values():
    assert f"{Channel.APP!r} {DeliveryMode.LOCKER!r} {OStatus.CANCELLED!r}" == "'app' 'locker' 'cancelled'"


# --- numbers are numbers ---------------------------------------------------------------------------------------

BAND = {"max_km": 800, "transit_min": 1, "transit_max": 2, "base": 500, "per_kg": 50}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/v1/carrier-services", [{"id": "std", "name": "Standard", "mode": "home_standard",
                                          "bands": [{**BAND, "per_kg": False}]}], "items.0.bands.0.per_kg"),
        ("POST", "/v1/orders", {**order("NUM-1"), "lines": [
            {"sku": "SKU-A", "quantity": "1", "unit_price": {"amount": 1000, "currency": "EUR"}}]},
         "lines.0.quantity"),
        ("POST", "/v1/orders", {**order("NUM-2"), "lines": [
            {"sku": "SKU-A", "quantity": 1, "unit_price": {"amount": True, "currency": "EUR"}}]},
         "lines.0.unit_price.amount"),
        ("PUT", "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": "5"}], "items.0.on_hand"),
        ("POST", "/v1/holds", {"channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}], "ttl_seconds": "900",
                               "delivery": {"mode": "home_standard", "address": HOME}}, "ttl_seconds"),
        ("POST", "/v1/orders", order("NUM-3", address={**HOME, "lat": "48.8556"}), "delivery.address.lat"),
        ("PUT", "/v1/delivery-prices", {"modes": {"home_standard": {"amount": "499"}}},
         "modes.home_standard.amount"),
        # … nor numbers and strings as booleans: 0 does not switch a product off, "yes" does not apply a plan.
        ("PUT", "/v1/products", [{**PRODUCTS[0], "active": 0}], "items.0.active"),
        ("PUT", "/v1/sourcing/settings", {"strategies": [{"channel": "*", "mode": "*", "split_lines": 0}]},
         "strategies.0.split_lines"),
        ("POST", "/v1/sourcing/reoptimise", {"apply": "yes"}, "apply"),
        # … nor numbers as dates: 0 is not 1 January 1970.
        ("PUT", "/v1/supply", [{"id": "PO-0", "kind": "purchase_order", "node_id": "DC-PARIS", "sku": "SKU-A",
                                "quantity": 1, "expected_on": 0}], "items.0.expected_on"),
    ],
)
async def test_booleans_and_strings_are_not_read_as_numbers(ctx, client, method, path, body, field):
    keys = await seed(ctx, client)
    who = "admin" if method == "PUT" or "sourcing" in path else "web"
    r = await client.request(method, path, json=body, headers=keys.h(who))
    assert field in [e["field"] for e in problem(r, 422, "invalid_input")["errors"]]


async def test_whole_numbers_are_still_good_coordinates_and_times_still_read_from_text(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order("NUM-4", address={**HOME, "lat": 48, "lng": 2}),
                          headers=keys.h("web"))
    assert r.status_code == 201, r.text
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[
        {"event_id": "e-1", "node_id": "DC-PARIS", "sku": "SKU-A", "delta": 2, "reason": "receipt",
         "occurred_at": "2026-01-01T10:00:00+01:00"}])
    assert r.status_code == 200 and r.json()["stale"] == 1, r.text  # read, and older than the seed's count
