"""Daily capacity in the domain: a full day pushes the work to the next day with room; nodes with room
are planned first; claims are counted in the one order every writer locks them in."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from oms.domain.calendar import Calendar, hours
from oms.domain.capacity import NO_LIMITS, Capacity, around_busy, counted
from oms.domain.errors import OutOfStock
from oms.domain.lead_times import Band, CarrierService, NodeTimes, Rate
from oms.domain.promise import Leg, NoRoom, delivered, prepared_at, transferred
from oms.domain.sourcing import Candidate, Need, plan_first_rule

PARIS = ZoneInfo("Europe/Paris")
# A store open Monday to Saturday 10:00-20:00; Sunday closed. Preparing an order takes 45 minutes.
STORE = NodeTimes(Calendar("Europe/Paris", {d: (hours("10:00", "20:00"),) for d in range(1, 7)}), 45, time(17))
DC = NodeTimes(Calendar("Europe/Paris", {d: (hours("06:00", "23:00"),) for d in range(1, 7)}), 60, time(23))
STD = CarrierService("std", frozenset({"home_standard"}), (Band(800, 1, 2),), rates=(Rate(800, 500),))
SHUTTLE = CarrierService("shuttle", frozenset({"transfer"}), (Band(1000, 1, 1),), rates=(Rate(1000, 300),))
FRIDAY = datetime(2026, 12, 4, 14, 0, tzinfo=PARIS)


def test_without_limits_work_starts_when_ordered():
    assert NO_LIMITS.start("ST", STORE, FRIDAY) == FRIDAY
    assert Capacity({"ST": 2}, {("ST", FRIDAY.date()): 1}).start("ST", STORE, FRIDAY) == FRIDAY


def test_a_full_day_moves_the_work_to_the_next_open_day_with_room():
    friday, saturday = date(2026, 12, 4), date(2026, 12, 5)
    full_friday = Capacity({"ST": 2}, {("ST", friday): 2})
    option = prepared_at("click_and_collect", "ST", STORE, FRIDAY, full_friday)
    assert option.earliest == datetime(2026, 12, 5, 10, 45, tzinfo=PARIS)  # Saturday at opening, prepared
    assert option.claims == (("ST", saturday),)
    # Saturday full too: Sunday is closed, so Monday.
    both = Capacity({"ST": 2}, {("ST", friday): 2, ("ST", saturday): 5})
    assert prepared_at("click_and_collect", "ST", STORE, FRIDAY, both).earliest == \
        datetime(2026, 12, 7, 10, 45, tzinfo=PARIS)


def test_work_ending_tomorrow_is_counted_tomorrow():
    late = datetime(2026, 12, 4, 19, 50, tzinfo=PARIS)  # ten minutes before closing: ready Saturday 10:35
    option = prepared_at("click_and_collect", "ST", STORE, late, Capacity({"ST": 1}, {("ST", date(2026, 12, 4)): 1}))
    assert option.claims == (("ST", date(2026, 12, 5)),)
    assert option.earliest == datetime(2026, 12, 5, 10, 35, tzinfo=PARIS)


def test_a_node_with_no_capacity_has_no_room_at_all():
    with pytest.raises(NoRoom):
        prepared_at("click_and_collect", "ST", STORE, FRIDAY, Capacity({"ST": 0}))


def test_home_delivery_from_a_full_dc_leaves_a_day_later():
    leg = Leg("DC", DC, 30.0)
    free = delivered("home_standard", [leg], [STD], FRIDAY)
    full = delivered("home_standard", [leg], [STD], FRIDAY, Capacity({"DC": 10}, {("DC", date(2026, 12, 4)): 10}))
    assert free.claims == (("DC", date(2026, 12, 4)),) and full.claims == (("DC", date(2026, 12, 5)),)
    assert full.earliest > free.earliest and full.order_by > FRIDAY


def test_a_transfer_to_a_full_store_is_readied_on_its_next_day_with_room():
    leg = Leg("DC", DC, 30.0)
    free = transferred("click_and_collect", leg, [SHUTTLE], "ST", STORE, FRIDAY)
    arrival_day = free.earliest.date()
    full = transferred("click_and_collect", leg, [SHUTTLE], "ST", STORE, FRIDAY,
                       Capacity({"ST": 3}, {("ST", arrival_day): 3}))
    assert [n for n, _ in full.claims] == ["DC", "ST"]
    assert full.claims[1][1] > arrival_day and full.earliest > free.earliest


def test_busy_nodes_are_the_ones_whose_work_would_wait():
    cap = Capacity({"A": 1, "B": 1, "C": 0}, {("A", date(2026, 12, 4)): 1, ("B", date(2026, 12, 7)): 1})
    times = {"A": STORE, "B": STORE, "C": STORE, "D": STORE}
    assert cap.busy(["A", "B", "C", "D"], times, FRIDAY) == {"A", "C"}


def test_planning_passes_over_busy_nodes_while_others_can_send_it_all():
    near, far = Candidate("NEAR", 48.85, 2.35), Candidate("FAR", 45.76, 4.83)
    needs = [Need(1, "SKU", 2)]
    stock = {("NEAR", "SKU"): 5, ("FAR", "SKU"): 5}

    def plan(candidates):
        return plan_first_rule(needs, candidates, stock, (48.85, 2.35))

    assert list(around_busy(plan, [near, far], set())) == ["NEAR"]
    assert list(around_busy(plan, [near, far], {"NEAR"})) == ["FAR"]
    # Only the busy node has the units: it sends them, later.
    assert list(around_busy(plan, [near, far], {"FAR", "NEAR"})) == ["NEAR"]
    short = {("NEAR", "SKU"): 5, ("FAR", "SKU"): 1}
    assert list(around_busy(lambda c: plan_first_rule(needs, c, short, (48.85, 2.35)), [near, far], {"NEAR"})) \
        == ["NEAR"]
    with pytest.raises(OutOfStock):
        around_busy(lambda c: plan_first_rule(needs, c, {}, (48.85, 2.35)), [near, far], {"NEAR"})


def test_claims_are_counted_per_place_in_lock_order_and_only_where_there_is_a_limit():
    d1, d2 = date(2026, 12, 4), date(2026, 12, 5)
    claims = [("ST-B", d1), ("LK", d2), ("ST-B", d1), ("DC", d1), ("ST-A", d2), ("LK", d2)]
    assert counted(claims, {"ST-B": 5, "ST-A": 2, "LK": 9}) == [
        ("LK", d2, 2, 9), ("ST-A", d2, 1, 2), ("ST-B", d1, 2, 5)]
