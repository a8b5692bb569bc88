"""Connectors as data, and the inbox their webhooks write to before anything else happens.

The pushed orders follow the platforms' documented shapes, with our own values: Shopify's Admin REST API
"Order" resource (id, name, updated_at, currency, financial_status, line_items[] with variant_id / sku /
quantity / price, shipping_address, shipping_lines[]) and its webhook headers (X-Shopify-Topic,
X-Shopify-Hmac-Sha256, X-Shopify-Webhook-Id, X-Shopify-Event-Id, X-Shopify-Triggered-At); WooCommerce's REST
API v3 "Order" (id, status, date_modified_gmt, currency, line_items[] with product_id / sku / quantity / price,
shipping{}, shipping_lines[] with method_id) and its webhook headers (X-WC-Webhook-Topic,
X-WC-Webhook-Signature, X-WC-Webhook-Delivery-ID), and the unsigned ``webhook_id=<n>`` ping WooCommerce sends
when a webhook is made.
"""

import json

from cryptography.fernet import Fernet
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from oms.cli import app
from oms.db import tables as t
from oms.domain.connectors import signed
from oms.importer import Kind
from tests.conftest import SECRET_KEY
from tests.integration.test_gate import at_address
from tests.integration.test_import import errors_of, load, on_a_context
from tests.support import problem, seed

SHOP_SECRET = "shpss_the-app-secret-of-la-maison-du-bol"
WOO_SECRET = "woo-webhook-secret-of-atelier-lumiere"

SHOPIFY_ORDER = {
    "id": 5820117811283, "admin_graphql_api_id": "gid://shopify/Order/5820117811283", "name": "#1042",
    "email": "claire.martin@example.fr", "created_at": "2026-11-30T09:12:44+01:00",
    "updated_at": "2026-11-30T09:12:46+01:00", "currency": "EUR", "financial_status": "paid",
    "total_price": "37.97",
    "line_items": [
        {"id": 14830291, "variant_id": 44120009, "sku": "MUG-BLEU", "title": "Bol breton", "quantity": 2,
         "price": "12.99"},
        {"id": 14830292, "variant_id": 44120017, "sku": "", "title": "Bougie figue", "quantity": 1, "price": "11.99"},
    ],
    "shipping_address": {"first_name": "Claire", "last_name": "Martin", "address1": "12 rue des Tanneurs",
                         "city": "Rennes", "zip": "35000", "country_code": "FR", "phone": "+33 6 12 34 56 78"},
    "shipping_lines": [{"code": "colissimo-domicile", "title": "Colissimo à domicile", "price": "4.90"}],
}
WOO_ORDER = {
    "id": 8817, "status": "processing", "currency": "EUR", "date_modified_gmt": "2026-11-30T08:20:03",
    "billing": {"first_name": "Hugo", "last_name": "Bernard", "email": "hugo.bernard@example.fr"},
    "shipping": {"first_name": "Hugo", "last_name": "Bernard", "address_1": "4 place du Marché", "city": "Lyon",
                 "postcode": "69002", "country": "FR"},
    "line_items": [{"id": 301, "product_id": 77, "variation_id": 0, "sku": "LAMPE-ZINC", "quantity": 1,
                    "price": 49.99}],
    "shipping_lines": [{"id": 302, "method_id": "flat_rate", "method_title": "Livraison standard", "total": "5.90"}],
}


def shopify(connector: dict, body: dict, *, delivery: str = "b54557e4-8d6d-4c7a-9e5f-2a0c0a1f7a10",
            topic: str = "orders/create", secret: str = SHOP_SECRET) -> tuple[str, bytes, dict]:
    raw = json.dumps(body).encode()
    return connector["webhook_url"], raw, {
        "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signed(secret, raw),
        "X-Shopify-Webhook-Id": delivery, "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2026-11-30T08:12:47.000Z", "X-Shopify-Shop-Domain": "maison-du-bol.myshopify.com",
        "X-Shopify-API-Version": "2025-10"}


async def make(client, keys, **fields) -> dict:
    body = {"kind": "shopify", "channel": "web", "base_url": "https://maison-du-bol.myshopify.com",
            "credentials": {"api_token": "shpat_token-of-the-app", "webhook_secret": SHOP_SECRET},
            "shipping_modes": {"colissimo-domicile": "home_standard"}, **fields}
    r = await client.post("/v1/connectors", json=body, headers=keys.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def inbox_rows(ctx) -> int:
    async with ctx.db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(t.connector_inbox))


async def test_a_connector_keeps_its_credentials_sealed_and_shows_their_names_only(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    assert made["credentials"] == ["api_token", "webhook_secret"]
    assert made["webhook_url"] == f"/v1/connectors/{made['id']}/webhooks" and made["active"] is True
    assert made["shipping_modes"] == {"colissimo-domicile": "home_standard"} and made["poll_seconds"] == 300
    listed = (await client.get("/v1/connectors", headers=keys.h("admin"))).json()["items"]
    assert [c["id"] for c in listed] == [made["id"]]
    assert (await client.get(f"/v1/connectors/{made['id']}", headers=keys.h("admin"))).json() == made
    async with ctx.db.read() as conn:
        stored = (await conn.execute(select(t.connectors))).mappings().one()
    assert SHOP_SECRET not in json.dumps({k: str(v) for k, v in stored.items()})  # sealed at rest
    # Polled kinds have no webhook address.
    polled = await make(client, keys, kind="mirakl", channel="marketplace", base_url="https://marketplace.example.com",
                        credentials={"api_key": "mirakl-shop-key"}, shipping_modes={})
    assert polled["webhook_url"] is None and polled["credentials"] == ["api_key"]


async def test_bad_connectors_are_refused_naming_what_is_wrong(ctx, client):
    keys = await seed(ctx, client)
    base = {"kind": "shopify", "channel": "web", "base_url": "https://maison-du-bol.myshopify.com",
            "credentials": {"api_token": "t", "webhook_secret": "s"}}
    cases = [
        ({"credentials": {"api_token": "t"}}, "credentials", "needs webhook_secret"),
        ({"credentials": {"api_token": "t", "webhook_secret": "s", "api_key": "k"}}, "credentials.api_key",
         "takes api_token, webhook_secret"),
        ({"credentials": {"password": "p"}}, "credentials", "unknown credential 'password'"),
        ({"base_url": "ftp://maison-du-bol.example.com"}, "base_url", "http:// or https://"),
        ({"base_url": "https://user:pw@maison-du-bol.example.com"}, "base_url", "must not carry credentials"),
        ({"kind": "etsy"}, "kind", ""),
        ({"channel": "fax"}, "channel", ""),
        ({"shipping_modes": {"colissimo": "by_pigeon"}}, "shipping_modes.colissimo", ""),
        ({"poll_seconds": 5}, "poll_seconds", ""),
    ]
    for change, field, words in cases:
        r = await client.post("/v1/connectors", json={**base, **change}, headers=keys.h("admin"))
        body = problem(r, 422, "invalid_input")
        assert any(e["field"].startswith(field) and words in e["reason"] for e in body["errors"]), (change, body)
    problem(await client.post("/v1/connectors", json=base, headers=keys.h("web")), 403, "forbidden")
    problem(await client.get("/v1/connectors", headers=keys.h("viewer")), 403, "forbidden")
    problem(await client.get("/v1/connectors"), 401, "unauthenticated")
    # A platform address inside the service's own network is refused where that is not allowed.
    ctx.settings.webhook_allow_private = False
    r = await client.post("/v1/connectors", json={**base, "base_url": "http://127.0.0.1:8080"}, headers=keys.h("admin"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "base_url"
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.connectors)) == 0


async def test_a_change_replaces_the_credentials_it_names_and_keeps_the_others(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    r = await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"),
                           json={"credentials": {"webhook_secret": "the-new-secret"}, "poll_seconds": 120,
                                 "active": False})
    assert r.status_code == 200, r.text
    assert r.json()["credentials"] == ["api_token", "webhook_secret"] and r.json()["poll_seconds"] == 120
    assert r.json()["active"] is False and r.json()["updated_at"] >= made["updated_at"]
    url, raw, headers = shopify(made, SHOPIFY_ORDER)  # signed with the old secret
    problem(await client.post(url, content=raw, headers=headers), 401, "unauthenticated")
    url, raw, headers = shopify(made, SHOPIFY_ORDER, secret="the-new-secret")
    assert (await client.post(url, content=raw, headers=headers)).json()["kept"] is True  # (kept while off too)
    r = await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"),
                           json={"credentials": {"consumer_key": "ck"}})
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "credentials.consumer_key"
    problem(await client.patch("/v1/connectors/con_nothing", json={}, headers=keys.h("admin")), 404, "not_found")


async def test_platform_references_map_to_known_skus(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    url = f"/v1/connectors/{made['id']}/skus"
    r = await client.put(url, headers=keys.h("admin"), json={"items": [
        {"platform_ref": "44120009", "sku": "SKU-A"}, {"platform_ref": "44120017", "sku": "SKU-NOPE"}]})
    assert problem(r, 422, "invalid_input")["errors"] == [{"field": "items.1.sku", "reason": "no product 'SKU-NOPE'"}]
    r = await client.put(url, headers=keys.h("admin"), json={"items": [
        {"platform_ref": "44120009", "sku": "SKU-A"}, {"platform_ref": "44120009", "sku": "SKU-B"}]})
    assert "mapped twice" in problem(r, 422, "invalid_input")["detail"]
    items = [{"platform_ref": f"4412{n:04d}", "sku": ("SKU-A", "SKU-B", "SKU-C")[n % 3]} for n in range(25)]
    assert (await client.put(url, headers=keys.h("admin"), json={"items": items})).json() == {"mapped": 25}
    first = (await client.get(url, params={"limit": 10}, headers=keys.h("admin"))).json()
    assert first["total"] == 25 and first["items"] == items[:10]
    rest = (await client.get(url, params={"limit": 20, "cursor": first["next_cursor"]}, headers=keys.h("admin"))).json()
    assert rest["items"] == items[10:] and rest["next_cursor"] is None
    # Replaced whole.
    assert (await client.put(url, headers=keys.h("admin"), json={"items": items[:2]})).json() == {"mapped": 2}
    assert (await client.get(url, headers=keys.h("admin"))).json()["total"] == 2


async def test_a_signed_delivery_is_kept_once_however_often_it_comes(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    url, raw, headers = shopify(made, SHOPIFY_ORDER)
    r = await client.post(url, content=raw, headers=headers)  # no API key: the signature authenticates
    assert r.status_code == 200, r.text
    assert r.json() == {"kept": True, "duplicate": False, "delivery_id": headers["X-Shopify-Webhook-Id"], "why": None}
    again = await client.post(url, content=raw, headers=headers)  # the platform's retry
    assert again.json()["kept"] is True and again.json()["duplicate"] is True
    assert await inbox_rows(ctx) == 1
    kept = (await client.get(f"/v1/connectors/{made['id']}/inbox", headers=keys.h("admin"))).json()["items"]
    assert len(kept) == 1 and kept[0]["status"] == "pending" and kept[0]["topic"] == "orders/create"
    assert json.loads(kept[0]["body"]) == SHOPIFY_ORDER
    assert kept[0]["headers"]["x-shopify-event-id"] == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    # The update of the same order is another delivery.
    url, raw, headers = shopify(made, {**SHOPIFY_ORDER, "updated_at": "2026-11-30T09:30:00+01:00"},
                                delivery="c0ffee00-0000-4000-8000-000000000001", topic="orders/updated")
    assert (await client.post(url, content=raw, headers=headers)).json()["duplicate"] is False
    assert await inbox_rows(ctx) == 2


async def test_an_unsigned_or_missigned_delivery_is_refused_and_nothing_is_kept(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    url, raw, headers = shopify(made, SHOPIFY_ORDER)
    tampered = raw.replace(b'"quantity": 2', b'"quantity": 20')
    for body, sent in ((tampered, headers), (raw, {**headers, "X-Shopify-Hmac-Sha256": signed("guess", raw)}),
                       (raw, {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"})):
        problem(await client.post(url, content=body, headers=sent), 401, "unauthenticated")
    # A bad signature, an unknown connector and one of a kind that does not push: the same words.
    words = problem(await client.post(url, content=tampered, headers=headers), 401, "unauthenticated")["detail"]
    polled = await make(client, keys, kind="prestashop", base_url="https://atelier.example.fr",
                        credentials={"api_key": "ps-key"})
    for other in ("/v1/connectors/con_nothing/webhooks", f"/v1/connectors/{polled['id']}/webhooks"):
        r = await client.post(other, content=raw, headers=headers)
        assert problem(r, 401, "unauthenticated")["detail"] == words
    # A signature header of characters no HMAC is written with is a bad signature, not an error.
    r = await client.post(url, content=raw, headers={**headers, "X-Shopify-Hmac-Sha256": b"\xe9t\xe9=="})
    problem(r, 401, "unauthenticated")
    # Only the webhook door takes no API key.
    problem(await client.post(url + "/more", content=raw, headers=headers), 401, "unauthenticated")
    assert await inbox_rows(ctx) == 0


async def test_other_topics_and_bodies_that_are_no_order(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    url, raw, headers = shopify(made, {"id": 1}, topic="products/update")
    r = await client.post(url, content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["kept"] is False and "products/update" in r.json()["why"]
    for raw in (b"[1, 2]", b"not json", "{\"id\": 1}".encode("utf-16")):
        headers = {**headers, "X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": signed(SHOP_SECRET, raw)}
        r = await client.post(url, content=raw, headers=headers)
        assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "body"
    assert await inbox_rows(ctx) == 0


async def test_woocommerce_pings_first_then_signs_its_deliveries(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys, kind="woocommerce", base_url="https://atelier-lumiere.fr",
                      credentials={"consumer_key": "ck_1f2e", "consumer_secret": "cs_9a8b",
                                   "webhook_secret": WOO_SECRET},
                      shipping_modes={"flat_rate": "home_standard", "local_pickup": "click_and_collect"})
    url = made["webhook_url"]
    r = await client.post(url, content=b"webhook_id=14",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["kept"] is False and r.json()["why"] == "the platform's ping"
    raw = json.dumps(WOO_ORDER).encode()
    headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
               "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "created",
               "X-WC-Webhook-Signature": signed(WOO_SECRET, raw), "X-WC-Webhook-ID": "14",
               "X-WC-Webhook-Delivery-ID": "a1f9c3e07b5d4e2a"}
    r = await client.post(url, content=raw, headers=headers)
    assert r.json() == {"kept": True, "duplicate": False, "delivery_id": "a1f9c3e07b5d4e2a", "why": None}
    # A ping's shape with a body that is no ping is a delivery like any other: unsigned, refused.
    problem(await client.post(url, content=b"webhook_id=14&x=1"), 401, "unauthenticated")
    kept = (await client.get(f"/v1/connectors/{made['id']}/inbox", params={"status": "pending"},
                             headers=keys.h("admin"))).json()["items"]
    assert [k["delivery_id"] for k in kept] == ["a1f9c3e07b5d4e2a"] and kept[0]["headers"]["x-wc-webhook-id"] == "14"


async def test_a_mapping_file_replaces_each_named_connectors_mapping_or_nothing(ctx, client, tmp_path):
    keys = await seed(ctx, client)
    shop = await make(client, keys)
    woo = await make(client, keys, kind="woocommerce", base_url="https://atelier-lumiere.fr",
                     credentials={"consumer_key": "ck", "consumer_secret": "cs", "webhook_secret": WOO_SECRET})
    bad = (f"connector_id;platform_ref;sku\n{shop['id']};44120009;SKU-A\n{woo['id']};LAMPE-ZINC;SKU-Z\n"
           f"con_nothing;1;SKU-A\n{shop['id']};44120009;SKU-B\n")
    assert await errors_of(ctx, tmp_path, Kind.CONNECTOR_SKUS, "skus.csv", bad) == [
        "skus.csv line 4, column connector_id: no connector 'con_nothing'"]
    bad = bad.replace("con_nothing", woo["id"])
    assert await errors_of(ctx, tmp_path, Kind.CONNECTOR_SKUS, "skus.csv", bad) == [
        "skus.csv line 3, column sku: no product 'SKU-Z'",
        "skus.csv line 5, column platform_ref: '44120009' is mapped twice"]
    good = f"connector_id,platform_ref,sku\n{shop['id']},44120009,SKU-A\n{woo['id']},LAMPE-ZINC,SKU-B\n"
    await client.put(f"/v1/connectors/{shop['id']}/skus", headers=keys.h("admin"),
                     json={"items": [{"platform_ref": "old", "sku": "SKU-C"}]})
    assert await load(ctx, tmp_path, Kind.CONNECTOR_SKUS, "skus.csv", good) == 2
    for made, expected in ((shop, [{"platform_ref": "44120009", "sku": "SKU-A"}]),
                           (woo, [{"platform_ref": "LAMPE-ZINC", "sku": "SKU-B"}])):
        got = (await client.get(f"/v1/connectors/{made['id']}/skus", headers=keys.h("admin"))).json()
        assert got["items"] == expected  # (the shop's "old" reference replaced)


def test_the_command_lists_the_connectors_and_what_waits_in_their_inbox(database_url):
    async def setup(ctx):
        from oms.demo.load import SYSTEM
        from oms.services.connectors import inbox, settings
        from oms.services.connectors.inputs import ConnectorIn

        made = await settings.create(ctx, ConnectorIn(
            kind="shopify", channel="web", base_url="https://maison-du-bol.myshopify.com",
            credentials={"api_token": "t", "webhook_secret": SHOP_SECRET}), principal=SYSTEM)
        raw = json.dumps(SHOPIFY_ORDER).encode()
        await inbox.receive(ctx, made["id"], raw, {"x-shopify-topic": "orders/create",
                                                  "x-shopify-hmac-sha256": signed(SHOP_SECRET, raw)})
        return made["id"]

    runner = CliRunner()
    env = {"OMS_DATABASE_URL": database_url, "OMS_SECRET_KEY": SECRET_KEY, "COLUMNS": "250"}
    assert "no connectors" in runner.invoke(app, ["connectors", "list"], env=env).output
    made = on_a_context(database_url, setup, secret_key=SECRET_KEY)
    result = runner.invoke(app, ["connectors", "list"], env=env)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if made in line)
    assert "shopify" in row and "api_token, webhook_secret" in row and row.rstrip(" │").endswith("1")
    assert SHOP_SECRET not in result.output


async def test_a_platforms_address_is_not_slowed_by_one_connectors_bad_signatures(ctx, client):
    keys = await seed(ctx, client)
    stale, fine = await make(client, keys), await make(client, keys)
    ctx.throttle.__init__(3)  # three failures a minute
    async with at_address(ctx, "23.227.38.65") as platform:  # one address, every shop's deliveries
        for n in range(6):
            url, raw, headers = shopify(stale, SHOPIFY_ORDER, delivery=f"d-{n}", secret="the-secret-before")
            problem(await platform.post(url, content=raw, headers=headers), 401, "unauthenticated")
        url, raw, headers = shopify(fine, SHOPIFY_ORDER)
        assert (await platform.post(url, content=raw, headers=headers)).json()["kept"] is True
        # (API keys guessed from there are still slowed down)
        for n in range(3):
            await platform.get("/v1/orders", headers={"Authorization": f"Bearer guess-{n}"})
        problem(await platform.get("/v1/orders", headers=keys.h("admin")), 429, "too_many_failures")
        assert (await platform.post(url, content=raw, headers=headers)).json()["duplicate"] is True


async def test_credentials_sealed_with_another_key_are_given_again(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys)
    other = Fernet(Fernet.generate_key()).encrypt(json.dumps(
        {"api_token": "t", "webhook_secret": SHOP_SECRET}).encode()).decode()
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connectors).values(sealed_credentials=other))
    url, raw, headers = shopify(made, SHOPIFY_ORDER)
    r = await client.post(url, content=raw, headers=headers)
    assert "another OMS_SECRET_KEY" in problem(r, 503, "unavailable")["detail"]  # the platform sends it again
    r = await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"),
                           json={"credentials": {"webhook_secret": SHOP_SECRET}})
    assert "give them again" in problem(r, 409, "conflict")["detail"]
    r = await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"),
                           json={"credentials": {"api_token": "t2", "webhook_secret": SHOP_SECRET}})
    assert r.status_code == 200, r.text
    assert (await client.post(url, content=raw, headers=headers)).json()["kept"] is True
