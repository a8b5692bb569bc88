import pytest

from oms.domain.errors import IllegalTransition
from oms.domain.lifecycle import (
    ACTIONS,
    CLOSED,
    FULFILLMENT_TRANSITIONS,
    FStatus,
    OStatus,
    check_transition,
    derive_order_status,
)

F = FStatus


@pytest.mark.parametrize(
    ("current", "requested", "pickup"),
    [
        (F.RELEASED, F.ACCEPTED, False),
        (F.RELEASED, F.REJECTED, True),
        (F.ACCEPTED, F.PICKED, False),
        (F.ACCEPTED, F.SHIPPED, False),
        (F.PICKED, F.SHIPPED, False),
        (F.SHIPPED, F.DELIVERED, False),
        (F.PICKED, F.READY_FOR_PICKUP, True),
        (F.SHIPPED, F.READY_FOR_PICKUP, True),  # see the transfer tests below
        (F.READY_FOR_PICKUP, F.COLLECTED, True),
        (F.READY_FOR_PICKUP, F.CANCELLED, True),
    ],
)
def test_allowed_moves(current, requested, pickup):
    assert check_transition(current, requested, pickup=pickup) == requested


@pytest.mark.parametrize(
    ("current", "requested", "pickup"),
    [
        (F.RELEASED, F.SHIPPED, False),  # not accepted yet
        (F.DELIVERED, F.DELIVERED, False),
        (F.DELIVERED, F.CANCELLED, False),  # it reached the customer: a return, not a cancel
        (F.SHIPPED, F.DELIVERED, True),  # a pickup order is collected, not delivered
        (F.PICKED, F.READY_FOR_PICKUP, False),  # a home order is never ready for pickup
        (F.REJECTED, F.ACCEPTED, False),
        (F.CANCELLED, F.RELEASED, True),
    ],
)
def test_illegal_moves_name_both_statuses(current, requested, pickup):
    with pytest.raises(IllegalTransition) as exc:
        check_transition(current, requested, pickup=pickup)
    assert exc.value.extra == {"current_status": current, "requested_status": requested}


def test_closed_statuses_are_final_and_every_action_targets_a_status():
    assert all(not FULFILLMENT_TRANSITIONS[s] for s in CLOSED)
    assert set(ACTIONS.values()) <= set(FULFILLMENT_TRANSITIONS)


@pytest.mark.parametrize(
    ("statuses", "unallocated", "pickup", "expected"),
    [
        (["released"], 0, False, OStatus.CREATED),
        (["accepted", "released"], 0, False, OStatus.CREATED),
        (["accepted", "picked"], 0, False, OStatus.ACCEPTED),
        (["shipped", "accepted"], 0, False, OStatus.PARTIALLY_SHIPPED),
        (["shipped", "shipped"], 0, False, OStatus.SHIPPED),
        (["delivered", "shipped"], 0, False, OStatus.PARTIALLY_DELIVERED),
        (["delivered", "cancelled"], 0, False, OStatus.DELIVERED),
        (["ready_for_pickup", "picked"], 0, True, OStatus.PARTIALLY_READY),
        (["ready_for_pickup"], 0, True, OStatus.READY_FOR_PICKUP),
        (["collected", "ready_for_pickup"], 0, True, OStatus.PARTIALLY_COLLECTED),
        (["collected"], 0, True, OStatus.COLLECTED),
        (["cancelled", "cancelled"], 0, False, OStatus.CANCELLED),
        (["rejected", "accepted"], 2, False, OStatus.AWAITING_SOURCING),
        (["rejected"], 0, False, OStatus.CANCELLED),  # rejected units then cancelled by the customer
    ],
)
def test_order_status_is_derived_from_fulfillments(statuses, unallocated, pickup, expected):
    assert derive_order_status(statuses, unallocated_units=unallocated, pickup=pickup) == expected


def test_an_order_held_is_on_hold_until_nothing_of_it_is_left():
    assert derive_order_status(["planned", "backordered"], unallocated_units=0, pickup=False,
                               held=True) == OStatus.ON_HOLD
    assert derive_order_status(["cancelled"], unallocated_units=0, pickup=False, held=True) == OStatus.CANCELLED


def test_a_transfer_is_ready_for_pickup_only_once_shipped_to_the_pickup_node():
    with pytest.raises(IllegalTransition):
        check_transition(F.PICKED, F.READY_FOR_PICKUP, pickup=True, transfer=True)
    assert check_transition(F.PICKED, F.SHIPPED, pickup=True, transfer=True) == F.SHIPPED
    assert check_transition(F.SHIPPED, F.READY_FOR_PICKUP, pickup=True, transfer=True) == F.READY_FOR_PICKUP


def test_a_pickup_from_the_collecting_node_itself_is_never_shipped():
    with pytest.raises(IllegalTransition):
        check_transition(F.PICKED, F.SHIPPED, pickup=True)


def test_a_backordered_fulfilment_is_released_planned_or_cancelled_and_nothing_else():
    assert check_transition("backordered", "released", pickup=False) == FStatus.RELEASED
    assert check_transition("backordered", "planned", pickup=False) == FStatus.PLANNED  # its order on hold
    assert check_transition("backordered", "cancelled", pickup=False) == FStatus.CANCELLED
    for requested in ("accepted", "picked", "shipped"):
        with pytest.raises(IllegalTransition):
            check_transition("backordered", requested, pickup=False)


def test_an_order_waiting_for_supply_is_backordered_until_every_part_moves():
    assert derive_order_status(["backordered", "released"], unallocated_units=0, pickup=False) == "backordered"
    assert derive_order_status(["backordered", "shipped"], unallocated_units=0, pickup=False) == "partially_shipped"
    assert derive_order_status(["released", "released"], unallocated_units=0, pickup=False) == "created"
