"""The rules of returns: what is left to return, spreading a receipt over lines, the refund, the status."""

from hypothesis import given
from hypothesis import strategies as st

from oms.domain.lifecycle import OStatus, with_returns
from oms.domain.returns import Disposition, RStatus, Take, allot, apply, refund, returnable, status_of

D = Disposition


def line(no, sku, quantity, received=0, to_inspect=0):
    return {"line_no": no, "sku": sku, "quantity": quantity, "received": received, "restocked": 0, "damaged": 0,
            "to_inspect": to_inspect}


def test_what_is_left_to_return_counts_sent_units_less_open_returns():
    lines = [{"line_no": 1}, {"line_no": 2}, {"line_no": 3}]
    assert returnable(lines, {1: 3, 2: 1}, {1: 2, 2: 1}) == {1: 1, 2: 0, 3: 0}


def test_a_receipt_spreads_over_the_lines_of_its_sku_and_names_what_does_not_fit():
    lines = [line(1, "A", 2, received=1), line(3, "A", 2), line(4, "B", 1)]
    takes, errors = allot(lines, [("A", 3, D.RESTOCK), ("C", 1, D.DAMAGED), ("B", 2, D.DAMAGED)], room="to_receive")
    assert takes == [Take(1, "A", 1, D.RESTOCK), Take(3, "A", 2, D.RESTOCK)]
    assert [(e.field, e.reason) for e in errors] == [("lines.1.sku", "'C' is not on this return"),
                                                     ("lines.2.quantity", "2 x B but 1 to receive")]
    apply(lines, takes, inspecting=False)
    assert [(x["received"], x["restocked"]) for x in lines] == [(2, 1), (2, 2), (0, 0)]


def test_the_refund_pays_judged_units_and_the_exchange_first():
    takes = [Take(1, "A", 2, D.RESTOCK), Take(2, "B", 1, D.INSPECT), Take(3, "C", 1, D.DAMAGED)]
    amount, used, lines = refund(takes, {1: 500, 2: 9000, 3: 300}, credit=700)
    assert (amount, used) == (600, 700)  # 2 x 5.00 + 3.00 judged, 7.00 of it paid the exchange
    assert [x["line_no"] for x in lines] == [1, 3]
    assert refund(takes, {1: 500, 2: 9000, 3: 300}, credit=5000)[:2] == (0, 1300)


def test_the_status_of_a_return():
    assert status_of([line(1, "A", 2)]) == RStatus.REQUESTED
    assert status_of([line(1, "A", 2, received=1)]) == RStatus.PARTIALLY_RECEIVED
    assert status_of([line(1, "A", 2, received=2, to_inspect=1)]) == RStatus.AWAITING_INSPECTION
    assert status_of([line(1, "A", 2, received=2)]) == RStatus.RECEIVED


def test_returns_show_in_the_order_status_only_once_it_reached_the_customer():
    assert with_returns(OStatus.DELIVERED, returned_units=2, sent_units=2) == OStatus.RETURNED
    assert with_returns(OStatus.COLLECTED, returned_units=1, sent_units=2) == OStatus.PARTIALLY_RETURNED
    assert with_returns(OStatus.PARTIALLY_DELIVERED, returned_units=2, sent_units=2) == OStatus.PARTIALLY_RETURNED
    assert with_returns(OStatus.PARTIALLY_SHIPPED, returned_units=1, sent_units=1) == OStatus.PARTIALLY_SHIPPED
    assert with_returns(OStatus.DELIVERED, returned_units=0, sent_units=2) == OStatus.DELIVERED


@given(st.lists(st.tuples(st.sampled_from("AB"), st.integers(1, 5), st.integers(0, 5)), min_size=1, max_size=5),
       st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 8)), min_size=1, max_size=4))
def test_a_receipt_never_takes_more_than_a_line_expects(spec, asked):
    lines = [line(i + 1, sku, q, received=min(r, q)) for i, (sku, q, r) in enumerate(spec)]
    left = {sku: sum(x["quantity"] - x["received"] for x in lines if x["sku"] == sku) for sku in "ABC"}
    takes, errors = allot(lines, [(s, q, D.RESTOCK) for s, q in asked], room="to_receive")
    apply(lines, takes, inspecting=False)
    assert all(0 <= x["received"] <= x["quantity"] for x in lines)
    # Each asked receipt is taken whole, or refused whole with a reason.
    refused = {int(e.field.split(".")[1]) for e in errors}
    taken = sum(t.quantity for t in takes)
    assert taken == sum(q for i, (_, q) in enumerate(asked) if i not in refused)
    assert all(sum(t.quantity for t in takes if t.sku == s) <= left[s] for s in "ABC")

