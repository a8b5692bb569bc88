"""Odd and hostile requests: each gets a clear 4xx problem, never a 500, and changes nothing it should not."""

import pytest

from oms.services.reference.keys import create_key
from tests.support import WHY, act, capture, confirm, ful_at, order, problem, seed


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"customer": {"name": "A\u0000da", "email": "ada@example.com"}}, "customer.name"),
        ({"external_ref": "WEB\u00001"}, "external_ref"),
        ({"lines": [{"sku": "SKU-A", "quantity": 1, "unit_price": {"amount": 10**19, "currency": "EUR"}}]},
         "lines.0.unit_price.amount"),
        ({"delivery": {"mode": "home_standard", "pickup_node_id": "ST-LYON",
                       "address": order()["delivery"]["address"]}}, "delivery.pickup_node_id"),
    ],
)
async def test_bad_order_fields_are_refused_by_name(ctx, client, patch, field):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json={**order("HARD-1"), **patch}, headers=keys.h("web"))
    assert field in [e["field"] for e in problem(r, 422, "invalid_input")["errors"]]
    assert (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/orders", {"customer_email": "a\u0000b"}),
        ("/v1/orders", {"cursor": "W3t9XQ"}),  # [{}]
        ("/v1/orders", {"cursor": "WzFd"}),  # [1]
        ("/v1/inventory", {"cursor": "WyJhIl0"}),  # ["a"]: inventory cursors hold two keys
        ("/v1/orders", {"cursor": "not base64 at all!"}),
    ],
)
async def test_bad_query_values_are_422_not_500(ctx, client, path, params):
    keys = await seed(ctx, client)
    problem(await client.get(path, params=params, headers=keys.h("admin")), 422, "invalid_input")


async def test_stock_and_sizes_beyond_what_a_count_column_holds_are_refused(ctx, client):
    keys = await seed(ctx, client)
    r = await client.put("/v1/inventory", headers=keys.h("admin"),
                         json=[{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 3_000_000_000}])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.0.on_hand"]


async def test_an_empty_cancel_list_is_refused(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("HARD-2"))
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={**WHY, "lines": []}, headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "lines"


async def test_an_idempotency_key_reused_for_another_order_is_a_conflict(ctx, client):
    keys = await seed(ctx, client)
    headers = {**keys.h("web"), "Idempotency-Key": "cart-7"}
    first = await client.post("/v1/orders", json=order("HARD-3"), headers=headers)
    assert first.status_code == 201
    r = await client.post("/v1/orders", json=order("HARD-4"), headers=headers)
    body = problem(r, 409, "idempotency_conflict")
    assert "HARD-3" in body["detail"] and body["order_id"] == first.json()["id"]


async def test_on_a_transfer_only_the_collecting_store_readies_and_hands_over(ctx, client):
    keys = await seed(ctx, client)
    # SKU-B is at the DC (and in Lyon), not in the Paris store: the DC sends it to ST-PARIS.
    placed = await capture(client, keys, order("HARD-5", [("SKU-B", 1)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    f = ful_at(placed, "DC-PARIS")
    dc, _ = await create_key(ctx, role="node", scope="DC-PARIS")
    dc_key = {"Authorization": f"Bearer {dc}"}
    await confirm(client, dc_key, f["id"], "accept")
    await confirm(client, dc_key, f["id"], "ship", carrier="dpd", tracking_number="T9")
    problem(await act(client, dc_key, f["id"], "ready"), 403, "forbidden")
    problem(await act(client, keys.h("store_paris"), f["id"], "ship"), 403, "forbidden")
    ready = await confirm(client, keys.h("store_paris"), f["id"], "ready")
    code = ful_at(ready, "DC-PARIS")["details"]["pickup_code"]
    problem(await act(client, dc_key, f["id"], "collect", pickup_code=code), 403, "forbidden")
    assert (await confirm(client, keys.h("store_paris"), f["id"], "collect", pickup_code=code))["status"] == "collected"


async def test_a_node_sees_only_its_own_part_of_an_order(ctx, client):
    keys = await seed(ctx, client)
    # SKU-A from the Paris store, SKU-C (2 wanted) only in Lyon: two fulfilment orders.
    placed = await capture(client, keys, order("HARD-6", [("SKU-A", 1), ("SKU-C", 3)]))
    assert sorted(f["node_id"] for f in placed["fulfillments"]) == ["ST-LYON", "ST-PARIS"]
    answer = await confirm(client, keys.h("store_paris"), ful_at(placed, "ST-PARIS")["id"], "accept")
    assert [f["node_id"] for f in answer["fulfillments"]] == ["ST-PARIS"]
    queue = (await client.get("/v1/fulfillments", headers=keys.h("store_lyon"))).json()["items"]
    assert [(f["node_id"], f["order"]["customer"]["name"]) for f in queue] == [("ST-LYON", "Ada")]
    assert queue[0]["order"]["delivery"]["address"]["city"] == "Paris"


async def test_a_revoked_key_is_refused_and_channel_scopes_are_checked(ctx, client):
    from oms.domain.errors import InvalidInput
    from oms.services.reference.keys import revoke_key

    keys = await seed(ctx, client)
    plain, principal = await create_key(ctx, role="viewer")
    assert (await client.get("/v1/orders", headers={"Authorization": f"Bearer {plain}"})).status_code == 200
    await revoke_key(ctx, principal.key_id)
    problem(await client.get("/v1/orders", headers={"Authorization": f"Bearer {plain}"}), 401, "unauthenticated")
    with pytest.raises(InvalidInput):
        await create_key(ctx, role="channel", scope="WEB")
    assert keys.web
