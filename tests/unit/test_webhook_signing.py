"""Webhook rules without I/O: the signature over a timestamp and the body, the event types one may
subscribe to, what is kept of a partner's answer."""

import hashlib
import hmac

import pytest

from oms.domain.webhooks import EVENT_TYPES, excerpt, known, signature, timed_signature


def test_a_delivery_is_signed_over_its_timestamp_and_its_body():
    body = b'{"id":"evt_1"}'
    header = timed_signature("s" * 16, body, 1_790_000_000)
    t, v1 = header.split(",")
    assert t == "t=1790000000"
    assert v1 == "v1=" + hmac.new(b"s" * 16, b"1790000000." + body, hashlib.sha256).hexdigest()
    assert timed_signature("s" * 16, body, 1_790_000_001) != header  # another time, another signature


def test_carriers_keep_their_body_only_signature():
    body = b"{}"
    assert signature("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("pattern", ["*", "order.*", "order.created", "fulfillment.released", "fulfillment.*",
                                     "shipment.delivered", "inventory.low", "return.created"])
def test_the_event_types_the_service_emits_may_be_subscribed_to(pattern):
    assert known(pattern)


@pytest.mark.parametrize("pattern", ["bogus.event", "bogus.*", "order.creatd", "fulfillment.flying", "order"])
def test_other_event_types_are_unknown(pattern):
    assert not known(pattern)


def test_every_fulfilment_status_and_tracking_status_has_its_event():
    assert {"fulfillment.released", "fulfillment.cancelled", "shipment.in_transit",
            "shipment.returned_to_sender"} <= EVENT_TYPES


def test_a_partners_answer_is_kept_short_and_printable():
    kept = excerpt("\x1b[31mboom\x1b[0m\r\nline two\x00" + "x" * 5000)
    assert len(kept) <= 200 and kept.isprintable()
    assert kept.startswith("[31mboom[0m line two")
    assert excerpt("") == ""
