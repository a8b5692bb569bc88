"""Which stores are offered another's work: those with every unit, nearest to the customer first."""

from oms.domain.claims import rivals
from oms.domain.sourcing import Candidate

CANDIDATES = [Candidate("ST-FAR", 45.0, 5.0), Candidate("ST-NEAR", 48.86, 2.35), Candidate("DC", 48.9, 2.4),
              Candidate("ST-HALF", 48.87, 2.36), Candidate("ST-MINE", 48.85, 2.34)]
TYPES = {"ST-FAR": "store", "ST-NEAR": "store", "DC": "warehouse", "ST-HALF": "store", "ST-MINE": "store"}
STOCK = {("ST-FAR", "A"): 5, ("ST-FAR", "B"): 1, ("ST-NEAR", "A"): 2, ("ST-NEAR", "B"): 3, ("DC", "A"): 99,
         ("DC", "B"): 99, ("ST-HALF", "A"): 9, ("ST-MINE", "A"): 9, ("ST-MINE", "B"): 9}
PARIS = (48.8566, 2.3522)


def test_stores_with_every_unit_nearest_first_never_the_assigned_one_nor_a_warehouse():
    lines = [("A", 2), ("B", 1)]
    assert rivals(lines, "ST-MINE", CANDIDATES, TYPES, STOCK, PARIS, 5) == ["ST-NEAR", "ST-FAR"]
    assert rivals(lines, "ST-MINE", CANDIDATES, TYPES, STOCK, PARIS, 1) == ["ST-NEAR"]
    assert rivals([("A", 3), ("B", 1)], "ST-MINE", CANDIDATES, TYPES, STOCK, PARIS, 5) == ["ST-FAR"]
    assert rivals(lines, "ST-MINE", CANDIDATES, TYPES, STOCK, PARIS, 0) == []
