"""The console's pages over HTTP: sign-in with an API key (a session cookie, never the key), the order
search, the order page, cancelling units with a confirmation step, and what each key may see."""

import re

from tests.support import capture, order, seed


def form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def signed_in(client, key: str):
    r = await client.post("/console/sign-in", data={"key": key})
    assert r.status_code == 303 and r.headers["location"] == "/console", r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and key not in cookie
    return r


async def test_sign_in_with_a_key_and_out_again(ctx, client):
    keys = await seed(ctx, client)
    assert (await client.get("/console")).headers["location"] == "/console/sign-in"
    page = await client.get("/console/sign-in")
    assert page.status_code == 200 and 'type="password"' in page.text
    bad = await client.post("/console/sign-in", data={"key": "not-a-key"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    await signed_in(client, keys.web)
    orders = await client.get("/console/orders")
    assert orders.status_code == 200 and "channel · web" in orders.text
    out = await client.post("/console/sign-out", data={"csrf": form_token(orders.text)})
    assert out.status_code == 303
    assert (await client.get("/console/orders")).headers["location"] == "/console/sign-in"


async def test_customer_service_finds_an_order_and_cancels_a_unit_after_confirming(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("CS-1", [("SKU-A", 2)]))
    await capture(client, keys, order("CS-2", [("SKU-B", 1)]))
    await signed_in(client, keys.admin)
    for text in ("CS-1", placed["id"], "ada@example.com", "ADA"):
        found = await client.get("/console/orders", params={"q": text})
        assert f"/console/orders/{placed['id']}" in found.text, text
    assert "CS-2" not in (await client.get("/console/orders", params={"q": "CS-1"})).text
    empty = await client.get("/console/orders", params={"q": "nobody@example.com"})
    assert "No order matches" in empty.text
    bad_day = await client.get("/console/orders", params={"day": "yesterday"})
    assert bad_day.status_code == 422 and "day" in bad_day.text
    bad_status = await client.get("/console/orders", params={"status": "bogus"})
    assert bad_status.status_code == 422 and "bogus" in bad_status.text and "not an order status" in bad_status.text

    page = await client.get(f"/console/orders/{placed['id']}")
    assert page.status_code == 200
    assert "order.created" in page.text and "ST-PARIS" in page.text and "Why these nodes" in page.text
    assert "1 other node: no stock of these SKUs" in page.text  # Lyon has no mugs
    csrf = form_token(page.text)
    path = f"/console/orders/{placed['id']}/cancel"
    refused = await client.post(path, data={"csrf": "forged", "qty-1": "1", "reason": "asked"})
    assert refused.status_code == 403
    no_reason = await client.post(path, data={"csrf": csrf, "qty-1": "1", "reason": " "})
    assert no_reason.status_code == 422
    review = await client.post(path, data={"csrf": csrf, "qty-1": "1", "reason": "customer called"})
    assert review.status_code == 200 and "Cancel these units?" in review.text
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert view["lines"][0]["cancelled"] == 0  # nothing before the confirmation
    done = await client.post(path, data={"csrf": csrf, "qty-1": "1", "reason": "customer called", "confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=1")
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert view["lines"][0]["cancelled"] == 1
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    assert any(e["type"] == "order.lines_cancelled" and e["reason"] == "customer called" for e in events)
    too_many = await client.post(path, data={"csrf": csrf, "qty-1": "5", "reason": "again", "confirmed": "1"})
    assert too_many.status_code == 409 and "can still be cancelled" in too_many.text


async def test_a_key_sees_in_the_console_what_it_may_see_through_the_api(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("CS-3", [("SKU-A", 1)]))
    await signed_in(client, keys.marketplace)
    assert f"/console/orders/{placed['id']}" not in (await client.get("/console/orders", params={"q": "CS-3"})).text
    assert (await client.get(f"/console/orders/{placed['id']}")).status_code == 404
    await signed_in(client, keys.viewer)
    page = await client.get(f"/console/orders/{placed['id']}")
    assert page.status_code == 200 and "Cancel units" not in page.text
    csrf = form_token(page.text)
    refused = await client.post(f"/console/orders/{placed['id']}/cancel",
                                data={"csrf": csrf, "qty-1": "1", "reason": "x", "confirmed": "1"})
    assert refused.status_code == 403
    assert (await client.get("/console/orders/ord_nope")).status_code == 404


async def test_the_address_changes_and_a_return_starts_from_the_order_page(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("CS-4", [("SKU-A", 2)]))
    oid, fid = placed["id"], placed["fulfillments"][0]["id"]
    await signed_in(client, keys.admin)
    page = await client.get(f"/console/orders/{oid}")
    assert "Change the delivery address" in page.text and "Start a return" not in page.text
    csrf = form_token(page.text)
    lyon = {"line1": "1 place Bellecour", "postal_code": "69002", "city": "Lyon", "country": "FR",
            "lat": "45.7578", "lng": "4.832"}
    path = f"/console/orders/{oid}/address"
    bad = await client.post(path, data={"csrf": csrf, **lyon, "lat": "95", "reason": "moved"})
    assert bad.status_code == 422 and "address.lat" in bad.text
    review = await client.post(path, data={"csrf": csrf, **lyon, "reason": "moved"})
    assert review.status_code == 200 and "1 place Bellecour, 69002 Lyon" in review.text
    done = await client.post(path, data={"csrf": csrf, **lyon, "reason": "moved", "confirmed": "1"})
    assert done.status_code == 303
    view = (await client.get(f"/v1/orders/{oid}", headers=keys.h("admin"))).json()
    assert view["delivery"]["address"]["city"] == "Lyon"

    for action, body in (("accept", {}), ("ship", {"carrier": "c", "tracking_number": "CS-4"}), ("deliver", {})):
        r = await client.post(f"/v1/fulfillments/{fid}/{action}", json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    page = await client.get(f"/console/orders/{oid}")
    assert "Start a return" in page.text and "Change the delivery address" not in page.text
    path = f"/console/orders/{oid}/return"
    fields = {"csrf": csrf, "ret-1": "1", "method": "in_store", "channel": "store", "reason": "too small"}
    review = await client.post(path, data=fields)
    assert review.status_code == 200 and "Start this return?" in review.text
    assert (await client.post(path, data={**fields, "confirmed": "1"})).status_code == 303
    [ret] = (await client.get("/v1/returns", params={"order_id": oid}, headers=keys.h("admin"))).json()["items"]
    assert (ret["channel"], ret["method"], ret["lines"][0]["quantity"]) == ("store", "in_store", 1)
    assert ret["lines"][0]["reason"] == "too small"
    too_many = await client.post(path, data={**fields, "ret-1": "2", "confirmed": "1"})
    assert too_many.status_code == 409
