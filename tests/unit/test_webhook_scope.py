"""Which events a subscription limited to one node gets: those about its work, claims on it included."""

from oms.domain.webhooks import about


def test_a_node_limited_subscription_hears_of_claims_on_its_work():
    assert about("ST-1", {"node_id": "ST-2", "from": "ST-1"})
    assert about("ST-3", {"fulfillment_id": "f", "withdrawn_from": ["ST-3"]})
    assert not about("ST-4", {"node_id": "ST-2", "from": "ST-1", "withdrawn_from": ["ST-3"]})
