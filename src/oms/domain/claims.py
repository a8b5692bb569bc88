"""Competitive claiming: a store's ship-from-store work offered to other stores that could send it whole;
the first store to accept it takes it. Which stores are offered it is decided here."""

from collections.abc import Mapping, Sequence

from .geo import haversine_km
from .sourcing import Candidate
from .vocabulary import NodeType


def rivals(lines: Sequence[tuple[str, int]], assigned: str, candidates: Sequence[Candidate],
           node_types: Mapping[str, str], available: Mapping[tuple[str, str], int],
           destination: tuple[float, float], count: int) -> list[str]:
    """Up to ``count`` stores besides ``assigned`` that have every unit of ``lines`` (sku, quantity) free,
    nearest to the destination first (the same parcel's journey, the shortest)."""
    if count <= 0:
        return []
    whole = [c for c in candidates
             if c.node_id != assigned and node_types.get(c.node_id) == NodeType.STORE
             and all(available.get((c.node_id, sku), 0) >= qty for sku, qty in lines)]
    whole.sort(key=lambda c: (haversine_km(c.lat, c.lng, *destination), c.node_id))
    return [c.node_id for c in whole[:count]]
