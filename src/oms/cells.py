"""The compact forms a CSV cell gives structured node fields in (each also accepted as the API's JSON):
opening hours, what a node hands over or receives, a locker bank's compartments."""

import json
import re
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"g": 1, "kg": 1000, "mm": 1, "cm": 10, "m": 1000}
_LIMITS = {"max": ("max_weight_g", ("g", "kg")), "length": ("max_length_mm", ("mm", "cm", "m")),
           "sides": ("max_sides_mm", ("mm", "cm", "m")), "girth": ("max_girth_mm", ("mm", "cm", "m"))}
_COMPARTMENT = re.compile(r"(\w+)\s+(\d+)x(\d+)x(\d+)(?:\s+(\d+(?:\.\d+)?)\s*kg)?\s+(\d+)")


def _json(cell: str) -> Any:
    try:
        return json.loads(cell)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from None


def _span(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"(\d\d:\d\d)-(\d\d:\d\d)", text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not a HH:MM-HH:MM span")
    return match[1], match[2]


def parse_hours(cell: str) -> dict[str, list[tuple[str, str]]]:
    """``mon-fri 09:00-19:00; sat 10:00-12:30,14:00-18:00`` (or a JSON object) as OpeningHours input."""
    if cell.lstrip().startswith("{"):
        return _json(cell)
    hours: dict[str, list[tuple[str, str]]] = {}
    for part in filter(None, (p.strip() for p in cell.split(";"))):
        days, _, spans = part.partition(" ")
        first, _, last = days.lower().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{days!r} is not a day (mon … sun) or a range of days (mon-fri)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise ValueError(f"{days!r} runs backwards; write the days from mon to sun")
        if not spans.strip():
            raise ValueError(f"{days!r} has no opening times")
        parsed = [_span(s) for s in spans.split(",")]
        for day in DAYS[start : end + 1]:
            if day in hours:
                raise ValueError(f"{day} is given twice")
            hours[day] = parsed
    return hours


def parse_takes(cell: str) -> dict[str, Any]:
    """``max 30 kg; length 120 cm; sides 150 cm; girth 300 cm; bulky; hazardous`` (or a JSON object) as
    ParcelLimitsIn input: a limit left out is no limit; bulky and hazardous, when named, are taken."""
    if cell.lstrip().startswith("{"):
        return _json(cell)
    found: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in cell.split(";"))):
        words = part.lower().split()
        if words in (["bulky"], ["hazardous"]):
            found[words[0]] = True
            continue
        match = re.fullmatch(r"(max|length|sides|girth)\s+(\d+(?:\.\d+)?)\s*([a-z]+)", part.lower())
        if not match or match[3] not in _LIMITS[match[1]][1]:
            raise ValueError(f"{part!r} is not a limit: max N kg, length N cm, sides N cm, girth N cm, bulky "
                             f"or hazardous")
        field, _ = _LIMITS[match[1]]
        if field in found:
            raise ValueError(f"{match[1]} is given twice")
        found[field] = round(float(match[2]) * _UNITS[match[3]])
    return found


def parse_compartments(cell: str) -> list[dict[str, Any]]:
    """``S 80x380x640 25kg 60; M 190x380x640 25kg 55`` (size, inner length x width x height in mm, the
    weight it bears, how many), or a JSON list, as CompartmentIn input."""
    if cell.lstrip().startswith("["):
        return _json(cell)
    found = []
    for part in filter(None, (p.strip() for p in cell.split(";"))):
        match = _COMPARTMENT.fullmatch(part)
        if not match:
            raise ValueError(f"{part!r} is not a compartment: size LxWxH (mm) [weight kg] count, as "
                             f"S 80x380x640 25kg 60")
        size, length, width, height, kg, count = match.groups()
        found.append({"size": size, "length_mm": int(length), "width_mm": int(width), "height_mm": int(height),
                      "count": int(count), **({"max_weight_g": round(float(kg) * 1000)} if kg else {})})
    return found
