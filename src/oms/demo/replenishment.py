"""How the demo's stores are replenished (``data/replenishment.json``): each from its nearest DC, on its order
weekdays, with a lead time by distance; and the rules for its SKUs by class."""

from ..domain.geo import haversine_km
from ..domain.vocabulary import NodeType
from ..services.reference.inputs import NodeIn
from ..services.replenishment.inputs import ReplenishmentRuleIn, ReplenishmentStoreIn
from .source import read_json


def build_replenishment(nodes: list[NodeIn]) -> tuple[list[ReplenishmentStoreIn], list[ReplenishmentRuleIn]]:
    plan = read_json("replenishment.json")
    dcs = [n for n in nodes if n.type == NodeType.WAREHOUSE]
    stores = []
    for store in (n for n in nodes if n.type == NodeType.STORE):
        at = store.address
        km, dc = min((haversine_km(at.lat, at.lng, d.address.lat, d.address.lng), d.id) for d in dcs)
        reach = "near" if km <= plan["near_km"] else "far"
        busy = plan["busy_stores"]
        weekdays = busy["order_weekdays"] if store.id.startswith(busy["prefix"]) else plan["order_weekdays"]
        stores.append(ReplenishmentStoreIn(node_id=store.id, source_node_id=dc, order_weekdays=weekdays,
                                           lead_days=float(plan["lead_days"][reach]),
                                           lead_sigma_days=float(plan["lead_sigma_days"][reach])))
    return stores, [ReplenishmentRuleIn.model_validate(r) for r in plan["rules"]]
