"""The demo's relay points: a few hundred shops in French towns (``data/pickup_points.json``) that receive
parcels for their customers, keep them for some days and send the uncollected back to the nearest DC.

A point's place, shop, name, street and daily capacity are drawn from one ``random.Random`` seeded from
the file, so each build gives the same network.
"""

import random
import unicodedata

from ..cells import parse_hours, parse_takes
from ..domain.geo import haversine_km
from ..domain.vocabulary import DeliveryMode, NodeType
from ..services.reference.inputs import NodeIn
from .source import moved, read_json


def _slug(town: str) -> str:
    plain = unicodedata.normalize("NFKD", town).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).upper().split())


def build_pickup_points(dcs: list[NodeIn]) -> list[NodeIn]:
    """The relay points, each sending what is left uncollected back to the nearest of ``dcs``."""
    plan = read_json("pickup_points.json")
    rng = random.Random(plan["seed"])
    shops = plan["shops"]
    takes = parse_takes(plan["takes"])
    points = []
    for town, postal_code, lat, lng, count, radius_km in plan["towns"]:
        for number in range(1, count + 1):
            shop = rng.choices(shops, weights=[s["weight"] for s in shops])[0]
            # The town's centre for its first point (there is always one there), around it for the others.
            at = (lat, lng) if number == 1 else moved(rng, lat, lng, radius_km)
            nearest = min(dcs, key=lambda dc: haversine_km(at[0], at[1], dc.address.lat, dc.address.lng))
            points.append(NodeIn.model_validate({
                "id": f"PR-{_slug(town)}-{number:02d}", "type": NodeType.PICKUP_POINT,
                "name": f"{shop['kind']} {rng.choice(plan['names'])}, {town}",
                "address": {"line1": f"{rng.randint(1, 120)} {rng.choice(plan['streets'])}",
                            "postal_code": postal_code, "city": town, "country": "FR", "lat": at[0], "lng": at[1]},
                "hands_over": [DeliveryMode.PICKUP_POINT], "opening_hours": parse_hours(shop["hours"]),
                "daily_capacity": rng.randint(*plan["daily_capacity"]),
                "collect_within_days": plan["collect_within_days"], "returns_to": nearest.id,
                "region": plan["regions"].get(postal_code[:2]), "takes": takes}))
    return points
