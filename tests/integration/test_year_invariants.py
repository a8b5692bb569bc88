"""The promise, tried on the demo retailer over a whole year: random carts (sofas, lamp oil, heavy rugs
included) to random French towns, at random quarter-hours of the coming year and on the nights and days
that try a retailer (the clock changes, Christmas Eve, public holidays). Every answer must hold:

- no option before now; its order-by between now and its earliest;
- nothing delivered, collected or handed over on a day its place or its carrier is shut, nor outside a
  relay point's or a locker bank's hours;
- express only when it guarantees an earlier delivery and never comes later than standard;
- every product within the limits of the way it goes (its services, the counter or the point receiving it);
- one hour at the door within its stated minutes of the order;
- a promise captured at once is kept by capture, with the same window.

``OMS_YEAR_EXAMPLES`` sets how many carts are tried; the share of carts each mode is offered to is printed
after them (``pytest -s``)."""

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from oms.demo.load import load_demo
from oms.demo.source import read_json
from oms.domain.parcels import received
from oms.services.reference import records
from tests.support import ADMIN

PARIS = ZoneInfo("Europe/Paris")
QUARTER = timedelta(minutes=15)
YEAR = 365 * 96  # quarter-hours
EXAMPLES = int(os.environ.get("OMS_YEAR_EXAMPLES", "60"))
TOWNS = read_json("pickup_points.json")["towns"]  # real French towns: name, postal code, lat, lng, …
CARRIED = ("home_standard", "home_express", "locker", "pickup_point")
OFFERED: Counter[str] = Counter()  # carts each mode was offered to
TRIED: Counter[str] = Counter()


def _trying(start: datetime) -> list[datetime]:
    """The instants of the coming year that try a retailer: each quarter-hour of the nights the clocks change,
    Christmas Eve and New Year's Eve evenings, public holidays, a Saturday night and a Sunday morning."""
    local = start.astimezone(PARIS)
    found = []
    for i in range(366):
        day = local.date() + timedelta(days=i)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=PARIS)
        if (noon - timedelta(days=1)).utcoffset() != noon.utcoffset():  # the clocks changed last night
            midnight = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
            found += [midnight + k * QUARTER for k in range(16)]
        if (day.month, day.day) in ((12, 24), (12, 31)):
            found += [datetime(day.year, day.month, day.day, h, m, tzinfo=PARIS) for h, m in ((17, 45), (19, 30),
                                                                                             (23, 45))]
        if (day.month, day.day) in ((1, 1), (5, 1), (7, 14), (8, 15), (12, 25), (12, 26)):
            found.append(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS))
        if day.isoweekday() == 6:  # Saturday night, Sunday morning
            found.append(datetime(day.year, day.month, day.day, 23, 30, tzinfo=PARIS))
        if day.isoweekday() == 7:
            found.append(datetime(day.year, day.month, day.day, 9, 0, tzinfo=PARIS))
    return [m for m in found if m > start]


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(PARIS)


class Demo:
    """The demo retailer loaded once for the test's examples, with what the checks read: its keys, its stocked
    products, its reference data, and the instants of the coming year to try."""

    def __init__(self, keys: dict, skus: set[str], snap, start: datetime) -> None:
        self.keys, self.snap = keys, snap
        self.products = [snap.products[sku] for sku in sorted(skus)]
        self.carriers = {c.id: c for c in snap.carriers}
        self.start = start - timedelta(minutes=start.minute % 15, seconds=start.second,
                                       microseconds=start.microsecond)
        self.trying = _trying(self.start)


async def _demo(ctx, tmp_path) -> Demo:
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    keys = {k.role: {"Authorization": f"Bearer {k.key}"} for k in summary.keys}
    stocked = {r["sku"] for r in (await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id=None,
                                                              cursor=None, limit=100_000))["items"]
               if r["available"] >= 3}
    return Demo(keys, stocked, await ctx.reference.get(ctx.db), ctx.clock.now())


def _carts(demo: Demo):
    """1 to 3 lines of stocked products, a third of them bulky, hazardous or heavy."""
    products = demo.products
    special = st.sampled_from([p for p in products if p.bulky or p.hazardous or p.weight_g >= 10_000])
    any_product = st.sampled_from(products)
    line = st.tuples(st.one_of(any_product, any_product, special), st.integers(1, 2))
    return st.lists(line, min_size=1, max_size=3, unique_by=lambda x: x[0].sku)


def _destination(data) -> dict:
    name, postal_code, lat, lng, _, radius = data.draw(st.sampled_from(TOWNS), label="town")
    dlat = data.draw(st.floats(-radius, radius), label="km north") / 111
    dlng = data.draw(st.floats(-radius, radius), label="km east") / 75
    return {"line1": "3 rue des Essais", "postal_code": postal_code, "city": name, "country": "FR",
            "lat": round(lat + dlat, 5), "lng": round(lng + dlng, 5)}


def _shut(demo: Demo, node_id: str, moment: datetime) -> bool:
    """Whether the node's calendar has it shut all that local day."""
    calendar = demo.snap.times[node_id].calendar
    return not calendar.is_open_day(calendar.local_date(moment))


def _open_at(demo: Demo, node_id: str, moment: datetime) -> bool:
    calendar = demo.snap.times[node_id].calendar
    return any(opens <= moment <= closes for opens, closes in calendar.spans(calendar.local_date(moment)))


def _done_that_day(demo: Demo, node_id: str, moment: datetime) -> bool:
    """Whether work ordered at ``moment`` is done by the node within its hours the same local day."""
    times = demo.snap.times[node_id]
    done = times.calendar.after_working(moment, times.processing_minutes)
    return done is not None and times.calendar.local_date(done) == times.calendar.local_date(moment)


def _check(demo: Demo, now: datetime, cart: list, options: list[dict]) -> None:
    by_mode: dict[str, list[dict]] = {}
    for o in options:
        by_mode.setdefault(o["mode"], []).append(o)
        mode, earliest, latest, cutoff = o["mode"], _local(o["earliest"]), _local(o["latest"]), _local(o["cutoff"])
        assert now <= earliest <= latest, o
        assert now <= cutoff, o
        if mode in CARRIED and not o["available_from"]:
            assert cutoff <= earliest, o  # the parcel leaves after the last order it takes
        # The cut-off is a moment a node of the option can still do the work that day (its last release).
        assert o["available_from"] or any(_done_that_day(demo, n, cutoff) for n in o["nodes"]), o
        pickup = o["pickup_node_id"]
        services = [demo.carriers[s] for s in o["services"]]
        for service in services:  # a carrier delivers on its own days only, never on its country's holidays
            if service.id != "navette-magasins" and mode in ("home_standard", "home_express", "locker",
                                                             "pickup_point"):
                assert service.delivers_on(earliest.date()) and service.delivers_on(latest.date()), (o, service.id)
        if mode in ("locker", "pickup_point"):  # handed over while the point is open, within its limits
            assert _open_at(demo, pickup, earliest) and _open_at(demo, pickup, latest), o
            node = demo.snap.nodes[pickup]
            takes = received(node.takes, node.compartments)
            assert all(takes.refuses(p, pickup) is None for p, _ in cart), o
        if mode in ("click_and_collect", "reserve_in_store"):  # ready on a day the store opens, in its hours
            assert not _shut(demo, pickup, earliest) and _open_at(demo, pickup, earliest), o
            counter = demo.snap.nodes[pickup].takes
            assert counter is None or all(counter.refuses(p, pickup) is None for p, _ in cart), o
        if mode == "scheduled":
            [node_id] = o["nodes"]
            assert not demo.snap.times[node_id].calendar.closed_by_exception(earliest.date()), o
        if mode == "one_hour":
            assert latest <= now + timedelta(minutes=o["within_minutes"]), o
            [store] = o["nodes"]
            rule = demo.snap.couriers.one_hour[store]
            assert all(rule.takes.refuses(p, store) is None for p, _ in cart), o
        if services:  # each product goes by a service of the option that takes it
            for p, _ in cart:
                assert any(s.takes.refuses(p, s.id) is None for s in services), (o, p.sku)
    if "home_express" in by_mode and "home_standard" in by_mode:
        [fast], [slow] = by_mode["home_express"], by_mode["home_standard"]
        assert _local(fast["latest"]) < _local(slow["latest"]), (fast, slow)
        assert _local(fast["earliest"]) <= _local(slow["earliest"]), (fast, slow)


# Orders captured change the stock and the days' places: a failing example is reported as it came, not shrunk
# (run again, it would meet another network).
@pytest.fixture(scope="module", autouse=True)
def shares():
    """After the year's carts: how often each mode had an option (a report, not a check; ``pytest -s``)."""
    yield
    if TRIED["carts"]:
        offered = ", ".join(f"{mode} {OFFERED[mode] / TRIED['carts']:.0%}" for mode in sorted(OFFERED))
        print(f"\n{TRIED['carts']} random carts over a year; offered: {offered}")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
async def test_a_year_of_promises_holds_its_invariants(ctx, client, tmp_path_factory, data):
    demo = await _year_demo(ctx, tmp_path_factory)
    start = demo.start
    note(f"the year runs from {start.isoformat()} (OMS_TEST_AT={start.isoformat()} tries it again)")
    now = data.draw(st.one_of(
        st.integers(1, YEAR).map(lambda k: start + k * QUARTER),
        st.sampled_from(demo.trying)), label="now").astimezone(PARIS)
    ctx.clock.set(now)
    cart = data.draw(_carts(demo), label="cart")
    address = _destination(data)
    r = await client.post("/v1/promise", headers=demo.keys["channel"], json={
        "channel": "web", "lines": [{"sku": p.sku, "quantity": q} for p, q in cart],
        "destination": {"address": address}})
    assert r.status_code == 200, r.text
    options = r.json()["options"]
    _check(demo, _local(r.json()["at"]), cart, options)  # (the service's now: the clock flows from ``now``)
    TRIED["carts"] += 1
    OFFERED.update({o["mode"] for o in options})

    pick = data.draw(st.integers(0, 50), label="option captured")  # (drawn whatever the answer: see settings)
    kept = [o for o in options if o["promise_id"]]
    if not kept:
        return
    chosen = kept[pick % len(kept)]
    delivery = {"mode": chosen["mode"], "address": address, "promise_id": chosen["promise_id"]}
    if chosen["pickup_node_id"]:
        delivery["pickup_node_id"] = chosen["pickup_node_id"]
    r = await client.post("/v1/orders", headers=demo.keys["channel"], json={
        "channel": "web", "external_ref": f"YEAR-{TRIED['carts']}-{now:%Y%m%d%H%M}",
        "customer": {"name": "Camille", "email": "camille@example.com"},
        "lines": [{"sku": p.sku, "quantity": q, "unit_price": {"amount": p.price_amount, "currency": "EUR"}}
                  for p, q in cart],
        "delivery": delivery})
    assert r.status_code == 201, (chosen, r.text)
    assert r.json()["delivery"]["promised"] == {"promise_id": chosen["promise_id"], "earliest": chosen["earliest"],
                                                "latest": chosen["latest"]}


_LOADED: dict[int, tuple[object, Demo]] = {}


async def _year_demo(ctx, tmp_path_factory) -> Demo:
    """The demo for this test's service (its examples share one: loaded at the first)."""
    if id(ctx) not in _LOADED:
        _LOADED.clear()
        _LOADED[id(ctx)] = (ctx, await _demo(ctx, tmp_path_factory.mktemp("year")))
    return _LOADED[id(ctx)][1]


@pytest.mark.clock_at("2026-12-07T08:45:00+01:00")
async def test_a_promise_split_three_ways_by_two_services_is_kept_by_capture(ctx, client, tmp_path):
    """Found by the year's examples: a cart to Bayonne that three stores send, a chest by two people from one
    of them. Capture's own cost-optimal plan (which counts one parcel at the cheapest rate) chose the nodes
    another way, whose chest came by two people from farther, after the window: the promise's own plan keeps
    it, and is taken."""
    demo = await _demo(ctx, tmp_path)
    cart = [("TEX-0015", 1), ("KIT-0094", 2), ("FUR-0066", 2)]
    address = {"line1": "3 rue des Essais", "postal_code": "64100", "city": "Bayonne", "country": "FR",
               "lat": 43.48873, "lng": -1.48097}
    r = await client.post("/v1/promise", headers=demo.keys["channel"], json={
        "channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in cart], "destination": {"address": address}})
    home = next(o for o in r.json()["options"] if o["mode"] == "home_standard")
    assert len(home["nodes"]) > 1 and "deux-personnes" in home["services"], home
    r = await client.post("/v1/orders", headers=demo.keys["channel"], json={
        "channel": "web", "external_ref": "YEAR-BAYONNE", "customer": {"name": "Camille", "email": "c@example.com"},
        "lines": [{"sku": s, "quantity": q, "unit_price": {"amount": 1000, "currency": "EUR"}} for s, q in cart],
        "delivery": {"mode": "home_standard", "address": address, "promise_id": home["promise_id"]}})
    assert r.status_code == 201, r.text
    assert r.json()["delivery"]["promised"]["latest"] == home["latest"]
