"""Where an address a platform sends without coordinates is: its postal code's position in the table shipped
with the OMS (``demo/data/postal_codes_fr.csv``: France and its overseas territories), no online geocoder."""

import csv
from functools import cache
from importlib import resources

import pycountry

# Territories with French postal codes, filed in the table under France's codes.
FRENCH = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"})


@cache
def _table() -> dict[str, tuple[float, float]]:
    text = resources.files("oms.demo").joinpath("data/postal_codes_fr.csv").read_text(encoding="utf-8")
    return {r["postal_code"]: (float(r["lat"]), float(r["lng"])) for r in csv.DictReader(text.splitlines())}


def coordinates(country: str, postal_code: str) -> tuple[float, float] | None:
    """The postal code's position (a CEDEX code by its first five digits), None when the table lacks it."""
    code = postal_code.replace(" ", "")[:5]
    if country.upper() not in FRENCH or len(code) != 5 or not code.isdigit():
        return None
    return _table().get(code)


def alpha2(code: str) -> str | None:
    """A country's ISO 3166-1 alpha-2 code, as the OMS writes it: an alpha-2 code as given (the platforms use
    some the standard has not assigned, XK for Kosovo), an alpha-3 one (Mirakl's) turned into its alpha-2;
    None for one that names no country."""
    if len(code) == 2:
        return code
    found = pycountry.countries.get(alpha_3=code)
    return str(found.alpha_2) if found is not None else None


def _middle() -> dict:
    """Where an order whose address is not given yet is held as for: the mean of mainland France's postal
    codes (near Bourges), in an address that says so."""
    mainland = [at for code, at in _table().items() if code < "97"]
    return {"line1": "not given by the marketplace yet", "postal_code": "-", "city": "-", "country": "FR",
            "lat": round(sum(a for a, _ in mainland) / len(mainland), 4),
            "lng": round(sum(b for _, b in mainland) / len(mainland), 4)}


NOT_GIVEN = _middle()
