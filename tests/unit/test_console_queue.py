"""The store queue's order: the soonest promise first, the late ones marked, each step with its work."""

from datetime import UTC, datetime

from oms.console.store import queue


def work(fid, status, latest=None, node="ST-1", handover=None, offered=(), mode="home_standard"):
    delivery = {"mode": mode, **({"promised": {"latest": latest}} if latest else {})}
    return {"id": fid, "status": status, "node_id": node, "handover_node_id": handover,
            "details": {"offered_to": list(offered)} if offered else {}, "order": {"delivery": delivery}}


def test_steps_sorted_by_promise_with_the_late_marked():
    at = datetime(2026, 11, 28, 12, tzinfo=UTC)
    items = [work("a", "released", "2026-11-29T10:00:00+00:00"), work("b", "released", "2026-11-28T09:00:00+00:00"),
             work("c", "released"), work("d", "released", node="ST-2", offered=["ST-1"]),
             work("e", "accepted"), work("f", "ready_for_pickup", node="DC", handover="ST-1", mode="click_and_collect"),
             work("g", "shipped"), work("h", "released", node="ST-2")]
    steps = queue(items, "ST-1", at)
    assert [f["id"] for f in steps["to_accept"]] == ["b", "a", "c", "d"]
    assert [f["late"] for f in steps["to_accept"]] == [True, False, False, False]
    assert [f["id"] for f in steps["to_pick"]] == ["e"]
    assert [f["id"] for f in steps["to_hand_over"]] == ["f"] and steps["to_hand_over"][0]["transfer"]
    assert steps["to_ready"] == []
