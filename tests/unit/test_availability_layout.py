"""One SKU's availability from the channel's sellable nodes: the same answer as looking at every node."""

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.availability import Near, Sellable, sku_availability
from oms.domain.geo import haversine_km
from oms.domain.protection import ChannelRule, Rules
from oms.domain.reference import NodeRef

MODES = ("home_standard", "click_and_collect", "reserve_in_store", "locker")


def node(i: int, kind: str, lat: float, lng: float, modes: frozenset[str], active: bool = True) -> NodeRef:
    return NodeRef(f"N-{i}", kind, f"node {i}", lat, lng, "Europe/Paris", modes, frozenset(), active)


nodes = st.lists(st.tuples(st.sampled_from(("store", "warehouse", "locker")),
                           st.floats(-70, 70), st.floats(-179, 179),
                           st.frozensets(st.sampled_from(MODES), min_size=1), st.booleans()),
                 min_size=1, max_size=30).map(lambda rows: [node(i, *row) for i, row in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(st.floats(-70, 70), st.floats(-179, 179), st.floats(1, 3000), st.data())
def test_stores_near_a_point_are_those_within_the_radius_nearest_first(lat, lng, radius, data):
    # Stores scattered around the point, many of them about the radius away, where a band too narrow or
    # too wide would show.
    band = radius / 111.2
    offsets = st.tuples(st.floats(-1.3 * band, 1.3 * band), st.floats(-1.3 * band, 1.3 * band))
    network = [node(i, data.draw(st.sampled_from(("store", "store", "warehouse"))), max(-89.0, min(89.0, lat + dlat)),
                    (lng + dlng + 180) % 360 - 180, frozenset({"home_standard"}), data.draw(st.booleans()))
               for i, (dlat, dlng) in enumerate(data.draw(st.lists(offsets, min_size=1, max_size=40)))]
    sellable = Sellable.of(network)
    expected = sorted((haversine_km(lat, lng, n.lat, n.lng), n.id) for n in network
                      if n.type == "store" and n.active)
    assert sellable.near(Near(lat, lng, radius, limit=1000)) == [(km, i) for km, i in expected if km <= radius]


@settings(max_examples=200, deadline=None)
@given(nodes, st.data())
def test_totals_modes_and_nodes_follow_the_channel_rules(network, data):
    rules = Rules(walk_in_units=data.draw(st.integers(0, 3)),
                  channels={"web": ChannelRule(share_percent=data.draw(st.integers(0, 100)))})
    stock = {n.id: data.draw(st.integers(0, 50)) for n in network if data.draw(st.booleans())}
    stock["N-999"] = 7  # a row at a node the reference no longer has is not counted
    answer = sku_availability("SKU", stock, Sellable.of(network, rules, "web"), None)
    usable = [n for n in network if n.active and n.type != "locker"]
    shown = {n.id: rules.promisable("web", n.type, stock[n.id]) for n in usable if n.id in stock}
    assert answer["available"] == sum(shown.values())
    assert answer["nodes"] == [{"node_id": i, "available": q} for i, q in sorted(shown.items()) if q > 0]
    assert answer["modes"] == {m: sum(shown.get(n.id, 0) for n in usable if m in n.fulfills)
                               for m in sorted({m for n in usable for m in n.fulfills})}
