"""The real command: `oms serve` in its own process, spoken to over TCP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import NODES, PRODUCTS, STOCK, order

OMS = Path(sys.executable).parent / "oms"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_url):
    port = _free_port()
    # Reference data checked at every request: a test reads back at once what it has just written.
    env = {**os.environ, "OMS_DATABASE_URL": database_url, "OMS_BOOTSTRAP_ADMIN_KEY": "e2e-admin-key",
           "OMS_REFERENCE_REFRESH_SECONDS": "0"}
    proc = subprocess.Popen([str(OMS), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not become ready:\n{proc.stdout.read()}")
        time.sleep(0.1)  # polling a process that is starting, not synchronising tests
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_the_served_api_takes_reference_data_and_an_order(server):
    admin = {"Authorization": "Bearer e2e-admin-key"}
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

    admin = {"Authorization": "Bearer e2e-admin-key"}
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
