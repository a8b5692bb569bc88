"""The real command: `oms serve` in its own process, spoken to over TCP."""

import sys
from pathlib import Path

import httpx

from tests.support import E2E_ADMIN_KEY, NODES, PRODUCTS, STOCK, order

OMS = Path(sys.executable).parent / "oms"


def test_the_served_api_takes_reference_data_and_an_order(server):
    admin = {"Authorization": f"Bearer {E2E_ADMIN_KEY}"}
    with httpx.Client(base_url=server, headers=admin) as http:
        assert http.get("/readyz").json()["status"] == "ok"
        for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", STOCK)):
            assert http.put(path, json=body).status_code == 200
        created = http.post("/v1/orders", json=order("E2E-1", [("SKU-B", 2)]))
        assert created.status_code == 201, created.text
        assert http.get(f"/v1/orders/{created.json()['id']}").json()["status"] == "created"
        assert http.get("/v1/orders").json()["items"][0]["id"] == created.json()["id"]
        assert http.get("/openapi.json").json()["info"]["title"] == "OMS"
        assert httpx.get(server + "/v1/orders").status_code == 401


def test_the_served_api_promises_and_captures_what_it_promised(server):
    from tests.integration.test_promise import CARRIERS, PRICES, calendars

    admin = {"Authorization": f"Bearer {E2E_ADMIN_KEY}"}
    with httpx.Client(base_url=server, headers=admin) as http:
        for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", [calendars(n) for n in NODES]),
                           ("/v1/inventory", STOCK), ("/v1/carrier-services", CARRIERS),
                           ("/v1/delivery-prices", PRICES)):
            assert http.put(path, json=body).status_code == 200, path
        cart = {"channel": "web", "lines": [{"sku": "SKU-B", "quantity": 2}],
                "destination": {"address": order()["delivery"]["address"]}}
        answer = http.post("/v1/promise", json=cart, params={"explain": "true"})
        assert answer.status_code == 200, answer.text
        standard = next(o for o in answer.json()["options"] if o["mode"] == "home_standard")
        body = order("E2E-P", [("SKU-B", 2)])
        body["delivery"]["promise_id"] = standard["promise_id"]
        created = http.post("/v1/orders", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["delivery"]["promised"]["latest"] == standard["latest"]
        page = http.get("/v1/promise/SKU-B", params={"channel": "web", "lat": 48.86, "lng": 2.35})
        assert page.status_code == 200 and page.json()["modes"], page.text
        paths = http.get("/openapi.json").json()["paths"]
        assert {"/v1/promise", "/v1/promise/{sku}", "/v1/carrier-services", "/v1/delivery-prices"} <= set(paths)
