"""The generated large retailer: the same at every build, and of the shape asked (at a small size here)."""

from collections import Counter

from oms.demo.large import SCALES, Scale, build_large

SMALL = Scale(stores=60, dcs=4, skus=300, store_share=0.2)


def built(scale: Scale):
    products, nodes, chunks = build_large(scale)
    return products, nodes, [row for chunk in chunks for row in chunk]


def test_two_builds_are_identical():
    assert built(SMALL) == built(SMALL)


def test_the_network_has_the_size_asked_and_every_sku_at_every_dc():
    products, nodes, stock = built(SMALL)
    types = Counter(n.type for n in nodes)
    assert types["store"] == 60 and types["warehouse"] == 4
    assert types["locker"] == 10 and types["supplier"] == 1  # the demo's own
    assert len({n.id for n in nodes}) == len(nodes)
    assert len(products) == 300 and len({p.sku for p in products}) == 300
    for n in nodes:  # metropolitan France
        assert 41.3 < n.address.lat < 51.2 and -5.2 < n.address.lng < 9.6, n.id

    dcs = {n.id for n in nodes if n.type == "warehouse"}
    stores = {n.id for n in nodes if n.type == "store"}
    keys = [(s.node_id, s.sku) for s in stock]
    assert len(set(keys)) == len(keys)
    at_dcs = Counter(s.sku for s in stock if s.node_id in dcs)
    assert at_dcs == {p.sku: 4 for p in products}
    assert all(s.node_id in dcs | stores for s in stock)
    not_bulky = sum(not p.bulky for p in products)
    in_stores = sum(s.node_id in stores for s in stock)
    assert 0.8 < in_stores / (not_bulky * 60 * 0.2) < 1.2
    dc_units = [s.on_hand for s in stock if s.node_id in dcs]
    store_units = [s.on_hand for s in stock if s.node_id in stores]
    assert min(dc_units) > max(store_units) / 2 and sum(dc_units) / len(dc_units) > 5 * max(store_units)


def test_the_presets():
    assert SCALES["large"].stores == 300 and SCALES["large"].dcs == 3 and SCALES["large"].skus == 20_000
    assert SCALES["very-large"].stores == 1000 and SCALES["very-large"].skus == 100_000
