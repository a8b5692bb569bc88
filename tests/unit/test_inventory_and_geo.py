from hypothesis import given
from hypothesis import strategies as st

from oms.domain.geo import haversine_km
from oms.domain.inventory import atp


def test_atp_subtracts_reserved_and_safety_stock():
    assert atp(10, 3, 2) == 5
    assert atp(10, 10, 0) == 0


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**4))
def test_atp_is_never_negative_nor_above_free_stock(on_hand, reserved, safety):
    value = atp(on_hand, reserved, safety)
    assert 0 <= value <= max(0, on_hand - reserved)
    assert value == max(0, on_hand - reserved - safety)


def test_paris_to_lyon_is_about_392_km():
    assert abs(haversine_km(48.8566, 2.3522, 45.7640, 4.8357) - 392) < 2
    assert haversine_km(45.0, 5.0, 45.0, 5.0) == 0
