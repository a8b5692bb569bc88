"""A day's places on stripes: the shares add up to the limit, a day laid out again keeps every place and
each stripe within its share where the limit allows, a give-back never goes below zero, and an order's
places go on stripes with room, in the order every writer takes rows."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from oms.domain.capacity import STRIPES, Capacity, Take, given_back, over_share, share, spread

DAY = date(2026, 12, 4)
limits = st.integers(0, 50)
stripes = st.lists(st.integers(0, 20), min_size=STRIPES, max_size=STRIPES)


def test_the_shares_add_up_to_the_limit_and_differ_by_one_at_most():
    for limit in [*range(51), 2**31 - 4, 2**31 - 1]:  # up to the largest limit the API takes
        shares = [share(limit, s) for s in range(STRIPES)]
        assert sum(shares) == limit and max(shares) - min(shares) <= 1
        assert shares == sorted(shares, reverse=True)


@given(limit=limits, used=stripes, more=st.integers(0, 10))
def test_a_day_laid_out_again_keeps_its_places_within_the_shares_the_limit_allows(limit, used, more):
    laid = spread(limit, used, more)
    assert sum(laid) == sum(used) + more and min(laid) >= 0
    if sum(laid) <= limit:
        assert not over_share(limit, laid)
    else:  # the day is full: what the limit cannot hold stays on one stripe
        assert [s for s in range(STRIPES) if laid[s] > share(limit, s)] != [] and \
            sum(max(0, laid[s] - share(limit, s)) for s in range(STRIPES)) == sum(laid) - limit
    # Stripes within their share keep what they hold: the fewest rows change.
    assert all(laid[s] >= min(used[s], share(limit, s)) for s in range(STRIPES))


@given(used=stripes, caps=stripes, orders=st.integers(0, 30))
def test_a_give_back_takes_what_the_stripes_hold_and_never_goes_below_zero(used, caps, orders):
    left = given_back(used, caps, orders)
    assert min(left) >= 0 and sum(left) == sum(used) - min(orders, sum(used))
    assert all(after <= before for after, before in zip(left, used, strict=True))


@given(limit=st.integers(1, 50), data=st.data())
def test_an_order_s_places_go_on_stripes_with_room_from_the_preferred_one(limit, data):
    used = [data.draw(st.integers(0, share(limit, s))) for s in range(STRIPES)]
    room = limit - sum(used)
    orders = data.draw(st.integers(1, max(1, room)))
    preferred = data.draw(st.integers(0, STRIPES - 1))
    takes = Capacity.of_stripes({"DC": limit}, {("DC", DAY): used}).striped([("DC", DAY, orders, limit)], preferred,
                                                                            pick=min)
    assert takes == sorted(takes)
    if orders > room:  # a full day: all on one stripe, which the database refuses
        assert [x.orders for x in takes] == [orders]
        return
    assert sum(x.orders for x in takes) == orders
    assert all(used[x.stripe] + x.orders <= x.cap for x in takes)
    if used[preferred] < share(limit, preferred):
        assert preferred in [x.stripe for x in takes]


def test_a_full_preferred_stripe_gives_way_to_one_picked_among_those_with_room():
    capacity = Capacity.of_stripes({"DC": 8}, {("DC", DAY): [2, 0, 1, 2]})
    assert capacity.striped([("DC", DAY, 1, 8)], 0, pick=max) == [Take("DC", DAY, 2, 1, 8)]
    assert capacity.striped([("DC", DAY, 3, 8)], 3, pick=min) == [Take("DC", DAY, 1, 2, 8), Take("DC", DAY, 2, 1, 8)]


def test_a_day_with_a_stripe_over_its_share_of_a_lowered_limit_is_tilted():
    capacity = Capacity.of_stripes({"DC": 3}, {("DC", DAY): [0, 0, 0, 2], ("DC", date(2026, 12, 5)): [1, 1, 0, 0]})
    assert capacity.used[("DC", DAY)] == 2 and capacity.has_room("DC", DAY)
    assert capacity.tilted([("DC", DAY, 1, 3), ("DC", date(2026, 12, 5), 1, 3)]) == [("DC", DAY, 1, 3)]
    assert spread(3, [0, 0, 0, 2]) == [1, 1, 0, 0]
