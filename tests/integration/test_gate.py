"""The door: oversized bodies, calls without a valid key and roles that may not make a call are refused
before the body is read or validated; a guesser is slowed; the console's pages carry the browser's
protections; errors keep their HTTP shape (a 405 names what is allowed, a body that is not JSON is a 422)."""

import subprocess

import httpx
import pytest

from oms.api.app import create_app
from tests.e2e.test_server import OMS
from tests.support import order, problem, seed, server_env

CHUNK = 64 * 1024


class Sender:
    """A request body sent in chunks, counting how many the server asked for."""

    def __init__(self, total: int) -> None:
        self.total, self.sent = total, 0

    async def __aiter__(self):
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"[" + b" " * (CHUNK - 2) + b"]"


def at_address(ctx, address: str) -> httpx.AsyncClient:
    app = create_app(ctx)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://oms")


async def test_a_huge_body_sent_without_a_key_is_refused_before_it_is_read(ctx, client):
    body = Sender(100 * 1024 * 1024)
    r = await client.post("/v1/products/../orders", content=body,
                          headers={"Content-Length": str(body.total), "Content-Type": "application/json"})
    problem(r, 413, "body_too_large")
    assert body.sent <= CHUNK  # nothing, or the one chunk the transport primes


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/promise", "/v1/holds", "/v1/webhooks", "/v1/availability"])
async def test_a_body_sent_in_chunks_is_cut_at_the_limit_on_every_route(ctx, client, path):
    keys = await seed(ctx, client)
    ctx.settings.max_body_bytes = 256 * 1024
    body = Sender(50 * 1024 * 1024)  # no Content-Length: the size is known only as it comes
    r = await client.post(path, content=body, headers={**keys.h("admin"), "Content-Type": "application/json"})
    problem(r, 413, "body_too_large")
    assert body.sent <= ctx.settings.max_body_bytes + 2 * CHUNK


async def test_bulk_writes_may_be_larger_than_other_bodies(ctx, client):
    keys = await seed(ctx, client)
    ctx.settings.max_body_bytes, ctx.settings.max_bulk_body_bytes = 4096, 1024 * 1024
    products = [{"sku": f"SKU-BULK-{i:04d}", "name": "A mug with a long name " * 3, "weight_g": 300,
                 "length_mm": 90, "width_mm": 90, "height_mm": 100, "price": {"amount": 990, "currency": "EUR"}}
                for i in range(200)]
    r = await client.put("/v1/products", json=products, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    big_order = order("BIG-1", [("SKU-A", 1)] * 60)
    problem(await client.post("/v1/orders", json=big_order, headers=keys.h("web")), 413, "body_too_large")


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/orders"), ("POST", "/v1/promise"), ("POST", "/v1/holds"), ("PUT", "/v1/products"),
    ("POST", "/v1/inventory/movements"), ("POST", "/v1/returns"), ("POST", "/v1/availability"),
    ("POST", "/v1/webhooks"), ("POST", "/v1/fulfillments/ful_x/accept"),
])
async def test_no_key_is_a_401_whatever_the_body(ctx, client, method, path):
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        r = await client.request(method, path, content=b'{"not": "what it wants"', headers=headers)
        problem(r, 401, "unauthenticated")


@pytest.mark.parametrize(("who", "method", "path"), [
    ("viewer", "POST", "/v1/orders"), ("store_paris", "POST", "/v1/orders"), ("viewer", "POST", "/v1/holds"),
    ("store_paris", "POST", "/v1/promise"), ("web", "PUT", "/v1/products"), ("web", "POST", "/v1/webhooks"),
    ("viewer", "POST", "/v1/inventory/movements"), ("web", "POST", "/v1/fulfillments/ful_x/accept"),
    ("store_paris", "POST", "/v1/returns"), ("web", "POST", "/v1/returns/ret_x/receive"),
])
async def test_a_role_that_may_not_make_a_call_gets_403_not_field_errors(ctx, client, who, method, path):
    keys = await seed(ctx, client)
    r = await client.request(method, path, json={"bogus": True}, headers=keys.h(who))
    assert "field" not in r.text and "bogus" not in r.text
    problem(r, 403, "forbidden")


async def test_failed_authentications_are_slowed_per_address(ctx, client):
    keys = await seed(ctx, client)
    ctx.throttle.__init__(5)  # five failures a minute for this test's service
    async with at_address(ctx, "203.0.113.7") as guesser, at_address(ctx, "198.51.100.2") as neighbour:
        for i in range(5):
            problem(await guesser.get("/v1/orders", headers={"Authorization": f"Bearer guess-{i}"}),
                    401, "unauthenticated")
        r = await guesser.get("/v1/orders", headers=keys.h("admin"))  # even a good key waits its turn
        problem(r, 429, "too_many_failures")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # A console sign-in with a wrong key counts too; other addresses go on.
        assert (await neighbour.post("/console/sign-in", data={"key": "wrong"})).status_code == 401
        assert (await neighbour.get("/v1/orders", headers=keys.h("admin"))).status_code == 200


async def test_a_body_that_is_not_json_is_a_422_everywhere(ctx, client):
    keys = await seed(ctx, client)
    for method, path in (("PUT", "/v1/products"), ("POST", "/v1/orders"), ("POST", "/v1/promise"),
                         ("POST", "/v1/inventory/movements"), ("PUT", "/v1/stock-rules"), ("POST", "/v1/webhooks")):
        r = await client.request(method, path, content=b'{"lines": [', headers={**keys.h("admin"),
                                                                                 "Content-Type": "application/json"})
        body = problem(r, 422, "invalid_input")
        assert body["errors"], (method, path)


async def test_a_method_not_allowed_names_the_allowed_ones(ctx, client):
    keys = await seed(ctx, client)
    r = await client.delete("/v1/products", headers=keys.h("admin"))
    problem(r, 405, "method_not_allowed")
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT"}


async def test_console_pages_carry_the_browsers_protections(ctx, client):
    r = await client.get("/console/sign-in")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_a_short_bootstrap_admin_key_refuses_to_start(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/oms.db", OMS_BOOTSTRAP_ADMIN_KEY="admin123")
    done = subprocess.run([str(OMS), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "OMS_BOOTSTRAP_ADMIN_KEY" in done.stderr and "32" in done.stderr
    assert not (tmp_path / "oms.db").exists()  # nothing was started
