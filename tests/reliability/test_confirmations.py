"""Node confirmations sent again and out of order (shipped before picked, accepted after shipped): each is
applied, answered the same again, or refused with a clear problem; the stock always matches the final
state. And the node role matrix: a store's key can neither see nor confirm another store's work."""

import random

import pytest

from oms.domain.errors import IllegalTransition
from oms.domain.lifecycle import ACTIONS, check_transition
from oms.services.stock.check import stock_differences
from tests.support import act, capture, on_hand_reserved, order, problem, seed

HOME_ACTIONS = ["accept", "pick", "ship", "deliver", "reject", "ready", "collect"]
WHY = {"reject": {"reason": "none left"}}  # a rejection says why


def expected(sequence: list[str]) -> tuple[str, list[int]]:
    """The final status and the answer to each message, as the lifecycle says."""
    status, answers = "released", []
    for action in sequence:
        requested = ACTIONS[action]
        if requested == status:
            answers.append(200)  # sent again: changes nothing
            continue
        try:
            check_transition(status, requested, pickup=False)
        except IllegalTransition:
            answers.append(409)
            continue
        status = requested
        answers.append(200)
    return status, answers


async def test_confirmations_repeated_and_out_of_order_never_corrupt_the_order_or_the_stock(ctx, client):
    keys = await seed(ctx, client)
    store = keys.h("store_paris")
    rng = random.Random(2026)
    for n in range(12):
        sequence = [rng.choice(HOME_ACTIONS) for _ in range(rng.randint(3, 9))]
        if n % 3 == 0:  # the usual flow, each message sent twice and the pairs shuffled a little
            sequence = [a for a in ("accept", "pick", "ship", "deliver") for _ in range(2)]
            i = rng.randrange(len(sequence) - 1)
            sequence[i], sequence[i + 1] = sequence[i + 1], sequence[i]
        placed = await capture(client, keys, order(f"CF-{n}", [("SKU-A", 2)]))
        [ful] = placed["fulfillments"]
        assert ful["node_id"] == "ST-PARIS"
        before = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
        final, answers = expected(sequence)
        got = []
        for action in sequence:
            r = await act(client, store, ful["id"], action, **WHY.get(action, {}))
            got.append(r.status_code)
            if r.status_code == 409:
                assert r.json()["code"] == "illegal_transition" and r.json()["requested_status"] == ACTIONS[action]
        assert got == answers, sequence
        view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
        [mine] = [f for f in view["fulfillments"] if f["id"] == ful["id"]]
        assert mine["status"] == final, sequence
        on_hand, reserved = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
        if final in ("shipped", "delivered"):
            assert (on_hand, reserved) == (before[0] - 2, before[1] - 2), sequence  # left once
        elif final == "rejected":
            assert reserved == before[1] - 2, sequence  # released (and sourced elsewhere)
        else:
            assert (on_hand, reserved) == before, sequence
        # Five free units again for the next order (those still held stay held).
        await client.put("/v1/inventory", json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": reserved + 5}],
                         headers=keys.h("admin"))
    assert await stock_differences(ctx) == []


@pytest.mark.parametrize("action", ["accept", "reject", "pick", "ship", "ready"])
async def test_a_store_key_cannot_see_or_confirm_another_stores_work(ctx, client, action):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("RM-1", [("SKU-A", 1)]))
    [ful] = placed["fulfillments"]
    assert ful["node_id"] == "ST-PARIS"
    lyon = keys.h("store_lyon")
    problem(await act(client, lyon, ful["id"], action, **WHY.get(action, {})), 404, "not_found")
    problem(await client.get(f"/v1/fulfillments/{ful['id']}", headers=lyon), 404, "not_found")
    listed = (await client.get("/v1/fulfillments", params={"node_id": "ST-PARIS"}, headers=lyon))
    assert listed.status_code == 403 or listed.json()["items"] == []
    got = (await client.get(f"/v1/fulfillments/{ful['id']}", headers=keys.h("store_paris"))).json()
    assert got["status"] == "released"  # untouched
