"""The tables of every lifecycle: holds, returns and webhook deliveries beside fulfilment orders; each status
reachable from where its entity starts, final statuses without a way out, and the groups of statuses."""

from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.api.webhooks import DeliveryStatus
from oms.domain.errors import IllegalTransition
from oms.domain.lifecycle import (
    CANCEL_ASKED,
    CANCELLABLE,
    CLOSED,
    DELIVERY_TRANSITIONS,
    DROPPED,
    FULFILLMENT_TRANSITIONS,
    HANDOVER_STEPS,
    HOLD_TRANSITIONS,
    HOLDING,
    LEAVING,
    REACHED,
    RETURN_TRANSITIONS,
    SETTLED,
    STAMPED,
    UNWORKED,
    DStatus,
    FStatus,
    HStatus,
    OStatus,
    RStatus,
    check_delivery_transition,
    check_hold_transition,
    check_return_transition,
)
from oms.domain.returns import Disposition, allot, apply, status_of
from oms.domain.webhooks import ATTEMPTS, after_attempt

F, H, R, D = FStatus, HStatus, RStatus, DStatus

# Each table, the statuses its entity is created in, and its final statuses.
TABLES = {
    "fulfillment": (FULFILLMENT_TRANSITIONS, FStatus, {F.BACKORDERED, F.PLANNED, F.RELEASED}, CLOSED),
    "hold": (HOLD_TRANSITIONS, HStatus, {H.ACTIVE}, {H.RELEASED, H.EXPIRED, H.CONVERTED}),
    "return": (RETURN_TRANSITIONS, RStatus, {R.REQUESTED}, {R.RECEIVED, R.CANCELLED}),
    "delivery": (DELIVERY_TRANSITIONS, DStatus, {D.PENDING}, set()),  # any delivery may be replayed
}


@pytest.mark.parametrize("name", TABLES)
def test_every_status_has_its_row_and_is_reachable_from_where_its_entity_starts(name):
    table, kind, starts, _ = TABLES[name]
    assert set(table) == set(kind)
    assert all(to <= set(kind) for to in table.values())
    seen, todo = set(starts), list(starts)
    while todo:
        for nxt in table[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(kind)


@pytest.mark.parametrize("name", TABLES)
def test_final_statuses_have_no_way_out_and_the_others_have_one(name):
    table, kind, _, final = TABLES[name]
    assert {s for s in kind if not table[s]} == set(final)


@pytest.mark.parametrize(
    ("current", "requested"),
    [(H.ACTIVE, H.RELEASED), (H.ACTIVE, H.EXPIRED), (H.ACTIVE, H.CONVERTED), ("active", "converted")],
)
def test_an_active_hold_is_released_expires_or_becomes_an_order(current, requested):
    assert check_hold_transition(current, requested) == requested


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (H.ACTIVE, H.ACTIVE),
        (H.RELEASED, H.RELEASED),  # releasing an ended hold is no move: it changes nothing
        (H.RELEASED, H.ACTIVE),
        (H.EXPIRED, H.RELEASED),
        (H.EXPIRED, H.CONVERTED),  # an order naming an expired hold competes for stock like any other
        (H.CONVERTED, H.RELEASED),
        (H.CONVERTED, H.EXPIRED),
    ],
)
def test_an_ended_hold_is_final(current, requested):
    _refused(check_hold_transition, "hold", current, requested)


def _refused(check, entity: str, current: str, requested: str) -> None:
    """The move is refused with an error naming both statuses."""
    with pytest.raises(IllegalTransition) as exc:
        check(current, requested)
    assert exc.value.extra == {"current_status": current, "requested_status": requested}
    assert exc.value.detail == f"{entity} is {current!r} and cannot become {requested!r}"


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (R.REQUESTED, R.PARTIALLY_RECEIVED),
        (R.REQUESTED, R.AWAITING_INSPECTION),
        (R.REQUESTED, R.RECEIVED),
        (R.REQUESTED, R.CANCELLED),
        (R.PARTIALLY_RECEIVED, R.PARTIALLY_RECEIVED),  # more units, not all yet
        (R.PARTIALLY_RECEIVED, R.AWAITING_INSPECTION),
        (R.PARTIALLY_RECEIVED, R.RECEIVED),
        (R.AWAITING_INSPECTION, R.AWAITING_INSPECTION),  # some kept units judged, others still waiting
        (R.AWAITING_INSPECTION, R.RECEIVED),
    ],
)
def test_a_return_moves_as_its_units_are_received_and_judged(current, requested):
    assert check_return_transition(current, requested) == requested


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (R.REQUESTED, R.REQUESTED),
        (R.PARTIALLY_RECEIVED, R.CANCELLED),  # something came back: no more calling it off
        (R.AWAITING_INSPECTION, R.CANCELLED),
        (R.AWAITING_INSPECTION, R.PARTIALLY_RECEIVED),
        (R.PARTIALLY_RECEIVED, R.REQUESTED),
        (R.RECEIVED, R.CANCELLED),
        (R.RECEIVED, R.AWAITING_INSPECTION),
        (R.CANCELLED, R.RECEIVED),
        (R.CANCELLED, R.REQUESTED),
    ],
)
def test_illegal_return_moves_name_both_statuses(current, requested):
    _refused(check_return_transition, "return", current, requested)


def line(no, sku, quantity):
    return {"line_no": no, "sku": sku, "quantity": quantity, "received": 0, "restocked": 0, "damaged": 0,
            "to_inspect": 0}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("AB"), st.integers(1, 4)), min_size=1, max_size=3),
       st.lists(st.tuples(st.booleans(), st.sampled_from("AB"), st.integers(1, 4), st.sampled_from(Disposition)),
                max_size=8))
def test_every_receipt_and_inspection_is_a_move_of_the_table(spec, steps):
    """Receipts and inspections as the service takes them (whole, or refused with nothing changed): each
    status the units give the return is one the table lets it move to."""
    lines = [line(i + 1, sku, q) for i, (sku, q) in enumerate(spec)]
    for inspecting, sku, quantity, disposition in steps:
        if inspecting and disposition == Disposition.INSPECT:
            continue  # an inspection concludes restock or damaged
        before = status_of(lines)
        if inspecting and before == R.REQUESTED:
            continue  # refused: nothing of the return was received yet
        takes, errors = allot(lines, [(sku, quantity, disposition)],
                              room="to_inspect" if inspecting else "to_receive")
        if errors:
            continue
        apply(lines, takes, inspecting=inspecting)
        assert check_return_transition(before, status_of(lines)) == status_of(lines)


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (D.PENDING, D.DELIVERED),
        (D.PENDING, D.PENDING),  # a failed attempt, tried again later (or a replay of a pending one)
        (D.PENDING, D.DEAD),
        (D.DEAD, D.PENDING),  # replayed
        (D.DELIVERED, D.PENDING),  # replayed when named
    ],
)
def test_a_delivery_is_tried_until_delivered_or_dead_and_any_may_be_replayed(current, requested):
    assert check_delivery_transition(current, requested) == requested


@pytest.mark.parametrize(
    ("current", "requested"),
    [(D.DELIVERED, D.DELIVERED), (D.DELIVERED, D.DEAD), (D.DEAD, D.DEAD), (D.DEAD, D.DELIVERED)],
)
def test_delivered_and_dead_deliveries_move_only_when_replayed(current, requested):
    _refused(check_delivery_transition, "webhook delivery", current, requested)


def test_after_an_attempt_a_delivery_is_delivered_tried_again_or_dead():
    assert after_attempt(True, 1) == D.DELIVERED
    assert after_attempt(True, ATTEMPTS) == D.DELIVERED
    assert after_attempt(False, 1) == D.PENDING
    assert after_attempt(False, ATTEMPTS - 1) == D.PENDING
    assert after_attempt(False, ATTEMPTS) == D.DEAD


def test_the_delivery_log_filter_lists_the_delivery_statuses():
    assert get_args(DeliveryStatus) == tuple(s.value for s in DStatus) == ("pending", "delivered", "dead")


def test_status_words_are_the_stored_strings():
    assert [s.value for s in HStatus] == ["active", "released", "expired", "converted"]
    assert [s.value for s in DStatus] == ["pending", "delivered", "dead"]
    assert [s.value for s in RStatus] == ["requested", "partially_received", "awaiting_inspection", "received",
                                          "cancelled"]


def test_the_groups_of_fulfilment_statuses_agree_with_the_table():
    can_cancel = {s for s, to in FULFILLMENT_TRANSITIONS.items() if F.CANCELLED in to}
    assert set(CANCELLABLE) <= can_cancel and len(set(CANCELLABLE)) == len(CANCELLABLE)
    assert set(HOLDING) < set(CANCELLABLE) and set(UNWORKED) < set(CANCELLABLE)
    assert set(CANCEL_ASKED) < set(CANCELLABLE)
    assert set(DROPPED) < CLOSED and set(REACHED) < CLOSED and not set(DROPPED) & set(REACHED)
    assert not set(HOLDING) & CLOSED
    # Each group names statuses a fulfilment order reaches by a move.
    targets = set().union(*FULFILLMENT_TRANSITIONS.values())
    assert set(LEAVING) | STAMPED | HANDOVER_STEPS | set(DROPPED) <= targets


def test_settled_orders_are_those_with_nothing_left_to_send():
    assert set(SETTLED) == {OStatus.DELIVERED, OStatus.COLLECTED, OStatus.PARTIALLY_RETURNED, OStatus.RETURNED,
                            OStatus.CANCELLED}
