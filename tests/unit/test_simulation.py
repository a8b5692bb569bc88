"""The simulation's parts that are plain computation: scenarios checked as data, the customers drawn, their
choice, the world's answers."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from oms.demo.generate import build
from oms.domain.calendar import calendar_from
from oms.domain.errors import InvalidInput
from oms.domain.geo import haversine_km
from oms.domain.lead_times import Band, CarrierService, NodeTimes
from oms.domain.reference import NodeRef, ProductRef
from oms.simulation.choice import choose
from oms.simulation.demand import Demand, population
from oms.simulation.kpis import kpis
from oms.simulation.report import html
from oms.simulation.run import Tally
from oms.simulation.scenario import Choice, Scenario, built_in, load_configuration, load_scenario
from oms.simulation.seeds import combine, interval
from oms.simulation.world import LocalTime, World, matches

PARIS = ZoneInfo("Europe/Paris")
DAY = {"name": "t", "channels": {"web": {"share": 1.0, "profile": "p"}}, "profiles": {"p": [1.0] * 24}}


def test_the_built_in_scenarios_and_configurations_are_valid():
    assert set(built_in("scenarios")) == {"ordinary-weekday", "black-friday", "store-strike", "dc-outage"}
    for name in built_in("scenarios"):
        assert load_scenario(name).name == name
    for name in ("cost_optimal", "nearest", "priority"):
        assert load_configuration(name).sourcing is not None
    assert load_scenario("black-friday").orders_per_day == 4 * load_scenario("ordinary-weekday").orders_per_day


@pytest.mark.parametrize(("change", "named"), [
    ({"channels": {"web": {"share": 0.5, "profile": "p"}}}, "add up to 1"),
    ({"channels": {"web": {"share": 1.0, "profile": "evening"}}}, "profiles lack"),
    ({"profiles": {"p": [1.0] * 23}}, "24 hourly weights"),
    ({"incidents": [{"kind": "node_closed"}]}, "names its nodes"),
    ({"incidents": [{"kind": "flash_sale", "sku": "DEC-0001"}]}, "orders it brings"),
    ({"incidents": [{"kind": "carrier_off", "carrier": "x", "day": 3}]}, "beyond the scenario"),
    ({"orders_per_day": 0}, "greater than or equal to 1"),
])
def test_a_wrong_scenario_is_refused_by_name(tmp_path, change, named):
    path = tmp_path / "s.json"
    path.write_text(__import__("json").dumps({**DAY, **change}))
    with pytest.raises(InvalidInput) as caught:
        load_scenario(str(path))
    assert named in caught.value.detail


def test_an_unknown_scenario_names_the_built_in_ones():
    with pytest.raises(InvalidInput, match="ordinary-weekday"):
        load_scenario("no-such-day")


@pytest.mark.parametrize(("today", "starts", "first"), [
    (date(2026, 12, 8), "tue", date(2026, 12, 15)),  # a Tuesday: the next one
    (date(2026, 12, 7), "tue", date(2026, 12, 8)),
    (date(2026, 12, 8), "black-friday", date(2027, 11, 26)),
    (date(2027, 11, 1), "black-friday", date(2027, 11, 26)),
    (date(2028, 11, 2), "black-friday", date(2028, 11, 24)),  # 4th Thursday of November 2028: the 23rd
])
def test_the_first_day(today, starts, first):
    assert Scenario.model_validate({**DAY, "starts": starts}).first_day(today) == first


def _demand(seed: int, scenario: Scenario | None = None) -> Demand:
    products, nodes, stock = build()
    refs = {p.sku: ProductRef(p.sku, p.name, p.weight_g, p.price.amount, p.price.currency, p.bulky, p.hazardous)
            for p in products}
    held: dict[str, int] = {}
    for row in stock:
        held[row.sku] = held.get(row.sku, 0) + row.on_hand
    stores = [NodeRef(n.id, n.type, n.name, n.address.lat, n.address.lng, n.timezone, frozenset(), frozenset(), True)
              for n in nodes if n.type == "store"]
    return Demand(scenario or load_scenario("ordinary-weekday"), refs, held, stores, np.random.default_rng(seed),
                  scale=0.05)


def test_the_same_seed_brings_the_same_customers_and_another_seed_others():
    first = _demand(7).arrivals(date(2027, 3, 9))
    assert first == _demand(7).arrivals(date(2027, 3, 9))
    assert first != _demand(8).arrivals(date(2027, 3, 9))


def test_customers_come_by_channel_and_hour_as_the_profiles_say():
    arrivals = _demand(1).arrivals(date(2027, 3, 9))
    assert 900 <= len(arrivals) <= 1100  # 5 % of 20,000
    assert arrivals == sorted(arrivals, key=lambda a: a.at)
    local = [(a.channel, a.at.astimezone(PARIS)) for a in arrivals]
    assert all(t.date() == date(2027, 3, 9) for _, t in local)
    stores = [t.hour for c, t in local if c == "store"]
    assert stores and all(9 <= h <= 20 for h in stores)  # the tills' hours (the profile: 09:00 to 21:00)
    web = [t.hour for c, t in local if c == "web"]
    assert sum(1 for h in web if 19 <= h < 23) > 3 * sum(1 for h in web if 1 <= h < 5)  # evening, not night


def test_till_customers_live_near_their_store_and_the_others_where_the_french_live():
    demand = _demand(2)
    arrivals = demand.arrivals(date(2027, 3, 9))
    stores = {s.id: s for s in demand.stores}
    for a in arrivals:
        if a.store_id:
            store = stores[a.store_id]
            assert haversine_km(store.lat, store.lng, a.place.lat, a.place.lng) < 40
    places, people = population()
    assert abs(people.sum() - 1) < 1e-9 and all(p.postal_code < "97" for p in places)
    paris = sum(1 for a in arrivals if not a.store_id and a.place.postal_code.startswith("75"))
    others = sum(1 for a in arrivals if not a.store_id)
    assert 0.01 < paris / others < 0.10  # Paris: about 3.5 % of the French


def test_carts_favour_what_the_network_holds_and_sofas_come_alone():
    demand = _demand(3)
    carts = [demand.cart() for _ in range(3000)]
    assert all(len({s for s, _ in c}) == len(c) for c in carts)  # a SKU once per cart
    assert all(q == 1 for c in carts for s, q in c if s in demand.bulky)
    bought = {s for c in carts for s, _ in c}
    assert len(bought) > 150  # a long tail, not a handful


def _option(mode: str, price: int, days: float, now: datetime) -> dict:
    return {"mode": mode, "price": {"amount": price, "currency": "EUR"},
            "latest": (now + timedelta(days=days)).isoformat()}


def test_customers_choose_cheaper_and_sooner_and_walk_away_from_the_unbearable():
    now = datetime(2027, 3, 9, 20, tzinfo=PARIS)
    rng = np.random.default_rng(1)
    neutral = Choice(taste={}, walk_away=-100.0)
    cheap, dear = _option("home_standard", 0, 2, now), _option("home_standard", 2000, 2, now)
    picks = [choose([cheap, dear], now, neutral, rng)["price"]["amount"] for _ in range(500)]
    assert picks.count(0) > 0.9 * len(picks)
    soon, late = _option("home_standard", 500, 1, now), _option("home_standard", 500, 8, now)
    picks = [choose([soon, late], now, neutral, rng)["latest"] for _ in range(500)]
    assert picks.count(soon["latest"]) > 0.9 * len(picks)
    unbearable = _option("home_standard", 9900, 30, now)
    assert sum(choose([unbearable], now, Choice(taste={}), rng) is None for _ in range(200)) > 190
    assert choose([], now, neutral, rng) is None


def test_nodes_are_named_by_id_type_or_prefix():
    node = NodeRef("ST-LYON", "store", "x", 45.0, 4.0, "Europe/Paris", frozenset(), frozenset(), True)
    assert matches(node, ["ST-LYON"]) and matches(node, ["store"]) and matches(node, ["ST-*"])
    assert not matches(node, ["ST-LYON-*"]) and not matches(node, ["warehouse"])


def _run(name: str, kept: float, cost: int) -> dict:
    return {"name": name, "description": "", "started": "2027-03-09T00:00:00+01:00",
            "kpis": {"promise_kept": kept, "cost_per_order": cost, "promise_kept_by_mode": {"locker": kept},
                     "orders_captured": 100},
            "hourly_orders": {"web": [1] * 24}, "store_load": {"ST-LYON": [0] * 10 + [5] * 14}}


def test_seeds_give_means_intervals_and_paired_differences():
    per_seed = [[_run("a", 0.95, 900), _run("b", 0.97, 850 + s)] for s in range(5)]
    combined, differences = combine(per_seed)
    assert [c["name"] for c in combined] == ["a", "b"]
    assert combined[1]["kpis"]["cost_per_order"] == 852 and len(combined[1]["seeds"]) == 5
    cost = combined[1]["intervals"]["cost_per_order"]
    assert cost["low"] < 852 < cost["high"]
    versus = differences[0]
    assert versus["configuration"] == "b" and versus["against"] == "a"
    assert versus["kpis"]["cost_per_order"]["mean"] == -48
    assert versus["kpis"]["promise_kept"]["low"] == versus["kpis"]["promise_kept"]["high"] == 0.02  # no spread
    assert interval([3.0]) == {"mean": 3.0, "low": None, "high": None}


def test_the_html_report_stands_alone():
    report = {"scenario": "x<y", "seeds": [1], "scale": 1.0, "started": "2027-03-09T00:00:00+01:00",
              "configurations": [_run("a&b", 0.95, 900)], "invariants": {"inventory_check": "clean",
                                                                          "capacity": [{"node_id": "ST-LYON"}]}}
    page = html(report)
    assert page.startswith("<!doctype html>") and page.count("<svg") == 4
    assert "x&lt;y" in page and "a&amp;b" in page and "x<y" not in page
    assert "http" not in page and "<script" not in page  # nothing fetched, nothing run
    assert "capacity: 1 rows wrong" in page


def _world(**nodes_rule) -> World:
    week = {d: [["10:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    calendar = calendar_from("Europe/Paris", week, {})
    store = NodeRef("ST-A", "store", "A", 48.85, 2.35, "Europe/Paris", frozenset(), frozenset(), True,
                    daily_capacity=60)  # one order each 10 minutes of its 600 open minutes
    scenario = Scenario.model_validate({**DAY, "nodes": nodes_rule,
                                        "incidents": [{"kind": "node_closed", "at": "14:00", "nodes": ["store"]},
                                                      {"kind": "carrier_off", "carrier": "c", "day": 1}]})
    carrier = CarrierService("c", frozenset({"home_standard"}), (Band(150.0, 1, 2),))
    world = World(scenario, {"ST-A": store}, {"ST-A": NodeTimes(calendar, 60, time(17))}, (carrier,),
                  np.random.default_rng(5), date(2027, 3, 9))
    world.incidents(LocalTime(PARIS))
    return world


def test_nodes_answer_in_their_hours_and_not_once_closed():
    world = _world(silent_share=0.0, reject_share={})
    early = datetime(2027, 3, 9, 8, 0, tzinfo=PARIS)  # before it opens
    what, when = world.answer("ST-A", early)
    opening = datetime(2027, 3, 9, 10, 0, tzinfo=PARIS)
    assert what == "accept" and opening < when < opening + timedelta(hours=1)
    what, when = world.answer("ST-A", datetime(2027, 3, 9, 15, 0, tzinfo=PARIS))
    assert what == "closed" and when == datetime(2027, 3, 9, 15, 5, tzinfo=PARIS)


def test_a_node_works_through_its_queue_at_the_pace_of_its_capacity():
    world = _world()
    opening = datetime(2027, 3, 9, 10, 0, tzinfo=PARIS)
    done = [world.picked_by("ST-A", opening) for _ in range(12)]
    assert done[0] < opening + timedelta(hours=1)
    assert done[-1] > opening + timedelta(minutes=110)  # the twelfth starts after eleven others, 10 minutes each


def test_pickers_find_what_is_on_the_shelf_only():
    world = _world()
    world.shelves = {("ST-A", "X"): 1, ("ST-A", "Y"): 5}
    assert world.found("ST-A", [("X", 2), ("Y", 2)]) == {"X": 1, "Y": 2}
    assert world.shelves == {("ST-A", "X"): 0, ("ST-A", "Y"): 3}


def test_carriers_deliver_on_their_days_in_their_hours_and_skip_their_day_off():
    world = _world()
    carrier = world.carriers[0]
    local = LocalTime(PARIS)
    saturday = datetime(2027, 3, 13, 17, 0, tzinfo=PARIS)
    when = world.delivered(carrier, saturday, 1, local)  # Sunday is not one of its days: Monday
    assert when.date() == date(2027, 3, 15) and time(8) <= when.timetz().replace(tzinfo=None) <= time(20)
    monday = datetime(2027, 3, 8, 17, 0, tzinfo=PARIS)
    assert world.delivered(carrier, monday, 1, local).date() == date(2027, 3, 10)  # its day off, the 9th, skipped
    assert world.pickup_day_off(carrier, datetime(2027, 3, 9, 17, tzinfo=PARIS), local)
    store = world.nodes["ST-A"]
    _, days, late = world.carrier_for("home_standard", [], store, (48.9, 2.4))
    assert 1 <= days and late == (days > 2)
    assert world.carrier_for("locker", [], store, (48.9, 2.4)) is None


def test_a_promise_is_kept_when_the_order_reaches_the_customer_by_its_latest():
    end = datetime(2027, 3, 20, tzinfo=PARIS)
    latest = "2027-03-11T20:00:00+01:00"
    on_time, after = datetime(2027, 3, 11, 12, tzinfo=PARIS), datetime(2027, 3, 12, 9, tzinfo=PARIS)

    def order(id, status, reached, mode="home_standard", latest=latest):
        return {"id": id, "status": status, "reached": reached, "latest": latest, "mode": mode, "cost": 500,
                "parts": 1, "at_risk": False, "resourced": 0, "rejected": 0, "short": 0}

    orders = [order("kept", "delivered", on_time), order("late", "delivered", after),
              order("never", "shipped", None),  # its window closed before the end
              order("open", "shipped", None, latest="2027-03-25T20:00:00+01:00"),  # not due yet
              order("uncollected", "cancelled", on_time, "locker"),  # ready in time, sent back: kept
              order("broken", "delivered", on_time),  # customer service cancelled its missing lines
              order("cancelled", "cancelled", None)]  # by the customer: no promise due
    tally = Tally(captured=len(orders), ended=end, given_up={"broken"}, flags={"late": {"the carrier was late"}})
    found = kpis(tally, orders, [], [], set(), PARIS)
    assert found["promise_kept"] == round(2 / 5, 4) and found["late"] == 3
    assert found["promise_kept_by_mode"] == {"home_standard": 0.25, "locker": 1.0}
    assert found["late_because"] == {"nothing went wrong: the promise was too optimistic": 2,
                                     "the carrier was late": 1}
    assert found["reached"] == 4 and found["split_rate"] == 0.0 and found["cost_per_order"] == 500


def test_a_wrong_configuration_or_file_is_refused_by_name(tmp_path):
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "é"}'.encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_scenario(str(latin))
    wrong = tmp_path / "c.json"
    wrong.write_text('{"name": "c", "nodes": {"store": {"daily_capacity": 10, "colour": "red"}}}')
    with pytest.raises(InvalidInput, match="colour cannot be changed"):
        load_configuration(str(wrong))
    wrong.write_text('{"name": "c", "sourcing": {"strategies": [{"strategy": "priority"}]}}')
    with pytest.raises(InvalidInput, match="needs node_groups"):
        load_configuration(str(wrong))
