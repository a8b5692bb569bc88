"""The demo retailer: the same every time, shaped like a real French network, and ready to take orders."""

import re
import stat
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from oms.cli import app
from oms.demo.generate import build
from oms.demo.load import ROLES, load_demo, read_keys
from oms.services.reference import records
from oms.services.stock import feeds
from oms.services.stock.inputs import StockIn
from tests.support import ADMIN, order


def test_two_builds_are_identical():
    assert build() == build()


def test_the_network_and_catalogue_look_like_a_retailer():
    products, nodes, stock = build()
    types = Counter(n.type for n in nodes)
    assert types["warehouse"] == 2 and types["supplier"] == 1
    assert 38 <= types["store"] <= 45 and 8 <= types["locker"] <= 12
    for n in nodes:
        # Metropolitan France, with a real postal code and the French timezone.
        assert 41.3 < n.address.lat < 51.1 and -5.2 < n.address.lng < 9.6, n.id
        assert re.fullmatch(r"\d{5}", n.address.postal_code) and n.address.country == "FR", n.id
        assert n.timezone == "Europe/Paris" and n.opening_hours.model_dump(exclude_defaults=True), n.id
    stores = [n for n in nodes if n.type == "store"]
    assert all({"click_and_collect", "one_hour"} <= set(n.fulfills) for n in stores)
    assert any(n.opening_hours.sun for n in stores) and not all(n.opening_hours.sun for n in stores)
    assert all(n.fulfills == [] and n.hands_over == ["locker"] for n in nodes if n.type == "locker")
    assert [n.fulfills for n in nodes if n.type == "supplier"] == [["home_standard"]]

    assert 450 <= len(products) <= 550
    assert len({p.sku for p in products}) == len(products) and len({p.name for p in products}) == len(products)
    assert 20 <= sum(p.bulky for p in products) <= 100 and 5 <= sum(p.hazardous for p in products) <= 60
    assert all(p.price.currency == "EUR" and p.price.amount > 0 for p in products)
    assert {p.sku.split("-")[0] for p in products} == {"FUR", "LIG", "KIT", "TEX", "DEC", "GAR"}


def test_stock_is_spread_the_way_the_demo_needs():
    products, nodes, stock = build()
    type_of = {n.id: n.type for n in nodes}
    total, holders = Counter(), defaultdict(set)
    for s in stock:
        total[s.sku] += s.on_hand
        holders[s.sku].add(type_of[s.node_id])
    bulky = {p.sku for p in products if p.bulky}
    others = [p.sku for p in products if not p.bulky]

    assert set(total) == {p.sku for p in products}  # every SKU can be sold somewhere
    assert all(type_of[s.node_id] != "locker" for s in stock)
    assert all(holders[sku] <= {"warehouse", "supplier"} for sku in bulky)
    assert any(holders[sku] == {"supplier"} for sku in bulky)
    scarce = [sku for sku in others if total[sku] <= 3]
    dc_only = [sku for sku in others if holders[sku] == {"warehouse"} and total[sku] > 3]
    store_only = [sku for sku in others if holders[sku] == {"store"} and total[sku] > 3]
    assert len(scarce) >= 15 and len(dc_only) >= 15 and len(store_only) >= 15
    in_many_stores = Counter(s.sku for s in stock if type_of[s.node_id] == "store")
    assert sum(1 for sku in others if in_many_stores[sku] >= 20) > len(products) / 2


async def count(ctx) -> dict:
    products = await records.list_products(ctx, cursor=None, limit=1000)
    nodes = await records.list_nodes(ctx, type=None, cursor=None, limit=1000)
    stock = await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id=None, cursor=None, limit=20_000)
    return {"products": len(products["items"]), "nodes": len(nodes["items"]),
            "units": sum(r["on_hand"] for r in stock["items"])}


async def test_load_demo_then_if_empty_loads_nothing(ctx, tmp_path):
    keys_file = tmp_path / "var" / "demo-keys.txt"
    summary = await load_demo(ctx, if_empty=True, keys_file=keys_file)
    assert summary.loaded
    assert summary.nodes == {"warehouse": 2, "supplier": 1, "store": 42, "locker": 10, "pickup_point": 361}
    assert await count(ctx) == {"products": summary.products, "nodes": 416, "units": summary.units}

    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert read_keys(keys_file) == summary.keys
    assert [(k.role, k.scope) for k in summary.keys] == list(ROLES)
    for k in summary.keys:
        principal = await ctx.keys.authenticate(ctx.db, k.key)
        assert (principal.role, principal.scope) == (k.role, k.scope)

    # A count taken since must survive: a second run with if_empty writes nothing.
    first = summary.keys[0]
    sku = (await records.list_products(ctx, cursor=None, limit=1))["items"][0]["sku"]
    await feeds.set_stock(ctx, [StockIn(node_id="DC-PARIS-NORD", sku=sku, on_hand=777)])
    before = await count(ctx)
    again = await load_demo(ctx, if_empty=True, keys_file=keys_file)
    assert not again.loaded and again.keys == summary.keys and again.keys[0] == first
    assert await count(ctx) == before


async def test_loading_again_keeps_the_keys_on_file(ctx, tmp_path):
    keys_file = tmp_path / "demo-keys.txt"
    first = await load_demo(ctx, if_empty=False, keys_file=keys_file)
    second = await load_demo(ctx, if_empty=False, keys_file=keys_file)
    assert second.loaded and second.keys == first.keys


async def test_orders_can_be_captured_on_the_demo(ctx, client, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    key = {k.role: k.key for k in summary.keys}
    web = {"Authorization": f"Bearer {key['channel']}"}
    def on_hand(node_id):
        return records.list_inventory(ctx, principal=ADMIN, sku=None, node_id=node_id, cursor=None, limit=1000)

    at_dc = {r["sku"] for r in (await on_hand("DC-PARIS-NORD"))["items"] if r["available"] >= 1}
    sku = next(r["sku"] for r in (await on_hand("ST-PARIS-RIVOLI"))["items"] if r["available"] >= 3
               and r["sku"] in at_dc)

    home = await client.post("/v1/orders", json=order("DEMO-HOME", lines=((sku, 1),)), headers=web)
    assert home.status_code == 201, home.text
    assert home.json()["fulfillments"][0]["node_id"].startswith(("ST-PARIS-", "DC-"))  # sent from near Paris

    collect = await client.post("/v1/orders", json=order("DEMO-CC", lines=((sku, 1),), mode="click_and_collect",
                                                         pickup_node_id="ST-PARIS-RIVOLI"), headers=web)
    assert collect.status_code == 201, collect.text
    assert collect.json()["fulfillments"][0]["node_id"] == "ST-PARIS-RIVOLI"
    locker = await client.post("/v1/orders", json=order("DEMO-LK", lines=((sku, 1),), mode="locker",
                                                        pickup_node_id="LK-PARIS-GARE-DE-LYON"), headers=web)
    assert locker.status_code == 201, locker.text
    assert locker.json()["fulfillments"][0]["node_id"].startswith("DC-")  # lockers are filled from the DCs

    # The node key works for the Paris store and sees the click-and-collect order in its queue.
    queue = await client.get("/v1/fulfillments", headers={"Authorization": f"Bearer {key['node']}"})
    assert queue.status_code == 200, queue.text
    assert collect.json()["id"] in {f["order_id"] for f in queue.json()["items"]}


def test_the_command_loads_the_demo_and_shows_the_keys(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the keys file goes to ./var
    runner = CliRunner()
    env = {"OMS_DATABASE_URL": database_url}
    result = runner.invoke(app, ["demo", "--if-empty"], env=env)
    assert result.exit_code == 0, result.output
    assert "Demo retailer loaded" in result.output and "store 42" in result.output
    keys = read_keys(tmp_path / "var" / "demo-keys.txt")
    assert len(keys) == 4 and all(k.key in result.output for k in keys)
    # With the stores' 90 days of sales, fed through their tills' path: a run proposes from them.
    sold = re.search(r"Sales\s+history:\s+(\d+)\s+movements\s+over\s+90\s+days", result.output)
    assert sold and int(sold.group(1)) > 100_000, result.output
    check = runner.invoke(app, ["inventory", "check"], env=env)
    assert check.exit_code == 0 and "consistent" in check.output, check.output
    proposed = runner.invoke(app, ["replenish", "--node", "ST-PARIS-RIVOLI", "--shown", "5"], env=env)
    assert proposed.exit_code == 0, proposed.output
    found = re.search(r"1\s+stores,\s+(\d+)\s+proposals,\s+(\d+)\s+units", proposed.output)
    assert found and int(found.group(1)) > 10 and int(found.group(2)) > 50, proposed.output

    result = runner.invoke(app, ["demo", "--if-empty"], env=env)
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output and all(k.key in result.output for k in keys)


async def test_the_demo_promises_delivery_options(ctx, client, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    web = {"Authorization": f"Bearer {next(k.key for k in summary.keys if k.role == 'channel')}"}
    at_dc = (await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id="DC-PARIS-NORD", cursor=None,
                                            limit=50))["items"]
    sku = next(r["sku"] for r in at_dc if r["available"] >= 2)
    r = await client.post("/v1/promise", params={"explain": True}, headers=web, json={
        "channel": "web", "lines": [{"sku": sku, "quantity": 1}], "destination": {"lat": 48.8606, "lng": 2.3376}})
    assert r.status_code == 200, r.text
    modes = {o["mode"] for o in r.json()["options"]}
    assert {"home_standard", "click_and_collect", "locker"} <= modes, r.json()["absent"]
    # Express, unless on that evening it would come no sooner than standard (a weekend, a holiday).
    absent = {a["mode"]: a["reason"] for a in r.json()["absent"]}
    assert "home_express" in modes or absent["home_express"].startswith("no faster than home standard"), absent
    asked = datetime.fromisoformat(r.json()["at"])
    assert all(datetime.fromisoformat(o["earliest"]) > asked and o["promise_id"] for o in r.json()["options"])


def _next(now: datetime, weekday: int | None, clock: time, month_day: tuple[int, int] | None = None) -> datetime:
    """The first Paris wall-clock ``clock`` after ``now`` on that ISO weekday (or that month and day): within
    a year of it, as a what-if promise must be."""
    day = now.astimezone(ZoneInfo("Europe/Paris")).date()
    while (weekday is not None and day.isoweekday() != weekday) or (month_day and (day.month, day.day) != month_day) \
            or datetime.combine(day, clock, tzinfo=ZoneInfo("Europe/Paris")) <= now:
        day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=ZoneInfo("Europe/Paris"))


async def test_the_demo_offers_express_only_when_faster_and_names_one_hour_by_its_minutes(ctx, client, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    web = {"Authorization": f"Bearer {next(k.key for k in summary.keys if k.role == 'channel')}"}
    rivoli = {r["sku"] for r in (await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id="ST-PARIS-RIVOLI",
                                                              cursor=None, limit=1000))["items"] if r["available"] >= 2}
    at_dc = [r["sku"] for r in (await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id="DC-PARIS-NORD",
                                                             cursor=None, limit=1000))["items"] if r["available"] >= 2]
    sku = next(s for s in at_dc if s in rivoli and not s.startswith("FUR"))  # a small thing, at the DC and a store
    now = ctx.clock.now()
    # A Saturday evening after the carriers' last pickup (express used to come a day after standard), Christmas
    # Eve's evening, a Monday before the stores open, a Wednesday afternoon when the couriers ride.
    instants = [_next(now, 6, time(19, 30)), _next(now, None, time(19, 30), (12, 24)), _next(now, 1, time(5)),
                _next(now, 3, time(15, 7))]
    seen = Counter()
    for at in instants:
        r = await client.post("/v1/promise", params={"explain": True}, headers=web, json={
            "channel": "web", "lines": [{"sku": sku, "quantity": 1}], "destination": {"lat": 48.8606, "lng": 2.3376},
            "at": at.isoformat()})
        assert r.status_code == 200, r.text
        by_mode = {o["mode"]: o for o in r.json()["options"]}
        seen.update(by_mode.keys())
        express, standard = by_mode.get("home_express"), by_mode.get("home_standard")
        if express and standard:
            fast, slow = ({k: datetime.fromisoformat(o[k]) for k in ("earliest", "latest")}
                          for o in (express, standard))
            assert fast["latest"] < slow["latest"] and fast["earliest"] <= slow["earliest"], (at, r.json())
        elif standard:  # never offered dearer for nothing; the reason says so
            reason = {a["mode"]: a["reason"] for a in r.json()["absent"]}["home_express"]
            assert reason.startswith("no faster than home standard") or "express" in reason, (at, reason)
        for o in r.json()["options"]:
            if o["mode"] == "one_hour":
                assert datetime.fromisoformat(o["latest"]) <= at + timedelta(minutes=o["within_minutes"]), o
            else:
                assert o["within_minutes"] is None, o
    assert seen["home_standard"] == len(instants) and seen["one_hour"] >= 1, seen
