"""On the demo retailer, relay points: a few hundred shops found nearest first, a parcel delivered to one
only while it is open and within its limits, sent back to the DC when nobody collects it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oms.db import tables as t
from oms.demo.generate import build
from oms.demo.load import load_demo
from oms.services.fulfillment.uncollected import send_back_uncollected
from oms.services.reference import records
from tests.integration.test_demo import _next
from tests.support import ADMIN, confirm, order, problem

PARIS_TZ = ZoneInfo("Europe/Paris")
PARIS = {"lat": 48.8606, "lng": 2.3376}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def _demo(ctx, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    keys = {k.role: {"Authorization": f"Bearer {k.key}"} for k in summary.keys}
    at_dc = {r["sku"]: r["available"] for r in (await records.list_inventory(
        ctx, principal=ADMIN, sku=None, node_id="DC-PARIS-NORD", cursor=None, limit=1000))["items"]}
    products, _, _ = build()
    return keys, [p for p in products if at_dc.get(p.sku, 0) >= 2]


def _small(products):
    """A product a relay point takes: light, small, neither bulky nor hazardous."""
    return next(p for p in products if not (p.bulky or p.hazardous) and p.weight_g < 3000
                and p.length_mm + p.width_mm + p.height_mm < 1000)


async def _points(client, headers, **params):
    r = await client.get("/v1/pickup-points", params={**PARIS, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _promise(client, headers, sku, at=None):
    body = {"channel": "web", "lines": [{"sku": sku, "quantity": 1}], "destination": PARIS}
    if at is not None:
        body["at"] = at.isoformat()
    r = await client.post("/v1/promise", params={"explain": True}, headers=headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _open_at(point: dict, text: str) -> bool:
    """Whether the point's weekly hours cover this instant (its local wall clock)."""
    local = datetime.fromisoformat(text).astimezone(PARIS_TZ)
    clock = local.strftime("%H:%M")
    return any(start <= clock <= end for start, end in point["opening_hours"].get(DAYS[local.weekday()], []))


async def test_relay_points_near_an_address_come_nearest_first_with_their_hours_and_limits(ctx, client, tmp_path):
    keys, _ = await _demo(ctx, tmp_path)
    web = keys["channel"]
    points = await _points(client, web)
    assert len(points) == 10  # Paris has thirty within 10 km
    distances = [p["distance_km"] for p in points]
    assert distances == sorted(distances) and distances[-1] <= 10
    for p in points:
        assert p["type"] == "pickup_point" and p["id"].startswith("PR-") and p["address"]["country"] == "FR"
        assert p["takes"]["max_weight_g"] == 30_000 and p["takes"]["max_sides_mm"] == 1500
        assert not p["takes"]["bulky"] and not p["takes"]["hazardous"]
        assert p["collect_within_days"] == 10 and p["opening_hours"] and p["next_open"]
    assert [p["id"] for p in await _points(client, web, limit=3)] == [p["id"] for p in points[:3]]
    assert all(p["distance_km"] <= 1 for p in await _points(client, web, radius_km=1))
    lockers = await _points(client, web, mode="locker")
    assert lockers and all(p["type"] == "locker" and p["id"].startswith("LK-PARIS") for p in lockers)
    assert await _points(client, web, lat=47.0, lng=-30.0) == []  # the middle of the Atlantic

    for bad, field in (({"lat": 91}, "lat"), ({"mode": "home_standard"}, "mode"), ({"radius_km": 500}, "radius_km"),
                       ({"limit": 51}, "limit")):
        body = problem(await client.get("/v1/pickup-points", params={**PARIS, **bad}, headers=web), 422,
                       "invalid_input")
        assert field in str(body), body
    problem(await client.get("/v1/pickup-points", params=PARIS, headers=keys["node"]), 403, "forbidden")
    assert (await client.get("/v1/pickup-points", params=PARIS)).status_code == 401


async def test_a_point_lists_the_holidays_it_is_shut_on(ctx, client, tmp_path):
    keys, _ = await _demo(ctx, tmp_path)
    eve = _next(ctx.clock.now(), None, time(10, 0), (12, 20))
    ctx.clock.set(eve)
    holidays = [date(eve.year, 12, 25), date(eve.year + 1, 1, 1)]
    listed = 0
    for point in await _points(client, keys["channel"]):
        for day in holidays:  # shut on those days, listed where its hours would have it open
            opens = bool(point["opening_hours"].get(DAYS[day.weekday()]))
            assert (day.isoformat() in point["closed_on"]) == opens, (day, point)
            listed += opens
    assert listed


async def test_a_small_parcel_goes_to_a_relay_point_in_its_opening_hours(ctx, client, tmp_path):
    keys, products = await _demo(ctx, tmp_path)
    web, sku = keys["channel"], _small(products).sku
    points = {p["id"]: p for p in await _points(client, web, limit=50)}
    answer = await _promise(client, web, sku)
    offered = [o for o in answer["options"] if o["mode"] == "pickup_point"]
    assert offered, answer["absent"]
    for o in offered:
        assert o["pickup_node_id"] in points and o["services"] == ["relais"] and o["parcels"] == 1
        assert _open_at(points[o["pickup_node_id"]], o["earliest"]), (o, points[o["pickup_node_id"]])
        assert _open_at(points[o["pickup_node_id"]], o["latest"]), (o, points[o["pickup_node_id"]])
    # The nearest three that can take it are offered, nearest first.
    assert [o["pickup_node_id"] for o in offered] == [i for i in points if i in {o["pickup_node_id"] for o in offered}]

    # On Christmas Eve at 19:30, none is delivered on Christmas Day (every shop is shut) nor on a day its own
    # shop is closed.
    eve = _next(ctx.clock.now(), None, time(19, 30), (12, 24))
    for o in (o for o in (await _promise(client, web, sku, eve))["options"] if o["mode"] == "pickup_point"):
        for moment in (o["earliest"], o["latest"]):
            local = datetime.fromisoformat(moment).astimezone(PARIS_TZ)
            assert (local.month, local.day) != (12, 25) and _open_at(points[o["pickup_node_id"]], moment), o


async def test_a_sofa_or_a_lamp_oil_never_goes_to_a_relay_point(ctx, client, tmp_path):
    keys, products = await _demo(ctx, tmp_path)
    sofa = next(p for p in products if p.bulky and p.weight_g > 30_000)
    oil = next(p for p in products if p.hazardous)
    for product, limit in ((sofa, "bulky"), (oil, "hazardous")):
        answer = await _promise(client, keys["channel"], product.sku)
        assert "pickup_point" not in {o["mode"] for o in answer["options"]}
        reason = {a["mode"]: a["reason"] for a in answer["absent"]}["pickup_point"]
        assert product.sku in reason and limit in reason, reason


async def test_a_parcel_left_at_a_relay_point_goes_back_to_the_nearest_dc(ctx, client, tmp_path):
    keys, products = await _demo(ctx, tmp_path)
    web, admin, sku = keys["channel"], keys["admin"], _small(products).sku
    option = next(o for o in (await _promise(client, web, sku))["options"] if o["mode"] == "pickup_point")
    point = option["pickup_node_id"]
    r = await client.post("/v1/orders", headers=web, json=order(
        "DEMO-RELAY-1", lines=((sku, 1),), mode="pickup_point", pickup_node_id=point,
        promise_id=option["promise_id"]))
    assert r.status_code == 201, r.text
    placed = r.json()
    [f] = placed["fulfillments"]
    assert placed["delivery"]["promised"]["latest"] == option["latest"]
    async with ctx.db.read() as conn:
        taken = {row.resource for row in await conn.execute(
            select(t.capacity_use.c.resource).where(t.capacity_use.c.used > 0))}
    assert point in taken  # a place in the shop's day

    await confirm(client, admin, f["id"], "accept")
    await confirm(client, admin, f["id"], "ship", carrier="relais", tracking_number="RELAY-1")
    assert (await confirm(client, admin, f["id"], "ready"))["status"] == "ready_for_pickup"
    now = ctx.clock.now()
    assert await send_back_uncollected(ctx, at=now + timedelta(days=9, hours=23)) == 0
    assert await send_back_uncollected(ctx, at=now + timedelta(days=10, minutes=1)) == 1
    [ret] = (await client.get("/v1/returns", params={"order_id": placed["id"]}, headers=admin)).json()["items"]
    assert (ret["kind"], ret["node_id"]) == ("undelivered", "DC-PARIS-NORD")
    assert ret["lines"][0]["reason"] == "not collected within 10 days"
