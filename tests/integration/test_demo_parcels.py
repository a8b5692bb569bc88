"""On the demo retailer, what a product is decides how it can go: a sofa by two people, a lamp oil not by
express, a tea towel in a locker's smallest compartment."""

from sqlalchemy import select

from oms.db import tables as t
from oms.demo.generate import build
from oms.demo.load import load_demo
from oms.services.reference import records
from tests.support import ADMIN, order, problem

PARIS = {"lat": 48.8606, "lng": 2.3376}
BANK = "LK-PARIS-GARE-DE-LYON"


async def _demo(ctx, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    web = {"Authorization": f"Bearer {next(k.key for k in summary.keys if k.role == 'channel')}"}
    at_dc = {r["sku"]: r["available"] for r in (await records.list_inventory(
        ctx, principal=ADMIN, sku=None, node_id="DC-PARIS-NORD", cursor=None, limit=1000))["items"]}
    products, _, _ = build()
    return web, [p for p in products if at_dc.get(p.sku, 0) >= 2]


async def _promise(client, web, sku, quantity=1):
    r = await client.post("/v1/promise", params={"explain": True}, headers=web, json={
        "channel": "web", "lines": [{"sku": sku, "quantity": quantity}], "destination": PARIS})
    assert r.status_code == 200, r.text
    return {o["mode"]: o for o in r.json()["options"]}, {a["mode"]: a["reason"] for a in r.json()["absent"]}


async def test_a_sofa_goes_by_two_people_and_never_to_a_locker_or_a_counter(ctx, client, tmp_path):
    web, at_dc = await _demo(ctx, tmp_path)
    sofa = next(p for p in at_dc if p.bulky and p.weight_g > 30_000)
    offered, absent = await _promise(client, web, sofa.sku)
    assert offered["home_standard"]["services"] == ["deux-personnes"] and offered["home_standard"]["parcels"] == 1
    for mode in ("locker", "click_and_collect", "home_express"):
        assert mode not in offered and sofa.sku in absent[mode] and "bulky" in absent[mode], (mode, absent)

    # Two of them to a locker bank: refused before anything is reserved, naming the sofa and the limit.
    r = await client.post("/v1/orders", headers=web, json=order(
        "DEMO-SOFA-LOCKER", lines=((sofa.sku, 2),), mode="locker", pickup_node_id=BANK))
    body = problem(r, 422, "invalid_input")
    assert sofa.sku in body["detail"] and "bulky" in body["detail"], body
    stock = await records.list_inventory(ctx, principal=ADMIN, sku=sofa.sku, node_id=None, cursor=None, limit=10)
    assert all(row["reserved"] == 0 for row in stock["items"])


async def test_hazardous_goods_go_only_by_the_services_that_take_them(ctx, client, tmp_path):
    web, at_dc = await _demo(ctx, tmp_path)
    oil = next(p for p in at_dc if p.hazardous)
    offered, absent = await _promise(client, web, oil.sku)
    assert offered["home_standard"]["services"] == ["colis-standard"]
    assert "home_express" not in offered and oil.sku in absent["home_express"] and "hazardous" in absent["home_express"]
    assert "locker" not in offered and "hazardous" in absent["locker"]


async def test_a_small_parcel_takes_the_smallest_locker_compartment_it_fits(ctx, client, tmp_path):
    web, at_dc = await _demo(ctx, tmp_path)
    flat = next(p for p in at_dc if not (p.bulky or p.hazardous) and p.height_mm <= 60 and p.width_mm <= 300
                and p.length_mm <= 380 and p.weight_g < 2000)
    offered, _ = await _promise(client, web, flat.sku)
    assert offered["locker"]["parcels"] == 1
    r = await client.post("/v1/orders", headers=web, json=order(
        "DEMO-FLAT-LOCKER", lines=((flat.sku, 1),), mode="locker", pickup_node_id=BANK))
    assert r.status_code == 201, r.text
    async with ctx.db.read() as conn:
        taken = {row.resource for row in await conn.execute(
            select(t.capacity_use.c.resource).where(t.capacity_use.c.used > 0))}
    assert {BANK, f"{BANK}#S"} <= taken and not {f"{BANK}#M", f"{BANK}#L"} & taken, taken
