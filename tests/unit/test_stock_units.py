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
