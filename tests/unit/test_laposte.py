"""La Poste's Suivi v2 answers read (tests/fixtures/platforms/laposte_suivi.json and its documented variants)."""

from datetime import UTC, datetime

from oms.domain.laposte import items
from oms.domain.tracking import Tracking
from tests.unit.test_platform_orders import fixture


def test_a_parcels_events_are_its_news_oldest_first_each_by_what_it_means():
    [item] = items(fixture("laposte_suivi.json"))
    assert (item.number, item.known, item.final) == ("6A27118033519", True, False)
    assert [(n.status, n.description[:3]) for n in item.news] == [
        (Tracking.IN_TRANSIT, "PC1"), (Tracking.IN_TRANSIT, "ET1"), (Tracking.OUT_FOR_DELIVERY, "MD2")]
    assert item.news[0].occurred_at == datetime(2026, 12, 4, 17, 12, tzinfo=UTC)


def test_several_parcels_come_as_a_list_each_with_its_return_code():
    known = fixture("laposte_suivi.json")
    known["shipment"]["isFinal"] = True
    known["shipment"]["event"] = [{"code": "DI2", "label": "Distribué à l'expéditeur",
                                   "date": "2026-12-06T11:00:00+01:00"},
                                  {"code": "XX9", "label": "no time", "date": "demain"}, "not an event",
                                  {"code": "AG1", "label": "Au guichet", "date": "2026-12-05T11:00:00"}]
    found = items([known, {"returnCode": 104, "idShip": "8R00000000001", "returnMessage": "Numéro inconnu"},
                   {"returnCode": 200}, "noise"])
    assert [(i.number, i.known, i.final) for i in found] == [("6A27118033519", True, True),
                                                            ("8R00000000001", False, False)]
    # (an event without a time, or without its offset, is left out rather than placed wrongly)
    assert [n.status for n in found[0].news] == [Tracking.RETURNED_TO_SENDER]
    assert found[1].why == "104: Numéro inconnu"
