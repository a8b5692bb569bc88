"""Available units per SKU and node, held compactly enough for millions of stock rows in one process.

A row as Python objects (a dict entry, a small object, its strings) costs some 500 bytes: 2.8 GB for five
million rows. Here each SKU keeps two integer arrays, the nodes (as small integers) and their available
units, so a row costs 8 bytes and a look-up by SKU, the only one the readers make, stays one dict access.
"""

from array import array
from collections.abc import Iterable, Iterator, Mapping


class UnitsBySku:
    def __init__(self) -> None:
        self._index: dict[str, int] = {}  # node id -> its number in the arrays
        self._node_ids: list[str] = []
        self._by_sku: dict[str, tuple[array, array]] = {}  # sku -> (node numbers, available units)

    def set(self, sku: str, node_id: str, units: int) -> bool:
        """Record the node's available units of the SKU; whether that changed anything."""
        return self.update(((sku, node_id, units),))

    def update(self, rows: Iterable[tuple[str, str, int]]) -> bool:
        """Record (sku, node, available units) rows; whether that changed anything. One loop for a whole
        slice of rows, as a million of them are read at start-up."""
        index, node_ids, by_sku = self._index, self._node_ids, self._by_sku
        changed = False
        for sku, node_id, units in rows:
            number = index.get(node_id)
            if number is None:
                number = index[node_id] = len(node_ids)
                node_ids.append(node_id)
            found = by_sku.get(sku)
            if found is None:
                by_sku[sku] = (array("i", (number,)), array("i", (units,)))
                changed = True
                continue
            nodes, available = found
            try:
                at = nodes.index(number)  # a scan in C over the few hundred nodes that hold the SKU at most
            except ValueError:
                nodes.append(number)
                available.append(units)
                changed = True
                continue
            if available[at] != units:
                available[at] = units
                changed = True
        return changed

    def numbered(self, node_ids: Iterable[str]) -> list[str]:
        """Number these nodes (those new at the end): every node numbered so far, in its number's place."""
        index, node_ids_known = self._index, self._node_ids
        for node_id in node_ids:
            if node_id not in index:
                index[node_id] = len(node_ids_known)
                node_ids_known.append(node_id)
        return list(node_ids_known)

    def replace(self, rows: Iterable[tuple[str, list[int], list[int]]]) -> bool:
        """Record (sku, node numbers from ``numbered``, their available units) rows, each the whole of its
        SKU's stock rows; whether that changed anything."""
        by_sku, changed = self._by_sku, False
        for sku, numbers, units in rows:
            new = (array("i", numbers), array("i", units))
            if by_sku.get(sku) != new:
                by_sku[sku] = new
                changed = True
        return changed

    def of(self, sku: str) -> Mapping[str, int]:
        """Available units of the SKU by node, for every node with a stock row (0 included)."""
        found = self._by_sku.get(sku)
        if found is None:
            return {}
        ids = self._node_ids
        return {ids[number]: units for number, units in zip(*found, strict=True)}

    def positive(self, sku: str) -> Iterator[tuple[str, int]]:
        """(node, units) where the SKU has units available."""
        found = self._by_sku.get(sku)
        if found is not None:
            ids = self._node_ids
            yield from ((ids[number], units) for number, units in zip(*found, strict=True) if units > 0)

    def __len__(self) -> int:
        """Stock rows held."""
        return sum(len(nodes) for nodes, _ in self._by_sku.values())
