"""Available units by SKU and node, as the stock mirror keeps them."""

from oms.services.stock.units import UnitsBySku


def test_units_are_kept_per_sku_and_node_and_changes_are_told():
    units = UnitsBySku()
    assert units.set("SKU-A", "DC-1", 10) and units.set("SKU-A", "ST-1", 0) and units.set("SKU-B", "ST-1", 3)
    assert not units.set("SKU-A", "DC-1", 10)  # the same number again changes nothing
    assert units.set("SKU-A", "DC-1", 7)
    assert units.of("SKU-A") == {"DC-1": 7, "ST-1": 0}
    assert units.of("SKU-B") == {"ST-1": 3} and units.of("NOPE") == {}
    assert list(units.positive("SKU-A")) == [("DC-1", 7)] and list(units.positive("NOPE")) == []
    assert len(units) == 3


def test_a_whole_sku_replaced_keeps_the_numbers_given_to_its_nodes():
    units = UnitsBySku()
    assert units.set("SKU-A", "ST-1", 4)
    ids = units.numbered(["DC-1", "ST-1", "ST-2"])
    assert ids == ["ST-1", "DC-1", "ST-2"]  # a node numbered before keeps its number
    assert units.replace([("SKU-A", [ids.index("DC-1"), ids.index("ST-1")], [9, 0]),
                          ("SKU-B", [ids.index("ST-2")], [3])])
    assert units.of("SKU-A") == {"DC-1": 9, "ST-1": 0} and units.of("SKU-B") == {"ST-2": 3}
    assert not units.replace([("SKU-B", [ids.index("ST-2")], [3])])  # the same rows again change nothing
    assert units.set("SKU-B", "DC-1", 1) and units.of("SKU-B") == {"ST-2": 3, "DC-1": 1}
