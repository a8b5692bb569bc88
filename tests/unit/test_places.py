"""Addresses without coordinates placed by their postal code, from the table shipped with the OMS."""

from oms.domain.geo import haversine_km
from oms.services.connectors import places
from oms.services.connectors.places import coordinates


def test_french_postal_codes_are_placed_where_their_towns_are():
    # (town halls' positions, to within the spread of the places sharing the code)
    for country, code, there, within in (
            ("FR", "33000", (44.8378, -0.5792), 5), ("FR", "75008", (48.8728, 2.3125), 5),
            ("FR", "67000", (48.5734, 7.7521), 5), ("RE", "97400", (-20.8789, 55.4481), 5),
            ("FR", "20000", (41.9192, 8.7386), 5)):
        found = coordinates(country, code)
        assert found is not None and haversine_km(*found, *there) < within, (code, found)


def test_a_cedex_code_is_placed_by_its_first_five_digits_and_others_are_not_guessed():
    assert coordinates("FR", "75008 CEDEX 08") == coordinates("FR", "75008") is not None
    assert coordinates("fr", "44000") == coordinates("FR", "44 000") is not None
    assert coordinates("FR", "00000") is None
    assert coordinates("DE", "10115") is None  # not a French code: no guess
    assert coordinates("FR", "SW1A") is None


def test_a_country_is_written_alpha_2_whichever_iso_code_a_platform_gives():
    assert (places.alpha2("FRA"), places.alpha2("FR"), places.alpha2("REU"), places.alpha2("BEL")) == (
        "FR", "FR", "RE", "BE")
    assert places.alpha2("XXX") is None
    assert places.alpha2("XK") == "XK"  # (Kosovo, as Shopify writes it: no code of the standard, taken as given)
