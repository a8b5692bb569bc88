"""Rules an order must meet before any stock is looked at: known SKUs, a delivery the network can serve."""

from collections.abc import Mapping, Sequence

from .errors import Problems
from .reference import NodeRef, ProductRef
from .sourcing import Candidate
from .vocabulary import PICKUP_MODES, SAME_NODE_MODES


def check_skus(skus: Sequence[str], products: Mapping[str, ProductRef], problems: Problems) -> None:
    """Every line's SKU is known and for sale; each that is not is named (``lines.N.sku``)."""
    for i, sku in enumerate(skus):
        if sku not in products:
            problems.add(f"lines.{i}.sku", f"unknown sku {sku!r}")
        elif not products[sku].active:
            problems.add(f"lines.{i}.sku", f"{sku} is switched off (not for sale)")


def check_currencies(skus: Sequence[str], currencies: Sequence[str], products: Mapping[str, ProductRef],
                     problems: Problems) -> None:
    """Each line is priced in its product's currency (the catalogue's): an amount in another one would be
    added to the catalogue's prices and carrier costs as if it were the same money."""
    for i, (sku, currency) in enumerate(zip(skus, currencies, strict=True)):
        product = products.get(sku)
        if product is not None and currency != product.currency:
            problems.add(f"lines.{i}.unit_price.currency",
                         f"{sku} is sold in {product.currency}, not {currency}")


def check_order(
    skus: Sequence[str],
    mode: str,
    pickup_node_id: str | None,
    address_point: tuple[float, float] | None,
    products: Mapping[str, ProductRef],
    nodes: Mapping[str, NodeRef],
    currencies: Sequence[str] | None = None,
    sending: list[Candidate] | None = None,
) -> tuple[list[Candidate], tuple[float, float]]:
    """The nodes that may send this order and the point it goes to; InvalidInput naming every bad field.
    ``currencies``: the lines' price currencies, for an order (a hold or a promise has no prices).
    ``sending``: ``senders(mode, nodes)`` where it was worked out already."""
    problems = Problems()
    check_skus(skus, products, problems)
    if currencies is not None:
        check_currencies(skus, currencies, products, problems)

    destination = address_point
    pickup = None
    if mode in PICKUP_MODES:
        pickup = nodes.get(pickup_node_id or "")
        if pickup is None:
            problems.add("delivery.pickup_node_id", f"unknown node {pickup_node_id!r}")
        elif not pickup.active:
            problems.add("delivery.pickup_node_id", f"node {pickup.id} is not active")
            pickup = None
        elif mode not in pickup.hands_over:
            problems.add("delivery.mode", f"node {pickup.id} ({pickup.type}) does not hand over {mode} orders")
            pickup = None  # one reason is enough for this field
        else:
            destination = (pickup.lat, pickup.lng)

    candidates: list[Candidate] = []
    if mode in SAME_NODE_MODES:
        if pickup is not None and mode not in pickup.fulfills:
            problems.add("delivery.mode", f"node {pickup.id} cannot serve {mode} from its own stock")
        elif pickup is not None:
            candidates = [Candidate(pickup.id, pickup.lat, pickup.lng)]
    else:
        candidates = senders(mode, nodes) if sending is None else sending
        if not candidates:
            problems.add("delivery.mode", f"no active node serves {mode}")
    if destination is None and not problems.errors:
        problems.add("delivery.address", f"mode {mode} needs an address with lat and lng")
    problems.raise_if_any()
    assert destination is not None  # else a problem was raised just above
    return candidates, destination


def senders(mode: str, nodes: Mapping[str, NodeRef]) -> list[Candidate]:
    """The active nodes that send orders of this mode from their own stock."""
    return [Candidate(n.id, n.lat, n.lng) for n in nodes.values() if n.active and mode in n.fulfills]
