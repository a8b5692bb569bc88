"""The demo's data files, and the random draws its builders share."""

import json
import math
import random
from importlib import resources

DATA = resources.files(__package__) / "data"


def moved(rng: random.Random, lat: float, lng: float, km: float) -> tuple[float, float]:
    """A point up to ``km`` from (lat, lng), uniform over the disc."""
    distance, bearing = km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111.0
    dlng = distance * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 4), round(lng + dlng, 4)


def read_json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))
