"""A small day lived through the real service: customers ask the promise and order with it, nodes answer and
ship, carriers deliver, a DC stops in the afternoon; what the service recorded adds up and every invariant
holds."""

from datetime import datetime, time

from sqlalchemy import select

from oms.db import tables as t
from oms.demo.load import load_demo
from oms.services.reads import outcomes
from oms.simulation import invariants
from oms.simulation.kpis import kpis
from oms.simulation.run import Simulation
from oms.simulation.scenario import Scenario, load_configuration
from oms.simulation.simulate import configure

SMALL = {
    "name": "small", "orders_per_day": 36, "settle_days": 2,
    "channels": {"web": {"share": 0.6, "profile": "day"}, "store": {"share": 0.2, "profile": "day"},
                 "marketplace": {"share": 0.2, "profile": "day"}},
    "profiles": {"day": [0] * 9 + [1] * 12 + [0] * 3},
    "nodes": {"walk_in_units": 20, "store_accuracy": 0.9},
    "incidents": [{"kind": "node_closed", "at": "14:00", "nodes": ["DC-PARIS-NORD"]}],
}


async def test_a_small_day_adds_up_and_keeps_every_invariant(ctx, tmp_path):
    await load_demo(ctx, if_empty=False, keys_file=tmp_path / "keys.txt")
    await configure(ctx, load_configuration("priority"))  # the DCs first: the Paris DC has work after 14:00
    simulation = Simulation(ctx, Scenario.model_validate(SMALL), seed=3)
    tally = await simulation.run()
    assert tally.started is not None and tally.ended is not None
    assert tally.offered >= 20 and tally.captured >= 10
    assert tally.offered == tally.captured + tally.walked_away + tally.no_option + sum(tally.refused.values())

    async with ctx.db.read() as conn:
        orders = (await conn.execute(select(t.orders.c.external_ref, t.orders.c.delivery, t.orders.c.created_at)
                                     .where(t.orders.c.external_ref.like("SIM-3-%")))).all()
        closed_work = (await conn.execute(
            select(t.events.c.type, t.events.c.occurred_at).where(
                t.events.c.data["node_id"].as_string() == "DC-PARIS-NORD",
                t.events.c.type.in_(("fulfillment.accepted", "fulfillment.rejected"))))).all()
    assert len(orders) == tally.captured
    # Each order was captured with the promise its customer chose, within the day.
    assert all(o.delivery["promise_id"] and o.delivery["promised"]["latest"] for o in orders)
    assert all(tally.started <= o.created_at < tally.started.replace(hour=23) for o in orders)
    closing = datetime.combine(tally.started.date(), time(14), tally.started.tzinfo)
    after = [kind for kind, at in closed_work if at >= closing]
    assert after and all(kind == "fulfillment.rejected" for kind in after)

    since = tally.started
    found = kpis(tally, await outcomes.orders_since(ctx, since), await outcomes.picked_units(ctx, since),
                 await outcomes.overbooked(ctx, full=True), set(), simulation.local.zone)
    assert found["orders_captured"] == tally.captured
    assert 0 < found["reached"] <= tally.captured
    assert 0 <= found["promise_kept"] <= 1 and found["cost_per_order"] > 0
    assert found["shipments_per_order"] >= 1 and found["cpu_ms_per_order"] > 0
    assert sum(found["chosen_modes"].values()) == tally.captured
    assert await invariants.check(ctx) == {"inventory_check": "clean", "capacity": "clean", "reservations": "clean"}
