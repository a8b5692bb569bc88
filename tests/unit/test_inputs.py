import pytest
from pydantic import ValidationError

from oms.services.reference.inputs import NodeIn, OpeningHours

ADDRESS = {"line1": "1 quai", "postal_code": "69002", "city": "Lyon", "country": "FR", "lat": 45.76, "lng": 4.83}


@pytest.mark.parametrize("span", [("09:00", "19:30"), ("00:00", "24:00"), ("10:00", "12:30")])
def test_opening_hours_take_zero_padded_spans(span):
    assert OpeningHours(mon=[span]).mon == [span]


@pytest.mark.parametrize("span", [("9:00", "19:00"), ("10:00", "09:30"), ("08:00", "24:59"), ("08:00", "8h")])
def test_opening_hours_refuse_bad_or_backwards_times(span):
    with pytest.raises(ValidationError):
        OpeningHours(tue=[span])


def test_a_locker_hands_over_but_never_fulfills():
    NodeIn(id="LK-1", type="locker", name="Locker", address=ADDRESS, hands_over=["locker"])
    with pytest.raises(ValidationError, match="holds no stock"):
        NodeIn(id="LK-1", type="locker", name="Locker", address=ADDRESS, fulfills=["home_standard"])
    with pytest.raises(ValidationError, match="pickup modes only"):
        NodeIn(id="ST-1", type="store", name="Store", address=ADDRESS, hands_over=["home_express"])
